"""Recovery pages: the panel on a conversation, the approvals queue, an action, policies and the report.

The panel is loaded into the conversation page by htmx (and is a page of its own without JavaScript);
proposing, cancelling and deciding answer with the panel or the queue row again, or redirect back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import RapportError
from rapport.core.forms import show_refusal
from rapport.core.http import htmx
from rapport.desk.models import Conversation
from rapport.desk.selectors.conversations import access_conversation
from rapport.recovery import reports, selectors
from rapport.recovery.forms import ActionForm, DecisionForm, OutcomeForm, PolicyForm
from rapport.recovery.models import ActionStatus, EmpowermentPolicy, RecoveryAction
from rapport.recovery.replies import reply_language, suggested_reply
from rapport.recovery.services import actions as services
from rapport.recovery.services.policies import save_policy

PANEL = "recovery/panel.html"
# Orders offered on the panel's form: the customer's latest.
PANEL_ORDERS = 5


def _offers(actions: list[RecoveryAction], language: str) -> list[dict[str, Any]]:
    """Each action with what the agent may do with it, and the reply it suggests once approved."""
    lang = reply_language(language)
    return [
        {
            "action": action,
            "reply": suggested_reply(action, lang)
            if action.status in (ActionStatus.APPROVED, ActionStatus.SENT, ActionStatus.DONE)
            else "",
        }
        for action in actions
    ]


def _panel_context(
    actor: Actor, conversation: Conversation, *, form: ActionForm | None = None, notice: str = ""
) -> dict[str, Any]:
    customer = conversation.customer
    can_act = actor.can(Perm.RECOVERY_ACT) and actor.can(Perm.COMMERCE_VIEW) and not conversation.is_merged
    orders = selectors.orders_to_choose(actor, customer, limit=PANEL_ORDERS) if can_act else []
    if can_act and form is None:
        form = ActionForm(orders=orders)
    actions = selectors.actions_of_conversation(actor, conversation)
    return {
        "conversation": conversation,
        "customer": customer,
        "can_act": can_act,
        "can_approve": actor.can(Perm.RECOVERY_APPROVE),
        "me": actor.user.pk,
        "form": form,
        "orders": orders,
        "chosen_lines": form.chosen_line_ids() if form is not None else set(),
        "offers": _offers(actions, customer.language),
        "waiting": any(action.status == ActionStatus.PROPOSED for action in actions),
        "repeated": selectors.repeated_recoveries(actor, customer),
        "limits": selectors.limits_summary(actor, customer),
        "notice": notice,
        "language": reply_language(customer.language),
    }


def _panel(
    request: HttpRequest, actor: Actor, conversation: Conversation, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = _panel_context(actor, conversation, **extra)
    if htmx(request):
        part = "actions" if request.GET.get("part") == "actions" else "panel"
        return render(request, f"{PANEL}#{part}", context, status=status)
    return render(request, PANEL, context, status=status)


@staff_view(Perm.RECOVERY_VIEW)
def conversation_panel(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    return _panel(request, actor, access_conversation(actor, conversation_id))


@require_POST
@staff_view(Perm.RECOVERY_ACT)
def propose(request: HttpRequest, actor: Actor, conversation_id: int) -> HttpResponse:
    conversation = access_conversation(actor, conversation_id)
    orders = selectors.orders_to_choose(actor, conversation.customer, limit=PANEL_ORDERS)
    form = ActionForm(request.POST, orders=orders)
    if form.is_valid():
        try:
            action = services.propose_action(
                actor=actor,
                customer=conversation.customer,
                conversation=conversation,
                request=form.to_request(),
            )
        except RapportError as error:
            show_refusal(form, error)
        else:
            notice = (
                f"Approved: {services.describe(action)}."
                if action.status == ActionStatus.APPROVED
                else f"Waiting for a lead's approval: {services.describe(action)}."
            )
            if htmx(request):
                return _panel(request, actor, conversation, notice=notice)
            messages.success(request, notice)
            return redirect("desk:conversation", conversation_id=conversation.pk)
    return _panel(request, actor, conversation, form=form, status=422)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _after_change(request: HttpRequest, actor: Actor, action: RecoveryAction, notice: str) -> HttpResponse:
    """Back where the person acted: the panel (htmx), the queue's row (htmx), or the page they came from."""
    if htmx(request) and request.POST.get("from") == "panel" and action.conversation_id:
        conversation = access_conversation(actor, action.conversation_id)
        return _panel(request, actor, conversation, notice=notice)
    if htmx(request):
        return render(
            request, "recovery/approvals.html#row", {"action": action, "notice": notice, "decided": True}
        )
    messages.success(request, notice)
    fallback = (
        reverse("desk:conversation", args=[action.conversation_id])
        if action.conversation_id
        else reverse("recovery:action", args=[action.pk])
    )
    return _back(request, fallback)


def _refused(request: HttpRequest, error: RapportError, action: RecoveryAction) -> HttpResponse:
    if htmx(request):
        return render(
            request,
            "recovery/approvals.html#row",
            {"action": action, "notice": error.detail, "refused": True},
            status=error.status,
        )
    messages.error(request, error.detail)
    return _back(request, reverse("recovery:action", args=[action.pk]))


@require_POST
@staff_view(Perm.RECOVERY_APPROVE)
def decide(request: HttpRequest, actor: Actor, action_id: int) -> HttpResponse:
    """Approve or decline, with an optional note: one click each from the queue or the panel."""
    action = selectors.access_action(actor, action_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _refused(request, RapportError("choose approve or decline"), action)
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["decision"] == "approve":
            action = services.approve_action(actor=actor, action=action, note=note)
            notice = f"Approved: {services.describe(action)}."
        else:
            action = services.decline_action(actor=actor, action=action, note=note)
            notice = f"Declined: {services.describe(action)}."
    except RapportError as error:
        return _refused(request, error, action)
    return _after_change(request, actor, selectors.access_action(actor, action.pk), notice)


@require_POST
@staff_view(Perm.RECOVERY_ACT)
def cancel(request: HttpRequest, actor: Actor, action_id: int) -> HttpResponse:
    action = selectors.access_action(actor, action_id)
    try:
        action = services.cancel_action(actor=actor, action=action, note=request.POST.get("note", "")[:2000])
    except RapportError as error:
        return _refused(request, error, action)
    return _after_change(
        request, actor, selectors.access_action(actor, action.pk), f"Cancelled: {services.describe(action)}."
    )


@require_POST
@staff_view(Perm.RECOVERY_APPROVE)
def outcome(request: HttpRequest, actor: Actor, action_id: int) -> HttpResponse:
    """A lead records by hand what the store did (for a store without webhooks)."""
    action = selectors.access_action(actor, action_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _refused(request, RapportError("the outcome is done or failed"), action)
    try:
        services.record_outcome(
            actor=actor,
            action=action,
            status=form.cleaned_data["status"],
            reference=form.cleaned_data["reference"],
        )
    except RapportError as error:
        return _refused(request, error, action)
    messages.success(request, "Outcome recorded.")
    return redirect("recovery:action", action_id=action.pk)


@staff_view(Perm.RECOVERY_VIEW)
def action_detail(request: HttpRequest, actor: Actor, action_id: int) -> HttpResponse:
    action = selectors.access_action(actor, action_id)
    return render(
        request,
        "recovery/action.html",
        {
            "action": action,
            "reply": suggested_reply(action, action.customer.language),
            "can_approve": actor.can(Perm.RECOVERY_APPROVE),
            "can_cancel": action.is_open
            and actor.can(Perm.RECOVERY_ACT)
            and (action.requested_by_id == actor.user.pk or actor.can(Perm.RECOVERY_APPROVE)),
            "snapshot": sorted((action.policy_snapshot or {}).items()),
        },
    )


@staff_view(Perm.RECOVERY_APPROVE)
def approvals(request: HttpRequest, actor: Actor) -> HttpResponse:
    waiting = list(selectors.approvals_queue(actor)[:200])
    recent = list(
        selectors.search_actions(actor)
        .exclude(status=ActionStatus.PROPOSED)
        .filter(decided_at__isnull=False, approved_automatically=False)
        .order_by("-decided_at", "-id")[:20]
    )
    return render(
        request,
        "recovery/approvals.html",
        {
            "waiting": waiting,
            "recent": recent,
            "me": actor.user.pk,
            "is_admin": actor.can(Perm.RECOVERY_CONFIGURE),
        },
    )


# Policies


@staff_view(Perm.RECOVERY_CONFIGURE)
def policies(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "recovery/policies.html",
        {"policies": list(selectors.policies_visible_to(actor).prefetch_related("versions__changed_by"))},
    )


def _policy_page(request: HttpRequest, actor: Actor, policy: EmpowermentPolicy | None) -> HttpResponse:
    initial = PolicyForm.initial_for(policy) if policy is not None else None
    form = PolicyForm(request.POST or None, initial=initial, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_policy(actor=actor, policy=policy, data=form.to_input())
        except RapportError as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Saved the policy for {saved} (version {saved.version}).")
            return redirect("recovery:policies")
    return render(
        request,
        "recovery/policy.html",
        {"form": form, "policy": policy},
        status=422 if request.method == "POST" else 200,
    )


@staff_view(Perm.RECOVERY_CONFIGURE)
def policy_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _policy_page(request, actor, None)


@staff_view(Perm.RECOVERY_CONFIGURE)
def policy_edit(request: HttpRequest, actor: Actor, policy_id: int) -> HttpResponse:
    return _policy_page(request, actor, selectors.access_policy(actor, policy_id))


# Report


@staff_view(Perm.RECOVERY_VIEW)
def report(request: HttpRequest, actor: Actor) -> HttpResponse:
    currencies = reports.report_currencies(actor)
    currency = request.GET.get("currency", "")
    currency = currency if currency in currencies else currencies[0]
    now = timezone.now()
    cost = reports.cost_over_time(actor, currency=currency, now=now)
    return render(
        request,
        "recovery/report.html",
        {
            "cost": cost,
            "chart": {"labels": cost.labels, "series": cost.by_reason, "currency": cost.currency},
            "currencies": currencies,
            "follow_up": reports.bought_again_after(actor, now=now),
            "follow_up_days": reports.FOLLOW_UP_DAYS,
        },
    )
