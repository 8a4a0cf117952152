"""A stored social event: a direct message joins the author's social conversation, a mention is kept.

A direct message is a customer writing to us, so its author becomes a customer. A public mention is
not: it is stored once per post (unique on platform and post id), linked to a customer only when the
handle is already a known identity, and waits on the mentions page for staff to act on it.
"""

from __future__ import annotations

from rapport.channels.models import DeliveryStatus, InboundDelivery, SocialMention
from rapport.channels.protocol import Outcome, Unprocessable
from rapport.channels.social.payloads import EventKind, PayloadError, SocialEvent, parse_social_json
from rapport.channels.social.services import identity_value, known_customer, message_text
from rapport.core.errors import ValidationFailed
from rapport.customers.models import Customer, IdentityKind
from rapport.customers.services import find_or_create_customer
from rapport.desk.models import Channel, Conversation, Message, Status
from rapport.desk.services.conversations import open_conversation, receive_message

JSON_SOURCE = "json"


def process_social(delivery: InboundDelivery) -> Outcome:
    try:
        event = parse_social_json(bytes(delivery.raw))
    except PayloadError as error:
        raise Unprocessable(f"the social event cannot be read: {error}") from error
    if event.kind == EventKind.MENTION:
        return _mention(event)
    return _direct_message(event)


def _mention(event: SocialEvent) -> Outcome:
    mention, created = SocialMention.objects.get_or_create(
        platform=event.platform,
        external_id=event.external_id,
        defaults={
            "handle": event.handle,
            "author_name": event.author_name,
            "text": event.text,
            "url": event.url,
            "posted_at": event.posted_at,
            "reach": event.reach,
            "customer": known_customer(event.platform, event.handle),
        },
    )
    if not created:
        # The same post reported again (a provider's retry, a later count of its audience).
        if mention.reach != event.reach:
            SocialMention.objects.filter(pk=mention.pk).update(reach=event.reach)
        return Outcome(
            status=DeliveryStatus.IGNORED,
            conversation=mention.conversation,
            reason=f"mention {event.platform}:{event.external_id} was already stored; its reach was updated",
        )
    return Outcome(reason=f"public mention stored (mention {mention.pk}); it waits on the mentions page")


def _direct_message(event: SocialEvent) -> Outcome:
    try:
        customer, _ = find_or_create_customer(
            kind=IdentityKind.SOCIAL, value=event.handle, platform=event.platform, name=event.author_name
        )
    except ValidationFailed as error:
        raise Unprocessable(
            f"the author of the direct message cannot be a customer: {error.detail}"
        ) from error
    sender = identity_value(event.platform, event.handle) or event.handle
    reference = f"{event.platform}:dm:{event.external_id}"
    earlier = (
        Message.objects.filter(conversation__customer=customer, channel=Channel.SOCIAL, external_id=reference)
        .select_related("conversation")
        .first()
    )
    if earlier is not None:
        return Outcome(
            status=DeliveryStatus.IGNORED,
            conversation=earlier.conversation,
            message=earlier,
            reason=f"direct message {reference} was already received",
        )
    body = message_text(event.text, event.url)
    conversation = _social_conversation(customer, sender=sender)
    if conversation is not None:
        message = receive_message(
            conversation=conversation, body_text=body, sender=sender, external_id=reference
        )
        return Outcome(conversation=conversation, message=message)
    conversation = open_conversation(
        actor=None,
        customer=customer,
        channel=Channel.SOCIAL,
        body_text=body,
        sender=sender,
        external_id=reference,
    )
    return Outcome(conversation=conversation, message=conversation.messages.get())


def _social_conversation(customer: Customer, *, sender: str) -> Conversation | None:
    """The customer's latest social conversation with this handle that is not closed.

    Per handle, because a reply goes back on the platform it came from: the same person on Instagram
    and on Twitter has two threads.
    """
    return (
        Conversation.objects.filter(
            customer=customer,
            channel=Channel.SOCIAL,
            merged_into__isnull=True,
            messages__sender=sender,
        )
        .exclude(status=Status.CLOSED)
        .order_by("-last_message_at", "-id")
        .distinct()
        .first()
    )
