"""Visitors of a widget: their tokens, who they are, what they may read, and their typing flags.

A visitor is a browser holding a random token (kept in the host page's localStorage); only its SHA-256
is stored, so a copy of the database lets nobody chat as anyone. Everything a visitor may read is
reached from their own token: the conversations they started (ChatSession rows), never a customer's
other conversations and never an id given by the browser.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q

from rapport.channels.models import ChatSession, ChatVisitor, Widget
from rapport.core.normalise import normalise_email
from rapport.desk.models import Message, MessageKind, Status, Viewer
from rapport.desk.selectors.presence import TYPING_WITHIN

# The widget polls every half second while open and every few seconds while hidden or closed (browsers
# slow background timers to once a minute at worst): unseen this long, the visitor has left.
GONE_AFTER = timedelta(minutes=3)
# last_seen_at is written at most this often, so most polls are reads only.
SEEN_GRANULARITY = timedelta(seconds=10)
# The widget sends "typing" every few seconds while keys are pressed; silence this long means stopped.
VISITOR_TYPING_WITHIN = timedelta(seconds=8)
POLL_BATCH = 200


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_visitor(*, widget: Widget, now: datetime) -> tuple[ChatVisitor, str]:
    """A new visitor and the token their browser keeps; the token is not stored and not shown again."""
    token = secrets.token_urlsafe(32)
    visitor = ChatVisitor.objects.create(
        widget=widget, token_hash=hash_token(token), created_at=now, last_seen_at=now
    )
    return visitor, token


def visitor_for_token(widget: Widget, token: str) -> ChatVisitor | None:
    if not token or len(token) > 128:
        return None
    return ChatVisitor.objects.filter(widget=widget, token_hash=hash_token(token)).first()


def verify_visitor_email(*, visitor: ChatVisitor, email: str) -> ChatVisitor:
    """The host site vouched for this address (a signed identity): it is who the visitor is from now on."""
    address = normalise_email(email)
    if visitor.email != address or not visitor.email_verified:
        visitor.email, visitor.email_verified = address, True
        # A customer found by an earlier, unverified address is not carried over to a verified one.
        visitor.customer = None
        visitor.save(update_fields=["email", "email_verified", "customer"])
    return visitor


def current_session(visitor: ChatVisitor) -> ChatSession | None:
    return ChatSession.objects.filter(visitor=visitor).select_related("conversation").order_by("-id").first()


def chat_is_open(session: ChatSession | None) -> bool:
    """Whether the visitor's next message continues this chat (a closed or merged one starts anew)."""
    if session is None:
        return False
    conversation = session.conversation
    return conversation.status != Status.CLOSED and conversation.merged_into_id is None


def messages_for_visitor(visitor: ChatVisitor, *, after: int) -> list[Message]:
    """The visitor's and the agents' messages of the visitor's own chats, newer than the cursor.

    Internal notes are never among them, and neither is any message of a conversation the visitor
    did not start.
    """
    return list(
        Message.objects.filter(
            conversation__in=ChatSession.objects.filter(visitor=visitor).values("conversation"),
            kind__in=(MessageKind.INBOUND, MessageKind.OUTBOUND),
            pk__gt=after,
        )
        .select_related("author")
        .order_by("pk")[:POLL_BATCH]
    )


def public_name(message: Message) -> str:
    """What the visitor reads as the author of a reply: the agent's first name, never an address."""
    if message.author is not None and message.author.full_name.strip():
        return message.author.full_name.split()[0]
    return "Support"


@dataclass(frozen=True)
class AgentTyping:
    name: str


def agent_typing(session: ChatSession | None, *, now: datetime) -> AgentTyping | None:
    """Someone on the desk typing in this chat since its last reply (the desk's collision pings)."""
    if session is None:
        return None
    last_reply = Message.objects.filter(
        conversation_id=session.conversation_id, kind=MessageKind.OUTBOUND
    ).aggregate(at=Max("created_at"))["at"]
    typing = Viewer.objects.filter(
        conversation_id=session.conversation_id, typing_at__gte=now - TYPING_WITHIN
    ).select_related("user")
    if last_reply is not None:
        typing = typing.filter(typing_at__gt=last_reply)
    viewer = typing.order_by("-typing_at").first()
    if viewer is None:
        return None
    first = viewer.user.full_name.split()[0] if viewer.user.full_name.strip() else "Support"
    return AgentTyping(name=first)


def record_poll(*, visitor: ChatVisitor, delivered: list[Message], now: datetime) -> None:
    """The visitor is here, and has received these messages: replies up to the newest are seen."""
    if visitor.last_seen_at is None or visitor.last_seen_at < now - SEEN_GRANULARITY:
        ChatVisitor.objects.filter(pk=visitor.pk).update(last_seen_at=now)
        visitor.last_seen_at = now
    newest: dict[int, int] = {}
    for message in delivered:
        if message.kind == MessageKind.OUTBOUND:
            newest[message.conversation_id] = max(newest.get(message.conversation_id, 0), message.pk)
    for conversation_id, message_id in newest.items():
        ChatSession.objects.filter(
            visitor=visitor, conversation_id=conversation_id, seen_message_id__lt=message_id
        ).update(seen_message_id=message_id)


def set_visitor_typing(*, visitor: ChatVisitor, typing: bool, now: datetime) -> None:
    session = current_session(visitor)
    if session is None or not chat_is_open(session):
        return
    ChatSession.objects.filter(pk=session.pk).update(visitor_typing_at=now if typing else None)


def visitor_is_typing(session: ChatSession, *, now: datetime) -> bool:
    return session.visitor_typing_at is not None and session.visitor_typing_at >= now - VISITOR_TYPING_WITHIN


def is_gone(visitor: ChatVisitor, *, now: datetime) -> bool:
    return visitor.last_seen_at is None or visitor.last_seen_at < now - GONE_AFTER


# A visitor who opened the widget but never wrote is kept this long after their last visit.
IDLE_VISITOR_DAYS = 30


def delete_idle_visitors(*, now: datetime) -> int:
    """Forget browsers that opened the widget and never chatted, a month after they were last seen.

    Visitors with a chat keep their row: it is what lets them read their conversation again.
    """
    cutoff = now - timedelta(days=IDLE_VISITOR_DAYS)
    idle = ChatVisitor.objects.filter(sessions__isnull=True, created_at__lt=cutoff).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=cutoff)
    )
    deleted, _ = ChatVisitor.objects.filter(pk__in=list(idle.values_list("pk", flat=True)[:10_000])).delete()
    return deleted
