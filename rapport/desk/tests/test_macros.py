"""Macros: which ones someone may use, how their variables fill, and how their actions run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.commerce.tests.factories import OrderFactory, ShipmentFactory
from rapport.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import ConversationEvent, Macro, Message, MessageKind, Status
from rapport.desk.selectors.macros import access_macro, macros_for
from rapport.desk.services.conversations import receive_message
from rapport.desk.services.macros import (
    apply_macro,
    clean_macro_actions,
    render_macro,
    send_with_macro,
    unknown_variables,
    unresolved_variables,
)
from rapport.desk.tests.factories import MacroFactory, a_conversation

pytestmark = pytest.mark.django_db


def _agent(full_name: str = "Maria Lopez", **kwargs: object) -> Actor:
    return Actor(user=UserFactory(role=Role.AGENT, full_name=full_name, **kwargs))


# Rendering


def test_render_fills_customer_agent_and_conversation_variables() -> None:
    agent = _agent("Maria Lopez")
    conversation = a_conversation(
        actor=agent, customer=CustomerFactory(name="Dorothy Vaughan"), subject="Broken hinge"
    )
    macro = MacroFactory(
        body="Hi {{ customer.first_name }} ({{customer.name}}), about “{{ conversation.subject }}” "
        "[{{ conversation.token }}]. {{ agent.first_name }} / {{ agent.name }}"
    )

    text = render_macro(macro=macro, conversation=conversation, actor=agent)

    assert text == (
        f"Hi Dorothy (Dorothy Vaughan), about “Broken hinge” [{conversation.token}]. Maria / Maria Lopez"
    )


@pytest.mark.parametrize(
    "body",
    [
        "{{ customer.email }}",
        "{{ settings.SECRET_KEY }}",
        "{{ customer.name|upper }}",
        "{{ customer.identities.all }}",
        "{{ conversation.customer.associate.password }}",
    ],
)
def test_render_leaves_variables_outside_the_list_as_written(body: str) -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)

    text = render_macro(
        macro=MacroFactory(body=f"Before {body} after"), conversation=conversation, actor=agent
    )

    assert text == f"Before {body} after"
    assert unresolved_variables(text) == [body.strip("{} ")]


def test_render_runs_no_template_code() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    body = "{% load static %}{% debug %}{{ customer.first_name }}"
    conversation.customer.name = "Ada King"

    text = render_macro(macro=MacroFactory(body=body), conversation=conversation, actor=agent)

    assert text == "{% load static %}{% debug %}Ada"


def test_a_value_that_looks_like_a_variable_is_inserted_as_text_not_expanded() -> None:
    agent = _agent("Maria Lopez")
    conversation = a_conversation(actor=agent, customer=CustomerFactory(name="{{ agent.name }}"))

    text = render_macro(
        macro=MacroFactory(body="Dear {{ customer.name }}"), conversation=conversation, actor=agent
    )

    assert text == "Dear {{ agent.name }}"


def test_customer_without_a_name_leaves_the_variable_for_the_agent_to_fill() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent, customer=CustomerFactory(name=""))

    text = render_macro(
        macro=MacroFactory(body="Hello {{ customer.first_name }},"), conversation=conversation, actor=agent
    )

    assert text == "Hello {{ customer.first_name }},"
    assert unresolved_variables(text) == ["customer.first_name"]


def test_order_variables_come_from_the_linked_order_before_the_latest_one() -> None:
    agent = _agent()
    customer = CustomerFactory()
    linked = OrderFactory(
        customer=customer,
        number="R-1001",
        status="paid",
        total=Decimal("42.50"),
        currency="EUR",
        placed_at=timezone.now() - timedelta(days=30),
    )
    OrderFactory(customer=customer, number="R-2002")
    ShipmentFactory(order=linked, status="delivered", carrier="old", tracking_number="OLD1")
    ShipmentFactory(order=linked, status="in_transit", carrier="DHL", tracking_number="JD0042")
    conversation = a_conversation(actor=agent, customer=customer, order_ids=[linked.pk])
    macro = MacroFactory(
        body="{{ order.number }} {{ order.status }} {{ order.total }} "
        "{{ order.shipment_status }} {{ order.carrier }} {{ order.tracking_number }}"
    )

    text = render_macro(macro=macro, conversation=conversation, actor=agent)

    assert text == "R-1001 Paid 42.50 EUR In transit DHL JD0042"


def test_order_variables_fall_back_to_the_customers_latest_order() -> None:
    agent = _agent()
    customer = CustomerFactory()
    OrderFactory(customer=customer, number="R-1", placed_at=timezone.now() - timedelta(days=9))
    OrderFactory(customer=customer, number="R-2", placed_at=timezone.now() - timedelta(days=1))
    conversation = a_conversation(actor=agent, customer=customer)

    text = render_macro(
        macro=MacroFactory(body="Order {{ order.number }}: {{ order.tracking_number }}"),
        conversation=conversation,
        actor=agent,
    )

    # No shipment yet: the tracking number stays visibly unfilled.
    assert text == "Order R-2: {{ order.tracking_number }}"


def test_order_variables_stay_unfilled_for_a_customer_without_orders() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)

    text = render_macro(
        macro=MacroFactory(body="Your order {{ order.number }}"), conversation=conversation, actor=agent
    )

    assert text == "Your order {{ order.number }}"


def test_unknown_variables_are_reported_for_the_macro_editor() -> None:
    assert unknown_variables("{{ customer.name }} {{ customer.email }} {{order.number}} {{ x|y }}") == [
        "customer.email",
        "x|y",
    ]


# Actions


@pytest.mark.parametrize(
    "actions",
    [
        {"status": "closed"},
        {"status": "snoozed"},
        {"priority": "whenever"},
        {"add_tags": "refund"},
        {"add_tags": [1, 2]},
        {"assign": "them"},
        {"assign": True},
        {"assign": -3},
        {"delete": True},
        ["status", "open"],
    ],
)
def test_invalid_actions_are_refused(actions: object) -> None:
    with pytest.raises(ValidationFailed) as raised:
        clean_macro_actions(actions)

    assert raised.value.code == "invalid_macro_actions"


def test_actions_are_cleaned_and_described() -> None:
    actions = clean_macro_actions(
        {"status": "resolved", "priority": "high", "add_tags": [" Refund ", "refund", "VIP"], "assign": "me"}
    )

    assert actions.add_tags == ("refund", "vip")
    assert actions.describe() == [
        "set priority to high",
        "add tags refund, vip",
        "assign to you",
        "set status to resolved",
    ]


def test_apply_macro_runs_every_action_counts_the_use_and_records_it() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    macro = MacroFactory(
        name="Refund issued",
        actions={"status": "pending", "priority": "high", "add_tags": ["refund"], "assign": "me"},
    )

    result = apply_macro(actor=agent, macro=macro, conversation=conversation)

    result.refresh_from_db()
    assert result.status == Status.PENDING
    assert result.priority == "high"
    assert [tag.name for tag in result.tags.all()] == ["refund"]
    assert result.assignee == agent.user
    macro.refresh_from_db()
    assert macro.usage_count == 1
    kinds = list(ConversationEvent.objects.filter(conversation=conversation).values_list("kind", flat=True))
    assert kinds[-5:] == [
        "conversation.priority_changed",
        "conversation.tags_changed",
        "conversation.assigned",
        "conversation.status_changed",
        "macro.applied",
    ]
    assert ConversationEvent.objects.get(kind="macro.applied").summary == "Macro used: Refund issued"


def test_apply_macro_is_all_or_nothing_when_an_action_is_refused() -> None:
    agent = _agent()
    someone_else = UserFactory(role=Role.AGENT)
    conversation = a_conversation(actor=agent)
    macro = MacroFactory(actions={"priority": "urgent", "add_tags": ["escalated"], "assign": someone_else.pk})

    with pytest.raises(PermissionDenied):
        apply_macro(actor=agent, macro=macro, conversation=conversation)

    conversation.refresh_from_db()
    assert conversation.priority == "normal"
    assert conversation.tags.count() == 0
    assert Macro.objects.get(pk=macro.pk).usage_count == 0
    assert not ConversationEvent.objects.filter(
        kind__in=["macro.applied", "conversation.priority_changed"]
    ).exists()


def test_a_lead_macro_may_assign_to_a_colleague() -> None:
    lead = Actor(user=UserFactory(role=Role.LEAD))
    colleague = UserFactory(role=Role.AGENT)
    conversation = a_conversation(actor=lead)

    apply_macro(actor=lead, macro=MacroFactory(actions={"assign": colleague.pk}), conversation=conversation)

    conversation.refresh_from_db()
    assert conversation.assignee == colleague


def test_an_analyst_cannot_apply_a_macro() -> None:
    analyst = Actor(user=UserFactory(role=Role.ANALYST))
    conversation = a_conversation()

    with pytest.raises(PermissionDenied):
        apply_macro(
            actor=analyst, macro=MacroFactory(actions={"status": "pending"}), conversation=conversation
        )


def test_send_with_macro_replies_then_runs_the_actions() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    macro = MacroFactory(actions={"status": "resolved", "add_tags": ["answered"]})

    message = send_with_macro(
        actor=agent, conversation=conversation, macro=macro, kind=MessageKind.OUTBOUND, body_text="Done!"
    )

    conversation.refresh_from_db()
    assert message.kind == MessageKind.OUTBOUND
    assert conversation.status == Status.RESOLVED
    assert [tag.name for tag in conversation.tags.all()] == ["answered"]
    assert conversation.first_response_at is not None


def test_the_status_button_wins_over_the_macros_status() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    macro = MacroFactory(actions={"status": "resolved", "priority": "low"})

    send_with_macro(
        actor=agent,
        conversation=conversation,
        macro=macro,
        kind=MessageKind.OUTBOUND,
        body_text="We'll wait for your photos.",
        then_status=Status.PENDING,
    )

    conversation.refresh_from_db()
    assert conversation.status == Status.PENDING
    assert conversation.priority == "low"


def test_a_refused_reply_applies_none_of_the_macros_actions() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    seen = conversation.last_inbound_at
    receive_message(conversation=conversation, body_text="Any news?")
    macro = MacroFactory(actions={"status": "resolved", "add_tags": ["answered"]})

    with pytest.raises(Conflict) as raised:
        send_with_macro(
            actor=agent,
            conversation=conversation,
            macro=macro,
            kind=MessageKind.OUTBOUND,
            body_text="Shipped!",
            seen_inbound_at=seen,
        )

    assert raised.value.code == "newer_customer_message"
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW
    assert conversation.tags.count() == 0
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.OUTBOUND).count() == 0
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_a_note_with_a_macro_applies_its_actions_but_never_a_status_button() -> None:
    agent = _agent()
    conversation = a_conversation(actor=agent)
    macro = MacroFactory(actions={"add_tags": ["escalated"]})

    send_with_macro(
        actor=agent, conversation=conversation, macro=macro, kind=MessageKind.NOTE, body_text="Asked the lead"
    )
    with pytest.raises(ValidationFailed):
        send_with_macro(
            actor=agent,
            conversation=conversation,
            macro=macro,
            kind=MessageKind.NOTE,
            body_text="Again",
            then_status=Status.RESOLVED,
        )

    assert [tag.name for tag in conversation.tags.all()] == ["escalated"]
    assert Message.objects.filter(conversation=conversation, kind=MessageKind.NOTE).count() == 1


# Who may use which macro


def test_macros_for_lists_shared_and_own_team_macros_only() -> None:
    mine, theirs = TeamFactory(), TeamFactory()
    agent = _agent(team=mine)
    MacroFactory(name="Shared")
    MacroFactory(name="Ours", team=mine)
    MacroFactory(name="Theirs", team=theirs)
    MacroFactory(name="Retired", is_active=False)

    assert [m.name for m in macros_for(agent)] == ["Ours", "Shared"]


def test_macros_for_includes_the_conversations_team() -> None:
    mine, theirs = TeamFactory(), TeamFactory()
    agent = _agent(team=mine)
    MacroFactory(name="Theirs", team=theirs)
    conversation = a_conversation(actor=agent, team=theirs)

    assert [m.name for m in macros_for(agent, conversation)] == ["Theirs"]
    assert (
        access_macro(agent, Macro.objects.get(name="Theirs").pk, conversation=conversation).name == "Theirs"
    )


def test_admins_see_every_teams_macros() -> None:
    admin = Actor(user=UserFactory(role=Role.ADMIN))
    MacroFactory(name="A", team=TeamFactory())
    MacroFactory(name="B", team=TeamFactory())

    assert [m.name for m in macros_for(admin)] == ["A", "B"]


def test_another_teams_macro_is_not_found() -> None:
    agent = _agent(team=TeamFactory())
    macro = MacroFactory(team=TeamFactory())

    with pytest.raises(NotFound) as raised:
        access_macro(agent, macro.pk)

    assert raised.value.code == "macro_not_found"
