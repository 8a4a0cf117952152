"""Sign-in, API token and audit log pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import ApiToken, AuditEntry, User
from rapport.accounts.permissions import Actor
from rapport.accounts.services import authenticate_token, create_api_token
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.services import add_note
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_staff_signs_in_with_email_and_password(client: Client) -> None:
    UserFactory(email="ada@example.com")

    response = client.post(
        reverse("accounts:login"), {"username": "ADA@example.com", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:list")


def test_wrong_password_is_refused_with_a_message(client: Client) -> None:
    UserFactory(email="ada@example.com")

    response = client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.text


def test_sign_in_is_locked_after_repeated_failures(client: Client, settings: object) -> None:
    UserFactory(email="ada@example.com")
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "nope"})

    response = client.post(
        reverse("accounts:login"), {"username": "ada@example.com", "password": "correct horse battery"}
    )

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text


def test_inactive_user_cannot_sign_in(client: Client) -> None:
    UserFactory(email="gone@example.com", is_active=False)

    response = client.post(
        reverse("accounts:login"), {"username": "gone@example.com", "password": "correct horse battery"}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_token_is_shown_once_and_stored_hashed(agent_client: Client, agent_user: User) -> None:
    response = agent_client.post(
        reverse("accounts:tokens"), {"name": "Shop sync", "scopes": ["customers:read"]}
    )

    assert response.status_code == 200
    token = ApiToken.objects.get(user=agent_user)
    raw = response.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert raw.startswith("rpt_")
    assert raw not in token.token_hash
    assert authenticate_token(raw) is not None
    assert raw not in agent_client.get(reverse("accounts:tokens")).text


def test_agent_cannot_grant_a_scope_beyond_the_role(agent_client: Client) -> None:
    response = agent_client.post(reverse("accounts:tokens"), {"name": "Too much", "scopes": ["audit:read"]})

    assert response.status_code == 422
    assert ApiToken.objects.count() == 0


def test_revoked_token_no_longer_authenticates(agent_client: Client, agent: Actor) -> None:
    issued = create_api_token(actor=agent, name="t", scopes=["customers:read"])

    response = agent_client.post(reverse("accounts:revoke_token", args=[issued.token.pk]))

    assert response.status_code == 302
    assert authenticate_token(issued.raw) is None


def test_user_cannot_revoke_someone_elses_token(agent_client: Client, lead: Actor) -> None:
    issued = create_api_token(actor=lead, name="lead's", scopes=["customers:read"])

    response = agent_client.post(reverse("accounts:revoke_token", args=[issued.token.pk]))

    assert response.status_code == 404
    assert authenticate_token(issued.raw) is not None


def test_admin_reads_and_filters_the_audit_log(admin_client_: Client, agent: Actor) -> None:
    customer = CustomerFactory()
    add_note(actor=agent, customer=customer, body="Gift wrap every order")
    create_api_token(actor=agent, name="sync", scopes=["customers:read"])

    everything = admin_client_.get(reverse("accounts:audit_log"))
    notes_only = admin_client_.get(reverse("accounts:audit_log"), {"action": "note.add"})

    assert everything.status_code == 200
    assert "token.create" in everything.text
    assert "Gift wrap every order" in notes_only.text
    assert "token.create" not in notes_only.text.split("<tbody>", 1)[1]


@pytest.mark.parametrize("client_fixture", ["lead_client", "agent_client", "analyst_client"])
def test_only_admins_read_the_audit_log(client_fixture: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    response = client.get(reverse("accounts:audit_log"))

    assert response.status_code == 403


def test_audit_entry_keeps_who_acted_after_the_user_is_deleted(agent: Actor) -> None:
    add_note(actor=agent, customer=CustomerFactory(), body="x")
    email = agent.user.email

    agent.user.delete()

    entry = AuditEntry.objects.get(action="note.add")
    assert entry.actor is None
    assert entry.actor_label == email


def test_admin_adds_a_member_of_staff_who_can_then_sign_in(admin_client_: Client, client: Client) -> None:
    response = admin_client_.post(
        reverse("accounts:staff"),
        {
            "email": "New.Agent@Shop.example",
            "full_name": "New Agent",
            "role": "agent",
            "password": "a long enough secret",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.agent@shop.example")
    assert user.role == "agent"
    assert AuditEntry.objects.filter(action="staff.create", target_id=str(user.pk)).exists()
    signed_in = client.post(
        reverse("accounts:login"), {"username": "new.agent@shop.example", "password": "a long enough secret"}
    )
    assert signed_in.status_code == 302


def test_admin_changes_a_role_and_it_is_audited(admin_client_: Client, agent_user: User) -> None:
    response = admin_client_.post(
        reverse("accounts:edit_staff", args=[agent_user.pk]),
        {"full_name": agent_user.full_name, "role": "lead", "is_active": "on"},
    )

    assert response.status_code == 302
    agent_user.refresh_from_db()
    assert agent_user.role == "lead"
    entry = AuditEntry.objects.get(action="staff.update")
    assert entry.before == {"role": "agent"}
    assert entry.after == {"role": "lead"}


def test_admin_cannot_deactivate_themselves(admin_client_: Client, admin_user: User) -> None:
    response = admin_client_.post(
        reverse("accounts:edit_staff", args=[admin_user.pk]), {"full_name": "x", "role": "admin"}
    )

    assert response.status_code == 422
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_duplicate_staff_email_is_refused(admin_client_: Client, agent_user: User) -> None:
    response = admin_client_.post(
        reverse("accounts:staff"),
        {"email": agent_user.email, "role": "agent", "password": "a long enough secret"},
    )

    assert response.status_code == 422
    assert User.objects.filter(email=agent_user.email).count() == 1


@pytest.mark.parametrize("client_fixture", ["lead_client", "agent_client", "analyst_client"])
def test_only_admins_manage_staff(
    client_fixture: str, request: pytest.FixtureRequest, agent_user: User
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    listing = client.get(reverse("accounts:staff"))
    change = client.post(
        reverse("accounts:edit_staff", args=[agent_user.pk]), {"role": "admin", "is_active": "on"}
    )

    assert listing.status_code == 403
    assert change.status_code == 403
    agent_user.refresh_from_db()
    assert agent_user.role == "agent"
