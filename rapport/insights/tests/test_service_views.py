"""The service dashboard page: figures in tables, filters, CSV export of each table, and outsiders."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.insights.tests.factories import a_conversation

pytestmark = pytest.mark.django_db

URL = reverse("insights:service")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_lines(response: object) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))  # type: ignore[attr-defined]


def test_a_lead_sees_figures_charts_data_and_a_row_per_team() -> None:
    support = TeamFactory(name="Support")
    opened = timezone.now() - timedelta(days=2)
    a_conversation(opened=opened, team=support, first_response_at=opened + timedelta(minutes=42))

    response = signed_in(UserFactory(role=Role.LEAD)).get(URL, {"days": 7})

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="insights-service-data"' in body
    assert "42 min" in body
    assert '<th scope="row">Support</th>' in body
    assert reverse("recovery:report") in body
    assert response.context["report"].total.conversations == 1


def test_the_page_draws_with_its_own_script_and_the_vendored_chart_library() -> None:
    body = signed_in(UserFactory(role=Role.ANALYST)).get(URL).content.decode()

    assert "insights/service.js" in body
    assert "vendor/chartjs/chart.umd.min.js" in body


def test_dates_given_replace_the_number_of_days() -> None:
    response = signed_in(UserFactory(role=Role.LEAD)).get(URL, {"from": "2025-01-01", "to": "2025-01-10"})

    assert response.context["report"].period.length == 10
    assert len(response.context["report"].days) == 10


@pytest.mark.parametrize(
    "query",
    [{"days": "14"}, {"from": "2025-13-01"}, {"from": "2025-02-01", "to": "2025-01-01"}, {"channel": "fax"}],
)
def test_filters_that_cannot_be_read_fall_back_with_a_note(query: dict[str, str]) -> None:
    response = signed_in(UserFactory(role=Role.LEAD)).get(URL, query)

    assert response.status_code == 200
    assert response.context["filters"].problem


def test_csv_of_the_team_table_neutralises_formulas_in_names() -> None:
    team = TeamFactory(name='=HYPERLINK("http://evil.test")')
    agent = UserFactory(role=Role.AGENT, team=team, full_name="@SUM(A1)")
    opened = timezone.now() - timedelta(days=1)
    a_conversation(opened=opened, team=team, assignee=agent, first_response_at=opened + timedelta(minutes=5))
    client = signed_in(UserFactory(role=Role.LEAD))

    teams = csv_lines(client.get(URL, {"days": 7, "format": "csv", "table": "teams"}))
    agents = csv_lines(client.get(URL, {"days": 7, "format": "csv", "table": "agents"}))

    assert teams[0][0] == "team"
    assert teams[1][:3] == ['\'=HYPERLINK("http://evil.test")', "1", "5.0"]
    assert teams[-1][0] == "All conversations"
    assert agents[1][0] == "'@SUM(A1)"


def test_csv_of_the_daily_table_has_a_line_per_day() -> None:
    response = signed_in(UserFactory(role=Role.ANALYST)).get(
        URL, {"days": 7, "format": "csv", "table": "daily"}
    )

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert len(csv_lines(response)) == 8


def test_an_unknown_csv_table_is_a_bad_request() -> None:
    response = signed_in(UserFactory(role=Role.LEAD)).get(URL, {"format": "csv", "table": "secrets"})

    assert response.status_code == 400


def test_an_agent_sees_only_her_own_row_on_the_page_and_in_the_csv() -> None:
    team = TeamFactory()
    maria = UserFactory(role=Role.AGENT, team=team, full_name="Maria Agent")
    sam = UserFactory(role=Role.AGENT, team=team, full_name="Sam Colleague")
    opened = timezone.now() - timedelta(days=1)
    a_conversation(opened=opened, team=team, assignee=maria)
    a_conversation(opened=opened, team=team, assignee=sam)
    client = signed_in(maria)

    page = client.get(URL, {"days": 7}).content.decode()
    agents = csv_lines(client.get(URL, {"days": 7, "format": "csv", "table": "agents"}))

    assert "Maria Agent</th>" in page
    assert "Sam Colleague</th>" not in page
    assert [line[0] for line in agents[1:-1]] == ["Maria Agent"]


def test_an_agent_filtering_by_a_colleague_is_refused() -> None:
    team = TeamFactory()
    maria, sam = UserFactory(role=Role.AGENT, team=team), UserFactory(role=Role.AGENT, team=team)

    response = signed_in(maria).get(URL, {"agent": sam.pk, "format": "csv", "table": "agents"})

    assert response.status_code == 403


def test_someone_signed_out_is_sent_to_sign_in() -> None:
    response = Client().get(URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_main_navigation_links_to_insights_for_desk_readers() -> None:
    body = signed_in(UserFactory(role=Role.ANALYST)).get(reverse("desk:inbox")).content.decode()

    assert f'href="{URL}"' in body
