"""A lead finds a lapsing customer on the at-risk list and starts outreach; the associate, replying in
the customer's conversation, inserts a recommended product into the reply with one click."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.commerce.tests.factories import ProductFactory
from rapport.customers.services import IdentityInput, create_customer
from rapport.desk.services.conversations import open_conversation
from rapport.insights.models import Recommendation
from rapport.insights.services.health import refresh_health
from rapport.insights.tests.factories_relationships import a_fit, a_value
from rapport.listening.models import FollowUp
from tests.browser.contexts import close_quietly
from tests.browser.steps import collect_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_starts_outreach_and_the_associate_inserts_a_recommended_product(
    live_server: Any, page: Any, browser: Any
) -> None:
    maria = UserFactory(email="maria@shop.example", role=Role.AGENT, full_name="Maria Lopez")
    UserFactory(email="lena@shop.example", role=Role.LEAD, full_name="Lena Berg")
    customer = create_customer(
        actor=None,
        name="Dorothy Vaughan",
        identities=[IdentityInput(kind="email", value="dorothy@example.org")],
    )
    customer.associate = maria
    customer.save(update_fields=["associate"])
    a_value(
        customer=customer,
        clv="120.00",
        tier="gold",
        frequency=5,
        recency_days=150,
        age_days=400,
        p_alive=0.2,
        fit=a_fit(calibration_end=timezone.now()),
    )
    refresh_health()
    tent = ProductFactory(name="Trail tent", sku="TENT-1")
    stove = ProductFactory(name="Camping stove", sku="STOVE-2", price=Decimal("34.50"))
    Recommendation.objects.create(customer=customer, product=stove, because=tent, rank=1, score=0.9)
    conversation = open_conversation(
        actor=Actor(user=maria), customer=customer, channel="email", subject="Hello again", body_text="Hi!"
    )
    base = live_server.url

    # Lena, a lead, sees Dorothy among the customers at risk and starts outreach.
    lead_context = browser.new_context()
    lead = lead_context.new_page()
    lead.set_default_timeout(10_000)
    lead_errors: list[str] = []
    collect_errors(lead, lead_errors)
    sign_in(lead, base, "lena@shop.example")
    lead.goto(f"{base}/insights/at-risk/")
    row = lead.locator("tr.at-risk-row", has_text="Dorothy Vaughan")
    expect(row).to_contain_text("No order for 8 months")
    row.get_by_role("button", name="Start outreach").click()
    expect(
        lead.get_by_text("Outreach to Dorothy Vaughan started: a follow-up for Maria Lopez.")
    ).to_be_visible()
    lead.wait_for_load_state("networkidle")
    close_quietly(lead_context)
    assert FollowUp.objects.get().assignee == maria

    # Maria opens the conversation and inserts the recommended stove into her reply.
    errors: list[str] = []
    collect_errors(page, errors)
    sign_in(page, base, "maria@shop.example")
    page.goto(f"{base}/desk/conversations/{conversation.pk}/")
    panel = page.locator("#recommendations-panel")
    expect(panel).to_contain_text("Because they bought Trail tent")
    page.locator("#composer-body").fill("Hi Dorothy, you might like this:")
    panel.get_by_role("button", name="Insert into reply").click()
    expect(page.locator("#composer-body")).to_have_value(
        "Hi Dorothy, you might like this: Camping stove (34.50 EUR), item STOVE-2"
    )
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert lead_errors == []
