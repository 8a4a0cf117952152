"""Saved inbox views: named filters, private to their owner unless shared, changed only by the owner."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from rapport.desk.models import SavedView
from rapport.desk.selectors.inbox import InboxFilters, conversations_matching
from rapport.desk.selectors.saved_views import access_saved_view, filters_of, saved_views_for
from rapport.desk.services.saved_views import delete_view, save_view, update_view
from rapport.desk.tests.factories import TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db

URGENT_EMAIL = InboxFilters(view="open", priority=("urgent",), channel="email", created_from=date(2026, 1, 1))


def test_a_saved_view_keeps_its_filters(agent: Actor) -> None:
    saved = save_view(actor=agent, name="  Urgent   email ", filters=URGENT_EMAIL)

    assert saved.name == "Urgent email"
    assert saved.filters == {
        "view": "open",
        "priority": ["urgent"],
        "channel": "email",
        "created_from": "2026-01-01",
    }
    assert filters_of(access_saved_view(agent, saved.pk)) == URGENT_EMAIL


def test_only_the_owner_sees_a_view_until_it_is_shared(agent: Actor) -> None:
    other = Actor(user=UserFactory(role=Role.AGENT))
    private = save_view(actor=agent, name="Mine only", filters=URGENT_EMAIL)
    shared = save_view(actor=agent, name="For everyone", filters=URGENT_EMAIL, shared=True)

    assert list(saved_views_for(agent)) == [shared, private]
    assert list(saved_views_for(other)) == [shared]
    with pytest.raises(NotFound):
        access_saved_view(other, private.pk)
    assert access_saved_view(other, shared.pk) == shared


def test_another_agent_cannot_delete_or_change_your_view(agent: Actor) -> None:
    other = Actor(user=UserFactory(role=Role.AGENT))
    private = save_view(actor=agent, name="Mine only", filters=URGENT_EMAIL)
    shared = save_view(actor=agent, name="Shared", filters=URGENT_EMAIL, shared=True)

    with pytest.raises(NotFound):
        delete_view(actor=other, saved_view=private)
    with pytest.raises(PermissionDenied):
        delete_view(actor=other, saved_view=shared)
    with pytest.raises(PermissionDenied):
        update_view(actor=other, saved_view=shared, name="Taken over")

    assert set(SavedView.objects.values_list("name", flat=True)) == {"Mine only", "Shared"}


def test_the_owner_renames_shares_and_deletes_their_view(agent: Actor) -> None:
    saved = save_view(actor=agent, name="Draft", filters=URGENT_EMAIL)

    update_view(actor=agent, saved_view=saved, name="Urgent", shared=True, filters=InboxFilters(view="mine"))
    saved.refresh_from_db()
    assert (saved.name, saved.shared, saved.filters) == ("Urgent", True, {"view": "mine"})

    delete_view(actor=agent, saved_view=saved)
    assert not SavedView.objects.exists()


def test_names_are_unique_per_person(agent: Actor) -> None:
    save_view(actor=agent, name="Urgent", filters=URGENT_EMAIL)
    other = Actor(user=UserFactory(role=Role.AGENT))

    with pytest.raises(Conflict):
        save_view(actor=agent, name="Urgent", filters=InboxFilters())
    assert save_view(actor=other, name="Urgent", filters=InboxFilters()).owner == other.user
    with pytest.raises(ValidationFailed):
        save_view(actor=agent, name="   ", filters=InboxFilters())


def test_an_analyst_keeps_views_for_themselves_but_cannot_share_them(analyst: Actor) -> None:
    saved = save_view(actor=analyst, name="Breaches", filters=InboxFilters(view="breaching"))

    assert list(saved_views_for(analyst)) == [saved]
    with pytest.raises(PermissionDenied):
        save_view(actor=analyst, name="For all", filters=InboxFilters(), shared=True)
    with pytest.raises(PermissionDenied):
        update_view(actor=analyst, saved_view=saved, shared=True)


def test_a_shared_view_shows_an_outsider_nothing_of_a_private_team() -> None:
    team = TeamFactory()
    TeamDeskFactory(team=team, is_private=True)
    insider = Actor(user=UserFactory(role=Role.AGENT, team=team))
    outsider = Actor(user=UserFactory(role=Role.AGENT, team=TeamFactory()))
    secret = a_conversation(actor=insider, team=team, subject="secret")
    saved = save_view(
        actor=insider, name="Our team", filters=InboxFilters(view="all", team_id=team.pk), shared=True
    )

    shown_to_insider = conversations_matching(insider, filters_of(saved), now=timezone.now())
    shown_to_outsider = conversations_matching(
        outsider, filters_of(access_saved_view(outsider, saved.pk)), now=timezone.now()
    )

    assert list(shown_to_insider) == [secret]
    assert list(shown_to_outsider) == []
