"""Agent replies on chat conversations: the visitor's poll delivers them, or email once the visitor left.

Registered with the desk (desk.outbound for replies and their states, desk.live for "is typing").
A reply needs no sending while the visitor is on the page: their widget polls and receives it, and
the poll marks it seen. When the visitor has gone (no poll for GONE_AFTER) and an address is known,
the reply is handed to the email channel in the reply's own transaction, exactly as an email reply
is; the sweep does the same for replies the visitor left without receiving.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from rapport.channels.email import outgoing
from rapport.channels.models import ChatSession, OutboundEmail
from rapport.channels.widget.visitors import GONE_AFTER, is_gone, visitor_is_typing
from rapport.customers.models import Identity, IdentityKind
from rapport.desk.models import Channel, Conversation, Message, MessageKind
from rapport.desk.outbound import DeliveryState

SEEN = DeliveryState(label="Seen by the visitor")
WAITING = DeliveryState(label="Waiting for the visitor")
UNSEEN_LOOKBACK = timedelta(days=1)


def _session_of(conversation_id: int) -> ChatSession | None:
    return ChatSession.objects.select_related("visitor").filter(conversation_id=conversation_id).first()


def _email_known(session: ChatSession, conversation: Conversation) -> bool:
    return (
        bool(session.visitor.email)
        or Identity.objects.filter(customer_id=conversation.customer_id, kind=IdentityKind.EMAIL).exists()
    )


def record_chat_reply(message: Message) -> None:
    """Dispatch hook (desk.outbound): nothing to send to a visitor who is here; email to one who left."""
    session = _session_of(message.conversation_id)
    if session is None:
        # A chat conversation opened some other way (the API, a person): nobody polls for it.
        return
    if is_gone(session.visitor, now=timezone.now()) and _email_known(session, message.conversation):
        outgoing.record_reply(message)


def chat_states(messages: Sequence[Message]) -> dict[int, DeliveryState]:
    """States hook (desk.outbound): seen, waiting, or how the email carrying the reply is doing."""
    emailed_ids = set(
        OutboundEmail.objects.filter(message_id__in=[m.pk for m in messages]).values_list(
            "message_id", flat=True
        )
    )
    states = outgoing.delivery_states([m for m in messages if m.pk in emailed_ids]) if emailed_ids else {}
    seen = dict(
        ChatSession.objects.filter(conversation_id__in={m.conversation_id for m in messages}).values_list(
            "conversation_id", "seen_message_id"
        )
    )
    for message in messages:
        if message.pk in states or message.conversation_id not in seen:
            continue
        states[message.pk] = SEEN if seen[message.conversation_id] >= message.pk else WAITING
    return states


def visitor_typing(conversation: Conversation) -> bool:
    """Live hook (desk.live): the visitor is typing in this chat now."""
    session = ChatSession.objects.filter(conversation_id=conversation.pk).first()
    return session is not None and visitor_is_typing(session, now=timezone.now())


def email_unseen_replies(*, now: datetime, limit: int = 200) -> int:
    """Replies the visitor left without receiving go by email, when an address is known; run by the sweep.

    Only replies of the last UNSEEN_LOOKBACK: an old chat nobody answered by email then is not
    answered out of the blue now.
    """
    gone = ChatSession.objects.filter(
        conversation_id=OuterRef("conversation_id"),
        seen_message_id__lt=OuterRef("pk"),
        visitor__last_seen_at__lt=now - GONE_AFTER,
    )
    unseen = (
        Message.objects.filter(
            channel=Channel.CHAT,
            kind=MessageKind.OUTBOUND,
            created_at__gte=now - UNSEEN_LOOKBACK,
            outbound_email__isnull=True,
        )
        .filter(Exists(gone))
        .select_related("conversation")
        .order_by("pk")[:limit]
    )
    handed = 0
    for message in unseen:
        session = _session_of(message.conversation_id)
        if session is None or not _email_known(session, message.conversation):
            continue
        try:
            with transaction.atomic():
                outgoing.record_reply(message)
        except IntegrityError:
            # Another sweep handed it over first (one OutboundEmail per message).
            continue
        handed += 1
    return handed
