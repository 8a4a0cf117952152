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
from rapport.accounts.forms import AuditFilterForm, EmailAuthenticationForm, TokenForm
from rapport.accounts.permissions import Actor, Perm, scopes_for_role
from rapport.accounts.web import staff_view
from rapport.core.errors import ValidationFailed


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
