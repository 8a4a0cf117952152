"""Reads of message signals for pages and the API, each limited to the conversations the actor may see.

The inbox shows, per conversation, the mean sentiment of its scored customer messages (a conversation
that turned sour and one that started sour look alike there; the conversation page shows each message)
and whether any of them reads as leaving.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.customers.models import Customer
from rapport.desk.models import Conversation
from rapport.desk.selectors.conversations import conversations_visible_to
from rapport.listening.models import MessageSignal
from rapport.listening.numerics.sentiment import label_for

TREND_DAYS = 365
MEAN_DAYS = 30


@dataclass(frozen=True)
class Mood:
    """Sentiment over several messages: the mean score, its label, how many, and any defection flag."""

    score: float
    label: str
    messages: int
    defection: bool = False


@dataclass(frozen=True)
class Trend:
    points: list[tuple[datetime, float]]
    mean_recent: Mood | None
    days: int


def _mood(score: float | None, count: int, defection: bool = False) -> Mood | None:
    if score is None or not count:
        return None
    return Mood(
        score=round(float(score), 2), label=label_for(float(score)), messages=count, defection=defection
    )


def signals_by_message(actor: Actor, conversation: Conversation) -> dict[int, MessageSignal]:
    """The conversation's signals by message id, in one query (the caller has access_conversation'd it)."""
    actor.require(Perm.LISTENING_VIEW)
    return {
        signal.message_id: signal
        for signal in MessageSignal.objects.filter(message__conversation_id=conversation.pk)
    }


def signals_of_conversation(actor: Actor, conversation: Conversation) -> list[MessageSignal]:
    """The conversation's scored messages, oldest first."""
    actor.require(Perm.LISTENING_VIEW)
    return list(
        MessageSignal.objects.filter(message__conversation_id=conversation.pk).order_by(
            "written_at", "message_id"
        )
    )


def conversation_mood(actor: Actor, conversation: Conversation) -> Mood | None:
    actor.require(Perm.LISTENING_VIEW)
    found = MessageSignal.objects.filter(message__conversation_id=conversation.pk).aggregate(
        mean=Avg("sentiment_score"), n=Count("pk"), flagged=Count("pk", filter=Q(defection=True))
    )
    return _mood(found["mean"], found["n"], bool(found["flagged"]))


def moods_of_conversations(actor: Actor, conversations: Iterable[Conversation]) -> dict[int, Mood]:
    """Per conversation, its mood: one query for a whole inbox page.

    Takes conversations the caller read through the desk's selectors for this actor (the inbox page's
    rows), so they are visible already: checking again would cost the page a second query.
    """
    if not actor.can(Perm.LISTENING_VIEW) or not actor.can(Perm.DESK_VIEW):
        return {}
    ids = [conversation.pk for conversation in conversations]
    if not ids:
        return {}
    rows = (
        MessageSignal.objects.filter(message__conversation_id__in=ids)
        .values("message__conversation_id")
        .annotate(mean=Avg("sentiment_score"), n=Count("pk"), flagged=Count("pk", filter=Q(defection=True)))
        .order_by()
    )
    found: dict[int, Mood] = {}
    for row in rows:
        mood = _mood(row["mean"], row["n"], bool(row["flagged"]))
        if mood is not None:
            found[row["message__conversation_id"]] = mood
    return found


def customer_trend(
    actor: Actor, customer: Customer, *, days: int = TREND_DAYS, now: datetime | None = None
) -> Trend:
    """The customer's message scores over the last ``days`` days, oldest first, and the mean of the last 30.

    Only messages of conversations the actor may see count (a private team's stay private).
    """
    actor.require(Perm.LISTENING_VIEW)
    now = now or timezone.now()
    if not actor.can(Perm.DESK_VIEW):
        return Trend(points=[], mean_recent=None, days=days)
    visible = conversations_visible_to(actor).filter(customer_id=customer.pk).values("pk")
    rows = list(
        MessageSignal.objects.filter(
            message__conversation_id__in=visible,
            written_at__gte=now - timedelta(days=days),
            written_at__lte=now,
        )
        .order_by("written_at", "message_id")
        .values_list("written_at", "sentiment_score")
    )
    recent = [score for at, score in rows if at >= now - timedelta(days=MEAN_DAYS)]
    mean = sum(recent) / len(recent) if recent else None
    return Trend(points=rows, mean_recent=_mood(mean, len(recent)), days=days)
