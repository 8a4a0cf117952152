"""The service dashboard's figures on hand-made conversations whose answers are known, and who sees what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.db import connection
from django.db.models.functions import TruncDate
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.core.errors import PermissionDenied
from rapport.desk.business_hours import Calendar, business_time_between
from rapport.desk.models import Conversation, Status
from rapport.desk.tests.factories import BusinessCalendarFactory, TeamDeskFactory
from rapport.insights.reports.service import (
    DONE_STATUSES,
    DayNumber,
    Microseconds,
    OpenTime,
    Period,
    Scope,
    business_seconds,
    csv_rows,
    period_of,
    service_report,
)
from rapport.insights.tests.factories import a_conversation

pytestmark = pytest.mark.django_db

# Monday 3 March to Sunday 9 March 2025; London is on GMT (UTC) all week.
WEEK = Period(first=date(2025, 3, 3), last=date(2025, 3, 9))
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
MONDAY_9 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def a_lead() -> Actor:
    return Actor(user=UserFactory(role=Role.LEAD))


def test_median_and_p90_of_first_response_are_taken_over_business_minutes() -> None:
    for minutes in (30, 90, 600):
        a_conversation(opened=MONDAY_9, first_response_at=MONDAY_9 + timedelta(minutes=minutes))

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert report.total.first_response.n == 3
    assert report.total.first_response.median == 90.0
    # Linear interpolation (type 7): 90 + 0.8 * (600 - 90).
    assert report.total.first_response.p90 == 498.0


def test_friday_evening_to_monday_morning_is_thirty_business_minutes_with_nine_to_five() -> None:
    nine_to_five = BusinessCalendarFactory(time_zone="Europe/London")
    a_conversation(opened=at(7, 17), first_response_at=at(10, 9, 30), calendar=nine_to_five)

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert report.total.first_response.median == 30.0


def test_a_conversation_without_a_calendar_is_measured_around_the_clock() -> None:
    a_conversation(opened=at(7, 17), first_response_at=at(10, 9, 30))

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert report.total.first_response.median == (2 * 24 + 16.5) * 60


def test_resolution_time_runs_to_resolution_or_closing() -> None:
    a_conversation(opened=MONDAY_9, resolved_at=MONDAY_9 + timedelta(hours=2))
    a_conversation(opened=MONDAY_9, closed_at=MONDAY_9 + timedelta(hours=4))
    a_conversation(opened=MONDAY_9, first_response_at=MONDAY_9 + timedelta(hours=1))

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert report.total.resolution.n == 2
    assert report.total.resolution.median == 180.0
    assert report.total.first_response.n == 1


def test_volume_is_counted_per_channel_per_day_and_inbound_messages_per_day() -> None:
    a_conversation(opened=at(3, 10), channel="email", inbound=[at(3, 10), at(4, 8)])
    a_conversation(opened=at(3, 11), channel="chat", inbound=[at(3, 11)])
    a_conversation(opened=at(5, 23, 59), channel="email", inbound=[at(10, 1)])  # message after the week
    a_conversation(opened=at(10, 0), channel="phone")  # after the week

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert report.volume == {"email": [1, 0, 1, 0, 0, 0, 0], "chat": [1, 0, 0, 0, 0, 0, 0]}
    assert report.inbound == [2, 1, 0, 0, 0, 0, 0]
    assert report.total.conversations == 3


def test_backlog_counts_conversations_open_at_the_end_of_each_day() -> None:
    a_conversation(opened=at(1, 12))  # before the week, still open
    a_conversation(opened=at(2, 12), resolved_at=at(4, 12))  # before the week, done on Tuesday
    a_conversation(opened=at(2, 12), resolved_at=at(2, 13))  # done before the week: never counted
    a_conversation(opened=at(3, 12), closed_at=at(3, 18))  # opened and closed on Monday
    a_conversation(opened=at(5, 9), resolved_at=at(8, 9), status=Status.CLOSED)  # closed after resolving
    a_conversation(opened=at(6, 9), first_response_at=at(6, 10))  # open still

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert report.backlog == [2, 1, 2, 3, 3, 2, 2]
    assert report.total.open_at_end == 2


def test_backlog_follows_its_definition_with_reopened_merged_and_oddly_dated_conversations() -> None:
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    maria, sam = UserFactory(role=Role.AGENT, team=support), UserFactory(role=Role.AGENT, team=billing)
    a_conversation(opened=at(1, 12), team=support, assignee=maria)  # open all week
    # Reopened after being closed: the old closed_at stays on the row; open all week.
    a_conversation(opened=at(2, 12), closed_at=at(4, 12), status=Status.OPEN)
    a_conversation(opened=at(3, 10), closed_at=at(3, 18))  # never open at a day's end
    a_conversation(opened=at(4, 9), resolved_at=at(6, 9))  # Tuesday and Wednesday
    a_conversation(opened=at(5, 9), resolved_at=at(12, 9), team=billing, assignee=sam)  # Wednesday on
    kept = a_conversation(opened=at(1, 9))  # open all week
    merged = a_conversation(opened=at(3, 9))  # merged away, though not closed: left out
    Conversation.objects.filter(pk=merged.pk).update(merged_into=kept)
    # Imported with a resolution before its opening: never open (it was done before it was opened).
    a_conversation(opened=at(6, 12), resolved_at=at(4, 12))
    a_conversation(opened=at(8, 10), closed_at=at(9, 23, 59))  # Saturday only
    a_conversation(opened=datetime(2025, 2, 28, 9, tzinfo=UTC), resolved_at=at(3, 0))  # done at the start
    a_conversation(opened=at(9, 23), team=support)  # Sunday
    # Resolved on Friday and closed on Saturday: done when resolved; Monday to Thursday.
    a_conversation(opened=at(2, 12), resolved_at=at(7, 12), closed_at=at(8, 9))

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert report.backlog == [4, 5, 6, 5, 4, 5, 5]
    assert report.total.open_at_end == 5
    assert {row.name: row.open_at_end for row in report.by_team} == {"Support": 2, "Billing": 1, "No team": 2}
    assert {row.key: row.open_at_end for row in report.by_agent} == {maria.pk: 1, sam.pk: 1, None: 3}


def open_by_definition(conversations: list[Conversation], moment: datetime) -> int:
    """Opened before the moment and not done by it, as the module docstring says, one by one."""
    return sum(
        1
        for c in conversations
        if c.created_at < moment
        and not (
            c.status in DONE_STATUSES
            and (c.resolved_at or c.closed_at) is not None
            and (c.resolved_at or c.closed_at) < moment  # type: ignore[operator]
        )
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backlog_and_open_at_end_equal_the_definition_on_random_conversations(seed: int) -> None:
    rng = np.random.default_rng(seed)
    private = TeamDeskFactory(is_private=True).team
    public = TeamFactory()
    outsider = UserFactory(role=Role.AGENT, team=public)
    start = datetime(2025, 2, 20, tzinfo=UTC)
    made = []
    for _ in range(60):
        opened = start + timedelta(hours=float(rng.uniform(0, 24 * 30)))
        later = opened + timedelta(hours=float(rng.uniform(-12, 24 * 10)))  # sometimes before opening
        status = rng.choice([Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED])
        made.append(
            a_conversation(
                opened=opened,
                status=str(status),
                resolved_at=later if rng.random() < 0.6 else None,
                closed_at=later + timedelta(hours=1) if rng.random() < 0.5 else None,
                team=[None, private, public][int(rng.integers(0, 3))],
                assignee=outsider if rng.random() < 0.2 else None,
            )
        )
    for source, target in zip(made[:5], made[5:10], strict=True):
        Conversation.objects.filter(pk=source.pk).update(merged_into=target)

    for actor in (a_lead(), Actor(user=outsider), Actor(user=UserFactory(role=Role.ADMIN))):
        report = service_report(actor, period=WEEK, now=NOW)

        seen = list(
            Conversation.objects.filter(pk__in=[c.pk for c in made], merged_into__isnull=True).exclude(
                pk__in=[]
                if actor.user.role == Role.ADMIN
                else Conversation.objects.filter(team=private).exclude(assignee=actor.user).values("pk")
            )
        )
        assert report.backlog == [open_by_definition(seen, end) for end in WEEK.day_ends()]
        assert report.total.open_at_end == open_by_definition(seen, WEEK.end)


def test_sla_compliance_is_the_share_of_decided_targets_that_were_met() -> None:
    due = at(3, 10)
    a_conversation(opened=MONDAY_9, first_response_at=at(3, 9, 30), first_response_due_at=due)  # met
    a_conversation(
        opened=MONDAY_9, first_response_at=at(3, 11), first_response_due_at=due, first_response_breached=True
    )  # missed
    a_conversation(opened=MONDAY_9, first_response_due_at=due)  # unanswered, past due: missed
    a_conversation(opened=at(19, 9), first_response_due_at=at(21, 9))  # outside the period
    a_conversation(opened=MONDAY_9)  # no target: not counted
    a_conversation(
        opened=MONDAY_9, resolved_at=at(3, 12), resolution_due_at=at(3, 17), first_response_at=at(3, 9, 5)
    )  # resolution met
    a_conversation(opened=MONDAY_9, resolution_due_at=at(25, 17))  # running: undecided

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert (report.total.first_response_sla.met, report.total.first_response_sla.missed) == (1, 2)
    assert report.total.first_response_sla.share == 0.3333
    assert (report.total.resolution_sla.met, report.total.resolution_sla.missed) == (1, 0)
    assert report.total.resolution_sla.share == 1.0


def test_a_lead_sees_a_row_for_every_team_and_agent() -> None:
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    maria, sam = UserFactory(role=Role.AGENT, team=support), UserFactory(role=Role.AGENT, team=billing)
    a_conversation(opened=MONDAY_9, team=support, assignee=maria, first_response_at=at(3, 9, 30))
    a_conversation(opened=MONDAY_9, team=support, assignee=maria, first_response_at=at(3, 10))
    a_conversation(opened=MONDAY_9, team=billing, assignee=sam, first_response_at=at(3, 11))
    a_conversation(opened=MONDAY_9)

    report = service_report(a_lead(), period=WEEK, now=NOW)

    assert [(row.name, row.conversations) for row in report.by_team] == [
        ("Support", 2),
        ("Billing", 1),
        ("No team", 1),
    ]
    assert report.by_team[0].first_response.median == 45.0
    assert [row.key for row in report.by_agent] == [maria.pk, sam.pk, None]


def test_an_agent_sees_only_her_own_row_and_her_teams() -> None:
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    maria = UserFactory(role=Role.AGENT, team=support)
    colleague, sam = UserFactory(role=Role.AGENT, team=support), UserFactory(role=Role.AGENT, team=billing)
    a_conversation(opened=MONDAY_9, team=support, assignee=maria)
    a_conversation(opened=MONDAY_9, team=support, assignee=colleague)
    a_conversation(opened=MONDAY_9, team=billing, assignee=sam)

    report = service_report(Actor(user=maria), period=WEEK, now=NOW)

    assert [row.key for row in report.by_agent] == [maria.pk]
    assert [(row.key, row.conversations) for row in report.by_team] == [(support.pk, 2)]
    assert not report.every_agent


@pytest.mark.parametrize("scope", ["colleague", "other_team"])
def test_an_agent_may_not_filter_by_another_agent_or_team(scope: str) -> None:
    support, billing = TeamFactory(), TeamFactory()
    maria, colleague = UserFactory(role=Role.AGENT, team=support), UserFactory(role=Role.AGENT, team=support)
    asked = Scope(agent_id=colleague.pk) if scope == "colleague" else Scope(team_id=billing.pk)

    with pytest.raises(PermissionDenied):
        service_report(Actor(user=maria), period=WEEK, scope=asked, now=NOW)


def test_an_agent_may_filter_by_herself_and_her_team() -> None:
    support = TeamFactory()
    maria = UserFactory(role=Role.AGENT, team=support)
    a_conversation(opened=MONDAY_9, team=support, assignee=maria, channel="chat")
    a_conversation(opened=MONDAY_9, team=support, channel="chat")

    report = service_report(
        Actor(user=maria), period=WEEK, scope=Scope(team_id=support.pk, agent_id=maria.pk, channel="chat")
    )

    assert report.total.conversations == 1


def test_a_private_teams_conversations_count_only_for_its_members_and_admins() -> None:
    private = TeamDeskFactory(is_private=True).team
    member, outsider = UserFactory(role=Role.AGENT, team=private), UserFactory(role=Role.LEAD)
    a_conversation(opened=MONDAY_9, team=private, first_response_at=at(3, 9, 10))
    a_conversation(opened=MONDAY_9, first_response_at=at(3, 10))

    seen_by_outsider = service_report(Actor(user=outsider), period=WEEK, now=NOW)
    seen_by_member = service_report(Actor(user=member), period=WEEK, now=NOW)
    seen_by_admin = service_report(Actor(user=UserFactory(role=Role.ADMIN)), period=WEEK, now=NOW)

    assert seen_by_outsider.total.conversations == 1
    assert seen_by_outsider.total.first_response.median == 60.0
    assert private.pk not in [row.key for row in seen_by_outsider.by_team]
    assert seen_by_member.total.conversations == 2
    assert seen_by_admin.total.conversations == 2


def test_merged_away_conversations_are_left_out() -> None:
    kept = a_conversation(opened=MONDAY_9)
    merged = a_conversation(opened=MONDAY_9, closed_at=at(3, 10))
    merged.merged_into = kept
    merged.save()

    assert service_report(a_lead(), period=WEEK, now=NOW).total.conversations == 1


def test_daily_csv_has_one_line_per_day_with_channels_inbound_and_backlog() -> None:
    a_conversation(opened=at(3, 10), channel="web", inbound=[at(3, 10)])

    lines = csv_rows(service_report(a_lead(), period=WEEK, now=NOW), "daily")

    assert lines[0] == ["day", "web", "opened", "inbound_messages", "backlog_at_end"]
    assert lines[1] == ["2025-03-03", 1, 1, 1, 1]
    assert len(lines) == 8


@pytest.mark.parametrize(
    ("days", "first", "last", "expected"),
    [
        (7, None, None, (date(2025, 3, 4), date(2025, 3, 10))),
        (None, date(2025, 1, 1), date(2025, 1, 31), (date(2025, 1, 1), date(2025, 1, 31))),
    ],
)
def test_period_is_the_last_days_or_the_dates_given(
    days: int | None, first: date | None, last: date | None, expected: tuple[date, date]
) -> None:
    found = period_of(days, first=first, last=last, today=date(2025, 3, 10))

    assert (found.first, found.last) == expected


@pytest.mark.parametrize(
    ("days", "first", "last"),
    [
        (14, None, None),
        (None, date(2025, 2, 1), date(2025, 1, 1)),
        (None, date(2023, 1, 1), date(2025, 1, 1)),
    ],
)
def test_period_refuses_ranges_not_offered(days: int | None, first: date | None, last: date | None) -> None:
    with pytest.raises(ValueError, match=r"choose|comes after"):
        period_of(days, first=first, last=last, today=date(2025, 3, 10))


LONDON_NINE_TO_FIVE = Calendar(
    time_zone="Europe/London",
    weekly=(((540, 1020),),) * 5 + ((), ((600, 780), (840, 900))),
    holidays=frozenset({date(2025, 3, 31), date(2025, 10, 27)}),
)
# Around both of London's clock changes of 2025 (30 March and 26 October).
MOMENTS = st.datetimes(
    min_value=datetime(2025, 3, 20), max_value=datetime(2025, 11, 5), timezones=st.just(UTC)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(MOMENTS, MOMENTS), min_size=1, max_size=8))
def test_open_time_look_up_equals_the_desks_business_time(pairs: list[tuple[datetime, datetime]]) -> None:
    starts = [min(a, b) for a, b in pairs]
    ends = [max(a, b) for a, b in pairs]

    found = business_seconds(LONDON_NINE_TO_FIVE, starts, ends)

    expected = [
        business_time_between(LONDON_NINE_TO_FIVE, a, b).total_seconds()
        for a, b in zip(starts, ends, strict=True)
    ]
    # Epoch seconds as floats keep microseconds to about 1e-7 s at today's magnitudes.
    assert np.allclose(found, expected, rtol=0, atol=1e-5)


def test_open_time_pieces_are_each_wholly_open_or_closed_across_a_clock_change() -> None:
    table = OpenTime(LONDON_NINE_TO_FIVE, datetime(2025, 3, 28, tzinfo=UTC), datetime(2025, 4, 2, tzinfo=UTC))

    assert table.exact


def test_day_numbers_are_the_days_truncdate_gives_across_a_clock_change() -> None:
    moments = [
        datetime(2025, 3, 27, 23, 59, 59, tzinfo=UTC),  # before the period
        datetime(2025, 3, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2025, 3, 30, 0, 0, tzinfo=UTC),
        datetime(2025, 3, 30, 22, 59, 59, tzinfo=UTC),  # 23:59:59 BST, still the 30th
        datetime(2025, 3, 30, 23, 0, tzinfo=UTC),  # midnight BST: the 31st
        datetime(2025, 4, 1, 22, 59, tzinfo=UTC),
        datetime(2025, 4, 1, 23, 0, tzinfo=UTC),  # after the period
    ]
    for moment in moments:
        a_conversation(opened=moment)

    with timezone.override("Europe/London"):
        period = Period(first=date(2025, 3, 28), last=date(2025, 4, 1))
        rows = Conversation.objects.annotate(
            number=DayNumber("created_at", period.day_ends()), day=TruncDate("created_at")
        ).order_by("created_at")
        found = [(row.number, row.day) for row in rows]  # type: ignore[attr-defined]

    days = period.days()
    assert [number for number, _ in found] == [0, 1, 2, 2, 3, 4, 5]
    assert [days[number] == day for number, day in found[1:-1]] == [True] * 5


def test_microseconds_count_exactly_from_1970_and_keep_none() -> None:
    a_conversation(opened=datetime(2025, 3, 3, 9, 0, 0, 123456, tzinfo=UTC))
    a_conversation(opened=datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), first_response_at=at(3, 9, 1))

    found = list(
        Conversation.objects.order_by("created_at").values_list(
            Microseconds("created_at"), Microseconds("first_response_at")
        )
    )

    assert found == [
        (946684799_000000, 1740992460_000000),
        (1740992400_123456, None),
    ]


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's planner, which guesses without statistics"
)
def test_no_query_of_the_report_reads_whole_desk_tables() -> None:
    TeamDeskFactory(is_private=True)
    agent = UserFactory(role=Role.AGENT, team=TeamFactory())
    a_conversation(opened=MONDAY_9, inbound=[MONDAY_9], resolved_at=at(4, 9))

    for actor, scope in [
        (a_lead(), Scope()),
        (Actor(user=agent), Scope(channel="email")),
        (Actor(user=UserFactory(role=Role.ADMIN)), Scope()),
    ]:
        with CaptureQueriesContext(connection) as queries:
            service_report(actor, period=period_of(90, today=date(2025, 3, 9)), scope=scope, now=NOW)
        plans = [
            detail
            for query in queries.captured_queries
            if "desk_" in query["sql"]
            for *_, detail in connection.cursor().execute(f"EXPLAIN QUERY PLAN {query['sql']}").fetchall()
        ]

        assert plans
        # Only the few teams may be read whole (the private-team look-up); nor may a query read every
        # conversation opened before a moment.
        assert [line for line in plans if line.startswith("SCAN") and "accounts_team" not in line] == []
        assert [line for line in plans if "(created_at<?)" in line] == []
