"""The conversation page's details card: people in copy, linked orders and custom fields, shown and edited."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.commerce.models import Order
from rapport.commerce.tests.factories import OrderFactory, ShipmentFactory
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, ConversationEvent, CustomField
from rapport.desk.services.conversations import receive_message, reply, update_details
from rapport.desk.services.merge import merge_conversations
from rapport.desk.tests.factories import CustomFieldFactory, TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _agent() -> Actor:
    return Actor(user=UserFactory(role=Role.AGENT))


def _page(conversation: Conversation) -> str:
    return reverse("desk:conversation", args=[conversation.pk])


def _save(conversation: Conversation) -> str:
    return reverse("desk:conversation_details", args=[conversation.pk])


def _card(html: str) -> str:
    found = re.search(r'<section class="card conv-details".*?</section>', html, re.S)
    assert found is not None, "no details card"
    return found.group(0)


def _fields() -> dict[str, CustomField]:
    """One field of each kind, in the admin's order."""
    return {
        "reason": CustomFieldFactory(key="reason", label="Reason", kind="text", position=1),
        "refund": CustomFieldFactory(key="refund", label="Refund amount", kind="number", position=2),
        "channel": CustomFieldFactory(
            key="channel", label="Bought in", kind="choice", choices=["shop", "online"], position=3
        ),
        "promised": CustomFieldFactory(key="promised", label="Promised for", kind="date", position=4),
    }


def _form(conversation: Conversation, **changes: Any) -> dict[str, Any]:
    """What the browser posts for the card as drawn, with the given changes."""
    data: dict[str, Any] = {
        "subject": conversation.subject,
        "participants": "\n".join(conversation.participants),
        "orders_listed": "True",
        "orders": list(conversation.orders.values_list("pk", flat=True)),
    }
    for field in CustomField.objects.filter(is_active=True):
        value = conversation.custom_fields.get(field.key)
        data[f"cf_{field.key}"] = "" if value is None else str(value)
    data.update(changes)
    return data


def _updated_events(conversation: Conversation) -> int:
    return ConversationEvent.objects.filter(conversation=conversation, kind="conversation.updated").count()


# Editing each kind of detail


def test_a_new_subject_shows_in_the_header_and_the_change_in_the_thread() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent, subject="Parcel")

    response = _signed_in(agent.user).post(
        _save(conversation), _form(conversation, subject="  Parcel lost in Leeds  "), **HX
    )

    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.subject == "Parcel lost in Leeds"
    assert "Details saved." in _card(response.text)
    assert re.search(
        r'id="conv-header" hx-swap-oob="true">.*<h1>Parcel lost in Leeds</h1>', response.text, re.S
    )
    assert re.search(r'id="thread"[^>]*hx-swap-oob="true">.*Changed subject', response.text, re.S)
    assert _updated_events(conversation) == 1


def test_people_in_copy_are_taken_one_per_line_or_comma_separated() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    client = _signed_in(agent.user)

    client.post(
        _save(conversation),
        _form(
            conversation, participants="Ana@Example.com\r\nbo@example.org, cy@example.net;\r\nana@example.com"
        ),
        **HX,
    )

    conversation.refresh_from_db()
    assert conversation.participants == ["ana@example.com", "bo@example.org", "cy@example.net"]
    card = _card(client.get(_page(conversation)).text)
    assert "<span>ana@example.com</span><span>bo@example.org</span><span>cy@example.net</span>" in card
    assert ">\nana@example.com\nbo@example.org\ncy@example.net</textarea>" in card


def test_clearing_the_people_in_copy_leaves_nobody() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent, participants=["ana@example.com"])

    _signed_in(agent.user).post(_save(conversation), _form(conversation, participants=""), **HX)

    conversation.refresh_from_db()
    assert conversation.participants == []


def test_the_customers_orders_are_offered_and_linked_ones_show_their_shipment() -> None:
    agent = _agent()
    customer = CustomerFactory()
    shipped = OrderFactory(customer=customer, number="R-701")
    ShipmentFactory(order=shipped, status="in_transit", carrier="DPD", tracking_number="DP42")
    OrderFactory(customer=customer, number="R-702")
    OrderFactory(number="R-999")  # someone else's
    conversation = a_conversation(actor=agent, customer=customer)
    client = _signed_in(agent.user)

    offered = _card(client.get(_page(conversation)).text)
    response = client.post(_save(conversation), _form(conversation, orders=[shipped.pk]), **HX)

    assert "R-701" in offered
    assert "R-702" in offered
    assert "R-999" not in offered
    assert list(conversation.orders.all()) == [shipped]
    linked = re.search(r'class="plain side-orders linked-orders">(.*?)</ul>', _card(response.text), re.S)
    assert linked is not None
    assert "R-701" in linked.group(1)
    assert "In transit" in linked.group(1)
    assert "DPD DP42" in linked.group(1)
    assert "R-702" not in linked.group(1)
    assert f'value="{shipped.pk}" checked' in _card(response.text)


def test_unticking_every_order_unlinks_them() -> None:
    agent = _agent()
    customer = CustomerFactory()
    order = OrderFactory(customer=customer)
    conversation = a_conversation(actor=agent, customer=customer, order_ids=[order.pk])

    _signed_in(agent.user).post(_save(conversation), {**_form(conversation), "orders": []}, **HX)

    assert conversation.orders.count() == 0


def test_an_old_linked_order_stays_ticked_beyond_the_recent_ones() -> None:
    agent = _agent()
    customer = CustomerFactory()
    old = OrderFactory(customer=customer, number="R-OLD", placed_at=timezone.now() - timedelta(days=900))
    for _ in range(20):
        OrderFactory(customer=customer)
    conversation = a_conversation(actor=agent, customer=customer, order_ids=[old.pk])

    card = _card(_signed_in(agent.user).get(_page(conversation)).text)

    assert card.count('type="checkbox" name="orders"') == 21
    assert f'value="{old.pk}" checked' in card


def test_custom_fields_of_each_kind_are_drawn_as_their_kind_and_saved() -> None:
    agent = _agent()
    _fields()
    conversation = a_conversation(actor=agent)
    client = _signed_in(agent.user)

    drawn = _card(client.get(_page(conversation)).text)
    response = client.post(
        _save(conversation),
        _form(
            conversation,
            cf_reason="Damaged in transit",
            cf_refund="12.50",
            cf_channel="online",
            cf_promised="2030-05-01",
        ),
        **HX,
    )

    assert re.search(r'<input type="text" name="cf_reason"', drawn)
    assert re.search(r'<input type="number" name="cf_refund"[^>]*step="any"', drawn)
    assert re.search(r'<select name="cf_channel"[^>]*>\s*<option value="" selected>—</option>', drawn)
    assert '<option value="online">online</option>' in drawn
    assert re.search(r'<input type="date" name="cf_promised"', drawn)
    assert drawn.index("Reason") < drawn.index("Refund amount") < drawn.index("Bought in")
    conversation.refresh_from_db()
    assert conversation.custom_fields == {
        "reason": "Damaged in transit",
        "refund": "12.50",
        "channel": "online",
        "promised": "2030-05-01",
    }
    card = _card(response.text)
    assert "<dt>Refund amount</dt>" in card
    assert '<option value="online" selected>online</option>' in card
    assert "Changed custom fields" in response.text


def test_a_switched_off_field_is_neither_shown_nor_touched() -> None:
    agent = _agent()
    CustomFieldFactory(key="old", label="Legacy code", kind="text", is_active=False)
    conversation = a_conversation(actor=agent)
    Conversation.objects.filter(pk=conversation.pk).update(custom_fields={"old": "X1"})
    conversation.refresh_from_db()
    client = _signed_in(agent.user)

    card = _card(client.get(_page(conversation)).text)
    client.post(_save(conversation), _form(conversation, subject="New"), **HX)

    assert "Legacy code" not in card
    conversation.refresh_from_db()
    assert conversation.custom_fields == {"old": "X1"}


def test_a_choice_the_admin_removed_is_kept_when_other_details_are_saved() -> None:
    agent = _agent()
    field = CustomFieldFactory(key="tier", label="Tier", kind="choice", choices=["gold", "silver"])
    conversation = a_conversation(actor=agent, custom_fields={"tier": "gold"})
    field.choices = ["silver"]
    field.save()
    client = _signed_in(agent.user)

    card = _card(client.get(_page(conversation)).text)
    response = client.post(_save(conversation), _form(conversation, subject="Still gold"), **HX)

    assert '<option value="gold" selected>gold (no longer offered)</option>' in card
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert (conversation.subject, conversation.custom_fields) == ("Still gold", {"tier": "gold"})


def test_saving_the_card_untouched_records_no_change() -> None:
    agent = _agent()
    _fields()
    customer = CustomerFactory()
    order = OrderFactory(customer=customer)
    conversation = a_conversation(
        actor=agent,
        customer=customer,
        participants=["ana@example.com"],
        order_ids=[order.pk],
        custom_fields={"refund": "3.5", "promised": "2030-01-02", "channel": "shop"},
    )

    response = _signed_in(agent.user).post(_save(conversation), _form(conversation), **HX)

    assert response.status_code == 200
    assert _updated_events(conversation) == 0


# Refusals: the reason next to the field, nothing saved


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("cf_refund", "twelve", "Enter a number, such as 12 or 4.5."),
        ("cf_channel", "by post", "Choose one of shop, online."),
        ("cf_promised", "2030-13-45", "Enter a date as YYYY-MM-DD."),
    ],
)
def test_an_invalid_custom_field_is_explained_next_to_it_and_nothing_is_saved(
    name: str, value: str, error: str
) -> None:
    agent = _agent()
    _fields()
    conversation = a_conversation(actor=agent, subject="Parcel")

    response = _signed_in(agent.user).post(
        _save(conversation),
        _form(conversation, **{name: value, "subject": "Changed", "cf_reason": "Late"}),
        **HX,
    )

    assert response.status_code == 422
    card = _card(response.text)
    assert '<details class="details-edit" id="details-edit" open>' in card
    assert re.search(
        rf'name="{name}"[^>]*>(?:.*?</select>)?\s*<p class="error" role="alert">{re.escape(error)}</p>',
        card,
        re.S,
    )
    assert 'value="Changed"' in card  # what was typed comes back
    conversation.refresh_from_db()
    assert (conversation.subject, conversation.custom_fields) == ("Parcel", {})
    assert _updated_events(conversation) == 0


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"participants": "ana@example.com, not-an-address"}, "participants", "is not an email address"),
        (
            {"participants": "\n".join(f"p{n}@example.com" for n in range(21))},
            "participants",
            "At most 20 people in copy.",
        ),
        ({"subject": "x" * 301}, "subject", "A subject may hold at most 300 characters."),
    ],
)
def test_bad_subject_or_people_in_copy_are_explained_and_nothing_is_saved(
    changes: dict[str, str], field: str, error: str
) -> None:
    agent = _agent()
    _fields()
    conversation = a_conversation(actor=agent, subject="Parcel")

    response = _signed_in(agent.user).post(
        _save(conversation), _form(conversation, cf_reason="Late", **changes), **HX
    )

    assert response.status_code == 422
    assert re.search(
        rf'name="{field}".*?<p class="error" role="alert">[^<]*{re.escape(error)}', _card(response.text), re.S
    )
    conversation.refresh_from_db()
    assert (conversation.subject, conversation.participants, conversation.custom_fields) == ("Parcel", [], {})


def test_another_customers_order_is_refused() -> None:
    agent = _agent()
    customer = CustomerFactory()
    own = OrderFactory(customer=customer)
    theirs = OrderFactory(customer=CustomerFactory(), number="R-THEIRS")
    conversation = a_conversation(actor=agent, customer=customer, subject="Parcel")

    response = _signed_in(agent.user).post(
        _save(conversation), _form(conversation, orders=[own.pk, theirs.pk], subject="Changed"), **HX
    )

    assert response.status_code == 422
    assert "Orders can only be linked to a conversation of the same customer." in _card(response.text)
    assert "R-THEIRS" not in response.text
    conversation.refresh_from_db()
    assert conversation.subject == "Parcel"
    assert conversation.orders.count() == 0


def test_order_ids_that_are_not_numbers_are_refused() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)

    response = _signed_in(agent.user).post(_save(conversation), _form(conversation, orders=["1; drop"]), **HX)

    assert response.status_code == 422
    assert "Choose orders from the list." in _card(response.text)


def test_a_conversation_merged_away_meanwhile_is_not_changed() -> None:
    agent = _agent()
    customer = CustomerFactory()
    survivor = a_conversation(actor=agent, customer=customer)
    merged = a_conversation(actor=agent, customer=customer, subject="Parcel")
    merge_conversations(actor=agent, source=merged, target=survivor)

    response = _signed_in(agent.user).post(_save(merged), _form(merged, subject="Changed"), **HX)

    assert response.status_code == 409
    assert "This conversation was merged into another." in _card(response.text)
    merged.refresh_from_db()
    assert merged.subject == "Parcel"


# Without JavaScript


def test_without_htmx_saving_goes_back_to_the_page_with_a_message() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    client = _signed_in(agent.user)

    response = client.post(_save(conversation), _form(conversation, subject="Refund asked"))

    assert response.status_code == 302
    assert response["Location"] == _page(conversation) + "#conv-details"
    page = client.get(response["Location"]).text
    assert "Details saved." in page
    assert "<h1>Refund asked</h1>" in page


def test_without_htmx_a_refusal_draws_the_page_with_the_form_open_and_filled() -> None:
    agent = _agent()
    _fields()
    conversation = a_conversation(actor=agent, subject="Parcel")

    response = _signed_in(agent.user).post(
        _save(conversation), _form(conversation, subject="Changed", cf_refund="lots")
    )

    assert response.status_code == 422
    assert "<h1>Parcel</h1>" in response.text
    card = _card(response.text)
    assert "open>" in card
    assert 'value="Changed"' in card
    assert 'value="lots"' in card
    assert "Enter a number, such as 12 or 4.5." in card


# Who may see and change the details


def test_an_analyst_sees_the_details_but_no_form() -> None:
    _fields()
    customer = CustomerFactory()
    order = OrderFactory(customer=customer, number="R-808")
    conversation = a_conversation(
        customer=customer,
        participants=["ana@example.com"],
        order_ids=[order.pk],
        custom_fields={"refund": "9.99", "channel": "shop"},
    )

    card = _card(_signed_in(UserFactory(role=Role.ANALYST)).get(_page(conversation)).text)

    assert "ana@example.com" in card
    assert "R-808" in card
    assert '<dt>Refund amount</dt>\n    <dd class="custom-field number">9.99</dd>' in card
    assert "<form" not in card
    assert "Edit details" not in card


def test_an_analyst_may_not_change_the_details() -> None:
    conversation = a_conversation(subject="Parcel")

    response = _signed_in(UserFactory(role=Role.ANALYST)).post(
        _save(conversation), _form(conversation, subject="Changed"), **HX
    )

    assert response.status_code == 403
    conversation.refresh_from_db()
    assert conversation.subject == "Parcel"
    assert _updated_events(conversation) == 0


def test_an_agent_of_another_team_cannot_find_a_private_teams_conversation() -> None:
    team = TeamFactory()
    TeamDeskFactory(team=team, is_private=True)
    conversation = a_conversation(actor=Actor(user=UserFactory(role=Role.AGENT, team=team)), team=team)
    outsider = _signed_in(UserFactory(role=Role.AGENT, team=TeamFactory()))

    assert outsider.get(_page(conversation)).status_code == 404
    assert outsider.post(_save(conversation), {"subject": "Mine now"}, **HX).status_code == 404
    conversation.refresh_from_db()
    assert conversation.subject != "Mine now"


def test_a_signed_out_visitor_is_sent_to_sign_in() -> None:
    conversation = a_conversation(subject="Parcel")

    response = Client().post(_save(conversation), {"subject": "Changed"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    conversation.refresh_from_db()
    assert conversation.subject == "Parcel"


def test_the_form_cannot_be_read_with_a_get() -> None:
    conversation = a_conversation()

    assert _signed_in(_agent().user).get(_save(conversation)).status_code == 405


# Queries


def _conversation_with(messages: int, linked: int, agent: Actor) -> Conversation:
    customer: Customer = CustomerFactory()
    orders: list[Order] = []
    for _ in range(linked):
        order = OrderFactory(customer=customer)
        ShipmentFactory(order=order)
        ShipmentFactory(order=order, status="delivered")
        orders.append(order)
    conversation = a_conversation(actor=agent, customer=customer)
    update_details(
        actor=agent,
        conversation=conversation,
        participants=[f"p{n}@example.com" for n in range(min(linked, 20))],
        order_ids=[order.pk for order in orders],
        custom_fields={"reason": "Late", "refund": "1", "channel": "shop", "promised": "2030-01-01"},
    )
    for n in range(messages - 1):
        if n % 2:
            reply(actor=agent, conversation=conversation, body_text=f"reply {n}")
        else:
            receive_message(conversation=conversation, body_text=f"inbound {n}")
    return conversation


def test_the_details_add_no_queries_per_message_order_or_field() -> None:
    _fields()

    def count_for(messages: int, linked: int) -> int:
        agent = _agent()
        conversation = _conversation_with(messages, linked, agent)
        client = _signed_in(agent.user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_page(conversation))
        assert response.status_code == 200
        assert _card(response.text).count('name="orders"') == linked
        return len(queries)

    few, many = count_for(3, 2), count_for(30, 25)

    assert few == many
    assert many <= 25
