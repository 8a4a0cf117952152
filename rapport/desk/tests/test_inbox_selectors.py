"""The inbox's views, filters, pages, counts and SLA badges, and who sees which conversations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from rapport.accounts.models import Role, Team, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.desk.models import Conversation, SlaState, Status
from rapport.desk.selectors import inbox
from rapport.desk.selectors.inbox import (
    VIEWS,
    Cursor,
    InboxFilters,
    conversations_matching,
    filters_as_dict,
    filters_from_dict,
    inbox_page,
    sla_badge,
    view_counts,
)
from rapport.desk.services.conversations import change_status
from rapport.desk.tests.factories import SlaPolicyFactory, TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db


def _conversation(
    subject: str, *, assignee: User | None = None, status: str | None = None, **kwargs: Any
) -> Conversation:
    """A conversation opened through the service, then put in the state a test needs."""
    conversation = a_conversation(subject=subject, **kwargs)
    changes: dict[str, Any] = {"assignee": assignee}
    if status is not None:
        changes["status"] = status
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    conversation.refresh_from_db()
    return conversation


def _subjects(actor: Actor, **filters: Any) -> set[str]:
    found = conversations_matching(actor, InboxFilters(**filters), now=timezone.now())
    return set(found.values_list("subject", flat=True))


@pytest.fixture
def desk() -> dict[str, Any]:
    """Two teams' work: mine, a teammate's, unassigned, snoozed, resolved and another team's."""
    team, other_team = TeamFactory(name="Support"), TeamFactory(name="Billing")
    me = UserFactory(role=Role.AGENT, team=team)
    mate = UserFactory(role=Role.AGENT, team=team)
    _conversation("mine new", team=team, assignee=me)
    _conversation("mine pending", team=team, assignee=me, status=Status.PENDING)
    _conversation("mine snoozed", team=team, assignee=me, status=Status.SNOOZED)
    _conversation("mine resolved", team=team, assignee=me, status=Status.RESOLVED)
    _conversation("mate open", team=team, assignee=mate, status=Status.OPEN)
    _conversation("nobody's", team=team)
    _conversation("billing open", team=other_team, status=Status.OPEN)
    return {"me": Actor(user=me), "team": team, "other_team": other_team, "mate": mate}


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("mine", {"mine new", "mine pending"}),
        ("unassigned", {"nobody's", "billing open"}),
        ("team", {"mine new", "mine pending", "mate open", "nobody's"}),
        ("open", {"mine new", "mine pending", "mate open", "nobody's", "billing open"}),
        ("snoozed", {"mine snoozed"}),
        (
            "all",
            {
                "mine new",
                "mine pending",
                "mine snoozed",
                "mine resolved",
                "mate open",
                "nobody's",
                "billing open",
            },
        ),
    ],
)
def test_each_view_holds_its_conversations(desk: dict[str, Any], view: str, expected: set[str]) -> None:
    assert _subjects(desk["me"], view=view) == expected


def test_my_team_is_empty_for_someone_without_a_team(desk: dict[str, Any]) -> None:
    loner = Actor(user=UserFactory(role=Role.AGENT))

    assert _subjects(loner, view="team") == set()
    assert view_counts(loner, now=timezone.now())["team"] == 0


def test_counts_match_the_views(desk: dict[str, Any]) -> None:
    counts = view_counts(desk["me"], now=timezone.now())

    assert counts == {"mine": 2, "unassigned": 2, "team": 4, "breaching": 0, "open": 5, "snoozed": 1}
    assert set(counts) == set(VIEWS) - {"all"}


def test_counts_stop_at_the_cap(desk: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)

    counts = view_counts(desk["me"], now=timezone.now())

    assert counts["open"] == 3
    assert inbox.count_label(counts["open"]) == "2+"
    assert inbox.count_label(counts["snoozed"]) == "1"


def test_filters_narrow_a_view(desk: dict[str, Any]) -> None:
    me, team = desk["me"], desk["team"]
    urgent = _conversation("urgent chat", team=team, priority="urgent", channel="chat", tags=["vip"])

    assert _subjects(me, view="open", priority=("urgent",)) == {"urgent chat"}
    assert _subjects(me, view="open", channel="chat") == {"urgent chat"}
    assert _subjects(me, view="all", tag="VIP") == {"urgent chat"}
    assert _subjects(me, view="all", status=("pending", "resolved")) == {"mine pending", "mine resolved"}
    assert _subjects(me, view="open", assignee_id=desk["mate"].pk) == {"mate open"}
    assert _subjects(me, view="open", unassigned=True) == {"nobody's", "billing open", "urgent chat"}
    assert _subjects(me, view="open", team_id=desk["other_team"].pk) == {"billing open"}
    # A status outside the view leaves nothing: filters narrow a view, they never widen it.
    assert _subjects(me, view="open", status=("resolved",)) == set()
    assert urgent.pk in set(
        conversations_matching(
            me, InboxFilters(view="all", priority=("urgent",)), now=timezone.now()
        ).values_list("pk", flat=True)
    )


def test_created_date_range_includes_its_whole_last_day(desk: dict[str, Any]) -> None:
    me = desk["me"]
    old = _conversation("last winter", team=desk["team"])
    Conversation.objects.filter(pk=old.pk).update(
        created_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC),
        last_message_at=datetime(2026, 1, 16, 9, 0, tzinfo=UTC),
    )

    assert _subjects(me, view="all", created_from=date(2026, 1, 15), created_to=date(2026, 1, 15)) == {
        "last winter"
    }
    assert _subjects(me, view="all", created_to=date(2026, 1, 14)) == set()
    assert "last winter" not in _subjects(me, view="all", created_from=date(2026, 1, 16))


def test_a_conversation_split_from_an_old_message_counts_from_its_own_creation(desk: dict[str, Any]) -> None:
    split = _conversation("split out", team=desk["team"])
    Conversation.objects.filter(pk=split.pk).update(
        created_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        last_message_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
    )

    assert _subjects(desk["me"], view="all", created_from=date(2026, 3, 1)) >= {"split out"}
    page = inbox_page(
        desk["me"], InboxFilters(view="all", created_from=date(2026, 3, 1)), now=timezone.now(), size=50
    )
    assert "split out" in [row.subject for row in page.rows]


def test_search_finds_words_in_subjects_and_messages(desk: dict[str, Any]) -> None:
    a_conversation(subject="Broken zipper", team=desk["team"], body_text="The zipper on my jacket broke")
    a_conversation(subject="Late parcel", team=desk["team"], body_text="Still waiting for the courier")

    assert _subjects(desk["me"], view="all", query="zipper") == {"Broken zipper"}
    assert _subjects(desk["me"], view="all", query="courier") == {"Late parcel"}


# SLA: a policy of one hour to first response, around the clock, so the warning line is at 48 min.
@pytest.fixture
def timed() -> tuple[Actor, Conversation]:
    SlaPolicyFactory(first_response_minutes=60, resolution_minutes=None, calendar=None)
    agent = Actor(user=UserFactory(role=Role.AGENT))
    conversation = a_conversation(actor=agent, subject="timed")
    assert conversation.sla_due_at == conversation.created_at + timedelta(minutes=60)
    return agent, conversation


@pytest.mark.parametrize(
    ("minutes", "state", "label"),
    [
        (35, SlaState.OK, "due in 25 min"),
        (50, SlaState.NEAR, "due in 10 min"),
        (180, SlaState.BREACHED, "breached 2 h ago"),
    ],
)
def test_sla_filter_and_badge_read_the_clock_at_now(
    timed: tuple[Actor, Conversation], minutes: int, state: str, label: str
) -> None:
    agent, conversation = timed
    now = conversation.created_at + timedelta(minutes=minutes)

    for sla in ("ok", "near", "breached", "paused"):
        found = conversations_matching(agent, InboxFilters(view="all", sla=sla), now=now)
        assert list(found) == ([conversation] if sla == state else []), sla
    assert sla_badge(conversation, now).state == state
    assert sla_badge(conversation, now).label == label


def test_breaching_view_holds_near_and_breached_active_conversations(
    timed: tuple[Actor, Conversation],
) -> None:
    agent, conversation = timed
    start = conversation.created_at

    assert not conversations_matching(
        agent, InboxFilters(view="breaching"), now=start + timedelta(minutes=30)
    )
    assert list(
        conversations_matching(agent, InboxFilters(view="breaching"), now=start + timedelta(minutes=50))
    ) == [conversation]
    assert view_counts(agent, now=start + timedelta(minutes=90))["breaching"] == 1


def test_a_missed_target_keeps_a_conversation_breaching_after_the_clock_moved_on(
    timed: tuple[Actor, Conversation],
) -> None:
    agent, conversation = timed
    Conversation.objects.filter(pk=conversation.pk).update(
        first_response_breached=True, sla_due_at=None, sla_warn_at=None, sla_state=SlaState.BREACHED
    )

    found = conversations_matching(agent, InboxFilters(view="breaching"), now=conversation.created_at)

    assert list(found) == [conversation]


def test_a_conversation_pending_on_the_customer_is_paused_not_breaching(
    timed: tuple[Actor, Conversation],
) -> None:
    agent, conversation = timed
    change_status(actor=agent, conversation=conversation, status=Status.PENDING)
    later = timezone.now() + timedelta(hours=5)

    assert list(conversations_matching(agent, InboxFilters(view="all", sla="paused"), now=later)) == [
        conversation
    ]
    assert not conversations_matching(agent, InboxFilters(view="breaching"), now=later)
    conversation.refresh_from_db()
    assert sla_badge(conversation, later).label == "paused"


def test_pages_follow_the_cursor_newest_first_without_gaps_or_repeats() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    base = timezone.now() - timedelta(days=1)
    created = [a_conversation(actor=agent, subject=f"c{n}") for n in range(7)]
    for n, conversation in enumerate(created):
        # Two share each moment, so ties are broken by id.
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=base + timedelta(minutes=n // 2)
        )
    Conversation.objects.filter(pk=created[3].pk).update(status=Status.SNOOZED)

    seen: list[int] = []
    cursor: Cursor | None = None
    pages = 0
    while True:
        page = inbox_page(agent, InboxFilters(view="all"), now=timezone.now(), size=3, after=cursor)
        seen += [row.pk for row in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    expected = sorted(
        Conversation.objects.filter(pk__in=[c.pk for c in created]),
        key=lambda c: (c.last_message_at, c.pk),
        reverse=True,
    )
    assert seen == [c.pk for c in expected]
    assert pages == 3


def test_the_first_page_says_whether_another_follows() -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    for n in range(3):
        a_conversation(actor=agent, subject=f"c{n}")

    full = inbox_page(agent, InboxFilters(view="open"), now=timezone.now(), size=3)
    short = inbox_page(agent, InboxFilters(view="open"), now=timezone.now(), size=2)

    assert (len(full.rows), full.next_cursor) == (3, None)
    assert len(short.rows) == 2
    assert short.next_cursor == Cursor(short.rows[-1].last_message_at, short.rows[-1].pk)
    assert [row.subject for row in full.rows] == ["c2", "c1", "c0"]


def test_a_page_carries_each_rows_tags_by_name_and_what_a_row_shows(
    django_assert_num_queries: Any,
) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT, full_name="Maria Lopez"))
    tagged = a_conversation(actor=agent, subject="tagged", tags=["vip", "refund"])
    Conversation.objects.filter(pk=tagged.pk).update(assignee=agent.user)
    a_conversation(actor=agent, subject="plain")

    page = inbox_page(agent, InboxFilters(view="open"), now=timezone.now(), size=10)

    assert page.tag_names == {tagged.pk: ["refund", "vip"]}
    first = page.rows[1]
    # Everything a row shows is loaded with the page: reading it costs no query.
    with django_assert_num_queries(0):
        assert (first.subject, str(first.customer), first.assignee.display_name) == (
            "tagged",
            tagged.customer.name,
            "Maria Lopez",
        )
        sla_badge(first, timezone.now())


def test_agent_choices_name_the_staff_who_work_the_desk() -> None:
    named = UserFactory(role=Role.AGENT, full_name="Sam Jones")
    unnamed = UserFactory(role=Role.LEAD, full_name="", email="lead@shop.example")
    UserFactory(role=Role.ANALYST, full_name="Ann Alyst")
    UserFactory(role=Role.AGENT, full_name="Gone", is_active=False)

    choices = inbox.agent_choices(Actor(user=named))

    assert (named.pk, "Sam Jones") in choices
    assert (unnamed.pk, "lead@shop.example") in choices
    assert {name for _, name in choices}.isdisjoint({"Ann Alyst", "Gone"})


@pytest.mark.parametrize(
    "filters",
    [
        InboxFilters(view="all", tag="vip"),
        InboxFilters(view="all", query="zipper"),
        InboxFilters(view="all", sla="breached"),
        InboxFilters(view="open", created_to=date(2099, 1, 1)),
        InboxFilters(view="open", priority=("high",), channel="chat"),
    ],
)
def test_pages_hold_the_same_rows_however_they_are_read(filters: InboxFilters) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    for n in range(4):
        a_conversation(
            actor=agent,
            subject=f"zipper {n}",
            tags=["vip"],
            priority="high",
            channel="chat",
            body_text="zipper",
        )
    Conversation.objects.update(first_response_breached=True)

    page = inbox_page(agent, filters, now=timezone.now(), size=10)

    assert [row.pk for row in page.rows] == list(
        conversations_matching(agent, filters, now=timezone.now()).values_list("pk", flat=True)
    )
    assert len(page.rows) == 4


# Private teams: their conversations are for their members (and admins) only.
@pytest.fixture
def private_team() -> Team:
    team = TeamFactory(name="VIP desk")
    TeamDeskFactory(team=team, is_private=True)
    return team


def test_an_agent_of_another_team_sees_none_of_a_private_teams_conversations(private_team: Team) -> None:
    insider = Actor(user=UserFactory(role=Role.AGENT, team=private_team))
    outsider = Actor(user=UserFactory(role=Role.AGENT, team=TeamFactory()))
    secret = _conversation(
        "secret", team=private_team, priority="urgent", tags=["vip"], body_text="secret words"
    )
    Conversation.objects.filter(pk=secret.pk).update(first_response_breached=True)
    _conversation("public", team=TeamFactory())
    now = timezone.now()

    for view in VIEWS:
        assert "secret" not in _subjects(outsider, view=view), view
        page = inbox_page(outsider, InboxFilters(view=view), now=now, size=50)
        assert secret not in page.rows, view
    for narrowed in (
        {"team_id": private_team.pk},
        {"tag": "vip"},
        {"query": "secret"},
        {"sla": "breached"},
        {"priority": ("urgent",)},
    ):
        assert _subjects(outsider, view="all", **narrowed) == set(), narrowed
    assert view_counts(outsider, now=now) == {
        "mine": 0,
        "unassigned": 1,
        "team": 0,
        "breaching": 0,
        "open": 1,
        "snoozed": 0,
    }
    assert "secret" in _subjects(insider, view="team")
    assert view_counts(insider, now=now)["breaching"] == 1
    assert private_team not in inbox.inbox_teams(outsider)


def test_an_outsider_still_sees_a_private_teams_conversation_assigned_to_them(private_team: Team) -> None:
    outsider = UserFactory(role=Role.AGENT, team=TeamFactory())
    _conversation("handed over", team=private_team, assignee=outsider)

    assert _subjects(Actor(user=outsider), view="mine") == {"handed over"}


def test_filters_survive_a_round_trip_and_bad_stored_values_are_dropped() -> None:
    filters = InboxFilters(
        view="breaching",
        status=("open",),
        priority=("high", "urgent"),
        tag="vip",
        channel="email",
        assignee_id=7,
        team_id=3,
        sla="near",
        created_from=date(2026, 1, 1),
        created_to=date(2026, 1, 31),
        query="refund",
    )

    assert filters_from_dict(filters_as_dict(filters)) == filters
    assert filters_as_dict(InboxFilters()) == {"view": "open"}
    assert filters_from_dict(
        {
            "view": "nope",
            "status": ["open", "lost"],
            "sla": "late",
            "created_from": "x",
            "assignee_id": "me",
            "x": 1,
        }
    ) == InboxFilters(view="open", status=("open",))


@pytest.mark.parametrize(
    ("delta", "label"),
    [
        (timedelta(seconds=20), "under a minute"),
        (timedelta(minutes=59), "59 min"),
        (timedelta(hours=47), "47 h"),
        (timedelta(days=3), "3 d"),
    ],
)
def test_durations_read_at_a_glance(delta: timedelta, label: str) -> None:
    assert inbox.duration_label(delta) == label
