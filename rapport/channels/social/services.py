"""Writes of the social channel: a mention turned into a conversation, and the customer merge step."""

from __future__ import annotations

from django.db import transaction

from rapport.accounts.audit import record_audit
from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import SocialMention
from rapport.core.errors import ValidationFailed
from rapport.core.normalise import normalise_social
from rapport.customers.models import Customer, Identity, IdentityKind
from rapport.customers.services import find_or_create_customer
from rapport.desk.models import Channel, Conversation
from rapport.desk.services.conversations import open_conversation

EMPTY_TEXT = "(This message has no text.)"


def identity_value(platform: str, handle: str) -> str | None:
    """The stored form of a handle ("twitter:ada"), or None when it cannot be a customer's identity."""
    try:
        return normalise_social(platform, handle)
    except ValidationFailed:
        return None


def known_customer(platform: str, handle: str) -> Customer | None:
    """The customer who has this handle, without creating one: a mention is not a contact."""
    value = identity_value(platform, handle)
    if value is None:
        return None
    identity = (
        Identity.objects.select_related("customer").filter(kind=IdentityKind.SOCIAL, value=value).first()
    )
    return identity.customer if identity is not None else None


def message_text(text: str, url: str) -> str:
    body = text.strip() or EMPTY_TEXT
    return f"{body}\n\n{url}" if url else body


def mention_reference(mention: SocialMention) -> str:
    """The message's external id: the post on its platform ("twitter:post:1790")."""
    return f"{mention.platform}:post:{mention.external_id}"


@transaction.atomic
def turn_mention_into_conversation(*, actor: Actor, mention: SocialMention) -> tuple[Conversation, bool]:
    """Open a conversation whose first message is the mention; a second call returns the same one.

    Returns the conversation and whether it was opened now. The author becomes a customer here, when
    a person decides the mention deserves an answer, and not when the mention arrives.
    """
    actor.require(Perm.DESK_WORK)
    # The row lock makes two clicks (or two agents) at once open one conversation.
    # No join in the locking read: on PostgreSQL a joined row is read from the snapshot taken before
    # the wait, so it would miss the conversation the first click has just committed.
    locked = SocialMention.objects.select_for_update().get(pk=mention.pk)
    if locked.conversation_id is not None:
        return Conversation.objects.get(pk=locked.conversation_id), False
    customer = locked.customer
    if customer is None or customer.is_merged:
        customer, _ = find_or_create_customer(
            kind=IdentityKind.SOCIAL,
            value=locked.handle,
            platform=locked.platform,
            name=locked.author_name,
            actor=actor,
        )
    conversation = open_conversation(
        actor=actor,
        customer=customer,
        channel=Channel.SOCIAL,
        subject=f"Mention by @{locked.handle} on {locked.platform.title()}",
        body_text=message_text(locked.text, locked.url),
        sender=identity_value(locked.platform, locked.handle) or locked.handle,
        external_id=mention_reference(locked),
    )
    locked.customer = customer
    locked.conversation = conversation
    locked.save(update_fields=["customer", "conversation"])
    record_audit(
        actor=actor,
        action="channels.mention.to_conversation",
        target=locked,
        after={"conversation_id": conversation.pk, "customer_id": customer.pk},
    )
    return conversation, True


def move_social_mentions(source: Customer, target: Customer) -> dict[str, int]:
    """Customer merge step: mentions linked to the merged-away customer now name the survivor."""
    return {"mentions": SocialMention.objects.filter(customer=source).update(customer=target)}
