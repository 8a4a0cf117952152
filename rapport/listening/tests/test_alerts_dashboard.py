"""The alerts page, acknowledging from it, an alert's page with what raised it, and alert mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.desk.tests.factories import a_conversation
from rapport.listening.models import Alert, AlertKind, AlertStatus
from rapport.listening.services.alert_mail import send_alert_mail
from rapport.listening.services.config import update_listening_settings
from rapport.listening.tests import factories_dashboard as make

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_agent_sees_only_alerts_raised_for_them(agent_client: Client, agent_user: User) -> None:
    mine = make.an_alert(recipient=agent_user, title="Low CSAT from Ada")
    make.an_alert(recipient=UserFactory(role=Role.AGENT), title="Low CSAT from Bob")
    make.an_alert(recipient=None, title="Mention spike for the leads")

    page = agent_client.get(reverse("listening:alerts"))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Low CSAT from Ada" in text
    assert "Bob" not in text
    assert "Mention spike for the leads" not in text
    assert f'data-alert-id="{mine.pk}"' in text


def test_lead_sees_every_alert_and_can_filter_by_kind(lead_client: Client) -> None:
    make.an_alert(recipient=UserFactory(role=Role.AGENT), title="Low CSAT from Bob")
    make.an_alert(recipient=None, kind=AlertKind.SPIKE, title="Mention spike")

    every = lead_client.get(reverse("listening:alerts")).content.decode()
    spikes = lead_client.get(reverse("listening:alerts"), {"kind": "spike"}).content.decode()

    assert "Low CSAT from Bob" in every
    assert "Mention spike" in every
    assert "Mention spike" in spikes
    assert "Low CSAT from Bob" not in spikes


def test_acknowledging_moves_the_alert_to_the_acknowledged_tab(
    agent_client: Client, agent_user: User
) -> None:
    alert = make.an_alert(recipient=agent_user, title="Low CSAT from Ada")

    response = agent_client.post(reverse("listening:alert_acknowledge", args=[alert.pk]), headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "Acknowledged" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == agent_user
    assert "Low CSAT from Ada" not in agent_client.get(reverse("listening:alerts")).content.decode()
    acknowledged = agent_client.get(reverse("listening:alerts"), {"tab": "acknowledged"}).content.decode()
    assert "Low CSAT from Ada" in acknowledged


def test_acknowledging_twice_says_so(agent_client: Client, agent_user: User) -> None:
    alert = make.an_alert(recipient=agent_user)
    agent_client.post(reverse("listening:alert_acknowledge", args=[alert.pk]), headers=HTMX)

    again = agent_client.post(reverse("listening:alert_acknowledge", args=[alert.pk]), headers=HTMX)

    assert again.status_code == 409
    assert "already acknowledged" in again.content.decode()


def test_agent_cannot_open_or_acknowledge_another_persons_alert(agent_client: Client) -> None:
    theirs = make.an_alert(recipient=UserFactory(role=Role.AGENT))

    opened = agent_client.get(reverse("listening:alert", args=[theirs.pk]))
    acknowledged = agent_client.post(reverse("listening:alert_acknowledge", args=[theirs.pk]))

    assert opened.status_code == 404
    assert acknowledged.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AlertStatus.OPEN


def test_lead_acknowledges_anyones_alert_without_javascript(lead_client: Client) -> None:
    alert = make.an_alert(recipient=UserFactory(role=Role.AGENT))

    response = lead_client.post(reverse("listening:alert_acknowledge", args=[alert.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("listening:alert", args=[alert.pk])
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED


def test_alert_page_links_what_raised_it(agent_user: User, agent_client: Client) -> None:
    conversation = a_conversation(body_text="This will be my last order, I am done")
    message = conversation.messages.get()
    alert = make.an_alert(
        recipient=agent_user,
        kind=AlertKind.DEFECTION,
        customer=conversation.customer,
        conversation=conversation,
        data={"message": f"desk.message:{message.pk}"},
    )

    page = agent_client.get(reverse("listening:alert", args=[alert.pk])).content.decode()

    assert reverse("customers:detail", args=[conversation.customer_id]) in page
    assert f"{reverse('desk:conversation', args=[conversation.pk])}#message-{message.pk}" in page
    assert "This will be my last order" in page


def test_spike_alert_page_lists_its_mentions(lead_client: Client) -> None:
    mentions = make.mentions_at(datetime(2026, 12, 5, 14, tzinfo=UTC), 3, text="Outage again?")
    alert = make.an_alert(kind=AlertKind.SPIKE, data={"mention_ids": [m.pk for m in mentions]})

    page = lead_client.get(reverse("listening:alert", args=[alert.pk])).content.decode()
    on_mentions_page = lead_client.get(reverse("listening:mention_volume"), {"spike": alert.pk})

    assert page.count('data-mention-id="') == 3
    assert on_mentions_page.content.decode().count('data-mention-id="') == 3


# Alert mail


def _email_alerts(on: bool) -> None:
    update_listening_settings(actor=Actor(user=UserFactory(role=Role.ADMIN)), email_alerts=on)


def test_alert_mail_goes_once_to_the_recipient_when_enabled(
    django_capture_on_commit_callbacks: object,
) -> None:
    _email_alerts(True)
    associate = UserFactory(role=Role.AGENT, email="ada@shop.test")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        alert = make.an_alert(recipient=associate, title="Low CSAT from Grace")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@shop.test"]
    assert "Low CSAT from Grace" in mail.outbox[0].subject
    assert reverse("listening:alert", args=[alert.pk]) in mail.outbox[0].body
    alert.refresh_from_db()
    assert alert.emailed_at is not None
    assert send_alert_mail(alert.pk) == "already"
    assert len(mail.outbox) == 1


def test_alert_without_recipient_is_mailed_to_every_active_lead(
    django_capture_on_commit_callbacks: object,
) -> None:
    _email_alerts(True)
    UserFactory(role=Role.LEAD, email="lead1@shop.test")
    UserFactory(role=Role.LEAD, email="lead2@shop.test")
    UserFactory(role=Role.LEAD, email="gone@shop.test", is_active=False)
    UserFactory(role=Role.AGENT, email="agent@shop.test")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        make.an_alert(kind=AlertKind.SPIKE, title="Mention spike")

    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to + mail.outbox[0].bcc) == ["lead1@shop.test", "lead2@shop.test"]


def test_no_alert_mail_when_disabled(django_capture_on_commit_callbacks: object) -> None:
    _email_alerts(False)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        alert = make.an_alert(recipient=UserFactory(role=Role.AGENT))

    assert mail.outbox == []
    assert send_alert_mail(alert.pk) == "disabled"
    assert Alert.objects.get(pk=alert.pk).emailed_at is None
