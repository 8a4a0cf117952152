"""The relationships dashboard's figures on a small hand-made data set with answers worked out by hand."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.commerce.models import Order, OrderStatus
from rapport.commerce.tests.factories import OrderFactory
from rapport.core.errors import PermissionDenied
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import HealthBand, ValueTier
from rapport.insights.reports import relationships as reports
from rapport.insights.services.history import refresh_purchase_history
from rapport.insights.tests.factories_relationships import a_fit, a_health, a_value, known_purchases

# 2024, January to December: today in January 2025, so the running month is left out.
YEAR_2024 = reports.months_of(12, today=date(2025, 1, 15))
REFRESHED = datetime(2025, 1, 15, 10, tzinfo=UTC)


@pytest.fixture(params=["orders", "refresh"])
def counted(request: pytest.FixtureRequest) -> Callable[[], datetime | None]:
    """Call once the orders are made: with "refresh", a refresh on 2025-01-15 stores the history the report
    then reads; with "orders", nothing is stored and the report reads the orders. Returns the "as of" the
    report should give."""

    def count() -> datetime | None:
        if request.param == "orders":
            return None
        return refresh_purchase_history(now=REFRESHED).as_of

    return count


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
def test_defection_per_month_follows_the_365_day_definition(counted: Callable[[], datetime | None]) -> None:
    known_purchases()
    as_of = counted()

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    assert (report.months, report.history_as_of) == (YEAR_2024, as_of)

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
def test_cohorts_are_first_purchase_months_with_the_share_buying_in_each_month_after(
    counted: Callable[[], datetime | None],
) -> None:
    known_purchases()
    counted()

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
def test_no_orders_give_zero_active_customers_and_no_rate(counted: Callable[[], datetime | None]) -> None:
    as_of = counted()

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    assert report.history_as_of == as_of

    assert [row.active_at_start for row in report.defection] == [0] * 12
    assert report.defection[0].rate is None
    assert report.cohorts == []
    assert report.bins == []
    assert report.fit is None


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
def test_every_table_has_a_csv_with_a_header(counted: Callable[[], datetime | None]) -> None:
    known_purchases()
    counted()
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


# The stored history: what the page reads once a refresh has counted it


@pytest.mark.django_db
def test_the_figures_stay_those_of_the_refresh_until_the_next_one() -> None:
    people = known_purchases()
    refresh_purchase_history(now=REFRESHED)
    # Ben's only order is refunded after the refresh: he was active at the start of 2024.
    Order.objects.filter(customer=people["Ben"]).update(status=OrderStatus.REFUNDED)

    before = reports.relationships_report(analyst(), months=YEAR_2024)
    refresh_purchase_history(now=REFRESHED + timedelta(hours=1))
    after = reports.relationships_report(analyst(), months=YEAR_2024)

    assert (before.history_as_of, before.defection[0].active_at_start) == (REFRESHED, 3)
    assert (after.history_as_of, after.defection[0].active_at_start) == (REFRESHED + timedelta(hours=1), 2)


@pytest.mark.django_db
def test_with_a_history_stored_the_defection_and_cohorts_take_one_query(
    django_assert_num_queries: Any,
) -> None:
    known_purchases()
    refresh_purchase_history(now=REFRESHED)

    with django_assert_num_queries(1):
        history = reports.purchase_history(YEAR_2024)

    assert history.as_of == REFRESHED


@pytest.mark.django_db
def test_once_the_month_has_turned_since_the_refresh_the_months_are_those_before_the_refresh_month() -> None:
    known_purchases()
    refresh_purchase_history(now=REFRESHED)

    report = reports.relationships_report(analyst(), months=reports.months_of(12, today=date(2025, 2, 3)))

    assert (report.months, report.history_as_of) == (YEAR_2024, REFRESHED)
    assert [row.defected for row in report.defection][:5] == [1, 0, 0, 0, 1]


@pytest.mark.django_db
def test_months_before_the_stored_ones_are_read_from_the_orders() -> None:
    known_purchases()
    refresh_purchase_history(now=REFRESHED)
    year_2022 = reports.months_of(12, today=date(2023, 1, 2))

    report = reports.relationships_report(analyst(), months=year_2022)

    assert (report.months, report.history_as_of) == (year_2022, None)
    assert [c.month for c in report.cohorts] == []
    assert report.defection[-1].active_at_end == 0


@pytest.mark.django_db
def test_a_history_counted_in_another_time_zone_is_not_used(settings: Any) -> None:
    known_purchases()
    refresh_purchase_history(now=REFRESHED)
    settings.TIME_ZONE = "Europe/Paris"

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    assert report.history_as_of is None
    assert report.defection[0].active_at_start == 3


@pytest.mark.django_db
def test_months_are_those_of_the_site_time_zone(
    settings: Any, counted: Callable[[], datetime | None]
) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    customer = CustomerFactory()
    # 23:30 UTC on 31 January is 00:30 on 1 February in Paris.
    OrderFactory(customer=customer, placed_at=datetime(2024, 1, 31, 23, 30, tzinfo=UTC))
    OrderFactory(customer=customer, placed_at=datetime(2024, 3, 5, 12, tzinfo=UTC))
    counted()

    report = reports.relationships_report(analyst(), months=YEAR_2024)

    assert [(c.month, c.size, c.shares[:2]) for c in report.cohorts] == [("2024-02", 1, [1.0, 0.0])]
    assert [row.active_at_start for row in report.defection][1:3] == [0, 1]


def _random_shop(seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2021, 6, 1, tzinfo=UTC)
    for n in range(40):
        customer = CustomerFactory(name=f"Shopper {n}")
        first = rng.uniform(0, 1300)
        for offset in [first, *(first + rng.expovariate(1 / 90) * k for k in range(rng.randint(0, 6)))]:
            status = rng.choice(
                [OrderStatus.PAID, OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.CANCELLED]
            )
            OrderFactory(customer=customer, placed_at=start + timedelta(days=offset), status=status)


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_the_stored_history_gives_the_figures_the_orders_give(settings: Any, zone: str) -> None:
    settings.TIME_ZONE = zone
    _random_shop(seed=11)
    asked = [reports.months_of(count, today=date(2025, 1, 15)) for count in reports.RANGES]
    read = [reports.relationships_report(analyst(), months=months) for months in asked]

    refresh_purchase_history(now=REFRESHED)
    stored = [reports.relationships_report(analyst(), months=months) for months in asked]

    assert [r.history_as_of for r in read + stored] == [None, None, REFRESHED, REFRESHED]
    assert sum(row.active_at_start for row in read[1].defection) > 0
    assert len(read[1].cohorts) > 3
    for live, kept in zip(read, stored, strict=True):
        assert (kept.months, kept.defection, kept.cohorts) == (live.months, live.defection, live.cohorts)
