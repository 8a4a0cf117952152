"""The 360's value and health panel, the at-risk list and outreach, as staff see them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.insights.models import CustomerValue
from rapport.insights.services.health import refresh_health
from rapport.insights.tests.factories_relationships import a_value
from rapport.listening.models import FollowUp

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _client(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def _valued(name: str, *, p_alive: float, clv: str, tier: str = "gold") -> CustomerValue:
    return a_value(
        customer=CustomerFactory(name=name),
        clv=clv,
        tier=tier,
        p_alive=p_alive,
        frequency=4,
        recency_days=100,
        age_days=400,
    )


def test_the_panel_shows_value_health_and_reasons() -> None:
    value = _valued("Ada Lapsed", p_alive=0.1, clv="45.50")
    refresh_health(now=NOW)

    page = _client(Role.ANALYST).get(
        reverse("insights:customer", args=[value.customer_id]), HTTP_HX_REQUEST="true"
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "45.50" in html
    assert "10 % likely" in html
    assert "No order for 10 months, expected every 4 weeks" in html
    assert "<html" not in html  # the htmx fragment only


def test_the_customer_page_loads_the_panel() -> None:
    value = _valued("Ada", p_alive=0.9, clv="10.00")
    page = _client(Role.AGENT).get(reverse("customers:detail", args=[value.customer_id]))
    assert reverse("insights:customer", args=[value.customer_id]) in page.content.decode()


def test_the_at_risk_list_is_ordered_by_value_at_risk_and_filters_by_tier() -> None:
    _valued("Small", p_alive=0.1, clv="5.00", tier="silver")
    _valued("Big", p_alive=0.1, clv="50.00", tier="gold")
    _valued("Fine", p_alive=0.99, clv="500.00", tier="platinum")
    refresh_health(now=NOW)
    client = _client(Role.ANALYST)

    # Health 100 - 40 x 0.9 = 64: the watch band.
    page = client.get(reverse("insights:at_risk"), {"band": "watch"}).content.decode()
    assert page.index("Big") < page.index("Small")
    assert "Fine" not in page
    assert "Start outreach" not in page  # analysts read only

    default = client.get(reverse("insights:at_risk")).content.decode()
    assert "Big" in default  # watch and at risk together unless one band is chosen
    assert "No customer" in client.get(reverse("insights:at_risk"), {"band": "at_risk"}).content.decode()

    gold = client.get(reverse("insights:at_risk"), {"band": "watch", "tier": "gold"}).content.decode()
    assert "Big" in gold
    assert "Small" not in gold


def test_a_lead_starts_outreach_from_the_list_and_an_agent_may_not() -> None:
    value = _valued("Ada Lapsed", p_alive=0.1, clv="50.00")
    refresh_health(now=NOW)
    url = reverse("insights:outreach", args=[value.customer_id])

    refused = _client(Role.AGENT).post(url)
    assert refused.status_code == 403
    assert not FollowUp.objects.exists()

    lead = _client(Role.LEAD)
    done = lead.post(url, {"next": "https://evil.example/"}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("insights:at_risk")
    assert "Outreach to Ada Lapsed started" in done.content.decode()
    assert FollowUp.objects.get().title == "Reach out to Ada Lapsed"
    again = lead.post(url, follow=True)
    assert "already open" in again.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    value = _valued("Ada", p_alive=0.5, clv="5.00")
    for url in (reverse("insights:at_risk"), reverse("insights:customer", args=[value.customer_id])):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def _recommend(customer_name: str) -> tuple[int, int]:
    """A customer who bought a tent, with a stove recommended; returns (customer id, conversation id)."""
    from rapport.commerce.tests.factories import ProductFactory
    from rapport.desk.tests.factories import a_conversation
    from rapport.insights.models import Recommendation

    tent = ProductFactory(name="Tent", sku="TENT-1")
    stove = ProductFactory(name="Camping stove", sku="STOVE 2", price=Decimal("34.50"))
    customer = CustomerFactory(name=customer_name)
    Recommendation.objects.create(customer=customer, product=stove, because=tent, rank=1, score=0.8)
    return customer.pk, a_conversation(customer=customer).pk


def test_the_composer_panel_offers_products_with_their_reason_and_link(settings) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PRODUCT_URL = "https://shop.example/p/{sku}"
    _, conversation_id = _recommend("Ada")

    page = _client(Role.AGENT).get(
        reverse("insights:conversation_recommendations", args=[conversation_id]), HTTP_HX_REQUEST="true"
    )

    html = page.content.decode()
    assert "Camping stove" in html
    assert "Because they bought Tent" in html
    assert 'data-text="Camping stove (34.50 EUR): https://shop.example/p/STOVE%202"' in html
    analyst = _client(Role.ANALYST).get(
        reverse("insights:conversation_recommendations", args=[conversation_id])
    )
    assert "Insert into reply" not in analyst.content.decode()  # analysts do not write replies


def test_a_private_teams_conversation_shows_no_recommendations_to_outsiders() -> None:
    from rapport.accounts.tests.factories import TeamFactory
    from rapport.desk.models import Conversation, TeamDesk

    _, conversation_id = _recommend("Bea")
    team = TeamFactory(name="VIP")
    TeamDesk.objects.create(team=team, is_private=True)
    Conversation.objects.filter(pk=conversation_id).update(team=team)

    outsider = _client(Role.AGENT).get(
        reverse("insights:conversation_recommendations", args=[conversation_id])
    )

    assert outsider.status_code == 404
