"""The relationships dashboard page: figures in tables, chart data, filters, CSV export, and outsiders."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import HealthBand, ValueTier
from rapport.insights.services.history import refresh_purchase_history
from rapport.insights.tests.factories_relationships import a_fit, a_health, a_value, purchases

pytestmark = pytest.mark.django_db

URL = reverse("insights:relationships")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_lines(response: object) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))  # type: ignore[attr-defined]


def months_ago(n: int, day: int = 10) -> date:
    month = np.datetime64(timezone.localdate(), "M") - n
    return date.fromisoformat(f"{month}-{day:02d}")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEAD, Role.AGENT, Role.ANALYST])
def test_every_role_that_reads_customers_sees_the_page(role: str) -> None:
    response = signed_in(UserFactory(role=role)).get(URL)

    assert response.status_code == 200
    assert "Relationships dashboard" in response.content.decode()


def test_the_page_shows_tiers_bands_the_fit_and_links_at_risk_customers() -> None:
    a_fit()
    ada = CustomerFactory(name="Ada Risk")
    a_value(clv="420", tier=ValueTier.GOLD, customer=ada)
    a_health(band=HealthBand.AT_RISK, value_at_risk="300", customer=ada, reasons=["no order for 8 months"])

    response = signed_in(UserFactory(role=Role.ANALYST)).get(URL)

    body = response.content.decode()
    assert 'id="insights-relationships-data"' in body
    assert reverse("customers:detail", args=[ada.pk]) in body
    assert "no order for 8 months" in body
    assert '<tr data-key="gold"><th scope="row">Gold</th><td>1</td>' in body
    assert "<td>0.2430</td><td>4.4140</td><td>0.7930</td><td>2.4260</td>" in body
    assert reverse("insights:at_risk") in body
    assert response.context["report"].bands[2].customers == 1


def test_the_page_draws_with_its_own_script_and_the_vendored_chart_library() -> None:
    body = signed_in(UserFactory(role=Role.ANALYST)).get(URL).content.decode()

    assert "insights/relationships.js" in body
    assert "vendor/chartjs/chart.umd.min.js" in body
    assert "<script>" not in body.split('id="insights-relationships-data"')[0].rsplit("\n", 1)[-1]


def test_the_cohort_table_is_shaded_by_share() -> None:
    customer = CustomerFactory()
    purchases(customer, months_ago(3), months_ago(2))

    response = signed_in(UserFactory(role=Role.LEAD)).get(URL)

    assert [(c.size, c.shares) for c in response.context["report"].cohorts] == [(1, [1.0, 0.0])]
    assert '<td class="heat-10" title="1.0">100%</td><td class="heat-0" title="0.0">0%</td>' in (
        response.content.decode()
    )


def test_24_months_give_24_rows_of_defection() -> None:
    response = signed_in(UserFactory(role=Role.LEAD)).get(URL, {"months": 24})

    assert len(response.context["report"].defection) == 24
    assert (
        len(
            csv_lines(
                signed_in(UserFactory(role=Role.LEAD)).get(
                    URL, {"months": 24, "format": "csv", "table": "defection"}
                )
            )
        )
        == 25
    )


@pytest.mark.parametrize("query", [{"months": "7"}, {"months": "x"}, {"tier": "diamond"}])
def test_filters_that_cannot_be_read_fall_back_with_a_note(query: dict[str, str]) -> None:
    response = signed_in(UserFactory(role=Role.LEAD)).get(URL, query)

    assert response.status_code == 200
    assert response.context["filters"].problem
    assert response.context["report"].months.count == 12
    assert response.context["report"].tier == ""


def test_the_tier_filter_narrows_the_at_risk_table() -> None:
    gold, silver = CustomerFactory(name="Gold one"), CustomerFactory(name="Silver one")
    a_value(clv="900", tier=ValueTier.GOLD, customer=gold)
    a_value(clv="90", tier=ValueTier.SILVER, customer=silver)
    a_health(band=HealthBand.AT_RISK, value_at_risk="500", customer=gold)
    a_health(band=HealthBand.AT_RISK, value_at_risk="50", customer=silver)

    response = signed_in(UserFactory(role=Role.LEAD)).get(URL, {"tier": "silver"})

    assert [row.name for row in response.context["report"].at_risk] == ["Silver one"]
    assert "tier=silver" in response.context["filters"].query()


def test_csv_of_the_at_risk_table_neutralises_formulas_in_names_and_reasons() -> None:
    customer = CustomerFactory(name="=HYPERLINK(1)")
    a_health(band=HealthBand.AT_RISK, value_at_risk="12.50", customer=customer, reasons=["-2 orders"])

    response = signed_in(UserFactory(role=Role.ANALYST)).get(URL, {"format": "csv", "table": "at_risk"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = csv_lines(response)
    assert lines[0] == ["customer_id", "name", "tier", "score", "p_alive", "clv", "value_at_risk", "reasons"]
    assert lines[1] == [
        str(customer.pk),
        "'=HYPERLINK(1)",
        "",
        "30.0",
        "0.2",
        "100.00",
        "12.50",
        "'-2 orders",
    ]


@pytest.mark.parametrize("table", ["clv", "tiers", "bands", "at_risk", "defection", "cohorts", "fit"])
def test_every_table_downloads_as_csv(table: str) -> None:
    response = signed_in(UserFactory(role=Role.ANALYST)).get(URL, {"format": "csv", "table": table})

    assert response.status_code == 200
    assert csv_lines(response)[0]


def test_an_unknown_csv_table_is_a_bad_request() -> None:
    response = signed_in(UserFactory(role=Role.ANALYST)).get(URL, {"format": "csv", "table": "secrets"})

    assert response.status_code == 400


def test_someone_signed_out_is_sent_to_sign_in() -> None:
    response = Client().get(URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_insights_navigation_links_to_the_page() -> None:
    body = signed_in(UserFactory(role=Role.LEAD)).get(reverse("insights:service")).content.decode()

    assert f'href="{URL}"' in body


def test_the_page_makes_a_bounded_number_of_queries_however_many_customers(
    django_assert_max_num_queries: Any,
) -> None:
    a_fit()
    for n in range(30):
        customer = CustomerFactory()
        purchases(customer, months_ago(n % 10 + 1), months_ago(n % 3 + 1, day=20))
        a_value(clv=str(10 * n), tier=ValueTier.SILVER, customer=customer)
        a_health(band=HealthBand.AT_RISK, value_at_risk=str(n), customer=customer, reasons=["r"])
    client = signed_in(UserFactory(role=Role.ANALYST))

    refresh_purchase_history()

    # session, user, clv maximum and bins, tiers, bands, at-risk rows, the stored history, fit
    with django_assert_max_num_queries(9):
        response = client.get(URL, {"months": 24})

    assert len(response.context["report"].at_risk) == 20
    assert response.context["report"].history_as_of is not None


def test_the_page_says_when_the_refresh_counted_the_defection_and_cohorts() -> None:
    customer = CustomerFactory()
    purchases(customer, months_ago(3), months_ago(2))
    client = signed_in(UserFactory(role=Role.ANALYST))
    before = client.get(URL)
    refreshed = timezone.now().replace(second=0, microsecond=0)
    refresh_purchase_history(now=refreshed)
    purchases(customer, months_ago(1))  # after the refresh: not counted until the next one

    after = client.get(URL)

    assert "read from the orders just now" in before.content.decode()
    assert f"as of {timezone.localtime(refreshed):%Y-%m-%d %H:%M}" in after.content.decode()
    assert [(c.size, c.shares) for c in before.context["report"].cohorts] == [(1, [1.0, 0.0])]
    assert [(c.size, c.shares) for c in after.context["report"].cohorts] == [(1, [1.0, 0.0])]
