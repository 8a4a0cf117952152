"""Sentiment indicators for desk pages: one query per page for all its rows, then lookups in a dict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import request_actor
from rapport.desk.models import Conversation
from rapport.listening.models import MessageSignal
from rapport.listening.selectors_signals import Mood, moods_of_conversations, signals_by_message

register = template.Library()


def _actor(context: template.Context) -> Actor | None:
    request = context.get("request")
    if request is None or not getattr(request.user, "is_authenticated", False):
        return None
    actor = request_actor(request)
    return actor if actor.can(Perm.LISTENING_VIEW) else None


@register.simple_tag(takes_context=True)
def message_signals(context: template.Context, conversation: Conversation) -> dict[int, MessageSignal]:
    """{% message_signals conversation as signals %}: the thread's signals by message id (one query)."""
    actor = _actor(context)
    return signals_by_message(actor, conversation) if actor is not None else {}


@register.simple_tag(takes_context=True)
def conversation_moods(context: template.Context, rows: Iterable[Any]) -> dict[int, Mood]:
    """{% conversation_moods rows as moods %}: the mood of each row's conversation, in one query.

    Rows are conversations, or the inbox's rows (mappings holding the "conversation" the desk's
    selector read for this actor).
    """
    actor = _actor(context)
    if actor is None:
        return {}
    return moods_of_conversations(
        actor, [row["conversation"] if isinstance(row, Mapping) else row for row in rows]
    )


@register.inclusion_tag("listening/_sentiment_message.html")
def message_indicator(signals: dict[int, MessageSignal], message_id: int) -> dict[str, Any]:
    return {"signal": signals.get(message_id)}


@register.inclusion_tag("listening/_sentiment_dot.html")
def mood_indicator(moods: dict[int, Mood], conversation_id: int | str) -> dict[str, Any]:
    # The inbox's rows carry their id as text.
    mood = moods.get(int(conversation_id))
    return {"mood": mood, "what": "Mean sentiment of the customer's messages"}
