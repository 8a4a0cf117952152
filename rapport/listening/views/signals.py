"""Listening pages: signals (urlpatterns are gathered by rapport/listening/urls.py).

The conversation panel and the customer's trend are loaded into the desk's conversation page and the
customer 360 page by htmx, and are pages of their own without JavaScript, as recovery's panel is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import ValidationFailed
from rapport.core.http import htmx
from rapport.customers.selectors import access_customer
from rapport.desk.selectors.conversations import access_conversation
from rapport.listening import selectors_signals as selectors
from rapport.listening.services import tag_suggestions

CONVERSATION = "listening/signals_conversation.html"
CUSTOMER = "listening/signals_customer.html"


@staff_view(Perm.LISTENING_VIEW)
def conversation_signals(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(actor, conversation_id)
    suggestions = tag_suggestions.suggest_tags_for(actor=actor, conversation=conversation)
    context = {
        "conversation": conversation,
        "mood": selectors.conversation_mood(actor, conversation),
        "flagged": [s for s in selectors.signals_of_conversation(actor, conversation) if s.defection],
        "suggestions": suggestions,
        "has_model": bool(suggestions) or tag_suggestions.latest_model_row() is not None,
        "can_tag": actor.can(Perm.DESK_WORK) and not conversation.is_merged,
    }
    return render(request, f"{CONVERSATION}#panel" if htmx(request) else CONVERSATION, context)


@staff_view(Perm.LISTENING_VIEW)
def customer_sentiment(request: HttpRequest, actor: Actor, customer_id: int) -> HttpResponse:
    customer = access_customer(actor, customer_id)
    trend = selectors.customer_trend(actor, customer)
    chart: dict[str, Any] = {
        "labels": [at.strftime("%Y-%m-%d") for at, _ in trend.points],
        "scores": [round(score, 3) for _, score in trend.points],
    }
    context = {"customer": customer, "trend": trend, "chart": chart}
    return render(request, f"{CUSTOMER}#trend" if htmx(request) else CUSTOMER, context)


@staff_view(Perm.LISTENING_MANAGE)
def tags(request: HttpRequest, actor: Actor) -> HttpResponse:
    row = tag_suggestions.latest_model_row()
    meta = row.meta if row is not None else {}
    context = {
        "row": row,
        "classes": meta.get("classes", []),
        "conversations": meta.get("conversations", 0),
        "left_out": sorted(meta.get("left_out", {}).items()),
        "min_examples": tag_suggestions.MIN_EXAMPLES,
    }
    return render(request, "listening/signals_tags.html", context)


@require_POST
@staff_view(Perm.LISTENING_MANAGE)
def train_tags(request: HttpRequest, actor: Actor) -> HttpResponse:
    try:
        row = tag_suggestions.train_tag_suggestions(actor=actor)
    except ValidationFailed as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Trained on {row.examples} examples, {row.classes} tags.")
    return redirect("listening:tags")


urlpatterns: list[URLPattern] = [
    path("conversations/<int:conversation_id>/signals/", conversation_signals, name="conversation_signals"),
    path("customers/<int:customer_id>/sentiment/", customer_sentiment, name="customer_sentiment"),
    path("tags/", tags, name="tags"),
    path("tags/train/", train_tags, name="train_tags"),
]
