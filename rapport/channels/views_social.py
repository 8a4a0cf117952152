"""The mentions page: public posts about the company for staff, and turning one into a conversation."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.channels.social import selectors
from rapport.channels.social.services import turn_mention_into_conversation
from rapport.core.errors import NotFound, RapportError
from rapport.core.http import htmx
from rapport.desk.selectors.conversations import access_conversation


def _filters(request: HttpRequest) -> selectors.MentionFilters:
    try:
        before: datetime | None = datetime.fromisoformat(request.GET.get("before", ""))
        before_id: int | None = int(request.GET.get("before_id", ""))
    except ValueError:
        before, before_id = None, None
    linked = request.GET.get("linked", "")
    return selectors.MentionFilters(
        platform=request.GET.get("platform", "").strip().lower()[:20],
        linked=linked if linked in {"yes", "no"} else "",
        before=before if before is not None and before.tzinfo is not None else None,
        before_id=before_id,
    )


@staff_view(Perm.DESK_VIEW)
def mentions(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = _filters(request)
    page = selectors.mention_page(actor, filters)
    context = {
        "page": page,
        "filters": filters,
        "platforms": selectors.platforms_in_use(actor),
        "may_work": actor.can(Perm.DESK_WORK),
    }
    template = "channels/mentions.html#results" if htmx(request) else "channels/mentions.html"
    return render(request, template, context)


@require_POST
@staff_view(Perm.DESK_WORK)
def mention_to_conversation(request: HttpRequest, actor: Actor, mention_id: int) -> HttpResponse:
    mention = selectors.access_mention(actor, mention_id)
    try:
        conversation, opened = turn_mention_into_conversation(actor=actor, mention=mention)
    except RapportError as error:
        messages.error(request, f"No conversation was opened: {error.detail}")
        return redirect("channels:mentions")
    try:
        access_conversation(actor, conversation.pk)
    except NotFound:
        # Routing may hand it to a private team; its conversation is then theirs to see, not ours.
        messages.info(request, "The conversation belongs to a team you are not in.")
        return redirect("channels:mentions")
    if opened:
        messages.success(request, "Conversation opened from the mention.")
    return redirect("desk:conversation", conversation_id=conversation.pk)
