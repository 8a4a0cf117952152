"""The outbox: events are written in the change's own transaction, only for subscribers, with payloads."""

from __future__ import annotations

import pytest
from django.db import transaction

from rapport.accounts.permissions import Actor
from rapport.customers.identities import IdentityInput
from rapport.customers.models import Customer, TimelineEvent
from rapport.customers.services import add_tag, create_customer, merge_customers
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Status
from rapport.desk.services.conversations import change_status, receive_message, reply
from rapport.desk.services.routing import assign_conversation
from rapport.desk.tests.factories import a_conversation
from rapport.webhooks.catalogue import event_type_for_kind, register_event_type
from rapport.webhooks.models import Delivery, DeliveryStatus, OutboxEvent
from rapport.webhooks.services.outbox import new_event_id, publish_timeline_event, record_outbox_event
from rapport.webhooks.tests.factories import EndpointFactory, subscribe

pytestmark = pytest.mark.django_db


def test_a_change_writes_one_event_and_one_pending_delivery_per_subscribed_endpoint(admin: Actor) -> None:
    first = subscribe(EndpointFactory(), "customer.created")
    second = subscribe(EndpointFactory(), "customer.created", "customer.merged")
    subscribe(EndpointFactory(), "conversation.opened")
    subscribe(EndpointFactory(is_active=False), "customer.created")

    customer = create_customer(
        actor=admin, name="Ada Lovelace", identities=[IdentityInput(kind="email", value="ada@example.org")]
    )

    event = OutboxEvent.objects.get()
    assert event.type == "customer.created"
    assert event.event_id.startswith("msg_")
    assert (event.subject_type, event.subject_id) == ("", "")
    assert event.payload["customer"]["id"] == customer.pk
    assert event.payload["customer"]["emails"] == ["ada@example.org"]
    assert sorted(Delivery.objects.values_list("endpoint_id", "status")) == [
        (first.pk, DeliveryStatus.PENDING),
        (second.pk, DeliveryStatus.PENDING),
    ]


def test_a_rolled_back_change_leaves_no_event(admin: Actor) -> None:
    subscribe(EndpointFactory(), "customer.created")

    written = []

    def change_that_fails() -> None:
        with transaction.atomic():
            create_customer(actor=admin, name="Never committed")
            written.append(OutboxEvent.objects.count())
            raise RuntimeError("the change fails after the event was written")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert written == [1]
    assert OutboxEvent.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_nobody_subscribed_costs_one_query_and_writes_nothing(
    admin: Actor, django_assert_num_queries: object
) -> None:
    subscribe(EndpointFactory(), "conversation.opened")
    customer = CustomerFactory()
    row = TimelineEvent.objects.create(customer=customer, kind="customer.created", summary="Customer created")

    with django_assert_num_queries(1):  # type: ignore[operator]
        record_outbox_event(row)

    assert OutboxEvent.objects.count() == 0


def test_a_kind_outside_the_catalogue_costs_no_query(django_assert_num_queries: object) -> None:
    row = TimelineEvent.objects.create(customer=CustomerFactory(), kind="sla.breached", summary="Breached")

    with django_assert_num_queries(0):  # type: ignore[operator]
        record_outbox_event(row)


def test_deliveries_are_queued_only_after_the_commit(
    admin: Actor, django_capture_on_commit_callbacks: object
) -> None:
    subscribe(EndpointFactory(), "customer.created")

    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[operator]
        create_customer(actor=admin, name="Grace Hopper")

    assert len(callbacks) == 1


def test_event_ids_are_unique_and_sort_by_time() -> None:
    ids = [new_event_id() for _ in range(500)]

    assert len(set(ids)) == 500
    assert all(len(event_id) == 30 and event_id.startswith("msg_") for event_id in ids)


def _events(endpoint_types: tuple[str, ...]) -> None:
    subscribe(EndpointFactory(), *endpoint_types)


def test_conversation_events_carry_the_conversation_and_the_change(admin: Actor, agent: Actor) -> None:
    _events(("conversation.opened", "conversation.status_changed", "conversation.assigned"))
    conversation = a_conversation(actor=agent, subject="Parcel never came")

    assign_conversation(actor=admin, conversation=conversation, assignee=agent.user)
    change_status(actor=agent, conversation=conversation, status=Status.RESOLVED)

    opened, assigned, resolved = OutboxEvent.objects.order_by("id")
    assert opened.type == "conversation.opened"
    assert opened.payload["conversation"]["subject"] == "Parcel never came"
    assert opened.payload["conversation"]["channel"] == "email"
    assert opened.payload["customer_id"] == conversation.customer_id
    assert (opened.subject_type, opened.subject_id) == ("desk.conversation", str(conversation.pk))
    assert assigned.type == "conversation.assigned"
    assert assigned.payload["assignee_id"] == agent.user.pk
    assert assigned.payload["conversation"]["assignee_id"] == agent.user.pk
    assert assigned.payload["actor_id"] == admin.user.pk
    assert resolved.type == "conversation.status_changed"
    assert resolved.payload["to"] == "resolved"
    assert resolved.payload["conversation"]["status"] == "resolved"


def test_message_events_carry_the_text_and_notes_are_never_sent(agent: Actor) -> None:
    _events(("message.received", "message.sent"))
    conversation = a_conversation(actor=agent, body_text="My parcel is lost")

    receive_message(conversation=conversation, body_text="Any news?", sender="ada@example.org")
    reply(actor=agent, conversation=conversation, body_text="We are sending a replacement.")

    received = OutboxEvent.objects.filter(type="message.received").order_by("id")
    sent = OutboxEvent.objects.get(type="message.sent")
    assert [event.payload["message"]["text"] for event in received] == ["My parcel is lost", "Any news?"]
    assert received[1].payload["message"]["sender"] == "ada@example.org"
    assert sent.payload["message"]["text"] == "We are sending a replacement."
    assert sent.payload["message"]["author_id"] == agent.user.pk
    assert event_type_for_kind("desk.message.note") is None


def test_customer_changes_and_merges_are_sent(admin: Actor) -> None:
    _events(("customer.updated", "customer.merged"))
    keep, duplicate = CustomerFactory(name="Ada"), CustomerFactory(name="Ada L.")

    add_tag(actor=admin, customer=keep, name="vip")
    merge_customers(actor=admin, source=duplicate, target=keep)

    updated = OutboxEvent.objects.get(type="customer.updated")
    merged = OutboxEvent.objects.get(type="customer.merged")
    assert updated.payload["change"] == "tag.added"
    assert updated.payload["customer"]["tags"] == ["vip"]
    assert merged.payload["customer"]["id"] == keep.pk
    assert merged.payload["merged_customer_id"] == duplicate.pk


def test_a_timeline_row_maps_to_its_event_once_per_row(admin: Actor) -> None:
    subscribe(EndpointFactory(), "customer.updated")
    row = TimelineEvent.objects.create(
        customer=CustomerFactory(), kind="identity.added", summary="Added email"
    )

    event = publish_timeline_event(row)

    assert event is not None
    assert event.timeline_event_id == row.pk
    assert event.created_at == row.occurred_at


def test_a_failing_payload_builder_still_sends_a_minimal_event_and_keeps_the_change(admin: Actor) -> None:
    subscribe(EndpointFactory(), "customer.created")
    original = event_type_for_kind("customer.created")
    assert original is not None

    def broken(row: TimelineEvent) -> dict[str, object]:
        list(Customer.objects.raw("SELECT no_such_column FROM customers_customer"))
        return {}

    register_event_type(
        original.name,
        description=original.description,
        timeline_kinds=original.timeline_kinds,
        payload=broken,
    )
    try:
        customer = create_customer(actor=admin, name="Still created")
    finally:
        register_event_type(
            original.name,
            description=original.description,
            timeline_kinds=original.timeline_kinds,
            payload=original.payload,
        )

    event = OutboxEvent.objects.get()
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert event.payload["customer_id"] == customer.pk
    assert event.payload["summary"] == "Customer created"
    assert event.payload["payload_error"].endswith("the full payload could not be built")
