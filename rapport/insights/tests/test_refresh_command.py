"""manage.py refresh_insights runs every refresh and says what it did."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.commerce.tests.factories import OrderFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import CustomerValue, HealthScore

pytestmark = pytest.mark.django_db


def test_the_command_refreshes_values_health_and_recommendations() -> None:
    for n in range(30):
        customer = CustomerFactory(name=f"Buyer {n}")
        for days in (300 - n, 200 - n, 20 + n):
            OrderFactory(
                customer=customer, placed_at=timezone.now() - timedelta(days=days), total=Decimal("30")
            )
    out = StringIO()

    call_command("refresh_insights", stdout=out)

    assert CustomerValue.objects.count() == 30
    assert HealthScore.objects.count() == 30
    assert "values for 30 customers" in out.getvalue()
    assert "health for 30 customers" in out.getvalue()


def test_without_orders_the_command_says_so() -> None:
    out = StringIO()
    call_command("refresh_insights", stdout=out)
    assert "no paid orders yet" in out.getvalue()
