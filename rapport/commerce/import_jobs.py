"""Imports started from the page: store the upload, queue it, run it with progress, keep the report."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rapport.accounts.audit import record_audit
from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.importing import KINDS, HeaderInvalid, count_lines, import_csv
from rapport.commerce.models import ImportJob, ImportStatus
from rapport.core.errors import NotFound, RapportError, ValidationFailed

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
# Errors kept on the job for the page; the full list is the file's re-run away.
MAX_STORED_ERRORS = 1000
PROGRESS_EVERY_SECONDS = 0.5


def _import_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_import(*, actor: Actor, kind: str, upload: UploadedFile) -> ImportJob:
    """Write the upload to disk, record the job and queue it; the page then follows its progress."""
    actor.require(Perm.COMMERCE_IMPORT)
    if kind not in KINDS:
        raise ValidationFailed(
            f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}", code="invalid_kind"
        )
    if upload.size is None or upload.size == 0:
        raise ValidationFailed("the file is empty", code="empty_file")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; use manage.py import_csv",
            code="file_too_large",
        )
    name = f"{uuid.uuid4().hex}.csv"
    digest = hashlib.sha256()
    target = _import_dir() / name
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            stored_path=f"imports/{name}",
            original_name=(upload.name or "upload.csv")[:255],
            size=upload.size,
            sha256=digest.hexdigest(),
            created_by=actor.user,
        )
        record_audit(
            actor=actor,
            action="import.start",
            target=job,
            after={"kind": kind, "file": job.original_name, "sha256": job.sha256},
        )
        from rapport.commerce.tasks import run_import_job

        transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def run_import(job_id: int) -> ImportJob:
    """Run a queued job (called by the task). Safe to call twice: a finished job is left alone."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise NotFound(f"no import job {job_id}", code="import_not_found")
        if job.status != ImportStatus.QUEUED:
            return job
        job.status = ImportStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    path = Path(settings.MEDIA_ROOT) / job.stored_path
    creator = job.created_by
    actor = Actor(user=creator, via="import") if isinstance(creator, User) else None
    processed = 0
    last_saved = time.monotonic()

    def progress(rows: int) -> None:
        nonlocal processed, last_saved
        processed += rows
        if time.monotonic() - last_saved >= PROGRESS_EVERY_SECONDS:
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=processed)
            last_saved = time.monotonic()

    try:
        job.total_rows = max(count_lines(str(path)) - 1, 0)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
        report = import_csv(job.kind, path, actor=actor, progress=progress)
    except (HeaderInvalid, RapportError, OSError) as exc:
        job.status = ImportStatus.FAILED
        job.detail = getattr(exc, "detail", None) or str(exc)
    except Exception:
        # A bug must not leave the page polling a job stuck at "running"; the file is kept for a re-run.
        logger.exception("import job %s crashed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            detail="The import stopped on an internal error; the file is kept and can be imported again.",
            finished_at=timezone.now(),
        )
        raise
    else:
        job.status = ImportStatus.DONE
        job.created_count = report.created
        job.updated_count = report.updated
        job.unchanged_count = report.unchanged
        job.failed_count = report.failed
        job.errors = [{"line": e.line, "reason": e.reason} for e in report.errors[:MAX_STORED_ERRORS]]
        job.detail = "\n".join([report.summary, *report.warnings])
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save()
    if job.status == ImportStatus.DONE:
        for listener in _finished_listeners:
            listener(job)
    return job


# Others that depend on what was imported (lifetime values depend on orders) are told when an import is done.
ImportListener = Callable[[ImportJob], None]
_finished_listeners: list[ImportListener] = []


def register_import_listener(listener: ImportListener) -> None:
    if listener not in _finished_listeners:
        _finished_listeners.append(listener)


def imports_visible_to(actor: Actor) -> QuerySet[ImportJob]:
    actor.require(Perm.COMMERCE_IMPORT)
    return ImportJob.objects.select_related("created_by")


def access_import(actor: Actor, job_id: int) -> ImportJob:
    job = imports_visible_to(actor).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"no import job {job_id}", code="import_not_found")
    return job
