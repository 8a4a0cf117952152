"""Desk pages: one conversation with its thread, composer, macros, header, details and customer panel.

Also the small endpoints the page calls: presence pings for the collision warning, attachment
downloads, merging and splitting, saving the details card. Every page works without JavaScript (forms
post and redirect back); with htmx the header, thread, composer and details are swapped in place, and
the composer's draft and chosen files survive an error because error responses only swap the thread
and the notice under the text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.selectors import staff_for_assignment
from rapport.accounts.web import staff_view
from rapport.commerce import selectors as commerce
from rapport.commerce.models import Order
from rapport.core.errors import Conflict, NotFound, PermissionDenied, RapportError, ValidationFailed
from rapport.core.http import htmx
from rapport.customers import selectors as customer_selectors
from rapport.desk import downloads, live, outbound
from rapport.desk.forms_conversation import (
    SEND_THEN,
    AssignForm,
    ComposerForm,
    ConversationTagForm,
    DetailsForm,
    MergeIntoForm,
    PriorityForm,
    StatusForm,
    human_size,
)
from rapport.desk.models import Conversation, CustomField, Macro, MessageKind, SlaState, Status
from rapport.desk.selectors import conversations as selectors
from rapport.desk.selectors.macros import access_macro, macros_for
from rapport.desk.selectors.presence import collisions_on
from rapport.desk.services import conversations, macros, merge, presence, routing
from rapport.desk.views.inbox import agent_options, url_for_each

TEMPLATE = "desk/conversation.html"
RECENT_ORDERS = 5
# Orders offered for linking on the details card: the customer's latest, plus any already linked.
ORDER_CHOICES = 20
RECENT_NOTES = 3
# Events that only repeat a message already shown in the thread.
MESSAGE_EVENTS = frozenset({"message.inbound", "message.outbound", "message.note"})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seen_marker(conversation: Conversation) -> str:
    # With no customer message yet, any that arrives counts as new, so the marker is the epoch.
    return (conversation.last_inbound_at or EPOCH).isoformat()


def _composer(
    conversation: Conversation, data: Any = None, files: Any = None, **initial: Any
) -> ComposerForm:
    return ComposerForm(
        data,
        files,
        max_attachment_bytes=conversations.desk_settings().max_attachment_bytes,
        initial={"seen_inbound_at": _seen_marker(conversation), **initial},
    )


def _when(moment: datetime) -> dict[str, str]:
    """A time as the thread shows it: ISO 8601 for <time datetime>, and to the minute for people."""
    local = timezone.localtime(moment)
    return {"iso": local.isoformat(), "minute": local.strftime("%Y-%m-%d %H:%M")}


def _thread(actor: Actor, conversation: Conversation) -> list[dict[str, Any]]:
    """Messages with the other events between them, oldest first (events first within one instant).

    Each entry carries its times, author and split link as text already: a long thread spent most of
    its rendering on date filters and {% url %} tags, once or twice a message.
    """
    split_url = url_for_each("desk:message_split")
    messages = selectors.thread_of(actor, conversation)
    delivery = outbound.delivery_states(messages)
    entries: list[tuple[datetime, int, int, dict[str, Any]]] = [
        (
            message.created_at,
            1,
            message.pk,
            {
                "message": message,
                "at": _when(message.created_at),
                "author": message.author.display_name if message.author else "Staff",
                "split_url": split_url(message.pk) if message.kind == MessageKind.INBOUND else "",
                "delivery": delivery.get(message.pk),
            },
        )
        for message in messages
    ]
    for event in selectors.events_of(actor, conversation):
        entry = {"event": event, "at": _when(event.created_at), "kind": slugify(event.kind)}
        if event.kind == "conversation.opened":
            # Recorded an instant after the first message it opened with, but read before it.
            entries.append((min(event.created_at, conversation.created_at), -1, event.pk, entry))
        elif event.kind not in MESSAGE_EVENTS:
            entries.append((event.created_at, 0, event.pk, entry))
    return [entry for *_, entry in sorted(entries, key=lambda row: row[:3])]


def _macro_choice(actor: Actor, conversation: Conversation, macro_id: int) -> dict[str, Any]:
    """The macro as the composer shows it: its text here, what it will do, what is left unfilled."""
    macro = access_macro(actor, macro_id, conversation=conversation)
    text = macros.render_macro(macro=macro, conversation=conversation, actor=actor)
    return {
        "macro": macro,
        "text": text,
        "actions": macros.clean_macro_actions(macro.actions).describe(),
        "unresolved": macros.unresolved_variables(text),
    }


def _context(
    request: HttpRequest,
    actor: Actor,
    conversation: Conversation,
    *,
    composer: ComposerForm | None = None,
    seen_inbound_at: str | None = None,
    notice: str = "",
    conflict_status: str | None = None,
    macro_choice: dict[str, Any] | None = None,
    header_error: str = "",
    details_form: DetailsForm | None = None,
    details_saved: str = "",
) -> dict[str, Any]:
    now = timezone.now()
    customer = conversation.customer
    can_work = actor.can(Perm.DESK_WORK) and not conversation.is_merged
    can_assign = actor.can(Perm.DESK_ASSIGN)
    macro_list = macros_for(actor, conversation) if can_work else []
    composer = composer if composer is not None else _composer(conversation)
    # One read of the customer's latest orders serves the side panel and the details card's choices.
    recent = commerce.recent_orders(actor, customer, limit=ORDER_CHOICES) if _sees_orders(actor) else None
    details = _details(actor, conversation, recent, form=details_form, editable=can_work)
    return details | {
        "conversation": conversation,
        "customer": customer,
        "thread": _thread(actor, conversation),
        "collisions": collisions_on(actor, conversation, now=now),
        "live": live.is_live(conversation.channel),
        "sla_state": SlaState(conversation.sla_status(now)),
        "can_work": can_work,
        "can_assign": can_assign,
        "statuses": [
            (value, label)
            for value, label in Status.choices
            if value == conversation.status
            or value in conversations.ALLOWED_TRANSITIONS[Status(conversation.status)]
        ],
        "priority_form": PriorityForm(initial={"priority": conversation.priority}),
        "conversation_tags": list(conversation.tags.all()),
        "staff_options": _staff_options(actor, conversation) if can_assign else "",
        "macros": [
            {"macro": macro, "actions": macros.clean_macro_actions(macro.actions).describe()}
            for macro in macro_list
            if _actions_valid(macro)
        ],
        "composer": composer,
        "seen_inbound_at": seen_inbound_at or _seen_marker(conversation),
        "notice": notice,
        "conflict_status": conflict_status,
        "macro_choice": macro_choice,
        "send_then": SEND_THEN,
        "header_error": header_error,
        "identities": list(customer.identities.all()),
        "customer_tags": list(customer.tags.all()),
        "notes": list(customer_selectors.notes_of(actor, customer).select_related("author")[:RECENT_NOTES]),
        "orders": recent[:RECENT_ORDERS] if recent is not None else None,
        "details_saved": details_saved,
        "previous": selectors.previous_conversations(actor, conversation),
        "max_attachment": human_size(composer.max_attachment_bytes),
    }


def _staff_options(actor: Actor, conversation: Conversation) -> SafeString:
    """The assignee picker's options, current assignee chosen: names only, built once (160 staff)."""
    staff = staff_for_assignment(actor).order_by("full_name", "email").values_list("id", "full_name", "email")
    # The name is User.display_name's.
    return agent_options(
        [(pk, full_name or email) for pk, full_name, email in staff], conversation.assignee_id
    )


def _sees_orders(actor: Actor) -> bool:
    return actor.can(Perm.COMMERCE_VIEW)


def _details(
    actor: Actor,
    conversation: Conversation,
    recent: list[Order] | None,
    *,
    form: DetailsForm | None,
    editable: bool,
) -> dict[str, Any]:
    """The details card: people in copy, custom fields, linked orders, and the form for those who work."""
    fields = form.custom_fields if form is not None else selectors.active_custom_fields(actor)
    linked = selectors.linked_orders(actor, conversation) if recent is not None else None
    # A form handed in is drawn with its refusal even where editing just became impossible (a merge).
    if editable and form is None:
        form = _details_form(conversation, fields, linked or [])
    choices = None
    if recent is not None and linked is not None:
        shown = {order.pk for order in recent}
        choices = sorted(
            [*recent, *(order for order in linked if order.pk not in shown)],
            key=lambda order: (order.placed_at, order.pk),
            reverse=True,
        )
    return {
        "detail_values": [
            {"field": field, "value": conversation.custom_fields.get(field.key)} for field in fields
        ],
        "linked_orders": linked,
        "details_form": form,
        "order_choices": choices,
        "selected_orders": form.selected_order_ids() if form is not None else set(),
    }


def _details_form(
    conversation: Conversation, fields: list[CustomField], linked: list[Order], data: Any = None
) -> DetailsForm:
    return DetailsForm(
        data,
        conversation=conversation,
        custom_fields=fields,
        linked_order_ids=[order.pk for order in linked],
    )


def _actions_valid(macro: Macro) -> bool:
    # A macro saved with broken actions (by hand, in the admin) is left out of the picker, not fatal.
    try:
        macros.clean_macro_actions(macro.actions)
    except ValidationFailed:
        return False
    return True


def _partials(request: HttpRequest, context: dict[str, Any], main: str | None, *oob: str) -> str:
    parts = [render_to_string(f"{TEMPLATE}#{main}", context, request)] if main else []
    parts += [render_to_string(f"{TEMPLATE}#{name}", context | {"oob": True}, request) for name in oob]
    return "".join(parts)


def _back(conversation: Conversation) -> HttpResponse:
    return redirect("desk:conversation", conversation_id=conversation.pk)


@staff_view(Perm.DESK_VIEW)
def conversation_detail(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(actor, conversation_id)
    if conversation.merged_into_id is not None:
        messages.info(request, f"Conversation {conversation.pk} was merged into this one.")
        return redirect("desk:conversation", conversation_id=conversation.merged_into_id)
    # Without JavaScript the macro picker is a link: the page comes back with the composer filled in.
    macro_id = request.GET.get("macro", "")
    choice = None
    composer = None
    if macro_id.isdigit() and actor.can(Perm.DESK_WORK):
        choice = _macro_choice(actor, conversation, int(macro_id))
        composer = _composer(conversation, body=choice["text"], macro=choice["macro"].pk)
    context = _context(request, actor, conversation, composer=composer, macro_choice=choice)
    return render(request, TEMPLATE, context)


def _send_failed(
    request: HttpRequest,
    actor: Actor,
    conversation: Conversation,
    form: ComposerForm,
    *,
    error: str,
    conflict: bool = False,
    status: int = 422,
) -> HttpResponse:
    """The draft stays: htmx swaps only the thread and the notice; without htmx the page comes back filled."""
    fresh = selectors.access_conversation(actor, conversation.pk)
    posted_macro = form.cleaned_data.get("macro") if hasattr(form, "cleaned_data") else None
    choice = None
    if posted_macro:
        try:
            choice = _macro_choice(actor, fresh, posted_macro)
        except NotFound:
            choice = None
    context = _context(
        request,
        actor,
        fresh,
        composer=form,
        # Only a conflict shows the agent the new message; otherwise the guard stays where it was.
        seen_inbound_at=_seen_marker(fresh) if conflict else request.POST.get("seen_inbound_at", ""),
        notice=error,
        conflict_status=(request.POST.get("then_status") or "") if conflict else None,
        macro_choice=choice,
    )
    if htmx(request):
        response = HttpResponse(_partials(request, context, None, "thread", "composer-guard"), status=status)
        response["HX-Reswap"] = "none"
        return response
    if request.FILES:
        context["notice"] = f"{error} Attach your files again before sending."
    return render(request, TEMPLATE, context, status=status)


@require_POST
@staff_view(Perm.DESK_WORK)
def send(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    """A reply or an internal note from the composer, with the macro the agent picked, if any."""
    conversation = selectors.access_conversation(actor, conversation_id)
    form = _composer(conversation, request.POST, request.FILES)
    if not form.is_valid():
        return _send_failed(request, actor, conversation, form, error=form.error_text())
    data = form.cleaned_data
    try:
        if data["macro"]:
            macro = access_macro(actor, data["macro"], conversation=conversation)
            macros.send_with_macro(
                actor=actor,
                conversation=conversation,
                macro=macro,
                kind=data["kind"],
                body_text=data["body"],
                attachments=form.attachment_inputs(),
                then_status=form.status_after(),
                seen_inbound_at=data["seen_inbound_at"],
            )
        elif data["kind"] == MessageKind.NOTE:
            conversations.add_note(
                actor=actor,
                conversation=conversation,
                body_text=data["body"],
                attachments=form.attachment_inputs(),
            )
        else:
            conversations.reply(
                actor=actor,
                conversation=conversation,
                body_text=data["body"],
                attachments=form.attachment_inputs(),
                then_status=form.status_after(),
                seen_inbound_at=data["seen_inbound_at"],
            )
    except Conflict as error:
        if error.code == "newer_customer_message":
            return _send_failed(
                request,
                actor,
                conversation,
                form,
                error="The customer wrote again while you were writing (see above). Send anyway?",
                conflict=True,
                status=409,
            )
        return _send_failed(request, actor, conversation, form, error=error.detail, status=409)
    except (ValidationFailed, PermissionDenied, NotFound) as error:
        return _send_failed(request, actor, conversation, form, error=_sentence(error), status=error.status)
    sent = "Note added." if data["kind"] == MessageKind.NOTE else "Reply sent."
    if not htmx(request):
        messages.success(request, sent)
        return _back(conversation)
    fresh = selectors.access_conversation(actor, conversation.pk)
    context = _context(request, actor, fresh) | {"sent": sent}
    return HttpResponse(_partials(request, context, "composer", "header", "thread"))


def _sentence(error: RapportError) -> str:
    text = error.detail[:1].upper() + error.detail[1:]
    return text if text.endswith(".") else f"{text}."


def _changed(
    request: HttpRequest,
    actor: Actor,
    conversation: Conversation,
    *,
    done: str = "",
    error: RapportError | None = None,
    form_errors: str = "",
) -> HttpResponse:
    """After a header control: the header and thread again (htmx), or back to the page with a message."""
    problem = _sentence(error) if error is not None else form_errors
    if not htmx(request):
        if problem:
            messages.error(request, problem)
        elif done:
            messages.success(request, done)
        return _back(conversation)
    fresh = selectors.access_conversation(actor, conversation.pk)
    context = _context(request, actor, fresh, header_error=problem)
    status = error.status if error is not None else (422 if problem else 200)
    return HttpResponse(_partials(request, context, "header", "thread"), status=status)


def _form_errors(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@require_POST
@staff_view(Perm.DESK_WORK)
def set_status(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(actor, conversation_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _changed(request, actor, conversation, form_errors=_form_errors(form))
    status, until = form.cleaned_data["status"], form.cleaned_data["snoozed_until"]
    try:
        conversations.change_status(
            actor=actor,
            conversation=conversation,
            status=status,
            snoozed_until=until if status == Status.SNOOZED else None,
        )
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        return _changed(request, actor, conversation, error=error)
    return _changed(request, actor, conversation, done=f"Status set to {Status(status).label.lower()}.")


@require_POST
@staff_view(Perm.DESK_WORK)
def set_priority(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(actor, conversation_id)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _changed(request, actor, conversation, form_errors=_form_errors(form))
    try:
        conversations.set_priority(
            actor=actor, conversation=conversation, priority=form.cleaned_data["priority"]
        )
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        return _changed(request, actor, conversation, error=error)
    return _changed(request, actor, conversation, done="Priority changed.")


@require_POST
@staff_view(Perm.DESK_WORK)
def assign(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(actor, conversation_id)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _changed(request, actor, conversation, form_errors="Choose a member of staff.")
    choice = form.assignee_choice()
    assignee: User | None = actor.user if choice == "me" else None
    if isinstance(choice, int):
        assignee = staff_for_assignment(actor).filter(pk=choice).first()
        if assignee is None:
            return _changed(request, actor, conversation, form_errors="Choose a member of staff.")
    try:
        routing.assign_conversation(actor=actor, conversation=conversation, assignee=assignee)
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        return _changed(request, actor, conversation, error=error)
    done = f"Assigned to {assignee.display_name}." if assignee else "Now unassigned."
    return _changed(request, actor, conversation, done=done)


@require_POST
@staff_view(Perm.DESK_WORK)
def add_tag(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(actor, conversation_id)
    form = ConversationTagForm(request.POST)
    if not form.is_valid():
        return _changed(request, actor, conversation, form_errors=_form_errors(form))
    try:
        conversations.change_tags(actor=actor, conversation=conversation, add=[form.cleaned_data["name"]])
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        return _changed(request, actor, conversation, error=error)
    return _changed(request, actor, conversation, done="Tag added.")


@require_POST
@staff_view(Perm.DESK_WORK)
def remove_tag(request: HttpRequest, actor: Actor, conversation_id: int, name: str) -> HttpResponse:
    conversation = selectors.access_conversation(actor, conversation_id)
    try:
        conversations.change_tags(actor=actor, conversation=conversation, remove=[name])
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        return _changed(request, actor, conversation, error=error)
    return _changed(request, actor, conversation, done="Tag removed.")


@require_POST
@staff_view(Perm.DESK_WORK)
def edit_details(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    """The details card's form: subject, people in copy, linked orders and custom fields, all or nothing."""
    conversation = selectors.access_conversation(actor, conversation_id)
    linked = selectors.linked_orders(actor, conversation) if _sees_orders(actor) else []
    form = _details_form(conversation, selectors.active_custom_fields(actor), linked, request.POST)
    status = 422
    if form.is_valid():
        try:
            conversations.update_details(
                actor=actor,
                conversation=conversation,
                **form.service_arguments(with_orders=_sees_orders(actor)),
            )
        except (ValidationFailed, Conflict, PermissionDenied) as error:
            form.add_service_error(error)
            status = error.status
        else:
            if not htmx(request):
                messages.success(request, "Details saved.")
                return redirect(reverse("desk:conversation", args=[conversation.pk]) + "#conv-details")
            fresh = selectors.access_conversation(actor, conversation.pk)
            context = _context(request, actor, fresh, details_saved="Details saved.")
            # The header shows the subject and the thread the change; both come along out of band.
            return HttpResponse(_partials(request, context, "details", "header", "thread"))
    # Nothing was saved (the service is all or nothing): the form comes back as typed, with the reasons.
    fresh = selectors.access_conversation(actor, conversation.pk)
    context = _context(request, actor, fresh, details_form=form)
    if htmx(request):
        return HttpResponse(_partials(request, context, "details"), status=status)
    return render(request, TEMPLATE, context, status=status)


@require_GET
@staff_view(Perm.DESK_WORK)
def macro_fill(request: HttpRequest, actor: Actor, conversation_id: int, macro_id: int) -> HttpResponse:
    """The chosen macro, rendered for this conversation, for the composer (htmx); else the page, filled."""
    conversation = selectors.access_conversation(actor, conversation_id)
    if not htmx(request):
        return redirect(reverse("desk:conversation", args=[conversation.pk]) + f"?macro={macro_id}#composer")
    choice = _macro_choice(actor, conversation, macro_id)
    return render(request, f"{TEMPLATE}#macro-slot", {"macro_choice": choice, "fill": True})


@require_POST
@staff_view(Perm.DESK_WORK)
def apply_macro_now(request: HttpRequest, actor: Actor, conversation_id: int, macro_id: int) -> HttpResponse:
    """A macro with actions only (no text): run them at once."""
    conversation = selectors.access_conversation(actor, conversation_id)
    macro = access_macro(actor, macro_id, conversation=conversation)
    try:
        macros.apply_macro(actor=actor, macro=macro, conversation=conversation)
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        return _changed(request, actor, conversation, error=error)
    return _changed(request, actor, conversation, done=f"Macro “{macro.name}” applied.")


@require_POST
@staff_view(Perm.DESK_VIEW)
def ping_presence(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    """The page says "I am here" (and "I am typing"); the answer is who else is.

    On a live channel (chat) the page pings every second with the number of messages it shows; the
    answer also says whether the customer is typing, and brings the thread out of band when it holds
    more messages than that.
    """
    conversation = selectors.access_conversation(actor, conversation_id)
    presence.touch_viewer(actor=actor, conversation=conversation, typing=request.POST.get("typing") == "1")
    context = {
        "collisions": collisions_on(actor, conversation, now=timezone.now()),
        "customer": conversation.customer,
        "customer_typing": live.customer_typing(conversation),
    }
    parts: list[str] = [render_to_string(f"{TEMPLATE}#collision-list", context, request)]
    shown = request.POST.get("shown", "")
    if live.is_live(conversation.channel) and shown.isdigit() and int(shown) != conversation.message_count:
        parts.append(_live_thread(request, actor, conversation))
    return HttpResponse("".join(parts))


def _live_thread(request: HttpRequest, actor: Actor, conversation: Conversation) -> str:
    """The thread with its new messages, and the composer's guard: those messages are now on screen."""
    can_work = actor.can(Perm.DESK_WORK) and not conversation.is_merged
    context = {
        "conversation": conversation,
        "customer": conversation.customer,
        "thread": _thread(actor, conversation),
        "can_work": can_work,
        "seen_inbound_at": _seen_marker(conversation),
    }
    with_composer = can_work and conversation.status != Status.CLOSED
    return _partials(request, context, None, "thread", *(["composer-guard"] if with_composer else []))


@require_POST
@staff_view(Perm.DESK_VIEW)
def leave(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = selectors.access_conversation(actor, conversation_id)
    presence.leave_conversation(actor=actor, conversation=conversation)
    return HttpResponse(status=204)


@require_GET
@staff_view(Perm.DESK_VIEW)
def download_attachment(request: HttpRequest, actor: Actor, attachment_id: int) -> HttpResponseBase:
    """Only for someone who may see the conversation; always a download, never rendered by the browser."""
    return downloads.attachment_response(selectors.access_attachment(actor, attachment_id))


@require_POST
@staff_view(Perm.DESK_WORK)
def merge_into(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    """This conversation moves into another of the same customer's; the page goes to the survivor."""
    conversation = selectors.access_conversation(actor, conversation_id)
    form = MergeIntoForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the conversation to merge into.")
        return _back(conversation)
    try:
        target = selectors.access_conversation(actor, form.cleaned_data["target"])
        merge.merge_conversations(actor=actor, source=conversation, target=target)
    except (ValidationFailed, Conflict, PermissionDenied, NotFound) as error:
        messages.error(request, _sentence(error))
        return _back(conversation)
    messages.success(request, f"Conversation {conversation.pk} was merged into this one.")
    return redirect("desk:conversation", conversation_id=target.pk)


@require_POST
@staff_view(Perm.DESK_WORK)
def split(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    """One customer message becomes a conversation of its own; the page goes to the new one."""
    message = selectors.access_message(actor, message_id)
    try:
        created = merge.split_message(actor=actor, message=message)
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        messages.error(request, _sentence(error))
        return redirect("desk:conversation", conversation_id=message.conversation_id)
    messages.success(
        request, f"The message now has a conversation of its own (split from {message.conversation_id})."
    )
    return redirect("desk:conversation", conversation_id=created.pk)
