"""Pages for signing in, API tokens and the audit log."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.accounts import selectors, services
from rapport.accounts.forms import AuditFilterForm, EmailAuthenticationForm, StaffForm, TeamForm, TokenForm
from rapport.accounts.permissions import Actor, Perm, scopes_for_role
from rapport.accounts.web import staff_view
from rapport.core.errors import RapportError, ValidationFailed


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@staff_view(Perm.TOKENS_OWN)
def tokens(request: HttpRequest, actor: Actor) -> HttpResponse:
    allowed = scopes_for_role(actor.user.role)
    form = TokenForm(request.POST or None, allowed_scopes=allowed)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.create_api_token(
                actor=actor, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
        except ValidationFailed as error:
            form.add_error(None, error.detail)
        else:
            form = TokenForm(allowed_scopes=allowed)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": selectors.tokens_of(actor), "issued": issued},
        status=422 if request.method == "POST" and issued is None else 200,
    )


@require_POST
@staff_view(Perm.TOKENS_OWN)
def revoke_token(request: HttpRequest, actor: Actor, token_id: int) -> HttpResponse:
    token = services.revoke_api_token(actor=actor, token_id=token_id)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


@staff_view(Perm.AUDIT_VIEW)
def audit_log(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    until = filters.get("until")
    entries = selectors.audit_entries_visible_to(
        actor,
        action=filters.get("action", ""),
        actor_email=filters.get("actor", ""),
        target_type=filters.get("target_type", ""),
        target_id=filters.get("target_id", ""),
        since=_day_start(filters.get("since")),
        until=_day_start(until + dt.timedelta(days=1)) if until else None,
    ).select_related("actor")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/audit_log.html",
        {"form": form, "page": page, "actions": selectors.audit_actions(), "query": query.urlencode()},
    )


@staff_view(Perm.STAFF_MANAGE)
def staff(request: HttpRequest, actor: Actor) -> HttpResponse:
    teams = selectors.teams_visible_to(actor)
    form = StaffForm(request.POST or None, teams=teams)
    team_form = TeamForm(request.POST or None, prefix="team")
    status = 200
    if request.method == "POST":
        try:
            if "team-name" in request.POST:
                if team_form.is_valid():
                    team = services.create_team(actor=actor, name=team_form.cleaned_data["name"])
                    messages.success(request, f"Team {team.name} created.")
                    return redirect("accounts:staff")
            elif form.is_valid():
                user = services.create_staff_user(
                    actor=actor,
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    role=form.cleaned_data["role"],
                    full_name=form.cleaned_data["full_name"],
                    team=form.cleaned_data["team"],
                )
                messages.success(request, f"{user.email} can now sign in.")
                return redirect("accounts:staff")
        except RapportError as error:
            form.add_error(None, error.detail)
        status = 422
    return render(
        request,
        "accounts/staff.html",
        {
            "staff": selectors.staff_visible_to(actor),
            "teams": teams,
            "form": form if "team-name" not in request.POST else StaffForm(teams=teams),
            "team_form": team_form if "team-name" in request.POST else TeamForm(prefix="team"),
        },
        status=status,
    )


@staff_view(Perm.STAFF_MANAGE)
def edit_staff(request: HttpRequest, actor: Actor, user_id: int) -> HttpResponse:
    user = selectors.access_staff_user(actor, user_id)
    teams = selectors.teams_visible_to(actor)
    initial = {"full_name": user.full_name, "role": user.role, "team": user.team, "is_active": user.is_active}
    form = StaffForm(request.POST or None, teams=teams, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_staff_user(
                actor=actor,
                user=user,
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
                is_active=form.cleaned_data["is_active"],
            )
        except RapportError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, f"{user.email} updated.")
            return redirect("accounts:staff")
    return render(
        request,
        "accounts/staff_edit.html",
        {"member": user, "form": form},
        status=422 if request.method == "POST" else 200,
    )
