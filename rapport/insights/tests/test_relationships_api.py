"""The relationships dashboard's API: the page's figures, the customers:read scope, and outsiders."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor, scopes_for_role
from rapport.accounts.services import create_api_token
from rapport.accounts.tests.factories import UserFactory
from rapport.api.tests.conftest import ApiClient
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import HealthBand, ValueTier
from rapport.insights.services.history import refresh_purchase_history
from rapport.insights.tests.factories_relationships import a_fit, a_health, a_value

pytestmark = pytest.mark.django_db

PATH = "/insights/relationships"


def _api(user: User, scopes: list[str] | None = None) -> ApiClient:
    issued = create_api_token(
        actor=Actor(user=user),
        name="test",
        scopes=scopes if scopes is not None else scopes_for_role(user.role),
    )
    return ApiClient(issued.raw)


def test_the_summary_gives_bins_tiers_bands_at_risk_months_and_the_fit() -> None:
    a_fit()
    ada = CustomerFactory(name="Ada")
    a_value(clv="7", tier=ValueTier.GOLD, customer=ada)
    a_health(band=HealthBand.AT_RISK, value_at_risk="5.50", customer=ada, reasons=["no order for 8 months"])

    response = _api(UserFactory(role=Role.ANALYST)).get(PATH, {"months": 24})

    assert response.status_code == 200
    body = response.json()
    assert len(body["defection"]) == 24
    assert body["valued_customers"] == 1
    assert body["clv_bins"][-1] == {"clv_from": "5", "clv_below": "10", "customers": 1, "total_clv": "7.00"}
    assert {"key": "gold", "customers": 1, "amount": "7.00"} in body["tiers"]
    assert body["bands"][2] == {"key": "at_risk", "customers": 1, "amount": "5.50"}
    assert body["at_risk"][0]["customer_id"] == ada.pk
    assert body["at_risk"][0]["reasons"] == ["no order for 8 months"]
    assert body["fit"]["alpha"] == 4.414
    assert body["history_as_of"] is None


def test_after_a_refresh_the_summary_says_when_it_counted_the_defection_and_cohorts() -> None:
    refreshed = timezone.now().replace(microsecond=0)
    refresh_purchase_history(now=refreshed)

    body = _api(UserFactory(role=Role.ANALYST)).get(PATH).json()

    assert datetime.fromisoformat(body["history_as_of"]) == refreshed
    assert len(body["defection"]) == 12


def test_the_tier_filter_narrows_the_at_risk_list() -> None:
    a_health(band=HealthBand.AT_RISK, value_at_risk="50")

    body = _api(UserFactory(role=Role.LEAD)).get(PATH, {"tier": "platinum"}).json()

    assert body["at_risk"] == []


def test_a_number_of_months_not_offered_is_refused() -> None:
    response = _api(UserFactory(role=Role.LEAD)).get(PATH, {"months": 6})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_period"


def test_an_agent_token_reads_the_summary() -> None:
    assert _api(UserFactory(role=Role.AGENT)).get(PATH).status_code == 200


def test_a_token_without_customers_read_is_refused() -> None:
    response = _api(UserFactory(role=Role.LEAD), scopes=["desk:read"]).get(PATH)

    assert response.status_code == 403


def test_no_token_is_unauthorised() -> None:
    assert ApiClient(None).get(PATH).status_code == 401
