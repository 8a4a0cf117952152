"""The relationships dashboard's figures on a small hand-made data set with answers worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import PermissionDenied
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import HealthBand, ValueTier
from rapport.insights.reports import relationships as reports
from rapport.insights.tests.factories_relationships import a_fit, a_health, a_value, known_purchases

# 2024, January to December: today in January 2025, so the running month is left out.
YEAR_2024 = reports.months_of(12, today=date(2025, 1, 15))


def analyst() -> Actor:
    return Actor(user=UserFactory(role=Role.ANALYST))


# Months


def test_the_months_are_the_whole_months_before_the_current_one() -> None:
    assert (YEAR_2024.first, YEAR_2024.count) == (date(2024, 1, 1), 12)
    assert YEAR_2024.last == date(2024, 12, 31)
    assert YEAR_2024.labels()[:2] == ["2024-01", "2024-02"]
    assert reports.months_of(24, today=date(2025, 3, 1)).first == date(2023, 3, 1)


def test_a_number_of_months_not_offered_is_refused() -> None:
    with pytest.raises(ValueError, match="12 or 24"):
        reports.months_of(6)


# Defection and cohorts on the hand-made purchases (factories_relationships.known_purchases)


@pytest.mark.django_db
def test_defection_per_month_follows_the_365_day_definition() -> None:
    known_purchases()

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    rows = [(row.month, row.active_at_start, row.defected, row.active_at_end) for row in report.defection]
    assert rows == [
        ("2024-01", 3, 1, 2),  # Fay's last purchase (2023-01-10) runs out on 2024-01-10
        ("2024-02", 2, 0, 2),
        ("2024-03", 2, 0, 4),  # Cleo and Dan arrive
        ("2024-04", 4, 0, 4),
        ("2024-05", 4, 1, 3),  # Ben's (2023-05-20) runs out on 2024-05-19
        ("2024-06", 3, 0, 3),
        ("2024-07", 3, 0, 3),
        ("2024-08", 3, 0, 3),
        ("2024-09", 3, 0, 3),
        ("2024-10", 3, 0, 3),
        ("2024-11", 3, 0, 4),  # Gus arrives
        ("2024-12", 4, 0, 4),
    ]
    assert report.defection[0].rate == 0.3333
    assert report.defection[4].rate == 0.25
    assert report.defection[1].rate == 0.0


@pytest.mark.django_db
def test_cohorts_are_first_purchase_months_with_the_share_buying_in_each_month_after() -> None:
    known_purchases()

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    # Ann bought first in 2023: no cohort of the year. Cleo's two April orders count once; Dan's
    # cancelled May order not at all; Gus's January 2025 order is after the months shown.
    assert [(c.month, c.size, c.shares) for c in report.cohorts] == [
        ("2024-03", 2, [0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
        ("2024-11", 1, [1.0]),
    ]
    assert report.cohort_width == 9
    assert report.cohorts[1].cells(3) == [1.0, None, None]


@pytest.mark.django_db
def test_no_orders_give_zero_active_customers_and_no_rate() -> None:
    report = reports.relationships_report(analyst(), months=YEAR_2024)

    assert [row.active_at_start for row in report.defection] == [0] * 12
    assert report.defection[0].rate is None
    assert report.cohorts == []
    assert report.bins == []
    assert report.fit is None


def _brute_force(
    ids: list[int], days: list[date], starts: list[date], active_days: int
) -> tuple[list[int], list[int]]:
    def active_at(moment: date) -> set[int]:
        return {
            c for c, d in zip(ids, days, strict=True) if moment - timedelta(days=active_days) <= d < moment
        }

    sets = [active_at(moment) for moment in starts]
    return [len(s) for s in sets], [len(before - after) for before, after in pairwise(sets)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 6), st.integers(0, 900)), min_size=0, max_size=40),
    st.integers(1, 400),
)
def test_defection_by_month_agrees_with_checking_every_month_end_one_by_one(
    purchases: list[tuple[int, int]], active_days: int
) -> None:
    origin = date(2023, 1, 1)
    ids = [customer for customer, _ in purchases]
    days = [origin + timedelta(days=offset) for _, offset in purchases]
    months = reports.Months(first=date(2023, 6, 1), count=14)
    starts = [d.astype(date) for d in months.starts]

    active, defected = reports.defection_by_month(
        np.array(ids, dtype=np.int64),
        np.array(days, dtype="datetime64[D]"),
        months.starts,
        active_days=active_days,
    )

    assert (active.tolist(), defected.tolist()) == _brute_force(ids, days, starts, active_days)


# Values, tiers, health


@pytest.mark.parametrize(
    ("largest", "top"),
    [
        (Decimal("0"), Decimal(1)),
        (Decimal("0.99"), Decimal(1)),
        (Decimal("100"), Decimal(200)),
        (Decimal("150"), Decimal(200)),
        (Decimal("4999.99"), Decimal(5000)),
    ],
)
def test_clv_bins_step_1_2_5_up_past_the_largest_value(largest: Decimal, top: Decimal) -> None:
    edges = reports.clv_edges(largest)

    assert edges[:5] == [0, 1, 2, 5, 10][: len(edges)]
    assert edges[-1] == top
    assert edges[-2] <= largest or len(edges) == 2


@pytest.mark.django_db
def test_the_clv_distribution_counts_customers_and_sums_clv_per_bin() -> None:
    a_fit()
    for clv, tier in (
        ("0", "standard"),
        ("0.50", "standard"),
        ("3", "silver"),
        ("7", "silver"),
        ("7", "gold"),
        ("150", "platinum"),
    ):
        a_value(clv=clv, tier=tier)

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    assert [(b.label, b.customers, b.total_clv) for b in report.bins] == [
        ("under 1", 2, Decimal("0.50")),
        ("1–2", 0, Decimal("0")),
        ("2–5", 1, Decimal("3.00")),
        ("5–10", 2, Decimal("14.00")),
        ("10–20", 0, Decimal("0")),
        ("20–50", 0, Decimal("0")),
        ("50–100", 0, Decimal("0")),
        ("100–200", 1, Decimal("150.00")),
    ]
    assert report.valued_customers == 6
    assert report.total_clv == Decimal("167.50")
    assert [(g.key, g.customers, g.amount) for g in report.tiers] == [
        ("platinum", 1, Decimal("150.00")),
        ("gold", 1, Decimal("7.00")),
        ("silver", 2, Decimal("10.00")),
        ("standard", 2, Decimal("0.50")),
    ]
    assert report.fit is not None
    assert report.fit.r == 0.243


@pytest.mark.django_db
def test_health_bands_count_customers_and_value_at_risk() -> None:
    for band, value in (
        (HealthBand.AT_RISK, "500"),
        (HealthBand.AT_RISK, "300"),
        (HealthBand.WATCH, "40"),
        (HealthBand.HEALTHY, "1"),
    ):
        a_health(band=band, value_at_risk=value)

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    assert [(g.key, g.customers, g.amount) for g in report.bands] == [
        ("healthy", 1, Decimal("1.00")),
        ("watch", 1, Decimal("40.00")),
        ("at_risk", 2, Decimal("800.00")),
    ]


@pytest.mark.django_db
def test_the_at_risk_table_lists_the_largest_values_at_risk_with_reasons_and_can_keep_one_tier() -> None:
    gold, silver = CustomerFactory(name="Gold"), CustomerFactory(name="Silver")
    a_value(clv="900", tier=ValueTier.GOLD, customer=gold)
    a_value(clv="100", tier=ValueTier.SILVER, customer=silver)
    a_health(band=HealthBand.AT_RISK, value_at_risk="50", customer=silver, reasons=["no order for 8 months"])
    a_health(band=HealthBand.AT_RISK, value_at_risk="700", customer=gold, reasons=["a", "b"])
    a_health(band=HealthBand.WATCH, value_at_risk="9999")
    for _ in range(reports.AT_RISK_ROWS):
        a_health(band=HealthBand.AT_RISK, value_at_risk="10")

    every = reports.relationships_report(analyst(), months=YEAR_2024)
    silver_only = reports.relationships_report(analyst(), months=YEAR_2024, tier=ValueTier.SILVER)

    assert len(every.at_risk) == reports.AT_RISK_ROWS
    # Both bands below healthy, by value at risk: the customer on watch first.
    assert every.at_risk[0].value_at_risk == Decimal("9999")
    assert [(row.name, row.tier, row.reasons) for row in every.at_risk[1:3]] == [
        ("Gold", "gold", ["a", "b"]),
        ("Silver", "silver", ["no order for 8 months"]),
    ]
    assert every.at_risk[3].tier == ""
    assert [row.customer_id for row in silver_only.at_risk] == [silver.pk]


@pytest.mark.django_db
def test_an_unknown_tier_is_refused() -> None:
    with pytest.raises(ValueError, match="tier"):
        reports.relationships_report(analyst(), months=YEAR_2024, tier="diamond")


@pytest.mark.django_db
def test_a_token_without_customers_read_may_not_have_the_report() -> None:
    actor = Actor(user=UserFactory(role=Role.ANALYST), via="token", scopes=frozenset({"desk:read"}))

    with pytest.raises(PermissionDenied):
        reports.relationships_report(actor, months=YEAR_2024)


# CSV


@pytest.mark.django_db
def test_every_table_has_a_csv_with_a_header() -> None:
    known_purchases()
    a_fit()
    report = reports.relationships_report(analyst(), months=YEAR_2024)

    heads = {table: reports.csv_rows(report, table)[0][0] for table in reports.TABLES}

    assert heads == {
        "clv": "clv_from",
        "tiers": "tier",
        "bands": "band",
        "at_risk": "customer_id",
        "defection": "month",
        "cohorts": "cohort",
        "fit": "parameter",
    }
    assert reports.csv_rows(report, "cohorts")[1] == [
        "2024-03",
        2,
        0.5,
        0.0,
        0.5,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ]
    assert reports.csv_rows(report, "cohorts")[2] == ["2024-11", 1, 1.0, "", "", "", "", "", "", "", ""]
    assert reports.csv_rows(report, "defection")[1] == ["2024-01", 3, 1, 2, 0.3333]
    assert ["r", 0.243] in reports.csv_rows(report, "fit")


@pytest.mark.django_db
def test_the_order_history_is_cached_until_an_order_changes(settings, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache
    from django.utils import timezone

    from rapport.commerce.models import Order

    settings.RAPPORT_REPORT_CACHE_SECONDS = 3600
    cache.clear()
    people = known_purchases()
    first = reports.order_history(YEAR_2024)

    with django_assert_max_num_queries(1):  # the fingerprint only
        assert reports.order_history(YEAR_2024) == first

    # Ben's order is refunded: his purchase no longer counts, and the cached figures are not served.
    Order.objects.filter(customer=people["Ben"]).update(status="refunded", updated_at=timezone.now())
    defection, _ = reports.order_history(YEAR_2024)
    assert defection[0].active_at_start == first[0][0].active_at_start - 1
    cache.clear()
