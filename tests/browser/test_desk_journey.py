"""An agent works a conversation from the inbox (macro, reply, resolve); a colleague sees the collision."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import expect

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.commerce.services import LineInput, upsert_order
from rapport.commerce.tests.factories import ProductFactory, ShipmentFactory
from rapport.customers.services import IdentityInput, create_customer
from rapport.desk.models import Conversation, MessageKind, Status
from rapport.desk.services.conversations import open_conversation, receive_message
from rapport.desk.tests.factories import MacroFactory
from tests.browser.contexts import close_quietly
from tests.browser.steps import collect_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_answers_with_a_macro_and_resolves_while_a_colleague_sees_the_collision(
    live_server: Any, page: Any, browser: Any
) -> None:
    maria = UserFactory(email="maria@shop.example", role=Role.AGENT, full_name="Maria Lopez")
    UserFactory(email="sam@shop.example", role=Role.AGENT, full_name="Sam Jones")
    customer = create_customer(
        actor=None,
        name="Dorothy Vaughan",
        identities=[IdentityInput(kind="email", value="dorothy@example.org")],
    )
    ProductFactory(sku="MT-9", name="Pocket multitool")
    order, _ = upsert_order(
        actor=None, customer=customer, number="R-2001", lines=[LineInput(sku="MT-9", quantity=1)]
    )
    ShipmentFactory(order=order, status="in_transit", carrier="DHL", tracking_number="JD0042")
    conversation = open_conversation(
        actor=Actor(user=maria),
        customer=customer,
        channel="email",
        subject="Where is my multitool?",
        body_text="I ordered a week ago and nothing has arrived.",
    )
    MacroFactory(
        name="Shipping update",
        body="Hi {{ customer.first_name }}, your order {{ order.number }} is {{ order.shipment_status }} "
        "with {{ order.carrier }} ({{ order.tracking_number }}). {{ agent.first_name }}",
        actions={"add_tags": ["shipping"]},
    )
    base = live_server.url
    maria_errors: list[str] = []
    sam_errors: list[str] = []
    collect_errors(page, maria_errors)

    # Maria opens the inbox and the conversation from it.
    sign_in(page, base, "maria@shop.example")
    page.get_by_role("link", name="Where is my multitool?").click()
    page.get_by_role("heading", name="Where is my multitool?").wait_for()
    assert page.locator("#thread").get_by_text("I ordered a week ago and nothing has arrived.").count() == 1

    # Sam, in another browser, opens the same conversation and is warned that Maria is on it.
    sam_context = browser.new_context(viewport={"width": 1400, "height": 900})
    sam = sam_context.new_page()
    sam.set_default_timeout(10_000)
    collect_errors(sam, sam_errors)
    sign_in(sam, base, "sam@shop.example")
    sam.goto(f"{base}/desk/conversations/{conversation.pk}/")
    sam.locator("#collision").get_by_text("Maria Lopez is viewing").wait_for()

    # Maria opens the macros with their shortcut and picks one: the composer fills with the
    # customer's and the order's details.
    page.keyboard.press("m")
    page.get_by_role("link", name="Shipping update").click()
    composer = page.locator("#composer-body")
    expected = "Hi Dorothy, your order R-2001 is In transit with DHL (JD0042). Maria"
    expect(composer).to_have_value(expected)
    page.get_by_text("Using the macro").wait_for()

    # Typing reaches Sam's page as "typing a reply" (his page asks every ten seconds).
    composer.press("End")
    composer.type(" Best wishes.")
    sam.locator("#collision").get_by_text("Maria Lopez is typing a reply").wait_for(timeout=15_000)

    # Send and resolve in one step: the thread, the status and the macro's tag update in place.
    page.get_by_role("button", name="Send + resolve").click()
    page.locator("#thread .msg.outbound").get_by_text("Best wishes.").wait_for()
    page.locator("#conv-header .conv-status.resolved").wait_for()
    assert page.locator("#conv-header .tags").get_by_text("shipping").count() == 1
    assert page.locator("#composer-body").input_value() == ""

    conversation.refresh_from_db()
    assert conversation.status == Status.RESOLVED
    sent = conversation.messages.get(kind=MessageKind.OUTBOUND)
    assert sent.body_text == f"{expected} Best wishes."
    assert sent.author == maria
    assert Conversation.objects.get(pk=conversation.pk).tags.get().name == "shipping"

    screenshot_dir = os.environ.get("RAPPORT_SCREENSHOT_DIR")
    if screenshot_dir:
        sam.screenshot(path=os.path.join(screenshot_dir, "desk-collision.png"), full_page=False)
        page.screenshot(path=os.path.join(screenshot_dir, "desk-conversation.png"), full_page=True)
    close_quietly(sam_context)
    # Nothing was blocked by the content security policy, and no script failed, in either browser.
    assert maria_errors == []
    assert sam_errors == []


def test_a_reply_over_a_new_customer_message_asks_first_and_keeps_draft_and_files(
    live_server: Any, page: Any, tmp_path: Any
) -> None:
    maria = UserFactory(email="maria@shop.example", role=Role.AGENT, full_name="Maria Lopez")
    customer = create_customer(
        actor=None, name="Dorothy Vaughan", identities=[IdentityInput(kind="email", value="d@example.org")]
    )
    conversation = open_conversation(
        actor=Actor(user=maria), customer=customer, channel="email", body_text="Where is my parcel?"
    )
    errors: list[str] = []
    collect_errors(page, errors)
    sign_in(page, live_server.url, "maria@shop.example")
    page.goto(f"{live_server.url}/desk/conversations/{conversation.pk}/")
    page.locator("#composer-body").fill("It is on its way.")
    label = tmp_path / "label.txt"
    label.write_text("tracking JD0042")
    page.locator("#id_attachments").set_input_files(str(label))

    # The customer writes while Maria is still on the page. The test writes from its own thread, and the
    # in-memory test database refuses (rather than waits for) a request that meets that write, so the
    # write waits until the page's first presence poll is done; the next comes ten seconds later.
    page.wait_for_load_state("networkidle")
    receive_message(conversation=conversation, body_text="Actually, please cancel it.")
    page.get_by_role("button", name="Send", exact=True).click()

    page.get_by_text("The customer wrote again while you were writing").wait_for()
    page.locator("#thread").get_by_text("Actually, please cancel it.").wait_for()
    assert page.locator("#composer-body").input_value() == "It is on its way."
    assert not conversation.messages.filter(kind=MessageKind.OUTBOUND).exists()

    page.get_by_role("button", name="Send anyway").click()
    reply = page.locator("#thread .msg.outbound")
    reply.get_by_text("It is on its way.").wait_for()
    # The file chosen before the question went with the reply: the form was never redrawn.
    reply.get_by_role("link", name="label.txt").wait_for()
    # The refused attempt is a 409, which Chromium itself reports; no script failed.
    assert errors == ["Failed to load resource: the server responded with a status of 409 (Conflict)"]
