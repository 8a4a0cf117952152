"""Scoring inbound messages: once each, in id order behind a cursor, and the alerts their signals raise."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import ValidationFailed
from rapport.desk.models import Message, MessageKind
from rapport.desk.services.conversations import add_note, reply
from rapport.listening.models import Alert, AlertKind, MessageSignal, ScoringCursor
from rapport.listening.services import scoring
from rapport.listening.services.config import update_listening_settings
from rapport.listening.tests.factories import a_customer_conversation, a_customer_message, a_customer_of_tier

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-03-11T12:00:00+00:00")  # a Wednesday, ISO week 11
LEAVING = "This is my last order, I am switching to another store."


def _agent() -> Actor:
    return Actor(user=UserFactory(role=Role.AGENT))


def test_only_inbound_messages_are_scored_and_a_second_run_scores_nothing() -> None:
    agent = _agent()
    conversation = a_customer_conversation(text="Thank you so much, the coat is lovely!")
    reply(actor=agent, conversation=conversation, body_text="Glad you like it!")
    add_note(actor=agent, conversation=conversation, body_text="Terrible customer, awful.")
    inbound = conversation.messages.get(kind=MessageKind.INBOUND)

    first = scoring.score_new_messages()
    second = scoring.score_new_messages()

    assert first.scored == 1
    assert second.scored == 0
    assert list(MessageSignal.objects.values_list("message_id", flat=True)) == [inbound.pk]
    signal = MessageSignal.objects.get()
    assert signal.sentiment_label == "positive"
    assert -1 <= signal.sentiment_score <= 1
    assert signal.model_version.startswith("vader-")
    assert signal.written_at == inbound.created_at
    assert signal.intent == ""


def test_cursor_advances_to_the_last_scored_message_in_batches() -> None:
    conversation = a_customer_conversation(text="first")
    second = a_customer_message(conversation, "second")
    third = a_customer_message(conversation, "third")

    result = scoring.score_new_messages(limit=2)

    assert result.scored == 2
    assert ScoringCursor.objects.get(name="messages").last_message_id == second.pk
    assert scoring.score_new_messages(limit=2).last_message_id == third.pk
    assert MessageSignal.objects.count() == 3


def test_a_message_committed_after_a_larger_id_was_scored_is_scored_by_the_next_run() -> None:
    conversation = a_customer_conversation(text="first")
    late = a_customer_message(conversation, "I wrote this one while another worker was busy")
    later = a_customer_message(conversation, "and this one committed first")
    scoring.score_new_messages()
    # As if `late` had still been uncommitted then: its signal is missing behind the cursor.
    MessageSignal.objects.filter(message=late).delete()
    assert ScoringCursor.objects.get(name="messages").last_message_id == later.pk

    result = scoring.score_new_messages()

    assert result.scored == 1
    assert MessageSignal.objects.filter(message=late).exists()
    assert ScoringCursor.objects.get(name="messages").last_message_id == later.pk


def test_engine_from_settings_scores_with_the_trained_model() -> None:
    update_listening_settings(actor=Actor(user=UserFactory(role=Role.ADMIN)), sentiment_engine="trained")
    a_customer_conversation(text="This is awful, I hate it.")

    scoring.score_new_messages()

    signal = MessageSignal.objects.get()
    assert signal.model_version.startswith("sentiment-")
    assert signal.sentiment_label == "negative"


def test_defection_is_flagged_with_its_reason() -> None:
    a_customer_conversation(text=LEAVING)

    scoring.score_new_messages()

    signal = MessageSignal.objects.get()
    assert signal.defection is True
    assert "last order" in signal.defection_reason


@pytest.mark.parametrize(
    ("tier", "alerted"), [("gold", True), ("platinum", True), ("silver", False), ("standard", False)]
)
def test_defection_alerts_only_for_customers_of_the_valuable_tier(tier: str, alerted: bool) -> None:
    associate = UserFactory(role=Role.AGENT)
    customer = a_customer_of_tier(tier, associate=associate)
    conversation = a_customer_conversation(customer, text=LEAVING)

    scoring.score_new_messages()

    alerts = Alert.objects.filter(kind=AlertKind.DEFECTION)
    assert alerts.count() == int(alerted)
    if alerted:
        alert = alerts.get()
        message = conversation.messages.get()
        assert alert.cause_key == f"defection:message:{message.pk}"
        assert alert.recipient == associate
        assert alert.conversation == conversation


def test_standard_as_valuable_tier_means_every_customer() -> None:
    update_listening_settings(actor=Actor(user=UserFactory(role=Role.ADMIN)), valuable_tier="standard")
    a_customer_conversation(a_customer_of_tier("standard"), text=LEAVING)

    scoring.score_new_messages()

    assert Alert.objects.filter(kind=AlertKind.DEFECTION).count() == 1


def test_rescoring_replaces_scores_and_raises_no_second_alert() -> None:
    a_customer_conversation(a_customer_of_tier("gold"), text=LEAVING)
    scoring.score_new_messages()
    MessageSignal.objects.update(sentiment_score=0.9, model_version="old")

    scoring.start_rescoring()
    scoring.rescore_messages()

    assert MessageSignal.objects.get().model_version != "old"
    assert Alert.objects.count() == 1


def _history(customer: object, scores: list[tuple[datetime, str]]) -> None:
    (first_at, first_text), *rest = scores
    conversation = a_customer_conversation(customer, text=first_text)  # type: ignore[arg-type]
    Message.objects.filter(conversation=conversation).update(created_at=first_at)
    for at, text in rest:
        a_customer_message(conversation, text, at=at)


HAPPY = "Thank you, wonderful service, I love it!"
ANGRY = "This is terrible, awful service, I am furious and disappointed."


def test_falling_sentiment_of_a_valuable_customer_alerts_once_a_week() -> None:
    with time_machine.travel(NOW, tick=False):
        customer = a_customer_of_tier("gold")
        _history(customer, [(NOW - timedelta(days=60 + i), HAPPY) for i in range(3)])
        _history(customer, [(NOW - timedelta(days=i + 1), ANGRY) for i in range(4)])
        scoring.score_new_messages()
        _history(customer, [(NOW - timedelta(hours=1), ANGRY)])
        scoring.score_new_messages()
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        _history(customer, [(NOW + timedelta(days=7), ANGRY)])
        scoring.score_new_messages()

    keys = sorted(Alert.objects.filter(kind=AlertKind.FALLING_SENTIMENT).values_list("cause_key", flat=True))
    assert keys == [
        f"sentiment:customer:{customer.pk}:2026-W11",
        f"sentiment:customer:{customer.pk}:2026-W12",
    ]


def test_steadily_unhappy_customer_is_not_falling() -> None:
    with time_machine.travel(NOW, tick=False):
        customer = a_customer_of_tier("gold")
        _history(customer, [(NOW - timedelta(days=60 + i), ANGRY) for i in range(3)])
        _history(customer, [(NOW - timedelta(days=i + 1), ANGRY) for i in range(4)])
        scoring.score_new_messages()

    assert not Alert.objects.filter(kind=AlertKind.FALLING_SENTIMENT).exists()


def test_falling_sentiment_of_a_standard_customer_raises_nothing() -> None:
    with time_machine.travel(NOW, tick=False):
        customer = a_customer_of_tier("standard")
        _history(customer, [(NOW - timedelta(days=60 + i), HAPPY) for i in range(3)])
        _history(customer, [(NOW - timedelta(days=i + 1), ANGRY) for i in range(4)])
        scoring.score_new_messages()

    assert not Alert.objects.exists()


def test_inbound_message_queues_one_scoring_after_commit(
    django_capture_on_commit_callbacks: object,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        conversation = a_customer_conversation(text="Where is my order?")
        a_customer_message(conversation, "Hello?")

    assert scoring.enqueue_scoring in callbacks
    assert MessageSignal.objects.count() == 2


def test_a_batch_of_mail_in_one_transaction_queues_scoring_once(
    django_capture_on_commit_callbacks: object,
) -> None:
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,  # type: ignore[operator]
        transaction.atomic(),
    ):
        conversation = a_customer_conversation(text="one")
        a_customer_message(conversation, "two")
        a_customer_message(conversation, "three")

    assert [c for c in callbacks if c is scoring.enqueue_scoring] == [scoring.enqueue_scoring]
    assert not MessageSignal.objects.exists()


def test_notes_and_replies_queue_nothing(django_capture_on_commit_callbacks: object) -> None:
    conversation = a_customer_conversation(text="one")
    agent = _agent()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        add_note(actor=agent, conversation=conversation, body_text="a note")
        reply(actor=agent, conversation=conversation, body_text="a reply")

    assert scoring.enqueue_scoring not in callbacks


def test_score_messages_command_scores_the_backlog_and_rescores() -> None:
    conversation = a_customer_conversation(text="Great, thanks!")
    a_customer_message(conversation, "Still waiting.")

    call_command("score_messages", "--batch", "1")
    assert MessageSignal.objects.count() == 2
    call_command("score_messages", "--rescore")

    assert MessageSignal.objects.count() == 2
    assert Message.objects.filter(kind=MessageKind.INBOUND).count() == 2


def test_api_scoring_refuses_too_many_texts() -> None:
    actor = _agent()

    with pytest.raises(ValidationFailed) as refused:
        scoring.score_texts(actor=actor, texts=["ok"] * (scoring.MAX_TEXTS + 1))

    assert refused.value.code == "too_many_texts"


def test_while_one_worker_has_its_turn_another_scores_nothing_until_the_turn_ends_or_runs_out() -> None:
    a_customer_conversation(text="The parcel is late again.")
    ScoringCursor.objects.create(
        name=scoring.MESSAGES_CURSOR, busy_until=timezone.now() + timedelta(minutes=1)
    )

    waiting = scoring.score_new_messages()

    assert (waiting.scored, waiting.busy) == (0, True)
    assert not MessageSignal.objects.exists()
    # the worker holding the turn died: its turn runs out and the next run scores
    with time_machine.travel(timezone.now() + scoring.TURN_FOR + timedelta(seconds=1)):
        taken = scoring.score_new_messages()
    assert (taken.scored, taken.busy) == (1, False)
    assert ScoringCursor.objects.get(name=scoring.MESSAGES_CURSOR).busy_until is None


def test_a_worker_whose_turn_ran_out_leaves_the_turn_another_worker_took_since() -> None:
    stalled = scoring._take_turn(scoring.MESSAGES_CURSOR)
    assert stalled is not None
    with time_machine.travel(timezone.now() + scoring.TURN_FOR + timedelta(seconds=1)):
        taken = scoring._take_turn(scoring.MESSAGES_CURSOR)
        assert taken is not None

        scoring._end_turn(scoring.MESSAGES_CURSOR, stalled)  # the stalled worker finishes at last

        assert ScoringCursor.objects.get(name=scoring.MESSAGES_CURSOR).busy_until == taken
        assert scoring.score_new_messages().busy


def test_the_scoring_task_steps_aside_while_customers_mail_waits_and_queues_the_next_batch() -> None:
    from rapport.channels.models import ChannelKind
    from rapport.channels.services.deliveries import store_delivery
    from rapport.listening.tasks import signals

    for number in range(signals.TASK_BATCH + 1):
        a_customer_conversation(text=f"Message {number}")
    waiting, _ = store_delivery(kind=ChannelKind.EMAIL, source="support@shop.test", raw=b"x", enqueue=False)

    stepped = signals.score_messages_task.call()

    assert stepped["stepped_aside"] == 1
    assert not MessageSignal.objects.exists()

    waiting.delete()
    # the immediate backend runs the follow-up task the first one queues for what is left
    signals.score_messages_task.call()

    assert MessageSignal.objects.count() == signals.TASK_BATCH + 1


def test_a_message_written_while_customers_mail_waits_queues_no_scoring_until_the_mail_is_in(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from rapport.channels.models import ChannelKind
    from rapport.channels.services.deliveries import store_delivery

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    waiting, _ = store_delivery(kind=ChannelKind.EMAIL, source="support@shop.test", raw=b"x", enqueue=False)
    with django_capture_on_commit_callbacks(execute=True) as ran:
        conversation = a_customer_conversation(text="The parcel is late.")
        a_customer_message(conversation, "Any news?")

    assert len(ran) == 1  # the commit ran scoring's trigger, which queued nothing
    assert not DBTaskResult.objects.exists()

    waiting.delete()
    scoring.enqueue_scoring()  # what the commit of that mail runs once it is in

    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "rapport.listening.tasks.signals.score_messages_task"
    ]
