"""The social endpoint: direct messages become conversations, mentions are kept once, unsigned is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.permissions import Actor
from rapport.channels.models import ChannelKind, DeliveryStatus, InboundDelivery, SocialMention
from rapport.channels.tests.phone.factories import signed_headers
from rapport.channels.tests.social.factories import post_social, social_payload
from rapport.customers.models import Customer, Identity, IdentityKind
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, Message, Status
from rapport.desk.services.conversations import change_status

pytestmark = pytest.mark.django_db

Deliver = Callable[..., InboundDelivery]


@pytest.fixture
def deliver(client: Client, django_capture_on_commit_callbacks: Callable[..., Any]) -> Deliver:
    """Post a signed social event to the real endpoint and return its delivery once processed."""

    def send(**fields: Any) -> InboundDelivery:
        payload = social_payload(**fields)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_social(client, payload)
        assert response.status_code == 204
        return InboundDelivery.objects.get(external_id=payload["event_id"])

    return send


def test_mention_is_stored_without_making_its_author_a_customer(deliver: Deliver) -> None:
    delivery = deliver()

    assert (delivery.kind, delivery.source, delivery.sender, delivery.status) == (
        ChannelKind.SOCIAL,
        "json",
        "@Ada",
        DeliveryStatus.PROCESSED,
    )
    mention = SocialMention.objects.get()
    assert (mention.platform, mention.handle, mention.author_name, mention.external_id, mention.reach) == (
        "twitter",
        "ada",
        "Ada Lovelace",
        "1790",
        1200,
    )
    assert (mention.text, mention.url) == (
        "Loving my new teapot from @shop",
        "https://twitter.example/ada/status/1790",
    )
    assert delivery.reason == f"public mention stored (mention {mention.pk}); it waits on the mentions page"
    assert mention.customer is None
    assert Customer.objects.count() == 0
    assert Conversation.objects.count() == 0


def test_mention_by_a_known_handle_is_linked_to_the_customer(deliver: Deliver) -> None:
    customer = CustomerFactory()
    Identity.objects.create(customer=customer, kind=IdentityKind.SOCIAL, value="twitter:ada")

    deliver(handle="@ADA")

    assert SocialMention.objects.get().customer == customer


def test_same_event_twice_is_one_delivery(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    payload = social_payload()

    with django_capture_on_commit_callbacks(execute=True):
        responses = [post_social(client, payload).status_code for _ in range(2)]

    assert responses == [204, 204]
    assert InboundDelivery.objects.count() == 1
    assert SocialMention.objects.count() == 1


def test_same_post_reported_again_keeps_one_mention_with_the_new_reach(deliver: Deliver) -> None:
    deliver(reach=1200)

    again = deliver(reach=1500)

    assert again.status == DeliveryStatus.IGNORED
    assert again.reason == "mention twitter:1790 was already stored; its reach was updated"
    assert list(SocialMention.objects.values_list("reach", flat=True)) == [1500]


def test_direct_message_opens_a_social_conversation_for_its_author(deliver: Deliver) -> None:
    delivery = deliver(kind="direct_message", text="Where is my teapot?", url=None, external_id="dm-1")

    conversation = delivery.conversation
    assert conversation is not None
    assert conversation.channel == "social"
    assert conversation.customer.name == "Ada Lovelace"
    assert list(conversation.customer.identities.values_list("kind", "value")) == [("social", "twitter:ada")]
    message = conversation.messages.get()
    assert (message.body_text, message.sender, message.external_id) == (
        "Where is my teapot?",
        "twitter:ada",
        "twitter:dm:dm-1",
    )
    assert SocialMention.objects.count() == 0


def test_next_direct_message_continues_the_conversation(deliver: Deliver) -> None:
    first = deliver(kind="direct_message", external_id="dm-1")

    second = deliver(kind="direct_message", external_id="dm-2", text="Any news?")

    assert second.conversation == first.conversation
    assert Message.objects.count() == 2


def test_direct_message_reported_twice_is_one_message(deliver: Deliver) -> None:
    first = deliver(kind="direct_message", external_id="dm-1")

    again = deliver(kind="direct_message", external_id="dm-1")

    assert again.status == DeliveryStatus.IGNORED
    assert again.message == first.message
    assert Message.objects.count() == 1


def test_direct_message_after_the_conversation_closed_opens_a_new_one(deliver: Deliver, admin: Actor) -> None:
    first = deliver(kind="direct_message", external_id="dm-1")
    assert first.conversation is not None
    change_status(actor=admin, conversation=first.conversation, status=Status.RESOLVED)
    change_status(actor=admin, conversation=first.conversation, status=Status.CLOSED)

    second = deliver(kind="direct_message", external_id="dm-2")

    assert second.conversation_id != first.conversation_id


def test_direct_message_from_an_unknown_platform_is_quarantined(deliver: Deliver) -> None:
    delivery = deliver(kind="direct_message", platform="myspace")

    assert delivery.status == DeliveryStatus.QUARANTINED
    assert delivery.reason.startswith(
        "the author of the direct message cannot be a customer: unknown social platform"
    )


def test_signed_body_that_is_not_json_is_kept_in_quarantine(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_social(client, b"<xml>not json</xml>")

    assert response.status_code == 204
    delivery = InboundDelivery.objects.get()
    assert bytes(delivery.raw) == b"<xml>not json</xml>"
    assert delivery.status == DeliveryStatus.QUARANTINED
    assert delivery.reason.startswith("the social event cannot be read: body: Invalid JSON")


def test_event_missing_a_field_is_quarantined_naming_it(
    client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    payload = social_payload()
    del payload["posted_at"]

    with django_capture_on_commit_callbacks(execute=True):
        post_social(client, payload)

    assert (
        InboundDelivery.objects.get().reason == "the social event cannot be read: posted_at: Field required"
    )


def test_bad_signature_is_refused_and_nothing_is_stored(client: Client) -> None:
    body = json.dumps(social_payload()).encode()
    headers = signed_headers(body, secret="whsec_" + "b3RoZXItc2VjcmV0")

    response = client.post(
        reverse("channels:social_webhook"), body, content_type="application/json", headers=headers
    )

    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0


def test_stale_timestamp_is_refused(client: Client) -> None:
    response = post_social(client, social_payload(), at=int(time.time()) - 600)

    assert response.status_code == 401
    assert InboundDelivery.objects.count() == 0


def test_endpoint_without_a_secret_answers_not_configured(client: Client, settings: Any) -> None:
    settings.RAPPORT_SOCIAL_WEBHOOK_SECRET = ""

    response = post_social(client, social_payload())

    assert response.status_code == 503
    assert InboundDelivery.objects.count() == 0
