"""Alerts are raised once per cause, reach the right person, and only they or a lead acknowledge them."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import Conflict, NotFound
from rapport.customers.models import TimelineEvent
from rapport.customers.tests.factories import CustomerFactory
from rapport.listening.models import Alert, AlertKind, AlertStatus
from rapport.listening.selectors import visible_alerts
from rapport.listening.services.alerts import acknowledge_alert, raise_alert, register_alert_listener

pytestmark = pytest.mark.django_db


def _alert_for(recipient: object = None) -> Alert:
    alert = raise_alert(
        kind=AlertKind.DEFECTION,
        cause_key=f"test:{Alert.objects.count()}",
        title="Customer says this is their last order",
        customer=CustomerFactory(),
        recipient=recipient,
    )
    assert alert is not None
    return alert


def test_the_same_cause_raises_one_alert() -> None:
    customer = CustomerFactory()
    first = raise_alert(
        kind=AlertKind.SPIKE, cause_key="spike:2026-12-05T14", title="Mentions spike", customer=customer
    )
    second = raise_alert(
        kind=AlertKind.SPIKE, cause_key="spike:2026-12-05T14", title="Mentions spike", customer=customer
    )
    assert first is not None
    assert second is None
    assert Alert.objects.count() == 1
    assert TimelineEvent.objects.filter(customer=customer, kind="listening.alert_raised").count() == 1


def test_listeners_hear_of_an_alert_only_after_commit(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    heard: list[int] = []
    register_alert_listener(heard.append)
    with django_capture_on_commit_callbacks(execute=True):
        alert = _alert_for()
        assert heard == []
    assert heard == [alert.pk]


def test_an_agent_sees_and_acknowledges_only_alerts_raised_for_them() -> None:
    agent = UserFactory(role=Role.AGENT)
    other = UserFactory(role=Role.AGENT)
    mine = _alert_for(agent)
    theirs = _alert_for(other)
    for_the_leads = _alert_for(None)

    assert list(visible_alerts(Actor(user=agent))) == [mine]
    with pytest.raises(NotFound):
        acknowledge_alert(actor=Actor(user=agent), alert_id=theirs.pk)
    with pytest.raises(NotFound):
        acknowledge_alert(actor=Actor(user=agent), alert_id=for_the_leads.pk)

    acknowledged = acknowledge_alert(actor=Actor(user=agent), alert_id=mine.pk)
    assert acknowledged.status == AlertStatus.ACKNOWLEDGED
    assert acknowledged.acknowledged_by == agent
    theirs.refresh_from_db()
    assert theirs.status == AlertStatus.OPEN


def test_a_lead_sees_every_alert_and_cannot_acknowledge_one_twice() -> None:
    lead = Actor(user=UserFactory(role=Role.LEAD))
    alerts = [_alert_for(UserFactory(role=Role.AGENT)), _alert_for(None)]
    assert set(visible_alerts(lead)) == set(alerts)
    acknowledge_alert(actor=lead, alert_id=alerts[0].pk)
    with pytest.raises(Conflict):
        acknowledge_alert(actor=lead, alert_id=alerts[0].pk)
    assert list(visible_alerts(lead)) == [alerts[1]]
    assert list(visible_alerts(lead, status=AlertStatus.ACKNOWLEDGED)) == [alerts[0]]


def test_a_token_without_the_listening_write_scope_sees_only_its_own_alerts() -> None:
    lead = UserFactory(role=Role.LEAD)
    token = Actor(user=lead, via="token", scopes=frozenset({"listening:read"}))
    _alert_for(UserFactory(role=Role.AGENT))
    mine = _alert_for(lead)
    assert list(visible_alerts(token)) == [mine]
