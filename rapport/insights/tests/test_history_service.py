"""The purchase history: each value refresh counts the latest 24 whole months of orders and stores them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rapport.commerce.models import Order, OrderStatus
from rapport.insights.models import PurchaseHistory
from rapport.insights.services.history import refresh_purchase_history
from rapport.insights.services.value import refresh_customer_values
from rapport.insights.tasks.value import refresh_customer_values_task
from rapport.insights.tests.factories_relationships import known_purchases

pytestmark = pytest.mark.django_db

REFRESHED = datetime(2025, 1, 15, 10, tzinfo=UTC)


def test_a_refresh_stores_the_24_whole_months_before_its_month() -> None:
    known_purchases()

    history = refresh_purchase_history(now=REFRESHED)

    assert (history.as_of, history.time_zone) == (REFRESHED, "UTC")
    assert (history.first_month, history.months) == (date(2023, 1, 1), 24)
    # 2024 (months 12 to 23) as test_relationships_report works it out by hand.
    assert history.active[12:] == [3, 2, 2, 4, 4, 3, 3, 3, 3, 3, 3, 4, 4]
    assert history.defected[12:] == [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    # Cohorts of 2023: Fay (January), Ann (March), Ben (May); of 2024: Cleo and Dan (March), Gus (November).
    assert {month: n for month, n in enumerate(history.cohort_sizes) if n} == {0: 1, 2: 1, 4: 1, 14: 2, 22: 1}
    assert len(history.cohort_sizes) == 24
    # Ann came back in February and April 2024: months 11 and 13 after March 2023.
    assert [k + 1 for k, n in enumerate(history.cohort_returned[2]) if n] == [11, 13]
    assert history.cohort_returned[14] == [1, 0, 1, 0, 0, 0, 0, 0, 0]
    assert [len(row) for row in history.cohort_returned] == list(range(23, -1, -1))


def test_only_the_latest_history_is_kept() -> None:
    known_purchases()
    refresh_purchase_history(now=REFRESHED)

    latest = refresh_purchase_history(now=REFRESHED + timedelta(days=20))

    assert list(PurchaseHistory.objects.values_list("pk", flat=True)) == [latest.pk]
    assert latest.first_month == date(2023, 2, 1)


def test_the_value_refresh_stores_the_history_from_its_own_reading_of_the_orders() -> None:
    known_purchases()

    refresh_customer_values(now=REFRESHED)

    history = PurchaseHistory.objects.get()
    assert (history.as_of, history.active[12], history.defected[12]) == (REFRESHED, 3, 1)


def test_a_refresh_after_every_purchase_is_refunded_forgets_them() -> None:
    known_purchases()
    refresh_customer_values(now=REFRESHED)
    Order.objects.update(status=OrderStatus.REFUNDED)

    assert refresh_customer_values(now=REFRESHED + timedelta(hours=1)) is None

    history = PurchaseHistory.objects.get()
    assert history.as_of == REFRESHED + timedelta(hours=1)
    assert set(history.active) == set(history.cohort_sizes) == {0}


def test_the_daily_task_stores_the_history() -> None:
    known_purchases()

    refresh_customer_values_task.enqueue()

    assert PurchaseHistory.objects.get().months == 24
