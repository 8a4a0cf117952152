"""The desk settings pages: what admins configure, what leads do with macros, and who is kept out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.desk.models import (
    AgentPresence,
    BusinessCalendar,
    CustomField,
    DeskSettings,
    Macro,
    SlaPolicy,
    TeamDesk,
)
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

HTMX = {"HTTP_HX_REQUEST": "true"}
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _calendar_form(**overrides: str) -> dict[str, str]:
    form = {
        "name": "London office",
        "time_zone": "Europe/London",
        "monday": "09:00-12:00, 13:00-17:30",
        "tuesday": "9-17",
        "wednesday": "",
        "thursday": "",
        "friday": "",
        "saturday": "closed",
        "sunday": "",
        "holidays": "2026-12-25\n\n2026-12-26\n",
    }
    return form | overrides


# Outsiders


def test_signed_out_visitors_are_sent_to_sign_in_and_change_nothing(client: Client) -> None:
    calendar = BusinessCalendarFactory()

    response = client.post(reverse("desk:settings_calendar_delete", args=[calendar.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_may_post_configuration(role: str) -> None:
    client = _signed_in(UserFactory(role=role))
    calendar = BusinessCalendarFactory()
    policy = SlaPolicyFactory()
    field = CustomFieldFactory()
    team = TeamFactory()

    posts = [
        (reverse("desk:settings_calendar_new"), _calendar_form()),
        (reverse("desk:settings_calendar_delete", args=[calendar.pk]), {}),
        (reverse("desk:settings_sla"), {"name": "Mine", "first_response_minutes": "1h"}),
        (reverse("desk:settings_sla_delete", args=[policy.pk]), {}),
        (reverse("desk:settings_sla_move", args=[policy.pk]), {"direction": "up"}),
        (reverse("desk:settings_team", args=[team.pk]), {"default_capacity": "1", "is_private": "on"}),
        (reverse("desk:settings_fields"), {"key": "mine", "label": "Mine", "kind": "text"}),
        (reverse("desk:settings_field_delete", args=[field.pk]), {}),
        (
            reverse("desk:settings_general"),
            {"auto_close_after_days": "9", "near_breach_percent": "90", "max_attachment_bytes": "1 MB"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url

    assert BusinessCalendar.objects.count() == 1
    assert list(SlaPolicy.objects.all()) == [policy]
    assert list(CustomField.objects.all()) == [field]
    assert not TeamDesk.objects.exists()
    assert not DeskSettings.objects.exists()


def test_a_lead_cannot_change_a_roster() -> None:
    team = TeamFactory()
    member = UserFactory(role=Role.AGENT, team=team)
    client = _signed_in(UserFactory(role=Role.LEAD, team=team))

    response = client.post(
        reverse("desk:settings_team_member", args=[team.pk, member.pk]), {"capacity": "99"}
    )

    assert response.status_code == 403
    assert not AgentPresence.objects.filter(user=member).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.ANALYST])
def test_agents_and_analysts_cannot_manage_macros(role: str) -> None:
    client = _signed_in(UserFactory(role=role))
    macro = MacroFactory(name="Greeting")

    assert client.post(reverse("desk:settings_macro_new"), {"name": "Mine", "body": "Hi"}).status_code == 403
    assert client.post(reverse("desk:settings_macro", args=[macro.pk]), {"name": "Mine"}).status_code == 403
    assert client.post(reverse("desk:settings_macro_delete", args=[macro.pk])).status_code == 403
    assert list(Macro.objects.values_list("name", flat=True)) == ["Greeting"]


def test_a_lead_of_another_team_finds_no_such_macro() -> None:
    theirs = MacroFactory(team=TeamFactory(), name="Theirs")
    client = _signed_in(UserFactory(role=Role.LEAD, team=TeamFactory()))

    assert client.get(reverse("desk:settings_macro", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("desk:settings_macro_delete", args=[theirs.pk])).status_code == 404
    assert Macro.objects.filter(pk=theirs.pk).exists()


# Overview


@time_machine.travel(SATURDAY_NOON, tick=False)
def test_overview_shows_each_section(admin_client_: Client) -> None:
    BusinessCalendarFactory(name="Office", time_zone="Europe/London", weekly_hours=NINE_TO_FIVE)
    SlaPolicyFactory(name="Standard", first_response_minutes=90, resolution_minutes=480)
    TeamDeskFactory(team__name="Returns", is_private=True)
    CustomFieldFactory(label="Order channel")

    response = admin_client_.get(reverse("desk:settings"))

    assert response.status_code == 200
    text = response.text
    assert "Office" in text
    assert "next open: Mon 23 Nov 2026, 09:00 (Europe/London)" in text
    assert "Standard" in text
    assert "first response 1h 30m, resolution 8h" in text
    assert "Returns" in text
    assert "private" in text
    assert "Order channel" in text
    assert "20 MB" in text


def test_overview_reads_a_bounded_number_of_queries(
    admin_client_: Client, django_assert_max_num_queries: object
) -> None:
    for n in range(15):
        BusinessCalendarFactory()
        SlaPolicyFactory(calendar=BusinessCalendarFactory(), customer_tag=None)
        TeamDeskFactory(calendar=BusinessCalendarFactory())
        CustomFieldFactory()
        MacroFactory(name=f"Macro {n}")

    with django_assert_max_num_queries(15):  # type: ignore[operator]
        response = admin_client_.get(reverse("desk:settings"))

    assert response.status_code == 200


# Calendars


def test_admin_creates_a_calendar_typing_hours_as_text(admin_client_: Client) -> None:
    response = admin_client_.post(reverse("desk:settings_calendar_new"), _calendar_form())

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.weekly_hours[:3] == [[[540, 720], [780, 1050]], [[540, 1020]], []]
    assert calendar.holidays == ["2026-12-25", "2026-12-26"]
    page = admin_client_.get(response["Location"])
    assert "London office" in page.text
    assert "09:00-12:00, 13:00-17:30" in page.text


def test_the_new_calendar_form_suggests_weekday_hours(admin_client_: Client) -> None:
    response = admin_client_.get(reverse("desk:settings_calendar_new"))

    assert response.status_code == 200
    assert 'value="09:00-17:00"' in response.text
    assert '<option value="Europe/London">Europe/London</option>' in response.text


def test_overlapping_hours_are_shown_on_their_day_and_nothing_is_saved(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_calendar_new"), _calendar_form(tuesday="09:00-12:00, 11:00-13:00")
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"tuesday": ["09:00-12:00 overlaps 11:00-13:00"]}
    assert "09:00-12:00 overlaps 11:00-13:00" in response.text
    assert not BusinessCalendar.objects.exists()


def test_every_mistake_is_shown_on_its_field_at_once(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_calendar_new"),
        _calendar_form(
            monday="nine to five",
            tuesday="09:00-12:00, 11:00-13:00",
            friday="25:00-26:00",
            holidays="2026-12-25\nXmas",
        ),
    )

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["monday"] == ["“nine to five” is not a time range; write it like 09:00-17:30"]
    assert errors["tuesday"] == ["09:00-12:00 overlaps 11:00-13:00"]
    assert errors["friday"] == ["“25:00-26:00” has a time that is not on a clock; use 00:00 to 24:00"]
    assert errors["holidays"] == ["line 2: “Xmas” is not a date; write YYYY-MM-DD"]
    assert not BusinessCalendar.objects.exists()


def test_a_calendar_that_never_opens_is_explained(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_calendar_new"), _calendar_form(monday="", tuesday="")
    )

    assert response.status_code == 422
    assert "the calendar is never open" in response.text


def test_an_unknown_time_zone_is_refused(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_calendar_new"), _calendar_form(time_zone="Mars/Base")
    )

    assert response.status_code == 422
    assert "time_zone" in response.context["form"].errors


def test_editing_a_calendar_shows_what_uses_it(admin_client_: Client) -> None:
    calendar = BusinessCalendarFactory(name="Office")
    SlaPolicyFactory(name="Gold", calendar=calendar)

    response = admin_client_.get(reverse("desk:settings_calendar", args=[calendar.pk]))

    assert "SLA policies Gold" in response.text
    assert reverse("desk:settings_calendar_delete", args=[calendar.pk]) not in response.text


@time_machine.travel(SATURDAY_NOON, tick=False)
def test_the_calendar_list_previews_the_next_opening(admin_client_: Client) -> None:
    BusinessCalendarFactory(name="Office", time_zone="America/New_York", weekly_hours=NINE_TO_FIVE)
    BusinessCalendarFactory(name="Always", always_open=True)

    response = admin_client_.get(reverse("desk:settings_calendars"))

    assert "next open: Mon 23 Nov 2026, 09:00 (America/New_York)" in response.text
    assert "open around the clock" in response.text


def test_deleting_a_calendar_in_use_says_why_not(admin_client_: Client) -> None:
    calendar = BusinessCalendarFactory()
    SlaPolicyFactory(name="Gold", calendar=calendar)

    response = admin_client_.post(reverse("desk:settings_calendar_delete", args=[calendar.pk]), follow=True)

    assert "is in use by SLA policies Gold" in response.text
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


def test_deleting_an_unused_calendar(admin_client_: Client) -> None:
    calendar = BusinessCalendarFactory(name="Old")

    response = admin_client_.post(reverse("desk:settings_calendar_delete", args=[calendar.pk]), follow=True)

    assert "Calendar “Old” deleted." in response.text
    assert not BusinessCalendar.objects.exists()


# SLA policies


def test_admin_adds_a_policy_with_targets_in_hours_and_minutes(admin_client_: Client) -> None:
    calendar = BusinessCalendarFactory(name="Office")

    response = admin_client_.post(
        reverse("desk:settings_sla"),
        {
            "name": "Urgent",
            "priority": "urgent",
            "calendar": calendar.pk,
            "first_response_minutes": "1h 30m",
            "resolution_minutes": "8h",
            "is_active": "on",
        },
        follow=True,
    )

    policy = SlaPolicy.objects.get()
    assert (policy.first_response_minutes, policy.resolution_minutes) == (90, 480)
    assert policy.calendar == calendar
    assert "SLA policy “Urgent” added." in response.text
    assert "1h 30m" in response.text


def test_a_target_that_cannot_be_read_is_shown_on_its_field(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_sla"),
        {"name": "Slow", "first_response_minutes": "2d", "resolution_minutes": ""},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "first_response_minutes": ["write days as hours of business time, e.g. 24h for three 8-hour days"]
    }
    assert not SlaPolicy.objects.exists()


def test_a_policy_without_targets_is_refused_on_the_form(admin_client_: Client) -> None:
    response = admin_client_.post(reverse("desk:settings_sla"), {"name": "Empty"})

    assert response.status_code == 422
    assert "set a first-response target, a resolution target, or both" in response.text


def test_editing_a_policy_shows_its_targets_as_durations(admin_client_: Client) -> None:
    policy = SlaPolicyFactory(first_response_minutes=45, resolution_minutes=24 * 60)

    response = admin_client_.get(reverse("desk:settings_sla_policy", args=[policy.pk]))

    assert 'value="45m"' in response.text
    assert 'value="24h"' in response.text


def test_moving_a_policy_by_htmx_returns_the_reordered_list(admin_client_: Client) -> None:
    SlaPolicyFactory(name="First", position=1)
    second = SlaPolicyFactory(name="Second", position=2)

    response = admin_client_.post(
        reverse("desk:settings_sla_move", args=[second.pk]), {"direction": "up"}, **HTMX
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.index(">Second</a>") < response.text.index(">First</a>")
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Second", "First"]


def test_moving_a_policy_without_javascript_redirects_to_the_list(admin_client_: Client) -> None:
    first = SlaPolicyFactory(name="First", position=1)
    SlaPolicyFactory(name="Second", position=2)

    response = admin_client_.post(reverse("desk:settings_sla_move", args=[first.pk]), {"direction": "down"})

    assert response.status_code == 302
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Second", "First"]


def test_deleting_a_policy_in_use_by_htmx_explains_in_the_list(admin_client_: Client, agent: Actor) -> None:
    policy = SlaPolicyFactory(name="Standard")
    a_conversation(actor=agent)

    response = admin_client_.post(reverse("desk:settings_sla_delete", args=[policy.pk]), **HTMX)

    assert response.status_code == 200
    assert "deactivate it instead" in response.text
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


# Teams


def test_admin_saves_a_teams_routing_rules(admin_client_: Client) -> None:
    team = TeamFactory(name="Returns")
    calendar = BusinessCalendarFactory()

    response = admin_client_.post(
        reverse("desk:settings_team", args=[team.pk]),
        {"is_private": "on", "round_robin": "on", "calendar": calendar.pk, "default_capacity": "6"},
    )

    assert response.status_code == 302
    desk = TeamDesk.objects.get(team=team)
    assert (desk.is_private, desk.route_to_associate, desk.round_robin) == (True, False, True)
    assert (desk.calendar, desk.default_capacity) == (calendar, 6)


def test_team_capacity_out_of_bounds_is_shown_on_its_field(admin_client_: Client) -> None:
    team = TeamFactory()

    response = admin_client_.post(reverse("desk:settings_team", args=[team.pk]), {"default_capacity": "5000"})

    assert response.status_code == 422
    assert response.context["form"].errors == {"default_capacity": ["between 0 and 1000 open conversations"]}
    assert not TeamDesk.objects.exists()


@time_machine.travel(SATURDAY_NOON, tick=False)
def test_the_roster_shows_availability_load_and_capacity(admin_client_: Client, agent: Actor) -> None:
    team = TeamFactory()
    TeamDeskFactory(team=team, default_capacity=3, route_to_associate=False, round_robin=False)
    member = UserFactory(role=Role.AGENT, team=team, full_name="Grace Hopper")
    AgentPresence.objects.create(user=member, calendar=BusinessCalendarFactory(weekly_hours=NINE_TO_FIVE))
    UserFactory(role=Role.AGENT, team=team, full_name="Alan Turing")
    conversation = a_conversation(actor=agent, team=team)
    conversation.assignee = member
    conversation.save()

    response = admin_client_.get(reverse("desk:settings_team", args=[team.pk]))

    rows = {row.user.full_name: row for row, _form in response.context["roster"]}
    assert (rows["Grace Hopper"].working, rows["Grace Hopper"].open_load) == (False, 1)
    assert (rows["Alan Turing"].working, rows["Alan Turing"].open_load) == (True, 0)
    assert "1 of 3" in response.text
    assert "off hours" in response.text


def test_setting_a_members_capacity_by_htmx_returns_their_row(admin_client_: Client) -> None:
    team = TeamFactory()
    member = UserFactory(role=Role.AGENT, team=team)

    response = admin_client_.post(
        reverse("desk:settings_team_member", args=[team.pk, member.pk]),
        {"capacity": "4", "calendar": ""},
        **HTMX,
    )

    assert response.status_code == 200
    assert response.text.strip().startswith(f'<tr id="member-{member.pk}">')
    assert "0 of 4" in response.text
    assert AgentPresence.objects.get(user=member).capacity == 4


def test_a_refused_capacity_comes_back_in_the_row(admin_client_: Client) -> None:
    team = TeamFactory()
    member = UserFactory(role=Role.AGENT, team=team)

    response = admin_client_.post(
        reverse("desk:settings_team_member", args=[team.pk, member.pk]), {"capacity": "1001"}, **HTMX
    )

    assert "between 0 and 1000 open conversations" in response.text
    assert not AgentPresence.objects.filter(user=member, capacity=1001).exists()


def test_a_member_of_another_team_is_not_found(admin_client_: Client) -> None:
    team = TeamFactory()
    stranger = UserFactory(role=Role.AGENT, team=TeamFactory())

    response = admin_client_.post(
        reverse("desk:settings_team_member", args=[team.pk, stranger.pk]), {"capacity": "2"}
    )

    assert response.status_code == 404


# Custom fields


def test_admin_adds_a_choice_field_one_choice_a_line(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_fields"),
        {
            "key": "order_channel",
            "label": "Order channel",
            "kind": "choice",
            "choices": "Web\r\nApp\r\n\r\n",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert CustomField.objects.get().choices == ["Web", "App"]


def test_a_choice_field_without_choices_is_refused_on_the_form(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_fields"), {"key": "size", "label": "Size", "kind": "choice"}
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"choices": ["a choice field needs at least one choice"]}


def test_the_key_of_a_field_is_kept_whatever_is_posted(admin_client_: Client) -> None:
    field = CustomFieldFactory(key="region", label="Region")

    response = admin_client_.post(
        reverse("desk:settings_field", args=[field.pk]),
        {"key": "area", "label": "Sales region", "kind": "text", "position": "3", "is_active": "on"},
    )

    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.label) == ("region", "Sales region")


def test_deleting_a_field_in_use_deactivates_it(admin_client_: Client, agent: Actor) -> None:
    field = CustomFieldFactory(key="order_ref", label="Order reference")
    a_conversation(actor=agent, custom_fields={"order_ref": "R-9"})

    response = admin_client_.post(reverse("desk:settings_field_delete", args=[field.pk]), follow=True)

    assert "so it was deactivated instead of deleted" in response.text
    field.refresh_from_db()
    assert not field.is_active


# Desk-wide settings


def test_admin_sets_the_attachment_limit_as_a_size(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_general"),
        {"auto_close_after_days": "7", "near_breach_percent": "75", "max_attachment_bytes": "10 MB"},
        follow=True,
    )

    settings = DeskSettings.objects.get(pk=1)
    assert (settings.auto_close_after_days, settings.near_breach_percent) == (7, 75)
    assert settings.max_attachment_bytes == 10 * 1024 * 1024
    assert 'value="10 MB"' in response.text


def test_out_of_bounds_settings_are_shown_on_their_fields(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_general"),
        {"auto_close_after_days": "120", "near_breach_percent": "30", "max_attachment_bytes": "100 MB"},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "auto_close_after_days": ["between 1 and 90 days"],
        "near_breach_percent": ["between 50 % and 99 % of the target"],
        "max_attachment_bytes": ["between 1 KB and 50 MB"],
    }
    assert not DeskSettings.objects.exists()


def test_a_size_that_cannot_be_read_is_refused(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_general"),
        {"auto_close_after_days": "4", "near_breach_percent": "80", "max_attachment_bytes": "big"},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "max_attachment_bytes": ["“big” is not a size; write e.g. 20 MB or 512 KB"]
    }


# Macros


def test_a_lead_creates_a_macro_for_their_team(lead_user: User) -> None:
    team = TeamFactory(name="Returns")
    lead_user.team = team
    lead_user.save()
    client = _signed_in(lead_user)
    teammate = UserFactory(role=Role.AGENT, team=team, full_name="Ada Lovelace")

    response = client.post(
        reverse("desk:settings_macro_new"),
        {
            "name": "Refund sent",
            "body": "Hello {{ customer.first_name }}, your refund is on its way.",
            "team": team.pk,
            "status": "resolved",
            "priority": "",
            "add_tags": "Refund, billing",
            "assign": str(teammate.pk),
            "is_active": "on",
        },
        follow=True,
    )

    macro = Macro.objects.get()
    assert macro.team == team
    assert macro.actions == {"status": "resolved", "add_tags": ["refund", "billing"], "assign": teammate.pk}
    assert "status → Resolved · tags refund, billing · assign to Ada Lovelace" in response.text


def test_a_lead_is_offered_only_their_own_team(lead_user: User) -> None:
    team, other = TeamFactory(name="Returns"), TeamFactory(name="Billing")
    lead_user.team = team
    lead_user.save()
    client = _signed_in(lead_user)

    page = client.get(reverse("desk:settings_macro_new"))
    response = client.post(
        reverse("desk:settings_macro_new"), {"name": "Sneaky", "body": "Hi", "team": other.pk}
    )

    assert ">Returns</option>" in page.text
    assert ">Billing</option>" not in page.text
    assert response.status_code == 422
    assert "team" in response.context["form"].errors
    assert not Macro.objects.exists()


def test_a_bad_macro_action_is_shown_on_its_field(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("desk:settings_macro_new"),
        {"name": "Tags", "body": "Hi", "add_tags": ",".join(f"t{n}" for n in range(11))},
    )

    assert response.status_code == 422
    assert response.context["form"].errors == {"add_tags": ["at most 10 tags"]}


def test_an_empty_macro_is_refused_on_the_form(admin_client_: Client) -> None:
    response = admin_client_.post(reverse("desk:settings_macro_new"), {"name": "Nothing"})

    assert response.status_code == 422
    assert "a macro needs a reply text, at least one action, or both" in response.text


def test_editing_a_macro_keeps_its_actions_in_the_form(admin_client_: Client) -> None:
    macro = MacroFactory(actions={"status": "pending", "add_tags": ["refund"], "assign": "me"})

    response = admin_client_.get(reverse("desk:settings_macro", args=[macro.pk]))

    assert '<option value="pending" selected>' in response.text
    assert 'value="refund"' in response.text
    assert '<option value="me" selected>' in response.text


def test_deleting_a_macro_by_htmx_returns_the_list(admin_client_: Client) -> None:
    keep = MacroFactory(name="Keep me")
    gone = MacroFactory(name="Remove me")

    response = admin_client_.post(reverse("desk:settings_macro_delete", args=[gone.pk]), **HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Keep me" in response.text
    assert "Remove me" not in response.text
    assert list(Macro.objects.all()) == [keep]


def test_the_macro_list_reads_a_bounded_number_of_queries(
    admin_client_: Client, django_assert_max_num_queries: object
) -> None:
    for n in range(20):
        MacroFactory(name=f"Macro {n}", team=TeamFactory(), actions={"assign": UserFactory().pk})

    with django_assert_max_num_queries(8):  # type: ignore[operator]
        response = admin_client_.get(reverse("desk:settings_macros"))

    assert "Macro 19" in response.text
