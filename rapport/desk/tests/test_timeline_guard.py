"""The 360 timeline hides conversations the reader may not see."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.customers.selectors import timeline_for
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.tests.factories import TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db


def _desk_events(actor: Actor, customer_id: int) -> set[str]:
    customer = CustomerFactory._meta.model.objects.get(pk=customer_id)
    return {event.summary for event in timeline_for(actor, customer) if event.kind.startswith("desk.")}


def test_a_private_teams_conversation_is_left_off_an_outsiders_timeline() -> None:
    customer = CustomerFactory()
    private = TeamDeskFactory(is_private=True).team
    a_conversation(customer=customer, subject="Fraud case", team=private)
    insider = Actor(user=UserFactory(role=Role.AGENT, team=private))
    outsider = Actor(user=UserFactory(role=Role.AGENT, team=TeamFactory()))

    assert any("Fraud case" in summary for summary in _desk_events(insider, customer.pk))
    assert _desk_events(outsider, customer.pk) == set()


def test_a_token_without_desk_read_sees_no_conversation_events() -> None:
    customer = CustomerFactory()
    a_conversation(customer=customer, subject="Where is my parcel")
    user = UserFactory(role=Role.AGENT)
    customers_only = Actor(user=user, via="token", scopes=frozenset({"customers:read"}))
    with_desk = Actor(user=user, via="token", scopes=frozenset({"customers:read", "desk:read"}))

    assert _desk_events(customers_only, customer.pk) == set()
    assert _desk_events(with_desk, customer.pk)
