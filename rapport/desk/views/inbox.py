"""Desk pages: the agent inbox, its live view counts, bulk actions, presence and saved views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypedDict

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.core.http import htmx
from rapport.desk.forms import (
    BULK_STATUSES,
    SLA_CHOICES,
    BulkActionForm,
    InboxFilterForm,
    PresenceForm,
    SaveViewForm,
    filter_params,
)
from rapport.desk.models import Channel, Conversation, Priority, SavedView, Status
from rapport.desk.selectors import inbox as selectors
from rapport.desk.selectors.inbox import VIEW_LABELS, VIEWS, InboxFilters
from rapport.desk.selectors.saved_views import access_saved_view, filters_of, saved_views_for
from rapport.desk.services import routing, saved_views
from rapport.desk.services.bulk import BulkResult, bulk_update


def _inbox_url(params: QueryDict | None = None) -> str:
    query = params.urlencode() if params else ""
    return reverse("desk:inbox") + (f"?{query}" if query else "")


def _chosen(actor: Actor, form: InboxFilterForm) -> tuple[InboxFilters, SavedView | None]:
    saved_id = form.saved_view_id()
    if saved_id is not None:
        saved = access_saved_view(actor, saved_id)
        return filters_of(saved), saved
    return form.to_filters(), None


def _navigation(
    actor: Actor, filters: InboxFilters, saved: SavedView | None, *, with_counts: bool
) -> dict[str, Any]:
    """The views, with their counts when asked for, and the saved views: the part of the page that polls.

    The full page leaves the counts out and its navigation fetches them as soon as it is shown (see
    inbox.html): six counts cost as much as the rest of the SQL on the page, and the list should not
    wait for them. Without JavaScript the views are there, without their numbers.
    """
    counts = selectors.view_counts(actor, now=timezone.now()) if with_counts else {}
    inbox_url = reverse("desk:inbox")
    return {
        "views": [
            {
                "name": view,
                "label": VIEW_LABELS[view],
                "count": counts.get(view),
                "url": f"{inbox_url}?view={view}",
            }
            for view in VIEWS
        ],
        "counts_pending": not with_counts,
        "count_cap": selectors.COUNT_CAP,
        "current_view": "" if saved else filters.view,
        "current_saved": saved.pk if saved else None,
        "saved_views": list(saved_views_for(actor)),
        "inbox_url": inbox_url,
        "counts_url": reverse("desk:inbox_counts")
        + "?"
        + (f"saved={saved.pk}" if saved else f"view={filters.view}"),
    }


class InboxRow(TypedDict):
    """One row of the list with every value already a string: the template only places them.

    Fifty rows of lookups, filters and {% url %} tags were most of the page's time; a dict is also
    what the template engine looks into fastest.
    """

    conversation: Conversation
    pk: str
    url: str
    customer: str
    subject: str
    status: str
    status_label: str
    priority: str
    priority_label: str
    assignee: str
    tags: list[str]
    channel_label: str
    sla_state: str
    sla_label: str
    sla_title: str
    last_iso: str
    last_title: str
    ago: str


STATUS_LABELS = {value: str(label) for value, label in Status.choices}
PRIORITY_LABELS = {value: str(label) for value, label in Priority.choices}
CHANNEL_LABELS = {value: str(label) for value, label in Channel.choices}


def _minute(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def url_for_each(name: str) -> Callable[[int], str]:
    """reverse() for a URL with one id, resolved once for a whole list rather than once a row (about
    30 µs each: fifty rows' links cost more than the query that found the rows)."""
    marker = 2_147_483_647
    head, _, tail = reverse(name, args=[marker]).rpartition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _rows(page: selectors.InboxPage, now: datetime) -> list[InboxRow]:
    conversation_url = url_for_each("desk:conversation")
    rows: list[InboxRow] = []
    for c in page.rows:
        badge = selectors.sla_badge(c, now)
        rows.append(
            {
                "conversation": c,
                "pk": str(c.pk),
                "url": conversation_url(c.pk),
                "customer": str(c.customer),
                "subject": c.subject or "(no subject)",
                "status": c.status,
                "status_label": STATUS_LABELS.get(c.status, c.status),
                "priority": c.priority,
                "priority_label": PRIORITY_LABELS.get(c.priority, c.priority),
                "assignee": c.assignee.display_name if c.assignee else "",
                "tags": page.tag_names.get(c.pk, []),
                "channel_label": CHANNEL_LABELS.get(c.channel, c.channel),
                "sla_state": badge.state,
                "sla_label": badge.label,
                "sla_title": f"due {_minute(badge.due_at)} UTC" if badge.due_at else "",
                "last_iso": timezone.localtime(c.last_message_at).isoformat(),
                "last_title": f"{_minute(c.last_message_at)} UTC",
                "ago": f"{selectors.duration_label(now - c.last_message_at)} ago",
            }
        )
    return rows


def agent_options(agents: list[tuple[int, str]], selected: int | None = None) -> SafeString:
    """The <option>s of a staff picker, built in Python: 160 staff in two pickers were a tenth of the
    inbox's time as template loops. The conversation page's assignee picker uses it too."""
    return mark_safe(  # noqa: S308 - the one text in it, the name, is escaped here
        "".join(
            f'<option value="{pk}"{" selected" if pk == selected else ""}>{escape(name)}</option>'
            for pk, name in agents
        )
    )


def _results(
    request: HttpRequest,
    actor: Actor,
    filters: InboxFilters,
    saved: SavedView | None,
    form: InboxFilterForm | None,
    *,
    agents: list[tuple[int, str]] | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    page = selectors.inbox_page(
        actor,
        filters,
        now=now,
        size=settings.RAPPORT_LIST_PAGE_SIZE,
        after=form.cursor() if form is not None else None,
    )
    params = QueryDict(mutable=True)
    if saved is not None:
        params["saved"] = str(saved.pk)
    else:
        params = filter_params(filters)
    next_url = ""
    if page.next_cursor is not None:
        next_params = params.copy()
        next_params.update(page.next_cursor.as_params())
        next_url = _inbox_url(next_params)
    can_assign = actor.can(Perm.DESK_ASSIGN)
    if agents is None and can_assign:
        agents = selectors.agent_choices(actor)
    return {
        "now": now,
        "rows": _rows(page, now),
        "page": page,
        "next_url": next_url,
        "first_url": _inbox_url(params),
        "filters_query": params.urlencode(),
        "can_work": actor.can(Perm.DESK_WORK),
        "can_assign": can_assign,
        "bulk_agent_options": agent_options(agents) if can_assign and agents else "",
        "bulk_statuses": BULK_STATUSES,
    }


def _page_context(
    request: HttpRequest, actor: Actor, filters: InboxFilters, saved: SavedView | None, form: InboxFilterForm
) -> dict[str, Any]:
    # One read of the staff serves both pickers: the assignee filter and the bulk bar's.
    agents = selectors.agent_choices(actor)
    return {
        **_navigation(actor, filters, saved, with_counts=False),
        **_results(request, actor, filters, saved, form, agents=agents),
        "filter_agent_options": agent_options(agents, filters.assignee_id),
        "filters": filters,
        "filters_open": filters != InboxFilters(view=filters.view, query=filters.query),
        "form": form,
        "saved": saved,
        "title": saved.name if saved else VIEW_LABELS[filters.view],
        "available": selectors.is_available(actor),
        "teams": list(selectors.inbox_teams(actor)),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "channels": Channel.choices,
        "sla_choices": SLA_CHOICES,
        "view_choices": [(view, VIEW_LABELS[view]) for view in VIEWS],
        "save_form": SaveViewForm(),
    }


@require_GET
@staff_view(Perm.DESK_VIEW)
def inbox(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = InboxFilterForm(request.GET)
    filters, saved = _chosen(actor, form)
    details = htmx(request)
    if details and not details.boosted:
        context = {**_results(request, actor, filters, saved, form), "filters": filters, "saved": saved}
        return render(request, "desk/inbox.html#results", context)
    return render(request, "desk/inbox.html", _page_context(request, actor, filters, saved, form))


@require_GET
@staff_view(Perm.DESK_VIEW)
def inbox_counts(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The views with fresh counts; the inbox polls this fragment."""
    form = InboxFilterForm(request.GET)
    filters, saved = _chosen(actor, form)
    return render(request, "desk/inbox.html#navigation", _navigation(actor, filters, saved, with_counts=True))


def _bulk_report(result: BulkResult) -> dict[str, Any]:
    return {"updated": len(result.updated), "skipped": sorted(result.skipped.items())}


@require_POST
@staff_view(Perm.DESK_WORK)
def inbox_bulk(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = BulkActionForm(request.POST)
    raw_filters = request.POST.get("filters", "")
    report: dict[str, Any] = {}
    status = 200
    if form.is_valid():
        try:
            result = bulk_update(actor=actor, **form.service_arguments(me=actor.user.pk))
        except ValidationFailed as error:
            report, status = {"error": error.detail}, 422
        else:
            report = _bulk_report(result)
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        report, status = {"error": " ".join(errors)}, 422
    if not htmx(request):
        if "error" in report:
            messages.error(request, report["error"])
        else:
            messages.success(request, _bulk_summary(report))
        return redirect(_inbox_url(QueryDict(raw_filters[:4000])))
    filter_form = InboxFilterForm(QueryDict(raw_filters[:4000]))
    filters, saved = _chosen(actor, filter_form)
    context = {
        **_results(request, actor, filters, saved, None),
        "filters": filters,
        "saved": saved,
        "report": report,
    }
    response = render(request, "desk/inbox.html#results", context, status=status)
    # The view counts refresh at once rather than at the next poll.
    response["HX-Trigger"] = "inbox-changed"
    return response


def _bulk_summary(report: dict[str, Any]) -> str:
    summary = f"Updated {report['updated']} conversation{'s' if report['updated'] != 1 else ''}."
    if report["skipped"]:
        reasons = "; ".join(f"#{pk}: {reason}" for pk, reason in report["skipped"])
        summary += f" Skipped {len(report['skipped'])}: {reasons}"
    return summary


@require_POST
@staff_view(Perm.DESK_WORK)
def inbox_presence(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PresenceForm(request.POST)
    if form.is_valid():
        routing.set_presence(actor=actor, user=actor.user, available=form.cleaned_data["available"])
    elif not htmx(request):
        messages.error(request, "Choose available or away.")
    if not htmx(request):
        return redirect("desk:inbox")
    return render(
        request,
        "desk/inbox.html#presence",
        {"available": selectors.is_available(actor), "can_work": True},
        status=200 if form.is_valid() else 422,
    )


@require_POST
@staff_view(Perm.DESK_VIEW)
def save_view(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = SaveViewForm(request.POST)
    raw_filters = request.POST.get("filters", "")
    if not form.is_valid():
        messages.error(request, "Give the view a name of at most 100 characters.")
        return redirect(_inbox_url(QueryDict(raw_filters[:4000])))
    filters, _ = _chosen(actor, InboxFilterForm(QueryDict(raw_filters[:4000])))
    try:
        saved = saved_views.save_view(
            actor=actor,
            name=form.cleaned_data["name"],
            filters=filters,
            shared=form.cleaned_data["shared"],
        )
    except (ValidationFailed, Conflict, PermissionDenied) as error:
        messages.error(request, f"The view was not saved: {error.detail}")
        return redirect(_inbox_url(QueryDict(raw_filters[:4000])))
    messages.success(request, f"Saved the view “{saved.name}”.")
    return redirect(_inbox_url(QueryDict(f"saved={saved.pk}")))


@require_POST
@staff_view(Perm.DESK_VIEW)
def delete_view(request: HttpRequest, actor: Actor, view_id: int) -> HttpResponse:
    saved = access_saved_view(actor, view_id)
    saved_views.delete_view(actor=actor, saved_view=saved)
    messages.success(request, f"Deleted the view “{saved.name}”.")
    return redirect("desk:inbox")
