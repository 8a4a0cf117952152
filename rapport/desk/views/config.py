"""Desk configuration pages: calendars, SLA policies, team routing, custom fields, desk settings, macros.

Every page but the macros is an admin's (Perm.DESK_CONFIGURE); the macros pages are also a lead's
(Perm.DESK_ASSIGN), scoped by the selectors to shared macros and the lead's own team.
Forms parse what people type; the services decide, and their errors are shown on the same fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rapport.accounts.permissions import Actor, Perm
from rapport.accounts.web import staff_view
from rapport.core.errors import Conflict, ValidationFailed
from rapport.core.forms import show_refusal
from rapport.core.http import htmx
from rapport.desk.forms_config import (
    CalendarForm,
    CustomFieldForm,
    DeskSettingsForm,
    MacroForm,
    MemberForm,
    SlaPolicyForm,
    TeamDeskForm,
    describe_actions,
    format_duration,
    format_hours,
    format_size,
)
from rapport.desk.models import BusinessCalendar, CustomField, Macro, SlaPolicy
from rapport.desk.selectors import config as selectors
from rapport.desk.services import config as services
from rapport.desk.services.config import WEEKDAYS, RosterRow

Context = dict[str, Any]


def _status(request: HttpRequest) -> int:
    # A form that comes back after a POST came back because something was refused.
    return 422 if request.method == "POST" else 200


# Overview


@staff_view(Perm.DESK_CONFIGURE)
def desk_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    settings = selectors.desk_settings_for(actor)
    return render(
        request,
        "desk/settings.html",
        {
            "previews": selectors.calendar_previews(actor, at=timezone.now()),
            "policies": _policy_rows(actor),
            "teams": selectors.team_desks_visible_to(actor),
            "fields": list(selectors.custom_fields_visible_to(actor)),
            "settings": settings,
            "attachment_limit": format_size(settings.max_attachment_bytes),
            "macro_count": selectors.macros_manageable_by(actor).count(),
        },
    )


# Calendars


@staff_view(Perm.DESK_CONFIGURE)
def calendars(request: HttpRequest, actor: Actor) -> HttpResponse:
    previews = selectors.calendar_previews(actor, at=timezone.now())
    rows = [
        (preview, [(day.capitalize(), format_hours(hours)) for day, hours in _week(preview.calendar)])
        for preview in previews
    ]
    return render(request, "desk/settings_calendars.html", {"rows": rows})


def _week(calendar: BusinessCalendar) -> list[tuple[str, list[list[int]]]]:
    week = calendar.weekly_hours if len(calendar.weekly_hours or []) == 7 else [[]] * 7
    return list(zip(WEEKDAYS, week, strict=True))


def _calendar_page(request: HttpRequest, actor: Actor, calendar: BusinessCalendar | None) -> HttpResponse:
    if calendar is not None:
        initial = CalendarForm.initial_for(calendar)
    else:
        initial = {"time_zone": "UTC"} | dict.fromkeys(WEEKDAYS[:5], "09:00-17:00")
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_calendar(
                actor=actor,
                calendar=calendar,
                name=data["name"],
                time_zone=data["time_zone"],
                always_open=data["always_open"],
                weekly_hours=data["weekly_hours"],
                holidays=data["holiday_dates"],
            )
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Calendar “{saved.name}” saved.")
            return redirect("desk:settings_calendars")
    context: Context = {"form": form, "calendar": calendar, "weekdays": WEEKDAYS}
    if calendar is not None:
        context["preview"] = selectors.preview_calendar(calendar, timezone.now())
        context["usage"] = selectors.calendar_usage(actor, calendar)
    return render(request, "desk/settings_calendar.html", context, status=_status(request))


@staff_view(Perm.DESK_CONFIGURE)
def calendar_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _calendar_page(request, actor, None)


@staff_view(Perm.DESK_CONFIGURE)
def calendar_edit(request: HttpRequest, actor: Actor, calendar_id: int) -> HttpResponse:
    return _calendar_page(request, actor, selectors.access_calendar(actor, calendar_id))


@require_POST
@staff_view(Perm.DESK_CONFIGURE)
def calendar_delete(request: HttpRequest, actor: Actor, calendar_id: int) -> HttpResponse:
    calendar = selectors.access_calendar(actor, calendar_id)
    try:
        services.delete_calendar(actor=actor, calendar=calendar)
    except Conflict as error:
        messages.error(request, error.detail)
        return redirect("desk:settings_calendar", calendar_id=calendar.pk)
    messages.success(request, f"Calendar “{calendar.name}” deleted.")
    return redirect("desk:settings_calendars")


# SLA policies


def _policy_rows(actor: Actor) -> list[tuple[SlaPolicy, str, str]]:
    return [
        (policy, format_duration(policy.first_response_minutes), format_duration(policy.resolution_minutes))
        for policy in selectors.sla_policies_visible_to(actor)
    ]


def _policy_form(actor: Actor, data: Any = None, initial: Context | None = None) -> SlaPolicyForm:
    return SlaPolicyForm(
        data,
        initial=initial,
        tags=selectors.tags_for_policies(actor),
        calendars=selectors.calendars_visible_to(actor),
    )


def _save_policy(actor: Actor, form: SlaPolicyForm, policy: SlaPolicy | None) -> SlaPolicy | None:
    if not form.is_valid():
        return None
    try:
        return services.save_sla_policy(actor=actor, policy=policy, **form.cleaned_data)
    except ValidationFailed as error:
        show_refusal(form, error)
        return None


@staff_view(Perm.DESK_CONFIGURE)
def sla_policies(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = _policy_form(actor, request.POST or None)
    if request.method == "POST":
        saved = _save_policy(actor, form, None)
        if saved is not None:
            messages.success(request, f"SLA policy “{saved.name}” added.")
            return redirect("desk:settings_sla")
    return render(
        request,
        "desk/settings_sla.html",
        {"policies": _policy_rows(actor), "form": form},
        status=_status(request),
    )


@staff_view(Perm.DESK_CONFIGURE)
def sla_policy_edit(request: HttpRequest, actor: Actor, policy_id: int) -> HttpResponse:
    policy = selectors.access_sla_policy(actor, policy_id)
    initial = {
        "name": policy.name,
        "priority": policy.priority,
        "customer_tag": policy.customer_tag_id,
        "customer_tier": policy.customer_tier,
        "calendar": policy.calendar_id,
        "first_response_minutes": policy.first_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "is_active": policy.is_active,
    }
    form = _policy_form(actor, request.POST or None, initial)
    if request.method == "POST":
        saved = _save_policy(actor, form, policy)
        if saved is not None:
            messages.success(request, f"SLA policy “{saved.name}” saved.")
            return redirect("desk:settings_sla")
    return render(
        request, "desk/settings_sla_policy.html", {"policy": policy, "form": form}, status=_status(request)
    )


def _policy_list_response(request: HttpRequest, actor: Actor, error: str = "") -> HttpResponse:
    if htmx(request):
        # htmx swaps only 2xx answers, so a refusal comes back as the list with its message.
        return render(
            request,
            "desk/settings_sla.html#policy-list",
            {"policies": _policy_rows(actor), "list_error": error},
        )
    if error:
        messages.error(request, error)
    return redirect("desk:settings_sla")


@require_POST
@staff_view(Perm.DESK_CONFIGURE)
def sla_policy_delete(request: HttpRequest, actor: Actor, policy_id: int) -> HttpResponse:
    policy = selectors.access_sla_policy(actor, policy_id)
    try:
        services.delete_sla_policy(actor=actor, policy=policy)
    except Conflict as error:
        return _policy_list_response(request, actor, error.detail)
    if not htmx(request):
        messages.success(request, f"SLA policy “{policy.name}” deleted.")
    return _policy_list_response(request, actor)


@require_POST
@staff_view(Perm.DESK_CONFIGURE)
def sla_policy_move(request: HttpRequest, actor: Actor, policy_id: int) -> HttpResponse:
    policy = selectors.access_sla_policy(actor, policy_id)
    services.move_sla_policy(
        actor=actor, policy=policy, by=-1 if request.POST.get("direction") == "up" else 1
    )
    return _policy_list_response(request, actor)


# Teams


@staff_view(Perm.DESK_CONFIGURE)
def teams(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "desk/settings_teams.html", {"teams": selectors.team_desks_visible_to(actor)})


def _member_form(actor: Actor, row: RosterRow, data: Any = None) -> MemberForm:
    return MemberForm(
        data,
        initial={
            "capacity": None if row.capacity_is_default else row.capacity,
            "calendar": row.calendar.pk if row.calendar else None,
        },
        calendars=selectors.calendars_visible_to(actor),
        auto_id=f"member-{row.user.pk}-%s",
    )


@staff_view(Perm.DESK_CONFIGURE)
def team(request: HttpRequest, actor: Actor, team_id: int) -> HttpResponse:
    team = selectors.access_team(actor, team_id)
    desk = selectors.team_desk_of(actor, team)
    initial = {
        "is_private": desk.is_private,
        "route_to_associate": desk.route_to_associate,
        "round_robin": desk.round_robin,
        "calendar": desk.calendar_id,
        "default_capacity": desk.default_capacity,
    }
    calendars = selectors.calendars_visible_to(actor)
    form = TeamDeskForm(request.POST or None, initial=initial, calendars=calendars)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_team_desk(actor=actor, team=team, **form.cleaned_data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Desk rules of {team.name} saved.")
            return redirect("desk:settings_team", team_id=team.pk)
    roster = services.team_roster(actor=actor, team=team, at=timezone.now())
    return render(
        request,
        "desk/settings_team.html",
        {
            "team": team,
            "form": form,
            "roster": [(row, _member_form(actor, row)) for row in roster],
        },
        status=_status(request),
    )


@require_POST
@staff_view(Perm.DESK_CONFIGURE)
def team_member(request: HttpRequest, actor: Actor, team_id: int, user_id: int) -> HttpResponse:
    team = selectors.access_team(actor, team_id)
    member = selectors.access_team_member(actor, team, user_id)
    form = MemberForm(
        request.POST, calendars=selectors.calendars_visible_to(actor), auto_id=f"member-{member.pk}-%s"
    )
    saved = False
    if form.is_valid():
        try:
            services.set_agent_capacity_and_calendar(
                actor=actor,
                user=member,
                capacity=form.cleaned_data["capacity"],
                calendar=form.cleaned_data["calendar"],
            )
            saved = True
        except ValidationFailed as error:
            show_refusal(form, error)
    if not htmx(request):
        if saved:
            messages.success(request, f"{member.display_name} updated.")
        else:
            problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
            messages.error(request, f"{member.display_name} was not updated: {problems}")
        return redirect("desk:settings_team", team_id=team.pk)
    row = next(
        (
            row
            for row in services.team_roster(actor=actor, team=team, at=timezone.now())
            if row.user == member
        ),
        None,
    )
    if row is None:
        return HttpResponse("")
    # htmx swaps only 2xx answers: a refused row comes back with its errors and status 200.
    return render(
        request,
        "desk/settings_team.html#member-row",
        {
            "team": team,
            "row": row,
            "member_form": form if not saved else _member_form(actor, row),
            "saved": saved,
        },
    )


# Custom fields


def _save_field(actor: Actor, form: CustomFieldForm, field: CustomField | None) -> CustomField | None:
    if not form.is_valid():
        return None
    try:
        return services.save_custom_field(actor=actor, field=field, **form.cleaned_data)
    except ValidationFailed as error:
        show_refusal(form, error)
        return None


@staff_view(Perm.DESK_CONFIGURE)
def custom_fields(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST":
        saved = _save_field(actor, form, None)
        if saved is not None:
            messages.success(request, f"Field “{saved.label}” added.")
            return redirect("desk:settings_fields")
    return render(
        request,
        "desk/settings_fields.html",
        {"fields": list(selectors.custom_fields_visible_to(actor)), "form": form},
        status=_status(request),
    )


@staff_view(Perm.DESK_CONFIGURE)
def custom_field_edit(request: HttpRequest, actor: Actor, field_id: int) -> HttpResponse:
    field = selectors.access_custom_field(actor, field_id)
    initial = {
        "key": field.key,
        "label": field.label,
        "kind": field.kind,
        "choices": "\n".join(field.choices or []),
        "position": field.position,
        "is_active": field.is_active,
    }
    form = CustomFieldForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST":
        saved = _save_field(actor, form, field)
        if saved is not None:
            messages.success(request, f"Field “{saved.label}” saved.")
            return redirect("desk:settings_fields")
    return render(
        request, "desk/settings_field.html", {"field": field, "form": form}, status=_status(request)
    )


@require_POST
@staff_view(Perm.DESK_CONFIGURE)
def custom_field_delete(request: HttpRequest, actor: Actor, field_id: int) -> HttpResponse:
    field = selectors.access_custom_field(actor, field_id)
    outcome = services.delete_custom_field(actor=actor, field=field)
    if outcome == "deleted":
        messages.success(request, f"Field “{field.label}” deleted.")
    else:
        messages.success(
            request,
            f"Conversations hold values of “{field.label}”, so it was deactivated instead of deleted: "
            "their values stay, and it is no longer offered.",
        )
    return redirect("desk:settings_fields")


# Desk-wide settings


@staff_view(Perm.DESK_CONFIGURE)
def general(request: HttpRequest, actor: Actor) -> HttpResponse:
    current = selectors.desk_settings_for(actor)
    initial = {
        "auto_close_after_days": current.auto_close_after_days,
        "near_breach_percent": current.near_breach_percent,
        "max_attachment_bytes": format_size(current.max_attachment_bytes),
    }
    form = DeskSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_desk_settings(actor=actor, **form.cleaned_data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            messages.success(request, "Desk settings saved.")
            return redirect("desk:settings_general")
    return render(request, "desk/settings_general.html", {"form": form}, status=_status(request))


# Macros


def _macro_form(actor: Actor, data: Any = None, initial: Context | None = None) -> MacroForm:
    return MacroForm(
        data,
        initial=initial,
        teams=selectors.macro_teams_for(actor),
        assignees=selectors.macro_assignees(actor),
    )


def _macro_rows(actor: Actor) -> list[tuple[Macro, str]]:
    macros = list(selectors.macros_manageable_by(actor))
    ids = {macro.actions.get("assign") for macro in macros if isinstance(macro.actions, dict)}
    names = {
        user.pk: user.display_name
        for user in selectors.macro_assignees(actor).filter(pk__in=[i for i in ids if isinstance(i, int)])
    }
    return [(macro, describe_actions(macro.actions or {}, names)) for macro in macros]


@staff_view(Perm.DESK_ASSIGN)
def macros(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "desk/settings_macros.html", {"macros": _macro_rows(actor)})


def _macro_page(request: HttpRequest, actor: Actor, macro: Macro | None) -> HttpResponse:
    initial: Context = {"team": actor.user.team_id if not actor.can(Perm.DESK_CONFIGURE) else None}
    if macro is not None:
        initial = {
            "name": macro.name,
            "body": macro.body,
            "team": macro.team_id,
            "is_active": macro.is_active,
        } | MacroForm.initial_for(macro.actions or {})
    form = _macro_form(actor, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_macro(
                actor=actor,
                macro=macro,
                name=form.cleaned_data["name"],
                body=form.cleaned_data["body"],
                actions=form.actions(),
                team=form.cleaned_data["team"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Macro “{saved.name}” saved.")
            return redirect("desk:settings_macros")
    return render(
        request, "desk/settings_macro.html", {"macro": macro, "form": form}, status=_status(request)
    )


@staff_view(Perm.DESK_ASSIGN)
def macro_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _macro_page(request, actor, None)


@staff_view(Perm.DESK_ASSIGN)
def macro_edit(request: HttpRequest, actor: Actor, macro_id: int) -> HttpResponse:
    return _macro_page(request, actor, selectors.access_macro(actor, macro_id))


@require_POST
@staff_view(Perm.DESK_ASSIGN)
def macro_delete(request: HttpRequest, actor: Actor, macro_id: int) -> HttpResponse:
    macro = selectors.access_macro(actor, macro_id)
    services.delete_macro(actor=actor, macro=macro)
    if htmx(request):
        return render(
            request,
            "desk/settings_macros.html#macro-list",
            {"macros": _macro_rows(actor)},
        )
    messages.success(request, f"Macro “{macro.name}” deleted.")
    return redirect("desk:settings_macros")
