"""Imports started from the page: the raw file is kept, a task imports it, the page shows progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import AuditEntry
from rapport.accounts.permissions import Actor
from rapport.commerce.import_jobs import run_import, start_import
from rapport.commerce.models import ImportJob, ImportStatus, Product
from rapport.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    data = content if content is not None else (FIXTURES / name).read_bytes()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_lead_uploads_products_and_the_task_imports_them(
    lead_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(
            reverse("commerce:imports"), {"kind": "products", "file": _upload("products.csv")}
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("commerce:import_detail", args=[job.pk])
    assert job.status == ImportStatus.DONE
    assert job.created_count == Product.objects.count() > 0
    assert job.processed_rows == job.total_rows
    page = lead_client.get(response["Location"])
    assert "Done" in page.text
    assert 'value="100"' in page.text


def test_raw_file_is_kept_byte_for_byte(lead: Actor) -> None:
    content = (FIXTURES / "products.csv").read_bytes()

    job = start_import(actor=lead, kind="products", upload=_upload("products.csv", content))

    assert (Path(settings.MEDIA_ROOT) / job.stored_path).read_bytes() == content
    assert AuditEntry.objects.filter(action="import.start", target_id=str(job.pk)).exists()


def test_bad_rows_are_listed_on_the_job_and_good_rows_import(lead: Actor) -> None:
    job = start_import(actor=lead, kind="customers", upload=_upload("customers_malformed.csv"))

    finished = run_import(job.pk)

    assert finished.status == ImportStatus.DONE
    assert finished.failed_count > 0
    assert finished.created_count > 0
    assert finished.errors
    # Line 1 is the header: every reported line is a data line, with a reason.
    assert all(e["line"] > 1 and e["reason"] for e in finished.errors)


def test_file_without_the_required_columns_fails_and_writes_nothing(lead: Actor) -> None:
    job = start_import(actor=lead, kind="customers", upload=_upload("customers_missing_column.csv"))

    finished = run_import(job.pk)

    assert finished.status == ImportStatus.FAILED
    assert finished.detail
    assert (Path(settings.MEDIA_ROOT) / finished.stored_path).exists()


def test_running_a_finished_job_again_does_nothing(lead: Actor) -> None:
    job = start_import(actor=lead, kind="products", upload=_upload("products.csv"))
    run_import(job.pk)

    again = run_import(job.pk)

    assert again.status == ImportStatus.DONE
    assert again.created_count == Product.objects.count()


def test_empty_upload_is_refused(lead: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        start_import(actor=lead, kind="products", upload=_upload("empty.csv", b""))

    assert error.value.code == "empty_file"
    assert ImportJob.objects.count() == 0


def test_progress_poll_returns_only_the_fragment(lead_client: Client, lead: Actor) -> None:
    job = start_import(actor=lead, kind="products", upload=_upload("products.csv"))

    response = lead_client.get(reverse("commerce:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'id="import-progress"' in response.text
    assert 'hx-trigger="every 1s"' in response.text
    assert "<html" not in response.text


def test_agent_may_not_import(agent: Actor, agent_client: Client) -> None:
    with pytest.raises(PermissionDenied):
        start_import(actor=agent, kind="products", upload=_upload("products.csv"))
    response = agent_client.post(
        reverse("commerce:imports"), {"kind": "products", "file": _upload("products.csv")}
    )

    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_an_unreadable_stored_file_fails_the_job_with_a_reason(lead: Actor) -> None:
    job = start_import(actor=lead, kind="products", upload=_upload("products.csv"))
    path = Path(settings.MEDIA_ROOT) / job.stored_path
    path.unlink()
    path.mkdir()

    finished = run_import(job.pk)

    assert finished.status == ImportStatus.FAILED
    assert "directory" in finished.detail.lower()
    assert finished.finished_at is not None
    assert Product.objects.count() == 0
