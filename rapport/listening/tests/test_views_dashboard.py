"""The dashboard, themes, mentions and survey report pages, and the listening reports API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.api.tests.conftest import ApiClient, ApiFor, api_for, assert_problem
from rapport.desk.tests.factories import a_conversation
from rapport.listening.models import AlertKind, Theme
from rapport.listening.tests import factories_dashboard as make

pytestmark = pytest.mark.django_db
__all__ = ["api_for"]  # the API tests' fixture, used here too

NOW = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)
PAGES = ["dashboard", "alerts", "themes", "mention_volume", "survey_report"]


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _data(agent: User) -> None:
    make.survey_answer("csat", 5, at=NOW - timedelta(days=1), agent=agent, comment="Great help")
    make.survey_answer("nps", 3, at=NOW - timedelta(days=2))
    make.hourly_mentions(NOW - timedelta(hours=5), [1, 2, 3])
    make.an_alert(recipient=agent, title="Low CSAT from Grace")
    conversation = a_conversation(body_text="Where is my refund?")
    Theme.objects.create(
        run_at=NOW,
        period_start=NOW - timedelta(days=30),
        period_end=NOW,
        position=0,
        label="refund, card, return",
        top_terms=["refund", "card", "return"],
        example_message_ids=[conversation.messages.get().pk],
        message_count=12,
        previous_count=4,
        trend="rising",
    )


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEAD, Role.AGENT, Role.ANALYST])
def test_every_page_renders_real_data_for_every_role(page: str, role: str) -> None:
    user = UserFactory(role=role)
    _data(user)

    response = _client(user).get(reverse(f"listening:{page}"))

    assert response.status_code == 200
    assert b"Listening" in response.content  # the nav link of base.html


def test_dashboard_shows_figures_charts_themes_and_alerts(lead_client: Client, lead_user: User) -> None:
    _data(UserFactory(role=Role.AGENT))

    text = lead_client.get(reverse("listening:dashboard"), {"days": "7"}).content.decode()

    assert 'id="listening-sentiment-data"' in text
    assert 'id="listening-survey-data"' in text
    assert 'id="listening-mentions-data"' in text
    assert "refund, card, return" in text
    assert "↑ rising" in text
    assert "Low CSAT from Grace" in text
    assert "6 mentions" in text


def test_dashboard_reads_a_bounded_number_of_queries(
    lead_client: Client, django_assert_max_num_queries: object
) -> None:
    _data(UserFactory(role=Role.AGENT))
    for _ in range(5):
        make.an_alert(recipient=None)

    with django_assert_max_num_queries(25):  # type: ignore[operator]
        response = lead_client.get(reverse("listening:dashboard"), {"days": "90"})

    assert response.status_code == 200


def test_bad_filters_fall_back_with_a_note(lead_client: Client) -> None:
    response = lead_client.get(reverse("listening:dashboard"), {"days": "365", "team": "x"})

    text = response.content.decode()
    assert response.status_code == 200
    assert "Choose 7, 30, 90 days; showing 30." in text
    assert "No such team" in text


def test_team_filter_is_offered_and_kept(lead_client: Client) -> None:
    team = TeamFactory(name="Returns")

    text = lead_client.get(reverse("listening:survey_report"), {"team": team.pk}).content.decode()

    assert f'<option value="{team.pk}" selected>Returns</option>' in text


def test_survey_report_shows_an_agent_only_their_own_row(agent_client: Client, agent_user: User) -> None:
    _data(agent_user)
    other = UserFactory(role=Role.AGENT, full_name="Someone Else")
    make.survey_answer("csat", 1, at=NOW - timedelta(days=1), agent=other)

    text = agent_client.get(reverse("listening:survey_report")).content.decode()

    assert agent_user.display_name in text
    assert "Someone Else" not in text
    assert "Your own figures" in text


def test_themes_page_hides_examples_of_private_conversations(agent_client: Client) -> None:
    from rapport.desk.models import TeamDesk

    private_team = TeamFactory()
    TeamDesk.objects.create(team=private_team, is_private=True)
    hidden = a_conversation(body_text="Secret VIP refund question", team=private_team)
    shown = a_conversation(body_text="Ordinary refund question")
    Theme.objects.create(
        run_at=NOW,
        period_start=NOW - timedelta(days=30),
        period_end=NOW,
        position=0,
        label="refund",
        top_terms=["refund"],
        example_message_ids=[hidden.messages.get().pk, shown.messages.get().pk],
        message_count=2,
        trend="steady",
    )

    text = agent_client.get(reverse("listening:themes")).content.decode()

    assert "Ordinary refund question" in text
    assert "Secret VIP" not in text


def test_lead_asks_for_fresh_themes(lead_client: Client, django_capture_on_commit_callbacks: object) -> None:
    a_conversation(body_text="My parcel is late")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = lead_client.post(reverse("listening:themes_refresh"))

    assert response.status_code == 302
    assert Theme.objects.filter(run_at=NOW).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST])
def test_only_leads_and_admins_may_ask_for_fresh_themes(role: str) -> None:
    response = _client(UserFactory(role=role)).post(reverse("listening:themes_refresh"))

    assert response.status_code == 403
    assert not Theme.objects.exists()


def test_mentions_page_marks_spike_hours(lead_client: Client) -> None:
    start = datetime(2026, 12, 5, 14, tzinfo=UTC) - timedelta(weeks=4, hours=24)
    make.hourly_mentions(start, [2] * (4 * 168 + 24))
    make.mentions_at(datetime(2026, 12, 5, 14, tzinfo=UTC), 40)

    response = lead_client.get(reverse("listening:mention_volume"), {"days": "1"})

    assert response.context["volume"].spike_hours == 1
    assert response.context["volume"].counts[-1] == 20  # the half of the hour gone by


def test_mentions_page_refuses_someone_elses_alert(agent_client: Client) -> None:
    theirs = make.an_alert(recipient=UserFactory(role=Role.AGENT), kind=AlertKind.LOW_CSAT)

    response = agent_client.get(reverse("listening:mention_volume"), {"spike": theirs.pk})

    assert response.status_code == 404


@pytest.mark.parametrize("page", [*PAGES, "survey_report_csv"])
def test_signed_out_visitors_are_sent_to_sign_in(page: str) -> None:
    response = Client().get(reverse(f"listening:{page}"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# API


def test_api_themes_lists_the_latest_run(api_for: ApiFor, agent_user: User) -> None:
    _data(agent_user)

    body = api_for(agent_user).get("/listening/themes").json()

    assert body["run_at"] is not None
    assert [(t["label"], t["trend"], t["message_count"]) for t in body["items"]] == [
        ("refund, card, return", "rising", 12)
    ]
    assert len(body["items"][0]["example_message_ids"]) == 1


def test_api_themes_without_desk_scope_gives_no_examples(api_for: ApiFor, agent_user: User) -> None:
    _data(agent_user)

    body = api_for(agent_user, scopes=["listening:read"]).get("/listening/themes").json()

    assert body["items"][0]["example_message_ids"] == []


def test_api_mention_volume_per_hour(api_for: ApiFor, analyst_user: User) -> None:
    make.hourly_mentions(datetime(2026, 12, 5, 11, tzinfo=UTC), [1, 2, 3])

    body = api_for(analyst_user).get("/listening/mentions/volume", {"days": 1}).json()

    assert body["total"] == 6
    assert len(body["hours"]) == 25  # 24 hours back, and the hour under way
    assert [h["count"] for h in body["hours"][-4:-1]] == [1, 2, 3]
    assert not any(h["spike"] for h in body["hours"])


def test_api_survey_summary_per_period(api_for: ApiFor, lead_user: User) -> None:
    for score in (5, 4, 4, 5, 2):
        make.survey_answer("csat", score, at=NOW - timedelta(days=1))

    body = api_for(lead_user).get("/listening/surveys/summary", {"days": 7}).json()

    assert body["bucket"] == "day"
    assert body["totals"]["csat"]["value"] == 0.8
    yesterday = next(p for p in body["periods"] if p["period"] == "2026-12-04")
    assert yesterday["csat"]["n"] == 5


def test_api_survey_summary_refuses_bad_input(api_for: ApiFor, lead_user: User) -> None:
    api = api_for(lead_user)

    assert_problem(api.get("/listening/surveys/summary", {"days": 365}), 422, "invalid_days")
    assert_problem(api.get("/listening/surveys/summary", {"team_id": 999999}), 404, "team_not_found")


@pytest.mark.parametrize(
    "path", ["/listening/themes", "/listening/mentions/volume", "/listening/surveys/summary"]
)
def test_api_needs_the_listening_read_scope(path: str, api_for: ApiFor, lead_user: User) -> None:
    without = api_for(lead_user, scopes=["desk:read"])

    assert_problem(without.get(path), 403, "permission_denied")
    assert ApiClient(None).get(path).status_code == 401
