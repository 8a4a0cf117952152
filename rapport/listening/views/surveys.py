"""Listening pages: surveys (urlpatterns are gathered by rapport/listening/urls.py).

The follow-ups list (everyone's own; leads and admins see all and filter by assignee), marking one done
with what was done, and the survey settings for admins.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import RapportError
from rapport.core.forms import show_refusal
from rapport.listening.models import FollowUpStatus, SentimentEngine
from rapport.listening.selectors import visible_follow_ups
from rapport.listening.services.config import listening_settings, update_listening_settings
from rapport.listening.services.follow_ups import MAX_OUTCOME, complete_follow_up
from rapport.listening.services.surveys import MIN_DAYS_BETWEEN_NPS

FOLLOW_UPS = "listening/follow_ups.html"
PER_PAGE = 50
TIERS = [("standard", "Standard"), ("silver", "Silver"), ("gold", "Gold"), ("platinum", "Platinum")]


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        required=False, max_length=MAX_OUTCOME, widget=forms.Textarea(attrs={"rows": 2})
    )


class SurveySettingsForm(forms.Form):
    csat_enabled = forms.BooleanField(required=False, label="Ask for CSAT after a conversation is resolved")
    csat_delay_minutes = forms.IntegerField(
        min_value=0, max_value=7 * 24 * 60, label="Minutes after the resolution before the CSAT survey goes"
    )
    ces_enabled = forms.BooleanField(required=False, label="Also ask for customer effort (CES)")
    nps_enabled = forms.BooleanField(required=False, label="Send the NPS relationship survey")
    nps_days_after_first_order = forms.IntegerField(
        min_value=1, max_value=3650, label="Days after the customer's first paid order"
    )
    nps_min_days_between = forms.IntegerField(
        min_value=MIN_DAYS_BETWEEN_NPS,
        max_value=3650,
        label="At least this many days between two NPS surveys to one customer",
    )
    invitation_valid_days = forms.IntegerField(
        min_value=1, max_value=90, label="Days an invitation can be answered"
    )
    sentiment_engine = forms.ChoiceField(choices=SentimentEngine.choices, label="Sentiment model")
    email_alerts = forms.BooleanField(required=False, label="Also email alerts to the people they are for")
    valuable_tier = forms.ChoiceField(
        choices=TIERS, label="Customers from this value tier up count as valuable"
    )


def _filters(request: HttpRequest, actor: Actor) -> tuple[str, int | None]:
    status = request.GET.get("status", FollowUpStatus.OPEN)
    if status not in FollowUpStatus.values:
        status = FollowUpStatus.OPEN
    assignee: int | None = None
    if actor.can(Perm.LISTENING_MANAGE) and request.GET.get("assignee", "").isdigit():
        assignee = int(request.GET["assignee"])
    return status, assignee


@staff_view(Perm.LISTENING_VIEW)
def follow_ups(request: HttpRequest, actor: Actor) -> HttpResponse:
    status, assignee = _filters(request, actor)
    rows = visible_follow_ups(actor, status=status).select_related("response", "done_by")
    if assignee is not None:
        rows = rows.filter(assignee_id=assignee)
    if status == FollowUpStatus.DONE:
        rows = rows.order_by("-done_at", "-pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    assignees = (
        visible_follow_ups(actor, status="")
        .filter(assignee__isnull=False)
        .order_by("assignee__full_name", "assignee__email")
        .values_list("assignee_id", "assignee__full_name", "assignee__email")
        .distinct()
        if actor.can(Perm.LISTENING_MANAGE)
        else []
    )
    params = urlencode({k: v for k, v in {"status": status, "assignee": assignee or ""}.items() if v})
    return render(
        request,
        FOLLOW_UPS,
        {
            "page": page,
            "status": status,
            "assignee": assignee,
            "assignees": [(pk, name or email) for pk, name, email in assignees],
            "params": params,
            "can_manage": actor.can(Perm.LISTENING_MANAGE),
            "can_complete": actor.can(Perm.DESK_WORK) or actor.can(Perm.LISTENING_MANAGE),
            "me": actor.user.pk,
        },
    )


@require_POST
@staff_view(Perm.LISTENING_VIEW)
def follow_up_done(request: HttpRequest, actor: Actor, follow_up_id: int) -> HttpResponse:
    form = OutcomeForm(request.POST)
    notice, refused = "", False
    if form.is_valid():
        try:
            follow_up = complete_follow_up(
                actor=actor, follow_up_id=follow_up_id, outcome=form.cleaned_data["outcome"]
            )
        except RapportError as error:
            if error.status == 404:
                raise
            notice, refused = error.detail, True
        else:
            notice = f"Done: {follow_up.title}"
    else:
        notice, refused = "; ".join(str(e) for errors in form.errors.values() for e in errors), True
    if refused:
        messages.error(request, notice)
    else:
        messages.success(request, notice)
    return redirect("listening:follow_ups")


@staff_view(Perm.LISTENING_CONFIGURE)
def survey_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    current = listening_settings()
    initial = {name: getattr(current, name) for name in SurveySettingsForm.base_fields}
    if request.method == "POST":
        form = SurveySettingsForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                update_listening_settings(actor=actor, **form.cleaned_data)
            except RapportError as error:
                show_refusal(form, error)
            else:
                messages.success(request, "Survey settings saved.")
                return redirect("listening:survey_settings")
        return render(request, "listening/survey_settings.html", {"form": form}, status=422)
    return render(request, "listening/survey_settings.html", {"form": SurveySettingsForm(initial=initial)})


urlpatterns: list[URLPattern] = [
    path("follow-ups/", follow_ups, name="follow_ups"),
    path("follow-ups/<int:follow_up_id>/done/", follow_up_done, name="follow_up_done"),
    path("surveys/settings/", survey_settings, name="survey_settings"),
]
