"""Desk configuration: calendars, SLA policies, team rules, capacities, settings, custom fields, macros."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.accounts.models import AuditEntry, Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rapport.customers.models import Tag
from rapport.desk.forms_config import (
    format_duration,
    format_hours,
    format_size,
    parse_duration,
    parse_hours,
    parse_size,
)
from rapport.desk.models import (
    AgentPresence,
    BusinessCalendar,
    CustomField,
    DeskSettings,
    Macro,
    SlaPolicy,
    TeamDesk,
)
from rapport.desk.selectors.config import (
    access_macro,
    calendar_previews,
    macros_manageable_by,
    preview_calendar,
)
from rapport.desk.services import config
from rapport.desk.services.routing import team_rules
from rapport.desk.services.sla import select_policy
from rapport.desk.tests.factories import (
    NINE_TO_FIVE,
    BusinessCalendarFactory,
    CustomFieldFactory,
    MacroFactory,
    SlaPolicyFactory,
    TeamDeskFactory,
    a_conversation,
)

pytestmark = pytest.mark.django_db

CLOSED = [[] for _ in range(7)]
WEEKDAYS_NINE_TO_FIVE = [[(540, 1020)]] * 5 + [[], []]


def _week(**days: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for name, hours in days.items():
        week[config.WEEKDAYS.index(name)] = hours
    return week


def _calendar(actor: Actor, **overrides: object) -> BusinessCalendar:
    arguments: dict[str, object] = {
        "name": "London office",
        "time_zone": "Europe/London",
        "always_open": False,
        "weekly_hours": WEEKDAYS_NINE_TO_FIVE,
        "holidays": [],
    }
    return config.save_calendar(actor=actor, **(arguments | overrides))  # type: ignore[arg-type]


def _refusal(error: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return dict(error.value.errors)


def _token(user: User) -> Actor:
    return Actor(user=user, via="token", scopes=frozenset({"desk:read", "desk:write"}))


# Calendars


def test_admin_saves_a_calendar_with_sorted_hours_and_holidays(admin: Actor) -> None:
    calendar = _calendar(
        admin,
        weekly_hours=_week(monday=[(780, 1050), (540, 720)]),
        holidays=["2026-12-26", date(2026, 12, 25), "2026-12-25"],
    )

    calendar.refresh_from_db()
    assert calendar.weekly_hours == [[[540, 720], [780, 1050]], [], [], [], [], [], []]
    assert calendar.holidays == ["2026-12-25", "2026-12-26"]
    entry = AuditEntry.objects.get(action="desk.calendar.create")
    assert entry.target_id == str(calendar.pk)
    assert entry.actor == admin.user


def test_overlapping_hours_are_refused_naming_the_day(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        _calendar(admin, weekly_hours=_week(tuesday=[(540, 720), (660, 780)]))

    assert error.value.code == "invalid_calendar"
    assert _refusal(error) == {"tuesday": "09:00-12:00 overlaps 11:00-13:00"}
    assert not BusinessCalendar.objects.exists()


def test_hours_that_touch_are_accepted(admin: Actor) -> None:
    calendar = _calendar(admin, weekly_hours=_week(friday=[(540, 720), (720, 1020)]))

    assert calendar.weekly_hours[4] == [[540, 720], [720, 1020]]


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([(1020, 540)], "17:00-09:00 ends before it starts; split overnight hours over two days"),
        ([(1380, 1500)], "23:00-25:00 is not within one day (00:00 to 24:00)"),
    ],
)
def test_hours_outside_a_day_are_refused(admin: Actor, hours: list[tuple[int, int]], message: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        _calendar(admin, weekly_hours=_week(wednesday=hours))

    assert _refusal(error) == {"wednesday": message}


@pytest.mark.parametrize("zone", ["Europe/Londres", "localtime", "", "../etc/passwd"])
def test_unknown_time_zone_is_refused(admin: Actor, zone: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        _calendar(admin, time_zone=zone)

    assert set(_refusal(error)) == {"time_zone"}
    assert "not a known time zone" in _refusal(error)["time_zone"]


def test_a_calendar_that_never_opens_is_refused(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        _calendar(admin, weekly_hours=CLOSED)

    assert _refusal(error)["weekly_hours"].startswith("the calendar is never open")


def test_an_always_open_calendar_needs_no_hours(admin: Actor) -> None:
    calendar = _calendar(admin, always_open=True, weekly_hours=CLOSED)

    assert calendar.as_calendar().always_open


def test_a_holiday_that_is_not_a_date_is_refused(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        _calendar(admin, holidays=["2026-12-25", "Christmas"])

    assert _refusal(error) == {"holidays": "“Christmas” is not a date; write one date a line as YYYY-MM-DD"}


def test_every_problem_is_reported_at_once(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        _calendar(admin, name=" ", time_zone="Mars/Olympus", weekly_hours=_week(monday=[(600, 500)]))

    assert set(_refusal(error)) == {"name", "time_zone", "monday"}


def test_calendar_names_are_unique_ignoring_case(admin: Actor) -> None:
    _calendar(admin, name="Support hours")

    with pytest.raises(ValidationFailed) as error:
        _calendar(admin, name="support HOURS")

    assert _refusal(error) == {"name": "another calendar is called “support HOURS”"}


def test_a_refused_change_leaves_the_calendar_as_it_was(admin: Actor) -> None:
    calendar = _calendar(admin)

    with pytest.raises(ValidationFailed):
        config.save_calendar(
            actor=admin,
            calendar=calendar,
            name="Renamed",
            time_zone="Europe/London",
            always_open=False,
            weekly_hours=_week(monday=[(540, 720), (600, 700)]),
        )

    calendar.refresh_from_db()
    assert calendar.name == "London office"
    assert calendar.weekly_hours[0] == [[540, 1020]]


def test_changing_a_calendar_audits_only_what_changed(admin: Actor) -> None:
    calendar = _calendar(admin)

    config.save_calendar(
        actor=admin,
        calendar=calendar,
        name="London office",
        time_zone="Europe/Paris",
        always_open=False,
        weekly_hours=WEEKDAYS_NINE_TO_FIVE,
    )

    entry = AuditEntry.objects.get(action="desk.calendar.update")
    assert entry.before == {"time_zone": "Europe/London"}
    assert entry.after == {"time_zone": "Europe/Paris"}


def test_a_calendar_an_sla_policy_uses_cannot_be_deleted(admin: Actor) -> None:
    calendar = BusinessCalendarFactory(name="Office")
    SlaPolicyFactory(name="Standard", calendar=calendar)

    with pytest.raises(Conflict) as error:
        config.delete_calendar(actor=admin, calendar=calendar)

    assert error.value.code == "calendar_in_use"
    assert "SLA policies Standard" in error.value.detail
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


def test_a_calendar_a_team_works_by_cannot_be_deleted(admin: Actor) -> None:
    calendar = BusinessCalendarFactory()
    TeamDeskFactory(team__name="Returns", calendar=calendar)

    with pytest.raises(Conflict) as error:
        config.delete_calendar(actor=admin, calendar=calendar)

    assert "teams Returns" in error.value.detail


def test_an_unused_calendar_is_deleted_and_audited(admin: Actor) -> None:
    calendar = BusinessCalendarFactory(name="Old hours")

    config.delete_calendar(actor=admin, calendar=calendar)

    assert not BusinessCalendar.objects.exists()
    assert AuditEntry.objects.get(action="desk.calendar.delete").target_label == "Old hours"


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_manage_calendars(role: str) -> None:
    actor = Actor(user=UserFactory(role=role))
    calendar = BusinessCalendarFactory()

    with pytest.raises(PermissionDenied):
        _calendar(actor)
    with pytest.raises(PermissionDenied):
        config.delete_calendar(actor=actor, calendar=calendar)
    assert BusinessCalendar.objects.count() == 1


def test_an_admin_token_cannot_configure_the_desk(admin_user: User) -> None:
    with pytest.raises(PermissionDenied):
        _calendar(_token(admin_user))


def test_preview_says_when_a_closed_calendar_next_opens() -> None:
    calendar = BusinessCalendarFactory(time_zone="Europe/London", weekly_hours=NINE_TO_FIVE)
    saturday_noon = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    preview = preview_calendar(calendar, saturday_noon)

    assert not preview.open_now
    assert preview.next_open_label == "Mon 23 Nov 2026, 09:00 (Europe/London)"


def test_preview_of_an_open_calendar_says_it_is_open(admin: Actor) -> None:
    BusinessCalendarFactory(weekly_hours=NINE_TO_FIVE)
    monday_ten = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    [preview] = calendar_previews(admin, at=monday_ten)

    assert preview.open_now
    assert preview.next_open is None


def test_preview_skips_holidays() -> None:
    calendar = BusinessCalendarFactory(
        time_zone="UTC", weekly_hours=NINE_TO_FIVE, holidays=["2026-11-23", "2026-11-24"]
    )

    preview = preview_calendar(calendar, datetime(2026, 11, 21, 12, 0, tzinfo=UTC))

    assert preview.next_open_label == "Wed 25 Nov 2026, 09:00 (UTC)"


# SLA policies


def _policy(actor: Actor, **overrides: object) -> SlaPolicy:
    arguments: dict[str, object] = {
        "name": "Standard",
        "first_response_minutes": 60,
        "resolution_minutes": 480,
    }
    return config.save_sla_policy(actor=actor, **(arguments | overrides))  # type: ignore[arg-type]


def test_a_new_policy_goes_last_and_is_audited(admin: Actor) -> None:
    first = _policy(admin, name="Urgent", priority="urgent")
    second = _policy(admin, name="Everything else")

    assert [p.name for p in SlaPolicy.objects.all()] == ["Urgent", "Everything else"]
    assert second.position > first.position
    assert AuditEntry.objects.filter(action="desk.sla_policy.create").count() == 2


def test_a_policy_limited_to_tagged_customers_on_a_calendar(admin: Actor) -> None:
    tag = Tag.objects.create(name="vip")
    calendar = BusinessCalendarFactory()

    policy = _policy(admin, customer_tag=tag, calendar=calendar, priority="high")

    policy.refresh_from_db()
    assert (policy.customer_tag, policy.calendar, policy.priority) == (tag, calendar, "high")


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"first_response_minutes": None, "resolution_minutes": None},
            {"first_response_minutes": "set a first-response target, a resolution target, or both"},
        ),
        (
            {"first_response_minutes": 600, "resolution_minutes": 60},
            {"resolution_minutes": "the resolution target cannot come before the first-response target"},
        ),
        (
            {"first_response_minutes": 0},
            {"first_response_minutes": "between 1 minute and 366 days of business time"},
        ),
        ({"priority": "critical"}, {"priority": "unknown priority “critical”"}),
        ({"name": ""}, {"name": "a policy needs a name"}),
    ],
)
def test_bad_policies_are_refused(admin: Actor, overrides: dict[str, object], errors: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as error:
        _policy(admin, **overrides)

    assert _refusal(error) == errors
    assert not SlaPolicy.objects.exists()


def test_policy_names_are_unique(admin: Actor) -> None:
    _policy(admin)

    with pytest.raises(ValidationFailed) as error:
        _policy(admin, name="standard")

    assert "name" in _refusal(error)


def test_moving_a_policy_up_makes_it_apply_first(admin: Actor, agent: Actor) -> None:
    _policy(admin, name="Everyone", first_response_minutes=240)
    urgent = _policy(admin, name="Urgent", priority="urgent", first_response_minutes=15)
    conversation = a_conversation(actor=agent, priority="urgent")
    assert select_policy(conversation).name == "Everyone"  # type: ignore[union-attr]

    config.move_sla_policy(actor=admin, policy=urgent, by=-1)

    assert select_policy(conversation) == urgent
    assert AuditEntry.objects.filter(action="desk.sla_policy.reorder").count() == 2


def test_moving_the_first_policy_up_changes_nothing(admin: Actor) -> None:
    first = _policy(admin, name="A")
    _policy(admin, name="B")

    config.move_sla_policy(actor=admin, policy=first, by=-1)

    assert [p.name for p in SlaPolicy.objects.all()] == ["A", "B"]


def test_reorder_puts_policies_in_the_given_order(admin: Actor) -> None:
    a, b, c = (_policy(admin, name=name) for name in "ABC")

    config.reorder_sla_policies(actor=admin, policy_ids=[c.pk, a.pk, b.pk])

    assert [p.name for p in SlaPolicy.objects.all()] == ["C", "A", "B"]


def test_reorder_needs_every_policy_once(admin: Actor) -> None:
    _policy(admin, name="A")
    b = _policy(admin, name="B")

    with pytest.raises(ValidationFailed) as error:
        config.reorder_sla_policies(actor=admin, policy_ids=[b.pk])

    assert error.value.code == "invalid_order"
    assert [p.name for p in SlaPolicy.objects.all()] == ["A", "B"]


def test_an_unused_policy_is_deleted(admin: Actor) -> None:
    policy = _policy(admin)

    config.delete_sla_policy(actor=admin, policy=policy)

    assert not SlaPolicy.objects.exists()
    assert AuditEntry.objects.filter(action="desk.sla_policy.delete").exists()


def test_a_policy_that_timed_conversations_cannot_be_deleted(admin: Actor, agent: Actor) -> None:
    policy = _policy(admin)
    a_conversation(actor=agent)

    with pytest.raises(Conflict) as error:
        config.delete_sla_policy(actor=admin, policy=policy)

    assert error.value.code == "sla_policy_in_use"
    assert "deactivate it instead" in error.value.detail
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_manage_sla_policies(role: str) -> None:
    actor = Actor(user=UserFactory(role=role))
    policy = SlaPolicyFactory()

    for attempt in (
        lambda: _policy(actor, name="Mine"),
        lambda: config.delete_sla_policy(actor=actor, policy=policy),
        lambda: config.move_sla_policy(actor=actor, policy=policy, by=1),
        lambda: config.reorder_sla_policies(actor=actor, policy_ids=[policy.pk]),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == [policy.name]


# Teams and agents


def test_team_rules_are_saved_and_routing_follows_them(admin: Actor) -> None:
    team = TeamFactory()
    calendar = BusinessCalendarFactory()

    config.save_team_desk(
        actor=admin,
        team=team,
        is_private=True,
        route_to_associate=False,
        round_robin=True,
        calendar=calendar,
        default_capacity=5,
    )

    desk = TeamDesk.objects.get(team=team)
    assert (desk.is_private, desk.calendar, desk.default_capacity) == (True, calendar, 5)
    rules = team_rules(team)
    assert (rules.route_to_associate, rules.round_robin, rules.default_capacity) == (False, True, 5)
    assert AuditEntry.objects.filter(action="desk.team_desk.create").exists()


def test_changing_team_rules_audits_the_change(admin: Actor) -> None:
    desk = TeamDeskFactory(default_capacity=20)

    config.save_team_desk(
        actor=admin,
        team=desk.team,
        is_private=False,
        route_to_associate=True,
        round_robin=True,
        calendar=None,
        default_capacity=8,
    )

    entry = AuditEntry.objects.get(action="desk.team_desk.update")
    assert (entry.before, entry.after) == ({"default_capacity": 20}, {"default_capacity": 8})


def test_team_capacity_is_bounded(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        config.save_team_desk(
            actor=admin,
            team=TeamFactory(),
            is_private=False,
            route_to_associate=True,
            round_robin=True,
            calendar=None,
            default_capacity=1001,
        )

    assert _refusal(error) == {"default_capacity": "between 0 and 1000 open conversations"}
    assert not TeamDesk.objects.exists()


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_change_team_rules(role: str) -> None:
    team = TeamFactory()
    actor = Actor(user=UserFactory(role=role, team=team))

    with pytest.raises(PermissionDenied):
        config.save_team_desk(
            actor=actor,
            team=team,
            is_private=True,
            route_to_associate=True,
            round_robin=True,
            calendar=None,
            default_capacity=1,
        )


def test_admin_sets_an_agents_capacity_and_hours(admin: Actor) -> None:
    agent_user = UserFactory(role=Role.AGENT, team=TeamFactory())
    calendar = BusinessCalendarFactory()

    presence = config.set_agent_capacity_and_calendar(
        actor=admin, user=agent_user, capacity=3, calendar=calendar
    )

    assert (presence.capacity, presence.calendar) == (3, calendar)
    entry = AuditEntry.objects.get(action="desk.presence.configure")
    assert entry.after == {"capacity": 3, "calendar": calendar.pk}


def test_a_lead_sets_capacity_for_their_own_team_only() -> None:
    team, other_team = TeamFactory(), TeamFactory()
    lead = Actor(user=UserFactory(role=Role.LEAD, team=team))
    teammate = UserFactory(role=Role.AGENT, team=team)
    outsider = UserFactory(role=Role.AGENT, team=other_team)

    config.set_agent_capacity_and_calendar(actor=lead, user=teammate, capacity=4, calendar=None)
    with pytest.raises(PermissionDenied):
        config.set_agent_capacity_and_calendar(actor=lead, user=outsider, capacity=4, calendar=None)

    assert AgentPresence.objects.get(user=teammate).capacity == 4
    assert not AgentPresence.objects.filter(user=outsider).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST])
def test_agents_and_analysts_cannot_set_capacity(role: str) -> None:
    team = TeamFactory()
    actor = Actor(user=UserFactory(role=role, team=team))

    with pytest.raises(PermissionDenied):
        config.set_agent_capacity_and_calendar(actor=actor, user=actor.user, capacity=50, calendar=None)


def test_capacity_is_for_people_who_take_conversations(admin: Actor) -> None:
    analyst_user = UserFactory(role=Role.ANALYST)

    with pytest.raises(ValidationFailed) as error:
        config.set_agent_capacity_and_calendar(actor=admin, user=analyst_user, capacity=2000, calendar=None)

    assert set(_refusal(error)) == {"user", "capacity"}


def test_roster_shows_load_capacity_and_who_is_working(admin: Actor, agent: Actor) -> None:
    team = TeamFactory()
    TeamDeskFactory(team=team, default_capacity=2, route_to_associate=False, round_robin=False)
    busy = UserFactory(role=Role.AGENT, team=team, full_name="Busy Bee")
    away = UserFactory(role=Role.AGENT, team=team, full_name="Away Ant")
    AgentPresence.objects.create(user=away, available=False, capacity=7)
    UserFactory(role=Role.ANALYST, team=team, full_name="Analyst Owl")
    for _ in range(2):
        conversation = a_conversation(actor=agent, team=team)
        conversation.assignee = busy
        conversation.save()

    rows = config.team_roster(actor=admin, team=team, at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))

    assert [(r.user.full_name, r.available, r.working, r.open_load, r.capacity) for r in rows] == [
        ("Away Ant", False, False, 0, 7),
        ("Busy Bee", True, True, 2, 2),
    ]
    assert rows[1].at_capacity
    assert rows[1].capacity_is_default


# Desk-wide settings


def test_admin_saves_desk_settings(admin: Actor) -> None:
    config.save_desk_settings(
        actor=admin, auto_close_after_days=7, near_breach_percent=90, max_attachment_bytes=5 * 1024 * 1024
    )

    settings = DeskSettings.objects.get(pk=1)
    assert (settings.auto_close_after_days, settings.near_breach_percent) == (7, 90)
    assert settings.max_attachment_bytes == 5 * 1024 * 1024
    assert AuditEntry.objects.get(action="desk.settings.update").after == {
        "auto_close_after_days": 7,
        "near_breach_percent": 90,
        "max_attachment_bytes": 5 * 1024 * 1024,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("auto_close_after_days", 0),
        ("auto_close_after_days", 91),
        ("near_breach_percent", 49),
        ("near_breach_percent", 100),
        ("max_attachment_bytes", 1023),
        ("max_attachment_bytes", 50 * 1024 * 1024 + 1),
    ],
)
def test_desk_settings_out_of_bounds_are_refused(admin: Actor, field: str, value: int) -> None:
    good = {"auto_close_after_days": 4, "near_breach_percent": 80, "max_attachment_bytes": 1024}

    with pytest.raises(ValidationFailed) as error:
        config.save_desk_settings(actor=admin, **(good | {field: value}))

    assert set(_refusal(error)) == {field}
    assert not DeskSettings.objects.exists()


@pytest.mark.parametrize("bounds", [(1, 50, 1024), (90, 99, 50 * 1024 * 1024)])
def test_desk_settings_at_their_bounds_are_accepted(admin: Actor, bounds: tuple[int, int, int]) -> None:
    days, percent, size = bounds

    config.save_desk_settings(
        actor=admin, auto_close_after_days=days, near_breach_percent=percent, max_attachment_bytes=size
    )

    assert DeskSettings.objects.get(pk=1).near_breach_percent == percent


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_change_desk_settings(role: str) -> None:
    with pytest.raises(PermissionDenied):
        config.save_desk_settings(
            actor=Actor(user=UserFactory(role=role)),
            auto_close_after_days=4,
            near_breach_percent=80,
            max_attachment_bytes=1024,
        )


# Custom fields


def test_a_choice_field_keeps_its_choices_in_order_without_duplicates(admin: Actor) -> None:
    field = config.save_custom_field(
        actor=admin,
        key="order_channel",
        label="Order channel",
        kind="choice",
        choices=["Web", " App ", "Web", ""],
    )

    assert field.choices == ["Web", "App"]
    assert AuditEntry.objects.filter(action="desk.custom_field.create").exists()


def test_a_choice_field_needs_choices(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        config.save_custom_field(actor=admin, key="size", label="Size", kind="choice", choices=["  "])

    assert _refusal(error) == {"choices": "a choice field needs at least one choice"}
    assert not CustomField.objects.exists()


def test_other_kinds_keep_no_choices(admin: Actor) -> None:
    field = config.save_custom_field(actor=admin, key="due", label="Due", kind="date", choices=["left over"])

    assert field.choices == []


@pytest.mark.parametrize("key", ["Order", "1st", "with space", "dash-ed", "x" * 51, ""])
def test_field_keys_are_lower_case_identifiers(admin: Actor, key: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        config.save_custom_field(actor=admin, key=key, label="Label", kind="text")

    assert set(_refusal(error)) == {"key"}


def test_field_keys_are_unique(admin: Actor) -> None:
    CustomFieldFactory(key="region")

    with pytest.raises(ValidationFailed) as error:
        config.save_custom_field(actor=admin, key="region", label="Region", kind="text")

    assert _refusal(error) == {"key": "a field with key “region” exists"}


def test_the_key_of_a_field_cannot_change(admin: Actor) -> None:
    field = CustomFieldFactory(key="region", label="Region")

    with pytest.raises(ValidationFailed) as error:
        config.save_custom_field(actor=admin, field=field, key="area", label="Area", kind="text")

    assert _refusal(error) == {"key": "the key of a field cannot change (it stays “region”)"}
    field.refresh_from_db()
    assert (field.key, field.label) == ("region", "Region")


def test_label_and_kind_of_an_unused_field_may_change(admin: Actor) -> None:
    field = CustomFieldFactory(key="region", label="Region", kind="text")

    config.save_custom_field(
        actor=admin,
        field=field,
        key="region",
        label="Sales region",
        kind="choice",
        choices=["North", "South"],
    )

    field.refresh_from_db()
    assert (field.label, field.kind, field.choices) == ("Sales region", "choice", ["North", "South"])
    assert AuditEntry.objects.get(action="desk.custom_field.update").before == {
        "label": "Region",
        "kind": "text",
        "choices": [],
    }


def test_the_kind_of_a_field_in_use_cannot_change(admin: Actor, agent: Actor) -> None:
    field = CustomFieldFactory(key="order_ref", kind="text")
    a_conversation(actor=agent, custom_fields={"order_ref": "R-1"})

    with pytest.raises(ValidationFailed) as error:
        config.save_custom_field(actor=admin, field=field, key="order_ref", label="Order", kind="number")

    assert set(_refusal(error)) == {"kind"}


def test_an_unused_field_is_deleted(admin: Actor) -> None:
    field = CustomFieldFactory()

    assert config.delete_custom_field(actor=admin, field=field) == "deleted"
    assert not CustomField.objects.exists()


def test_a_field_in_use_is_deactivated_instead_of_deleted(admin: Actor, agent: Actor) -> None:
    field = CustomFieldFactory(key="order_ref")
    conversation = a_conversation(actor=agent, custom_fields={"order_ref": "R-1"})

    assert config.delete_custom_field(actor=admin, field=field) == "deactivated"

    field.refresh_from_db()
    conversation.refresh_from_db()
    assert not field.is_active
    assert conversation.custom_fields == {"order_ref": "R-1"}
    assert AuditEntry.objects.filter(action="desk.custom_field.deactivate").exists()


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_manage_custom_fields(role: str) -> None:
    actor = Actor(user=UserFactory(role=role))
    field = CustomFieldFactory()

    with pytest.raises(PermissionDenied):
        config.save_custom_field(actor=actor, key="mine", label="Mine", kind="text")
    with pytest.raises(PermissionDenied):
        config.delete_custom_field(actor=actor, field=field)
    assert list(CustomField.objects.all()) == [field]


# Macros


def _macro(actor: Actor, **overrides: object) -> Macro:
    arguments: dict[str, object] = {
        "name": "Refund sent",
        "body": "Your refund is on its way.",
        "actions": {},
        "team": None,
    }
    return config.save_macro(actor=actor, **(arguments | overrides))  # type: ignore[arg-type]


def test_a_lead_creates_shared_macros_and_their_teams() -> None:
    team = TeamFactory()
    lead = Actor(user=UserFactory(role=Role.LEAD, team=team))

    shared = _macro(lead, name="Thanks")
    own = _macro(lead, name="Returns label", team=team)

    assert (shared.team, own.team) == (None, team)
    assert shared.created_by == lead.user
    assert AuditEntry.objects.filter(action="desk.macro.create").count() == 2


def test_a_lead_cannot_touch_another_teams_macros() -> None:
    lead = Actor(user=UserFactory(role=Role.LEAD, team=TeamFactory()))
    other_team = TeamFactory()
    theirs = MacroFactory(team=other_team, name="Theirs")

    with pytest.raises(PermissionDenied):
        _macro(lead, team=other_team)
    with pytest.raises(PermissionDenied):
        _macro(lead, macro=theirs, name="Mine now")
    with pytest.raises(PermissionDenied):
        _macro(lead, macro=MacroFactory(team=None), team=other_team)
    with pytest.raises(PermissionDenied):
        config.delete_macro(actor=lead, macro=theirs)
    with pytest.raises(NotFound):
        access_macro(lead, theirs.pk)
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_a_lead_sees_shared_macros_and_their_teams_only() -> None:
    team = TeamFactory()
    lead = Actor(user=UserFactory(role=Role.LEAD, team=team))
    MacroFactory(name="Shared", team=None)
    MacroFactory(name="Ours", team=team)
    MacroFactory(name="Theirs", team=TeamFactory())

    assert sorted(m.name for m in macros_manageable_by(lead)) == ["Ours", "Shared"]


def test_an_admin_manages_every_macro(admin: Actor) -> None:
    theirs = MacroFactory(team=TeamFactory())

    _macro(admin, macro=theirs, name="Renamed", team=theirs.team)
    config.delete_macro(actor=admin, macro=theirs)

    assert not Macro.objects.exists()
    assert AuditEntry.objects.filter(action="desk.macro.delete").exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST])
def test_agents_and_analysts_cannot_manage_macros(role: str) -> None:
    actor = Actor(user=UserFactory(role=role))
    macro = MacroFactory()

    with pytest.raises(PermissionDenied):
        _macro(actor)
    with pytest.raises(PermissionDenied):
        config.delete_macro(actor=actor, macro=macro)
    with pytest.raises(PermissionDenied):
        macros_manageable_by(actor)


def test_macro_actions_are_normalised(admin: Actor) -> None:
    teammate = UserFactory(role=Role.AGENT)

    macro = _macro(
        admin,
        actions={
            "status": "pending",
            "priority": "",
            "add_tags": [" Refund ", "refund", "Billing", ""],
            "assign": teammate.pk,
        },
    )

    assert macro.actions == {"status": "pending", "add_tags": ["refund", "billing"], "assign": teammate.pk}


def test_a_macro_may_assign_to_whoever_uses_it(admin: Actor) -> None:
    assert _macro(admin, actions={"assign": "me"}).actions == {"assign": "me"}


@pytest.mark.parametrize(
    ("actions", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"status": "snoozed"}, "status"),
        ({"status": "done"}, "status"),
        ({"priority": "critical"}, "priority"),
        ({"add_tags": "refund"}, "add_tags"),
        ({"add_tags": [f"t{n}" for n in range(11)]}, "add_tags"),
        ({"assign": "someone"}, "assign"),
        ({"assign": 999_999}, "assign"),
        ({"assign": "12"}, "assign"),
        ({"close": True}, "close"),
    ],
)
def test_bad_macro_actions_are_refused(admin: Actor, actions: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        _macro(admin, actions=actions)

    assert error.value.code == "invalid_macro"
    assert set(_refusal(error)) == {field}
    assert not Macro.objects.exists()


def test_a_macro_cannot_assign_to_an_analyst_or_a_deactivated_agent(admin: Actor) -> None:
    for user in (UserFactory(role=Role.ANALYST), UserFactory(role=Role.AGENT, is_active=False)):
        with pytest.raises(ValidationFailed) as error:
            _macro(admin, actions={"assign": user.pk})
        assert set(_refusal(error)) == {"assign"}


def test_an_empty_macro_is_refused(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        _macro(admin, body="  ", actions={"status": ""})

    assert _refusal(error) == {"body": "a macro needs a reply text, at least one action, or both"}


def test_a_macro_of_actions_only_is_fine(admin: Actor) -> None:
    macro = _macro(admin, body="", actions={"status": "resolved"})

    assert macro.body == ""


def test_macro_names_are_unique_within_a_team_only(admin: Actor) -> None:
    team = TeamFactory()
    _macro(admin, name="Greeting")
    _macro(admin, name="Greeting", team=team)

    with pytest.raises(ValidationFailed) as error:
        _macro(admin, name="greeting", team=team)

    assert set(_refusal(error)) == {"name"}
    assert Macro.objects.count() == 2


def test_customer_and_order_variables_stay_in_the_body_as_written(admin: Actor) -> None:
    body = "Hello {{ customer.first_name }},\n\nyour order {{order.number}} is on its way."

    assert _macro(admin, body=body).body == body


def test_a_variable_the_desk_cannot_fill_is_refused(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        _macro(admin, body="Hi {{ customer.shoe_size }} {{ settings.SECRET_KEY }}")

    assert _refusal(error) == {
        "body": "the desk cannot fill {{ customer.shoe_size }}, {{ settings.SECRET_KEY }}; "
        "use the variables listed below the text"
    }


# What people type into the configuration forms


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("09:00-12:00, 13:00-17:30", [(540, 720), (780, 1050)]),
        ("9-17", [(540, 1020)]),
        ("08.30 – 12.00; 22:00 to 24:00", [(510, 720), (1320, 1440)]),
        ("", []),
        (" Closed ", []),
    ],
)
def test_opening_hours_are_read_as_people_write_them(text: str, hours: list[tuple[int, int]]) -> None:
    assert parse_hours(text) == hours


@pytest.mark.parametrize("text", ["9am-5pm", "25:00-26:00", "09:60-10:00", "24:30-24:45", "09:00"])
def test_opening_hours_that_are_not_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_hours(text)


@given(
    st.lists(
        st.tuples(st.integers(0, 1439), st.integers(1, 1440)).filter(lambda pair: pair[0] < pair[1]),
        max_size=4,
    )
)
def test_written_hours_read_back_the_same(hours: list[tuple[int, int]]) -> None:
    assert parse_hours(format_hours(hours)) == hours


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90", 90),
        ("45m", 45),
        ("1h 30m", 90),
        ("1h30", 90),
        ("1:30", 90),
        ("8 hours", 480),
        ("2 hrs 5 mins", 125),
        ("", None),
    ],
)
def test_durations_are_read_as_business_minutes(text: str, minutes: int | None) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(("text", "message"), [("2d", "write days as hours"), ("soon", "not a duration")])
def test_durations_that_cannot_be_read_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@given(st.integers(1, config.MAX_TARGET_MINUTES))
def test_written_durations_read_back_the_same(minutes: int) -> None:
    assert parse_duration(format_duration(minutes)) == minutes


@pytest.mark.parametrize(
    ("text", "size"),
    [("20 MB", 20 * 1024 * 1024), ("512kb", 512 * 1024), ("1.5 MB", 1572864), ("2048", 2048)],
)
def test_sizes_are_read_in_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@given(st.integers(1, 50 * 1024).map(lambda kb: kb * 1024))
def test_written_sizes_of_whole_kilobytes_read_back_close(size: int) -> None:
    # Shown with two decimals: never more than 1 % off what is stored.
    assert abs(parse_size(format_size(size)) - size) <= size / 100
