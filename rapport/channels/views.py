"""Channel pages: the inbound log, raw input and quarantine, mailboxes (admins); sending a reply again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.channels import selectors
from rapport.channels.downloads import raw_response
from rapport.channels.email.outgoing import retry_outbound
from rapport.channels.forms import MailboxForm
from rapport.channels.models import ChannelKind, DeliveryStatus, Mailbox
from rapport.channels.services.deliveries import reprocess_delivery
from rapport.channels.services.mailboxes import save_mailbox
from rapport.core.errors import RapportError
from rapport.core.forms import show_refusal


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@staff_view(Perm.CHANNELS_MANAGE)
def inbound_log(request: HttpRequest, actor: Actor) -> HttpResponse:
    filters = selectors.LogFilters(
        status=request.GET.get("status", "") if request.GET.get("status") in DeliveryStatus.values else "",
        kind=request.GET.get("kind", "") if request.GET.get("kind") in ChannelKind.values else "",
        external_id=request.GET.get("external_id", "")[:998],
        before_id=_int_or_none(request.GET.get("before")),
    )
    page = list(selectors.inbound_deliveries(actor, filters)[: selectors.LOG_PAGE_SIZE + 1])
    more = len(page) > selectors.LOG_PAGE_SIZE
    page = page[: selectors.LOG_PAGE_SIZE]
    return render(
        request,
        "channels/inbound_log.html",
        {
            "deliveries": page,
            "filters": filters,
            "statuses": DeliveryStatus.choices,
            "kinds": ChannelKind.choices,
            "counts": selectors.status_counts(actor),
            "volume": selectors.hourly_volume(actor, now=timezone.now()),
            "next_before": page[-1].pk if more and page else None,
        },
    )


@staff_view(Perm.CHANNELS_MANAGE)
def delivery_detail(request: HttpRequest, actor: Actor, delivery_id: int) -> HttpResponse:
    delivery = selectors.access_delivery(actor, delivery_id)
    preview = bytes(delivery.raw[:20_000]).decode("utf-8", errors="replace")
    return render(
        request,
        "channels/delivery.html",
        {"delivery": delivery, "preview": preview, "truncated": delivery.size > 20_000},
    )


@staff_view(Perm.CHANNELS_MANAGE)
def delivery_raw(request: HttpRequest, actor: Actor, delivery_id: int) -> HttpResponse:
    return raw_response(selectors.access_delivery(actor, delivery_id))


@require_POST
@staff_view(Perm.CHANNELS_MANAGE)
def delivery_reprocess(request: HttpRequest, actor: Actor, delivery_id: int) -> HttpResponse:
    delivery = selectors.access_delivery(actor, delivery_id)
    try:
        status = reprocess_delivery(actor=actor, delivery=delivery)
    except RapportError as error:
        messages.error(request, error.detail)
    else:
        label = DeliveryStatus(status).label
        (messages.success if status == DeliveryStatus.PROCESSED else messages.warning)(
            request, f"Processed again: {label.lower()}."
        )
    return redirect("channels:delivery", delivery_id=delivery.pk)


@require_POST
@staff_view(Perm.DESK_WORK)
def outbound_retry(request: HttpRequest, actor: Actor, outbound_id: int) -> HttpResponse:
    """An agent sends a failed reply again, from the conversation it belongs to."""
    outbound = selectors.access_outbound(actor, outbound_id)
    try:
        retry_outbound(actor=actor, outbound=outbound)
    except RapportError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "The reply is queued to be sent again.")
    return redirect("desk:conversation", conversation_id=outbound.message.conversation_id)


# Mailboxes


@staff_view(Perm.CHANNELS_MANAGE)
def mailboxes(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "channels/mailboxes.html", {"mailboxes": selectors.mailboxes_visible_to(actor)})


def _mailbox_page(request: HttpRequest, actor: Actor, mailbox: Mailbox | None) -> HttpResponse:
    initial = MailboxForm.initial_for(mailbox) if mailbox else None
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_mailbox(actor=actor, mailbox=mailbox, data=form.to_input())
        except RapportError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Saved {saved.address}.")
            return redirect("channels:mailboxes")
    return render(
        request,
        "channels/mailbox.html",
        {"form": form, "mailbox": mailbox},
        status=422 if request.method == "POST" else 200,
    )


@staff_view(Perm.CHANNELS_MANAGE)
def mailbox_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _mailbox_page(request, actor, None)


@staff_view(Perm.CHANNELS_MANAGE)
def mailbox_edit(request: HttpRequest, actor: Actor, mailbox_id: int) -> HttpResponse:
    return _mailbox_page(request, actor, selectors.access_mailbox(actor, mailbox_id))
