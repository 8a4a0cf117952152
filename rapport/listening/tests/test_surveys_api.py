"""The surveys API: answers with filters, invitations, inviting from an integration; scopes and outsiders."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor, scopes_for_role
from rapport.accounts.services import create_api_token
from rapport.accounts.tests.factories import UserFactory
from rapport.api.tests.conftest import ApiClient
from rapport.listening.models import InvitationStatus, SurveyInvitation
from rapport.listening.services.surveys import answer_survey
from rapport.listening.tests.factories_surveys import (
    a_customer,
    a_resolved_conversation,
    an_invitation,
)

pytestmark = pytest.mark.django_db


def _api(user: User, scopes: list[str] | None = None) -> ApiClient:
    issued = create_api_token(
        actor=Actor(user=user),
        name="test",
        scopes=scopes if scopes is not None else scopes_for_role(user.role),
    )
    return ApiClient(issued.raw)


def _answered(agent: User, score: int, kind: str = "csat") -> int:
    conversation = a_resolved_conversation(agent=agent)
    token = f"tok-{conversation.pk}-{kind}"
    an_invitation(token=token, conversation=conversation, kind=kind)
    return answer_survey(token=token, score=score).pk


def test_a_lead_lists_answers_filtered_by_kind_and_agent() -> None:
    maria, sam = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    marias = _answered(maria, 4)
    _answered(sam, 2)
    _answered(maria, 9, kind="nps")

    body = (
        _api(UserFactory(role=Role.LEAD))
        .get("/surveys/responses", {"kind": "csat", "agent_id": maria.pk})
        .json()
    )

    assert body["count"] == 1
    assert body["items"][0]["id"] == marias
    assert body["items"][0]["score"] == 4


def test_an_agent_sees_only_answers_about_her_own_work() -> None:
    maria, sam = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    marias = _answered(maria, 5)
    _answered(sam, 1)

    body = _api(maria).get("/surveys/responses").json()

    assert [item["id"] for item in body["items"]] == [marias]


def test_a_token_without_the_listening_scope_is_refused() -> None:
    lead = UserFactory(role=Role.LEAD)

    response = _api(lead, scopes=["customers:read"]).get("/surveys/responses")

    assert response.status_code == 403


def test_a_lead_invites_a_customer_to_nps_and_sees_the_invitation(
    django_capture_on_commit_callbacks: Any,
) -> None:
    lead = UserFactory(role=Role.LEAD)
    customer = a_customer()
    api = _api(lead)

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/surveys/invitations", {"customer_id": customer.pk, "kind": "nps"})
    again = api.post("/surveys/invitations", {"customer_id": customer.pk, "kind": "nps"})
    listed = api.get("/surveys/invitations", {"customer_id": customer.pk}).json()

    assert created.status_code == 201
    assert created.json()["kind"] == "nps"
    assert "token_hash" not in created.json()
    assert again.status_code == 409
    assert again.json()["code"] == "nps_too_soon"
    assert listed["count"] == 1
    # Sent at once by the queued task (the immediate backend in tests).
    assert SurveyInvitation.objects.get().status == InvitationStatus.SENT


def test_a_customer_who_declined_surveys_cannot_be_invited() -> None:
    customer = a_customer(survey_consent=False)

    response = _api(UserFactory(role=Role.LEAD)).post(
        "/surveys/invitations", {"customer_id": customer.pk, "kind": "nps"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_invitable"


def test_agents_may_neither_invite_nor_list_invitations() -> None:
    agent = UserFactory(role=Role.AGENT)
    customer = a_customer()

    assert (
        _api(agent).post("/surveys/invitations", {"customer_id": customer.pk, "kind": "nps"}).status_code
        == 403
    )
    assert _api(agent).get("/surveys/invitations").status_code == 403
    assert not SurveyInvitation.objects.exists()
