"""Replies to a visitor who left go by email when an address is known; the thread says how each went."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.models import OutboundEmail, SendStatus
from rapport.channels.tests.factories import MailboxFactory
from rapport.channels.tests.widget.factories import HostPage, WidgetFactory
from rapport.channels.widget.outbound import email_unseen_replies
from rapport.desk.models import Conversation
from rapport.desk.outbound import delivery_states
from rapport.desk.services.conversations import reply

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def _agent() -> Actor:
    return Actor(user=UserFactory(role=Role.AGENT, full_name="Maria Lopez"))


def test_a_reply_after_the_visitor_left_goes_by_email(django_capture_on_commit_callbacks: Capture) -> None:
    MailboxFactory()
    page = HostPage(WidgetFactory())
    page.chat("Can you check my order?", start=True, email="ada@example.com")
    conversation = Conversation.objects.get()

    with (
        time_machine.travel(timezone.now() + timedelta(minutes=4)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        answer = reply(actor=_agent(), conversation=conversation, body_text="It ships tomorrow.")

    assert OutboundEmail.objects.get(message=answer).status == SendStatus.SENT
    assert [(m.to, m.body) for m in mail.outbox] == [(["ada@example.com"], "It ships tomorrow.")]
    assert delivery_states([answer])[answer.pk].label == "Sent by email"


def test_a_reply_while_the_visitor_is_here_is_not_emailed(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    MailboxFactory()
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True, email="ada@example.com")
    conversation = Conversation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        answer = reply(actor=_agent(), conversation=conversation, body_text="Hello!")

    assert OutboundEmail.objects.count() == 0
    assert mail.outbox == []
    assert delivery_states([answer])[answer.pk].label == "Waiting for the visitor"


def test_without_an_address_a_reply_to_a_departed_visitor_waits(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True)
    conversation = Conversation.objects.get()

    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        with django_capture_on_commit_callbacks(execute=True):
            answer = reply(actor=_agent(), conversation=conversation, body_text="Hello?")
        emailed = email_unseen_replies(now=timezone.now())

    assert (emailed, OutboundEmail.objects.count()) == (0, 0)
    assert delivery_states([answer])[answer.pk].label == "Waiting for the visitor"


def test_the_sweep_emails_a_reply_the_visitor_left_without_receiving(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    MailboxFactory()
    page = HostPage(WidgetFactory())
    page.chat("Hi", start=True, email="ada@example.com")
    conversation = Conversation.objects.get()
    received = reply(actor=_agent(), conversation=conversation, body_text="First answer")
    page.poll()
    unseen = reply(actor=_agent(), conversation=conversation, body_text="Second answer")

    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        with django_capture_on_commit_callbacks(execute=True):
            emailed = email_unseen_replies(now=timezone.now())
        again = email_unseen_replies(now=timezone.now())

    assert (emailed, again) == (1, 0)
    assert [m.body for m in mail.outbox] == ["Second answer"]
    states = delivery_states([received, unseen])
    assert (states[received.pk].label, states[unseen.pk].label) == ("Seen by the visitor", "Sent by email")


def test_the_sweep_task_runs_both_jobs_and_says_what_it_did() -> None:
    from rapport.channels.widget.tasks import sweep_widget_task

    assert sweep_widget_task.call() == {"emailed": 0, "counters_deleted": 0}
