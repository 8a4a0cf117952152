"""The service dashboard's API: the same figures as the page, the desk:read scope, and outsiders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor, scopes_for_role
from rapport.accounts.services import create_api_token
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.api.tests.conftest import ApiClient
from rapport.desk.tests.factories import TeamDeskFactory
from rapport.insights.tests.factories import a_conversation

pytestmark = pytest.mark.django_db


def _api(user: User, scopes: list[str] | None = None) -> ApiClient:
    issued = create_api_token(
        actor=Actor(user=user),
        name="test",
        scopes=scopes if scopes is not None else scopes_for_role(user.role),
    )
    return ApiClient(issued.raw)


def test_the_summary_gives_daily_series_and_the_periods_figures() -> None:
    opened = timezone.now() - timedelta(days=1)
    for minutes in (30, 90, 600):
        a_conversation(opened=opened, channel="chat", first_response_at=opened + timedelta(minutes=minutes))

    response = _api(UserFactory(role=Role.ANALYST)).get("/insights/service", {"days": 7})

    assert response.status_code == 200
    body = response.json()
    assert len(body["days"]) == 7
    assert sum(day["opened"].get("chat", 0) for day in body["days"]) == 3
    assert body["total"]["first_response"] == {"n": 3, "median": 90.0, "p90": 498.0}
    assert body["days"][-1]["backlog"] == 3


def test_the_breakdown_gives_a_row_per_team() -> None:
    support = TeamFactory(name="Support")
    opened = timezone.now() - timedelta(days=1)
    a_conversation(opened=opened, team=support)
    a_conversation(opened=opened)

    body = _api(UserFactory(role=Role.LEAD)).get("/insights/service/breakdown", {"by": "team"}).json()

    assert [(item["name"], item["conversations"]) for item in body["items"]] == [
        ("Support", 1),
        ("No team", 1),
    ]
    assert body["every_row"] is True


def test_dates_in_the_wrong_order_are_refused() -> None:
    response = _api(UserFactory(role=Role.LEAD)).get(
        "/insights/service", {"from_date": "2025-02-01", "to_date": "2025-01-01"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_period"


def test_a_token_without_desk_read_is_refused() -> None:
    lead = UserFactory(role=Role.LEAD)

    response = _api(lead, scopes=["listening:read"]).get("/insights/service")

    assert response.status_code == 403


def test_no_token_is_unauthorised() -> None:
    assert ApiClient(None).get("/insights/service").status_code == 401


def test_an_agents_breakdown_holds_only_her_own_row() -> None:
    team = TeamFactory()
    maria, sam = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)
    opened = timezone.now() - timedelta(days=1)
    a_conversation(opened=opened, team=team, assignee=maria)
    a_conversation(opened=opened, team=team, assignee=sam)

    body = _api(maria).get("/insights/service/breakdown", {"by": "agent"}).json()

    assert [item["key"] for item in body["items"]] == [maria.pk]
    assert body["every_row"] is False


def test_an_agent_may_not_ask_for_a_colleagues_figures() -> None:
    team = TeamFactory()
    maria, sam = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)

    response = _api(maria).get("/insights/service", {"agent_id": sam.pk})

    assert response.status_code == 403


def test_a_private_teams_conversations_are_left_out_for_outsiders() -> None:
    private = TeamDeskFactory(is_private=True).team
    opened = timezone.now() - timedelta(days=1)
    a_conversation(opened=opened, team=private)
    a_conversation(opened=opened)

    outsider = _api(UserFactory(role=Role.ANALYST)).get("/insights/service").json()
    member = _api(UserFactory(role=Role.AGENT, team=private)).get("/insights/service").json()

    assert outsider["total"]["conversations"] == 1
    assert member["total"]["conversations"] == 2
