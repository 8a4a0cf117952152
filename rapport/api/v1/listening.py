"""Listening API: score any text, a conversation's and a customer's sentiment, tag suggestions,
alerts and follow-ups. Reads need the `listening:read` scope; every conversation or customer must be
one the caller may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.common import Id, PageParams, Text, problems
from rapport.customers.selectors import access_customer
from rapport.desk.selectors.conversations import access_conversation
from rapport.listening import selectors as listening_selectors
from rapport.listening import selectors_signals
from rapport.listening.models import Alert, FollowUp, MessageSignal
from rapport.listening.services import alerts as alert_services
from rapport.listening.services import follow_ups as follow_up_services
from rapport.listening.services import scoring, tag_suggestions

router = Router(tags=["listening"])

Label = Literal["negative", "neutral", "positive"]


class SentimentIn(Schema):
    texts: list[Text] = Field(
        ...,
        description=f"At most {scoring.MAX_TEXTS} texts of at most {scoring.MAX_TEXT_LENGTH} characters each",
    )


class SentimentOut(Schema):
    label: Label
    score: float = Field(..., ge=-1, le=1, description="From -1 (negative) to 1 (positive)")


class SentimentResults(Schema):
    model_version: str
    engine: str
    results: list[SentimentOut]


class MessageSignalOut(Schema):
    message_id: int
    written_at: datetime
    sentiment_label: Label
    sentiment_score: float
    model_version: str
    intent: str = Field(..., description="The likely tag (from the company's tagger), or empty")
    intent_confidence: float
    defection: bool
    defection_reason: str


class ConversationSignals(Schema):
    conversation_id: int
    mean_score: float | None
    mean_label: Label | None
    messages: list[MessageSignalOut]


class TrendPoint(Schema):
    written_at: datetime
    score: float


class CustomerSentiment(Schema):
    customer_id: int
    days: int
    mean_30_days: float | None
    label_30_days: Label | None
    messages_30_days: int
    points: list[TrendPoint]


class TagSuggestionOut(Schema):
    tag: str
    score: float


class TagSuggestions(Schema):
    conversation_id: int
    trained: bool = Field(..., description="False while no tag model was trained")
    suggestions: list[TagSuggestionOut]


class AlertOut(Schema):
    id: int
    kind: str
    title: str
    detail: str
    status: str
    customer_id: int | None
    conversation_id: int | None
    recipient_id: int | None
    data: dict[str, Any]
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None


class AlertPage(Schema):
    count: int
    items: list[AlertOut]


class AlertFilters(Schema):
    status: Literal["open", "acknowledged", "all"] = "open"


class FollowUpOut(Schema):
    id: int
    title: str
    detail: str
    status: str
    customer_id: int
    conversation_id: int | None
    response_id: int | None
    assignee_id: int | None
    due_at: datetime
    created_at: datetime
    done_at: datetime | None
    done_by_id: int | None
    outcome: str


class FollowUpPage(Schema):
    count: int
    items: list[FollowUpOut]


class FollowUpFilters(Schema):
    status: Literal["open", "done", "all"] = "open"


class FollowUpDoneIn(Schema):
    outcome: Text = Field("", max_length=follow_up_services.MAX_OUTCOME)


@router.post("/listening/sentiment", response={200: SentimentResults, **problems(422)})
def score_sentiment(request: HttpRequest, payload: SentimentIn) -> dict[str, Any]:
    """Label and score each text with the sentiment model in use; 422 `too_many_texts` or
    `text_too_long` when the request is too large (nothing is scored then)."""
    scored = scoring.score_texts(actor=api_actor(request), texts=payload.texts)
    return {
        "model_version": scored.model_version,
        "engine": scored.engine,
        "results": [{"label": s.label, "score": s.score} for s in scored.sentiments],
    }


def _signal(signal: MessageSignal) -> dict[str, Any]:
    return {
        "message_id": signal.message_id,
        "written_at": signal.written_at,
        "sentiment_label": signal.sentiment_label,
        "sentiment_score": signal.sentiment_score,
        "model_version": signal.model_version,
        "intent": signal.intent,
        "intent_confidence": signal.intent_confidence,
        "defection": signal.defection,
        "defection_reason": signal.defection_reason,
    }


@router.get(
    "/listening/conversations/{conversation_id}/signals",
    response={200: ConversationSignals, **problems(404, 422)},
)
def conversation_signals(request: HttpRequest, conversation_id: Id) -> dict[str, Any]:
    """The scores of the conversation's customer messages, oldest first, and their mean."""
    actor = api_actor(request)
    conversation = access_conversation(actor, conversation_id)
    signals = selectors_signals.signals_of_conversation(actor, conversation)
    mood = selectors_signals.conversation_mood(actor, conversation)
    return {
        "conversation_id": conversation.pk,
        "mean_score": mood.score if mood else None,
        "mean_label": mood.label if mood else None,
        "messages": [_signal(signal) for signal in signals],
    }


@router.get(
    "/listening/customers/{customer_id}/sentiment", response={200: CustomerSentiment, **problems(404, 422)}
)
def customer_sentiment(request: HttpRequest, customer_id: Id) -> dict[str, Any]:
    """The customer's message scores over the last year (conversations the caller may see) and the
    mean of the last 30 days."""
    actor = api_actor(request)
    customer = access_customer(actor, customer_id)
    trend = selectors_signals.customer_trend(actor, customer)
    recent = trend.mean_recent
    return {
        "customer_id": customer.pk,
        "days": trend.days,
        "mean_30_days": recent.score if recent else None,
        "label_30_days": recent.label if recent else None,
        "messages_30_days": recent.messages if recent else 0,
        "points": [{"written_at": at, "score": score} for at, score in trend.points],
    }


@router.get(
    "/listening/conversations/{conversation_id}/tag-suggestions",
    response={200: TagSuggestions, **problems(404, 422)},
)
def conversation_tag_suggestions(request: HttpRequest, conversation_id: Id) -> dict[str, Any]:
    """Up to three tags the company's tagger finds likely, leaving out those the conversation has."""
    actor = api_actor(request)
    conversation = access_conversation(actor, conversation_id)
    suggestions = tag_suggestions.suggest_tags_for(actor=actor, conversation=conversation)
    return {
        "conversation_id": conversation.pk,
        "trained": bool(suggestions) or tag_suggestions.latest_model_row() is not None,
        "suggestions": [{"tag": s.tag, "score": s.score} for s in suggestions],
    }


@router.get("/listening/alerts", response={200: AlertPage, **problems(422)})
def list_alerts(
    request: HttpRequest, filters: Query[AlertFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Alerts, newest first: leads see every one, others those raised for them."""
    status = "" if filters.status == "all" else filters.status
    return paginate(listening_selectors.visible_alerts(api_actor(request), status=status), page)


@router.post("/listening/alerts/{alert_id}/acknowledge", response={200: AlertOut, **problems(404, 409, 422)})
def acknowledge_alert(request: HttpRequest, alert_id: Id) -> Alert:
    """Mark the alert seen; 409 `alert_acknowledged` when it already was."""
    return alert_services.acknowledge_alert(actor=api_actor(request), alert_id=alert_id)


@router.get("/listening/follow-ups", response={200: FollowUpPage, **problems(422)})
def list_follow_ups(
    request: HttpRequest, filters: Query[FollowUpFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Follow-ups, soonest due first: leads see every one, others their own."""
    status = "" if filters.status == "all" else filters.status
    return paginate(listening_selectors.visible_follow_ups(api_actor(request), status=status), page)


@router.post(
    "/listening/follow-ups/{follow_up_id}/done", response={200: FollowUpOut, **problems(404, 409, 422)}
)
def complete_follow_up(request: HttpRequest, follow_up_id: Id, payload: FollowUpDoneIn) -> FollowUp:
    """Close the follow-up with what was done; 409 `follow_up_done` when it already is."""
    return follow_up_services.complete_follow_up(
        actor=api_actor(request), follow_up_id=follow_up_id, outcome=payload.outcome
    )
