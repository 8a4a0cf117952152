"""An agent signs in, finds a customer, opens the 360, adds a note and sees it on the timeline."""

from __future__ import annotations

import os
from typing import Any

import pytest

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import UserFactory
from rapport.commerce.services import LineInput, upsert_order
from rapport.commerce.tests.factories import ProductFactory
from rapport.customers.services import IdentityInput, create_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_finds_customer_and_adds_a_note(live_server: Any, page: Any) -> None:
    UserFactory(email="agent@shop.example", role=Role.AGENT, full_name="Alex Agent")
    customer = create_customer(
        actor=None,
        name="Dorothy Vaughan",
        identities=[IdentityInput(kind="email", value="dorothy@example.org")],
    )
    create_customer(
        actor=None, name="Someone Else", identities=[IdentityInput(kind="email", value="else@example.org")]
    )
    ProductFactory(sku="MT-9", name="Pocket multitool")
    upsert_order(actor=None, customer=customer, number="R-2001", lines=[LineInput(sku="MT-9", quantity=1)])

    console_errors: list[str] = []
    page.on(
        "console", lambda message: console_errors.append(message.text) if message.type == "error" else None
    )
    page.goto(f"{live_server.url}/customers/")
    page.get_by_label("Email").fill("agent@shop.example")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/customers/")

    page.get_by_placeholder("Name, email, phone, @handle or order number").fill("dorothy@")
    page.locator("#results").get_by_text("1 customer", exact=True).wait_for()
    assert page.locator("#results").get_by_text("Someone Else").count() == 0
    page.get_by_role("link", name="Dorothy Vaughan").click()

    page.get_by_role("heading", name="Dorothy Vaughan").wait_for()
    assert page.get_by_text("R-2001").count() >= 1
    # The spend chart is drawn by a static script, so the content security policy lets it run.
    page.locator("#spend-chart[data-drawn='1']").wait_for()
    page.get_by_label("Note").fill("Asked for gift wrapping on every order")
    page.get_by_role("button", name="Add note").click()

    timeline = page.locator("#timeline")
    timeline.get_by_text("Asked for gift wrapping on every order").wait_for()
    assert timeline.locator("li.event").first.inner_text().count("Asked for gift wrapping") == 1
    # The note arrived in place (htmx), and stays after a reload.
    page.reload()
    page.locator("#timeline").get_by_text("Asked for gift wrapping on every order").wait_for()
    # Nothing was blocked by the content security policy, and no script failed.
    assert console_errors == []
    screenshot_dir = os.environ.get("RAPPORT_SCREENSHOT_DIR")
    if screenshot_dir:
        page.screenshot(path=os.path.join(screenshot_dir, "customer-360.png"), full_page=False)
