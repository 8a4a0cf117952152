"""An agent replaces a stolen parcel from the conversation within her limit; a bigger gesture waits for a
lead, who approves it from the queue in one click; the agent's conversation shows it approved."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.services import IdentityInput, create_customer
from rapport.desk.services.conversations import open_conversation
from rapport.recovery.models import ActionStatus, RecoveryAction
from rapport.recovery.tests.factories import PolicyFactory, an_order
from tests.browser.contexts import close_quietly
from tests.browser.steps import collect_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_replaces_a_stolen_parcel_and_a_lead_approves_the_gesture_above_her_limit(
    live_server: Any, page: Any, browser: Any
) -> None:
    PolicyFactory(role="agent", per_action_limit=Decimal("50"), per_customer_limit=Decimal("150"))
    PolicyFactory(role="lead", per_action_limit=Decimal("500"), per_customer_limit=Decimal("1000"))
    maria = UserFactory(email="maria@shop.example", role=Role.AGENT, full_name="Maria Lopez")
    UserFactory(email="lena@shop.example", role=Role.LEAD, full_name="Lena Berg")
    customer = create_customer(
        actor=None,
        name="Dorothy Vaughan",
        identities=[IdentityInput(kind="email", value="dorothy@example.org")],
    )
    order = an_order(customer, lines=[("Pocket multitool", 1, "24.00")], shipping="4.95", number="R-3001")
    conversation = open_conversation(
        actor=Actor(user=maria),
        customer=customer,
        channel="email",
        subject="My parcel was stolen",
        body_text="Tracking says delivered but a neighbour saw someone take it from my doorstep.",
        order_ids=[order.pk],
    )
    base = live_server.url
    errors: list[str] = []
    collect_errors(page, errors)

    # Maria opens the conversation: the recovery panel loads beside it with what she may grant alone.
    sign_in(page, base, "maria@shop.example")
    page.goto(f"{base}/desk/conversations/{conversation.pk}/")
    panel = page.locator("#recovery-panel")
    panel.get_by_text("Alone, agents may grant up to €50.00 per action").wait_for(state="attached")
    panel.get_by_text("No recoveries for Dorothy Vaughan in the last 12 months.").wait_for()

    # She sends a replacement of the multitool without a shipping charge: within her limit, approved at once.
    panel.get_by_text("Put it right…").click()
    panel.locator('select[name="kind"]').select_option("replacement")
    panel.locator('select[name="reason"]').select_option("lost_or_stolen")
    panel.get_by_role("checkbox", name="Pocket multitool").check()
    panel.get_by_label("No shipping charge").check()
    panel.get_by_role("button", name="Propose").click()
    panel.get_by_text("Approved: €28.95 replacement for order R-3001 (lost or stolen).").wait_for()
    replacement = panel.locator('.recovery-action[data-status="approved"]')
    expect(replacement).to_have_count(1)

    # The composer takes the suggested reply in one click.
    replacement.get_by_role("button", name="Insert into reply").click()
    expect(page.locator("#composer-body")).to_have_value(
        "We've sent a replacement for order R-3001; there is no charge for shipping."
    )

    # A goodwill credit of €80 is above her €50 per action: it waits for a lead, saying why.
    panel.get_by_text("Put it right…").click()
    panel.locator('select[name="kind"]').select_option("goodwill_credit")
    panel.locator('select[name="reason"]').select_option("our_mistake")
    panel.locator('input[name="amount"]').fill("80")
    panel.get_by_role("button", name="Propose").click()
    panel.get_by_text(
        "Waiting for a lead's approval: €80.00 goodwill credit or coupon (our mistake)."
    ).wait_for()
    waiting = panel.locator('.recovery-action[data-status="proposed"]')
    expect(waiting).to_contain_text("over the €50.00 per-action limit for agents")
    panel.get_by_text("1 recovery for Dorothy Vaughan in the last 12 months, €28.95 in total.").wait_for()

    # Lena, the lead, approves it from the queue in one click.
    lena_context = browser.new_context(viewport={"width": 1400, "height": 900})
    lena = lena_context.new_page()
    lena.set_default_timeout(10_000)
    lena_errors: list[str] = []
    collect_errors(lena, lena_errors)
    sign_in(lena, base, "lena@shop.example")
    lena.get_by_role("link", name="Recovery").click()
    row = lena.locator("tr.approval")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Maria Lopez")
    row.get_by_placeholder("Note (optional)").fill("Fine: she has waited long enough")
    row.get_by_role("button", name="Approve").click()
    lena.locator("tr.approval").get_by_text("Approved: €80.00 goodwill credit").wait_for()

    # Maria's conversation shows it approved, without her reloading.
    panel.locator('.recovery-action[data-status="proposed"]').wait_for(state="detached", timeout=15_000)
    approved = panel.locator(".recovery-action").filter(
        has_text="Approved by Lena Berg: Fine: she has waited long enough"
    )
    expect(approved).to_have_count(1)
    expect(approved).to_contain_text("We've added a credit of €80.00 to your account")
    panel.get_by_text("2 recoveries for Dorothy Vaughan in the last 12 months, €108.95 in total.").wait_for()

    actions = {action.kind: action for action in RecoveryAction.objects.all()}
    assert actions["replacement"].status == ActionStatus.APPROVED
    assert actions["replacement"].approved_automatically
    assert actions["goodwill_credit"].approved_by is not None
    assert actions["goodwill_credit"].approved_by.email == "lena@shop.example"

    screenshot_dir = os.environ.get("RAPPORT_SCREENSHOT_DIR")
    if screenshot_dir:
        page.screenshot(path=os.path.join(screenshot_dir, "recovery-panel.png"), full_page=True)
    close_quietly(lena_context)
    # Nothing was blocked by the content security policy, and no script failed, in either browser.
    assert errors == []
    assert lena_errors == []
