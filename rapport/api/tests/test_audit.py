"""Audit API: admins read the log of changes, filtered; nobody else does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rapport.accounts.models import AuditEntry, User
from rapport.accounts.permissions import Actor
from rapport.api.tests.conftest import ApiClient, ApiFor, assert_problem
from rapport.customers import services
from rapport.customers.identities import IdentityInput

pytestmark = pytest.mark.django_db


def _entry(action: str, when: datetime, *, actor: User | None = None, target_id: str = "1") -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "system",
        via="web" if actor else "system",
        action=action,
        target_type="customers.customer",
        target_id=target_id,
        target_label=f"Customer {target_id}",
        before={"name": "Old"},
        after={"name": "New"},
        created_at=when,
    )


def test_admin_reads_entries_written_by_services_newest_first(admin_api: ApiClient, agent: Actor) -> None:
    customer = services.create_customer(
        actor=agent, name="Ada", identities=[IdentityInput(kind="email", value="ada@example.org")]
    )
    services.update_customer(actor=agent, customer=customer, name="Ada King")

    response = admin_api.get("/audit", {"target_type": "customers.customer"})

    assert response.status_code == 200
    body = response.json()
    update = AuditEntry.objects.get(action="customer.update")
    assert body["count"] == 2
    assert [e["action"] for e in body["items"]] == ["customer.update", "customer.create"]
    assert body["items"][0] == {
        "id": update.pk,
        "actor_id": agent.user.pk,
        "actor_email": agent.user.email,
        "via": "web",
        "action": "customer.update",
        "target_type": "customers.customer",
        "target_id": str(customer.pk),
        "target_label": "Ada King",
        "before": {"name": "Ada"},
        "after": {"name": "Ada King"},
        "created_at": update.created_at.isoformat(),
    }


def test_audit_filters_by_action_actor_target_and_time(admin_api: ApiClient, lead_user: User) -> None:
    _entry("customer.merge", datetime(2025, 1, 1, tzinfo=UTC), actor=lead_user, target_id="7")
    _entry("customer.merge", datetime(2025, 2, 1, tzinfo=UTC), target_id="8")
    _entry("note.add", datetime(2025, 3, 1, tzinfo=UTC), actor=lead_user, target_id="7")

    def targets(**params: Any) -> list[tuple[str, str]]:
        response = admin_api.get("/audit", {"target_type": "customers.customer", **params})
        assert response.status_code == 200, response.content
        return [(e["action"], e["target_id"]) for e in response.json()["items"]]

    assert targets(action="customer.merge") == [("customer.merge", "8"), ("customer.merge", "7")]
    assert targets(actor_email=lead_user.email.upper()) == [("note.add", "7"), ("customer.merge", "7")]
    assert targets(target_id="8") == [("customer.merge", "8")]
    assert targets(since="2025-02-01T00:00:00Z", until="2025-03-01T00:00:00Z") == [("customer.merge", "8")]
    assert targets(limit=1, offset=2) == [("customer.merge", "7")]


def test_audit_pages_report_the_full_count(admin_api: ApiClient) -> None:
    for day in range(1, 6):
        _entry("note.add", datetime(2025, 1, day, tzinfo=UTC))

    body = admin_api.get("/audit", {"action": "note.add", "limit": 2}).json()

    assert body["count"] == 5
    assert len(body["items"]) == 2


@pytest.mark.parametrize("client", ["lead_api", "agent_api", "analyst_api"])
def test_non_admins_cannot_read_the_audit_log(request: pytest.FixtureRequest, client: str) -> None:
    api: ApiClient = request.getfixturevalue(client)

    body = assert_problem(api.get("/audit"), 403, "permission_denied")
    assert body["detail"].endswith("token may not audit view")


def test_admin_token_without_the_audit_scope_cannot_read_the_log(api_for: ApiFor, admin_user: User) -> None:
    no_audit = api_for(admin_user, scopes=["customers:read", "commerce:read"])

    assert_problem(no_audit.get("/audit"), 403, "permission_denied")


def test_audit_log_refuses_a_request_without_credentials(anonymous: ApiClient) -> None:
    assert_problem(anonymous.get("/audit"), 401, "not_authenticated")


@pytest.mark.parametrize(
    "params", [{"since": "2025-01-01T00:00:00"}, {"until": "last week"}, {"limit": 201}, {"offset": "x"}]
)
def test_audit_with_bad_filters_is_an_invalid_request(admin_api: ApiClient, params: dict[str, Any]) -> None:
    assert_problem(admin_api.get("/audit", params), 422, "invalid_request")


def test_signed_in_admin_reads_the_log_without_a_token(admin_client_: Any) -> None:
    _entry("note.add", datetime(2025, 1, 1, tzinfo=UTC))

    response = admin_client_.get("/api/v1/audit", {"action": "note.add"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_audit_with_a_time_that_has_no_utc_form_is_an_invalid_request(
    admin_api: ApiClient, when: str
) -> None:
    assert_problem(admin_api.get("/audit", {"since": when}), 422, "invalid_request")
