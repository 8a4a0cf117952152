"""The OpenAPI document: served, committed and current, honest about errors, and obeyed by the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, scopes_for_role
from rapport.accounts.services import create_api_token
from rapport.api.openapi import committed_path, render_document
from rapport.api.tests.conftest import API
from rapport.api.urls import api
from rapport.commerce.tests.factories import OrderLineFactory, ShipmentFactory
from rapport.customers.tests.factories import EmailIdentityFactory, NoteFactory
from rapport.desk.services.conversations import AttachmentInput
from rapport.desk.tests.factories import MacroFactory, a_conversation

STALE = "docs/openapi.json differs from the API; run `python manage.py export_openapi` and commit the result"


def test_committed_document_is_current() -> None:
    committed = committed_path().read_text(encoding="utf-8")

    assert committed == render_document(api), STALE


def test_committed_document_is_sorted_pretty_json_with_a_trailing_newline() -> None:
    text = committed_path().read_text(encoding="utf-8")

    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_served_document_is_the_committed_one(client: Any) -> None:
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    assert response.json() == json.loads(committed_path().read_text(encoding="utf-8")), STALE


def test_interactive_docs_are_served(client: Any) -> None:
    response = client.get(f"{API}/docs")

    assert response.status_code == 200
    assert b"Rapport API" in response.content


def test_export_command_check_passes_when_current(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("export_openapi", "--check")

    assert "is up to date" in capsys.readouterr().out


def test_export_command_writes_the_document_and_check_fails_when_stale(settings: Any, tmp_path: Path) -> None:
    settings.BASE_DIR = tmp_path

    with pytest.raises(CommandError, match=r"run `python manage.py export_openapi`"):
        call_command("export_openapi", "--check")
    call_command("export_openapi")
    call_command("export_openapi", "--check")
    written = (tmp_path / "docs" / "openapi.json").read_text(encoding="utf-8")
    (tmp_path / "docs" / "openapi.json").write_text(written.replace('"Rapport API"', '"Old API"'))
    with pytest.raises(CommandError):
        call_command("export_openapi", "--check")

    assert written == render_document(api)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_documents_auth_and_problem_responses() -> None:
    document = json.loads(committed_path().read_text(encoding="utf-8"))

    for method, path, operation in _operations(document):
        assert {"TokenAuth": []} in operation["security"], (method, path)
        for status in ("401", "403", "422"):
            content = operation["responses"][status]["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }


def test_every_list_operation_pages_by_limit_and_offset() -> None:
    document = json.loads(committed_path().read_text(encoding="utf-8"))

    for method, path, operation in _operations(document):
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
        ref = ok.get("schema", {}).get("$ref", "")
        if method != "get" or not ref.endswith("Page") or path.endswith("/timeline"):
            continue
        params = {p["name"]: p["schema"] for p in operation["parameters"]}
        assert params["limit"] == {
            "default": 50,
            "description": "Items per page",
            "maximum": 200,
            "minimum": 1,
            "title": "Limit",
            "type": "integer",
        }, path
        assert params["offset"]["minimum"] == 0, path


# The API against its own document, with generated requests.


@pytest.fixture
def admin_token(db: None) -> str:
    admin = User.objects.create_user("fuzz-admin@example.com", "x", role="admin")
    return create_api_token(actor=Actor(user=admin), name="fuzz", scopes=scopes_for_role("admin")).raw


FUZZED = {
    f"GET {API}/customers",
    f"POST {API}/customers",
    f"GET {API}/customers/lookup",
    f"GET {API}/customers/{{customer_id}}",
    f"GET {API}/customers/{{customer_id}}/timeline",
    f"GET {API}/products",
    f"GET {API}/orders",
    f"GET {API}/orders/{{order_id}}",
    f"GET {API}/audit",
    f"GET {API}/conversations",
    f"POST {API}/conversations",
    f"GET {API}/conversations/{{conversation_id}}",
    f"PATCH {API}/conversations/{{conversation_id}}",
    f"POST {API}/conversations/{{conversation_id}}/status",
    f"POST {API}/conversations/{{conversation_id}}/tags",
    f"POST {API}/conversations/{{conversation_id}}/assignment",
    f"POST {API}/conversations/{{conversation_id}}/macros/{{macro_id}}",
    f"GET {API}/conversations/{{conversation_id}}/messages",
    f"POST {API}/conversations/{{conversation_id}}/replies",
    f"GET {API}/conversations/{{conversation_id}}/events",
    f"GET {API}/attachments/{{attachment_id}}/download",
    f"GET {API}/desk/events",
    f"GET {API}/search",
    f"GET {API}/macros",
    f"GET {API}/recovery/actions",
    f"POST {API}/recovery/actions",
    f"GET {API}/recovery/actions/{{action_id}}",
    f"GET {API}/recovery/policies",
    f"POST {API}/listening/sentiment",
    f"GET {API}/listening/conversations/{{conversation_id}}/signals",
    f"GET {API}/listening/customers/{{customer_id}}/sentiment",
    f"GET {API}/listening/alerts",
    f"GET {API}/listening/follow-ups",
    f"GET {API}/listening/themes",
    f"GET {API}/listening/mentions/volume",
    f"GET {API}/listening/surveys/summary",
    f"GET {API}/surveys/responses",
    f"GET {API}/webhooks/event-types",
    f"GET {API}/webhooks/endpoints",
    f"GET {API}/webhooks/endpoints/{{endpoint_id}}/deliveries",
    f"GET {API}/webhooks/deliveries/{{delivery_id}}",
}


# Loaded from the running application; test_served_document_is_the_committed_one keeps the two equal.
schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", get_wsgi_application()).include(
    lambda ctx: ctx.operation.label in FUZZED
)


@pytest.fixture
def _connection_kept_across_requests() -> Any:
    """Keep the test's connection open, as Django's own test client does.

    The WSGI handler closes old connections when a request finishes; inside a test transaction
    on PostgreSQL that would close the connection the test is still using.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("_connection_kept_across_requests")
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_generated_requests_as_its_document_says(
    case: schemathesis.Case, admin_token: str
) -> None:
    # Some data to find, so reads of one customer, order or conversation also reach their 200 answers.
    OrderLineFactory(order=ShipmentFactory(order__customer=EmailIdentityFactory().customer).order)
    NoteFactory()
    a_conversation(attachments=[AttachmentInput(filename="a.txt", content_type="text/plain", data=b"hi")])
    MacroFactory(actions={"status": "pending", "add_tags": ["fuzz"]})

    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def test_operation_ids_are_unique() -> None:
    document = json.loads(committed_path().read_text(encoding="utf-8"))

    ids = [operation["operationId"] for _, _, operation in _operations(document)]

    # 52 before issue 5; + 10 webhooks operations (rapport/api/v1/webhooks.py), + 9 recovery; issue 6:
    # + 8 listening (listening.py), + 3 surveys (surveys.py), + 3 listening reports (listening_reports.py);
    # issue 7: + 2 insights (insights.py), + 1 relationships (insights_relationships.py).
    assert len(ids) == len(set(ids)) == 52 + 10 + 9 + 8 + 3 + 3 + 2 + 1
