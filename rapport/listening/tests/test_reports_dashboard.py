"""Survey and sentiment figures on small hand-made sets whose answers are known."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.desk.models import Message, MessageKind
from rapport.desk.tests.factories import a_conversation
from rapport.listening.models import MessageSignal
from rapport.listening.reports import periods, surveys, trends
from rapport.listening.tests import factories_dashboard as make

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_csat_ces_nps_and_response_rate_over_the_period() -> None:
    for score in (5, 4, 4, 5, 2):  # 4 of 5 satisfied
        make.survey_answer("csat", score, at=NOW - 2 * DAY)
    for score in (10, 9, 8, 3):  # 2 promoters, 1 detractor of 4: NPS 25
        make.survey_answer("nps", score, at=NOW - 3 * DAY)
    for score in (2, 4):
        make.survey_answer("ces", score, at=NOW - DAY)
    make.unanswered_invitation("csat", at=NOW - 2 * DAY)  # 11 answered of 12 sent

    series = surveys.survey_series(Actor(user=UserFactory(role=Role.AGENT)), window=periods.window(7))

    assert series.totals["csat"]["value"] == 0.8
    assert series.totals["csat"]["n"] == 5
    assert series.totals["csat"]["low"] < 0.8 < series.totals["csat"]["high"]
    assert series.totals["nps"]["value"] == 25.0
    assert series.totals["ces"]["value"] == 3.0
    assert series.totals["response_rate"]["value"] == round(11 / 12, 4)
    assert series.bucket == "day"
    assert len(series.labels) == 8  # seven days back to today, both ends included
    day = series.labels.index((NOW - 2 * DAY).date().isoformat())
    assert series.kinds["csat"][day]["value"] == 0.8
    assert series.kinds["csat"][day - 1] == {"value": None, "low": None, "high": None, "n": 0}


def test_ninety_days_are_drawn_per_week() -> None:
    make.survey_answer("csat", 5, at=NOW - 60 * DAY)

    series = surveys.survey_series(Actor(user=UserFactory(role=Role.LEAD)), window=periods.window(90))

    assert series.bucket == "week"
    assert sum(point["n"] for point in series.kinds["csat"]) == 1


def test_a_range_not_offered_is_refused() -> None:
    with pytest.raises(ValueError, match="7, 30, 90"):
        periods.window(365)


def test_team_filter_counts_only_that_teams_answers() -> None:
    team = TeamFactory()
    make.survey_answer("csat", 5, at=NOW - DAY, team=team)
    make.survey_answer("csat", 1, at=NOW - DAY)

    series = surveys.survey_series(
        Actor(user=UserFactory(role=Role.LEAD)), window=periods.window(7), team_id=team.pk
    )

    assert series.totals["csat"] == {"value": 1.0, "low": series.totals["csat"]["low"], "high": 1.0, "n": 1}


def _two_agents() -> tuple[User, User]:
    ada, bob = UserFactory(role=Role.AGENT, full_name="Ada"), UserFactory(role=Role.AGENT, full_name="Bob")
    for score in (5, 5, 4, 1):
        make.survey_answer("csat", score, at=NOW - DAY, agent=ada)
    make.survey_answer("csat", 1, at=NOW - DAY, agent=bob)
    return ada, bob


def test_agents_see_only_their_own_row_per_agent() -> None:
    ada, _ = _two_agents()

    rows = surveys.survey_breakdown(Actor(user=ada), window=periods.window(7), by="agent")

    assert [(row.name, row.figures["csat"]["value"]) for row in rows] == [("Ada", 0.75)]


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN, Role.ANALYST])
def test_leads_admins_and_analysts_see_every_agent(role: str) -> None:
    _two_agents()

    rows = surveys.survey_breakdown(Actor(user=UserFactory(role=role)), window=periods.window(7), by="agent")

    assert [(row.name, row.figures["csat"]["n"]) for row in rows] == [("Ada", 4), ("Bob", 1)]


def test_sentiment_trend_shares_and_mean_per_day() -> None:
    conversation = a_conversation(body_text="hello")
    for label, score in [("negative", -0.5), ("positive", 0.5), ("positive", 0.9)]:
        message = Message.objects.create(
            conversation=conversation, kind=MessageKind.INBOUND, channel="email", body_text=label
        )
        MessageSignal.objects.create(
            message=message,
            written_at=NOW - DAY,
            sentiment_score=score,
            sentiment_label=label,
            model_version="test",
        )

    trend = trends.sentiment_trend(Actor(user=UserFactory(role=Role.AGENT)), window=periods.window(7))

    day = trend.labels.index((NOW - DAY).date().isoformat())
    assert trend.counts[day] == 3
    assert trend.shares["negative"][day] == round(1 / 3, 4)
    assert trend.shares["positive"][day] == round(2 / 3, 4)
    assert trend.shares["neutral"][day] == 0.0
    assert trend.mean[day] == round(0.9 / 3, 4)
    assert trend.mean[day - 1] is None


def test_csv_export_neutralises_formulas_and_keeps_numbers(lead_client: Client) -> None:
    team = TeamFactory(name='=HYPERLINK("http://evil.test")')
    for score in (0, 0, 10):  # NPS -33.3: a negative number, not a formula
        make.survey_answer("nps", score, at=NOW - DAY, team=team)

    response = lead_client.get(reverse("listening:survey_report_csv"), {"days": "7"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == surveys.CSV_HEADER
    team_row = next(row for row in rows if row[0] == "team")
    assert team_row[1] == '\'=HYPERLINK("http://evil.test")'
    assert float(team_row[rows[0].index("nps")]) == pytest.approx(-33.3333, abs=1e-3)
    assert team_row[rows[0].index("nps_answers")] == "3"
