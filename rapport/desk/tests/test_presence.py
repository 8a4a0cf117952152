"""Presence on a conversation: who is viewing it, who is typing, and when they count as gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import PermissionDenied
from rapport.desk.models import Viewer
from rapport.desk.selectors.presence import Collision, collisions_on, others_on
from rapport.desk.services.presence import leave_conversation, touch_viewer
from rapport.desk.tests.factories import a_conversation

pytestmark = pytest.mark.django_db


def _staff(name: str, role: str = Role.AGENT) -> Actor:
    return Actor(user=UserFactory(role=role, full_name=name))


def test_each_person_has_one_presence_row_per_conversation() -> None:
    maria = _staff("Maria")
    conversation = a_conversation(actor=maria)

    touch_viewer(actor=maria, conversation=conversation)
    touch_viewer(actor=maria, conversation=conversation, typing=True)

    assert Viewer.objects.filter(conversation=conversation, user=maria.user).count() == 1


def test_others_on_lists_everyone_but_me() -> None:
    me, maria = _staff("Me"), _staff("Maria")
    conversation = a_conversation(actor=me)
    touch_viewer(actor=me, conversation=conversation)
    touch_viewer(actor=maria, conversation=conversation)

    viewers = others_on(me, conversation, now=timezone.now())

    assert [viewer.user for viewer in viewers] == [maria.user]


def test_someone_not_seen_for_thirty_seconds_is_gone() -> None:
    me, maria = _staff("Me"), _staff("Maria")
    conversation = a_conversation(actor=me)
    touch_viewer(actor=maria, conversation=conversation)
    now = timezone.now()

    assert collisions_on(me, conversation, now=now + timedelta(seconds=25)) == [
        Collision("Maria", typing=False)
    ]
    assert collisions_on(me, conversation, now=now + timedelta(seconds=31)) == []


def test_typing_shows_for_ten_seconds_after_the_last_keystroke() -> None:
    me, maria = _staff("Me"), _staff("Maria")
    conversation = a_conversation(actor=me)
    touch_viewer(actor=maria, conversation=conversation, typing=True)
    now = timezone.now()

    assert collisions_on(me, conversation, now=now + timedelta(seconds=5)) == [
        Collision("Maria", typing=True)
    ]
    assert collisions_on(me, conversation, now=now + timedelta(seconds=12)) == [
        Collision("Maria", typing=False)
    ]


def test_a_plain_ping_keeps_the_typing_mark_of_the_last_keystroke() -> None:
    me, maria = _staff("Me"), _staff("Maria")
    conversation = a_conversation(actor=me)
    touch_viewer(actor=maria, conversation=conversation, typing=True)
    touch_viewer(actor=maria, conversation=conversation)

    assert collisions_on(me, conversation, now=timezone.now()) == [Collision("Maria", typing=True)]


def test_typing_people_come_first_then_by_name() -> None:
    me = _staff("Me")
    conversation = a_conversation(actor=me)
    for name, typing in [("Zoe", False), ("Bea", False), ("Yann", True)]:
        touch_viewer(actor=_staff(name), conversation=conversation, typing=typing)

    collisions = collisions_on(me, conversation, now=timezone.now())

    assert collisions == [Collision("Yann", True), Collision("Bea", False), Collision("Zoe", False)]


def test_an_analyst_is_seen_viewing_but_never_typing() -> None:
    me, analyst = _staff("Me"), _staff("Ana", role=Role.ANALYST)
    conversation = a_conversation(actor=me)

    touch_viewer(actor=analyst, conversation=conversation, typing=True)

    assert collisions_on(me, conversation, now=timezone.now()) == [Collision("Ana", typing=False)]


def test_leaving_the_page_removes_the_warning_at_once() -> None:
    me, maria = _staff("Me"), _staff("Maria")
    conversation = a_conversation(actor=me)
    touch_viewer(actor=maria, conversation=conversation)

    leave_conversation(actor=maria, conversation=conversation)

    assert collisions_on(me, conversation, now=timezone.now()) == []


def test_presence_is_per_conversation() -> None:
    me, maria = _staff("Me"), _staff("Maria")
    here, elsewhere = a_conversation(actor=me), a_conversation(actor=me)

    touch_viewer(actor=maria, conversation=elsewhere, typing=True)

    assert others_on(me, here, now=timezone.now()) == []


def test_a_deactivated_user_cannot_mark_presence() -> None:
    conversation = a_conversation()
    gone = Actor(user=UserFactory(role=Role.AGENT, is_active=False))

    with pytest.raises(PermissionDenied):
        touch_viewer(actor=gone, conversation=conversation)
