"""Scoring inbound messages: one MessageSignal per customer message, then the alerts the scores raise.

A ScoringCursor row holds the id of the last message scored. ``score_new_messages`` reads the inbound
messages after it in id order and scores them in one batch with no transaction open (the models take
most of the time, and on SQLite an open write transaction would hold up inbound mail); then it locks the
cursor, writes the signals, raises the alerts and moves the cursor in one transaction. One worker scores
at a time (a turn taken on the cursor row, given up after ``TURN_FOR`` by a worker that died); should two
still meet, signals are written once and alerts are unique by cause. A crash scores the batch again
rather than losing it. Ids can commit out of order on PostgreSQL (a long mail transaction may commit a
smaller id after a larger one was scored), so each run also looks back ``STRAGGLER_IDS`` ids behind the
cursor for inbound messages that have no signal yet: a late commit is scored by the next run instead of
being passed by.

No model runs inside the mail path: receiving a message only queues one scoring task after commit
(``queue_scoring_on_commit``, at most one per transaction).

Falling sentiment, the rule used for the VIP alert: a customer's mean score over their last
``RECENT_COUNT`` scored messages written within ``RECENT_DAYS`` days is at most ``FALLING_BELOW`` and at
least ``FALLING_DROP`` below the mean of their messages in the ``BASELINE_DAYS`` days before that
window; both need a few messages (``MIN_RECENT``, ``MIN_BASELINE``), so one bad day of a new customer
does not count. At most one such alert per customer per ISO week.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import ValidationFailed
from rapport.core.urgent_work import urgent_work_waiting
from rapport.customers.models import Customer, TimelineEvent
from rapport.desk.models import Message, MessageKind
from rapport.listening import runtime
from rapport.listening.models import AlertKind, MessageSignal, ScoringCursor
from rapport.listening.numerics.defection import detect_defection
from rapport.listening.numerics.intent import default_intent_model, intent_probabilities
from rapport.listening.services.alerts import raise_alert
from rapport.listening.services.config import listening_settings
from rapport.listening.services.people import responsible_person
from rapport.listening.services.tag_suggestions import tag_model
from rapport.recovery.selectors import TIERS, customer_value_tier

MESSAGES_CURSOR = "messages"
RESCORE_CURSOR = "rescore"
BATCH = 500
# How long a worker's turn at scoring keeps others away, far longer than a batch takes.
TURN_FOR = timedelta(minutes=2)
# How far behind the cursor a run looks for messages that committed after larger ids were scored: far
# more ids than can be written while one mail transaction is open.
STRAGGLER_IDS = 5000
INBOUND_EVENT = f"desk.message.{MessageKind.INBOUND}"

RECENT_COUNT = 5
RECENT_DAYS = 30
BASELINE_DAYS = 90
MIN_RECENT = 3
MIN_BASELINE = 2
FALLING_BELOW = -0.3
FALLING_DROP = 0.4


@dataclass(frozen=True)
class ScoringResult:
    scored: int
    last_message_id: int
    alerts: int
    busy: bool = False  # another worker had the turn: nothing was scored here


def tier_at_least(tier: str, wanted: str) -> bool:
    """standard < silver < gold < platinum; an unknown wanted tier is read as standard (everyone)."""
    order = {name: i for i, name in enumerate(TIERS)}
    return order.get(tier, 0) >= order.get(wanted, 0)


def message_text(message: Message) -> str:
    return message.body_text.strip()


def score_new_messages(*, limit: int = BATCH) -> ScoringResult:
    """Score the next inbound messages after the cursor (at most ``limit``); idempotent."""
    return _score_after_cursor(MESSAGES_CURSOR, limit=limit, replace=False)


def start_rescoring() -> int:
    """Start scoring every inbound message again (after a model change); returns how many there are."""
    with transaction.atomic():
        cursor, _ = ScoringCursor.objects.select_for_update().get_or_create(name=RESCORE_CURSOR)
        cursor.last_message_id = 0
        cursor.updated_at = timezone.now()
        cursor.save(update_fields=["last_message_id", "updated_at"])
    return Message.objects.filter(kind=MessageKind.INBOUND).count()


def rescore_messages(*, limit: int = BATCH) -> ScoringResult:
    """The next batch of a rescoring started by ``start_rescoring``: scores are replaced, alerts kept."""
    return _score_after_cursor(RESCORE_CURSOR, limit=limit, replace=True)


def unscored_count() -> int:
    cursor = ScoringCursor.objects.filter(name=MESSAGES_CURSOR).first()
    after = cursor.last_message_id if cursor else 0
    return Message.objects.filter(
        kind=MessageKind.INBOUND, pk__gt=after - STRAGGLER_IDS, signal__isnull=True
    ).count()


def _score_after_cursor(name: str, *, limit: int, replace: bool) -> ScoringResult:
    turn = _take_turn(name)
    if turn is None:
        after = ScoringCursor.objects.values_list("last_message_id", flat=True).get(name=name)
        return ScoringResult(scored=0, last_message_id=after, alerts=0, busy=True)
    try:
        return _score_in_turn(name, limit=limit, replace=replace)
    finally:
        _end_turn(name, turn)


def _take_turn(name: str) -> datetime | None:
    """The end of this worker's turn at the cursor, or None while another worker's turn runs."""
    now = timezone.now()
    until = now + TURN_FOR
    with transaction.atomic():
        ScoringCursor.objects.get_or_create(name=name)
        # One conditional UPDATE: of two workers asking at once, exactly one matches the row.
        taken = (
            ScoringCursor.objects.filter(name=name)
            .filter(Q(busy_until__isnull=True) | Q(busy_until__lt=now))
            .update(busy_until=until)
        )
    return until if taken else None


def _end_turn(name: str, turn: datetime) -> None:
    # Only this turn: had it run out and another worker taken the cursor, that worker's turn stays.
    ScoringCursor.objects.filter(name=name, busy_until=turn).update(busy_until=None)


def _score_in_turn(name: str, *, limit: int, replace: bool) -> ScoringResult:
    # The models run before the transaction opens: on SQLite an open write transaction holds the one
    # write lock, and inbound mail waiting for it would wait for the models too.
    after = ScoringCursor.objects.values_list("last_message_id", flat=True).get(name=name)
    messages = _pending(after, limit=limit, replace=replace)
    if not messages:
        return ScoringResult(scored=0, last_message_id=after, alerts=0)
    signals = build_signals(messages)
    with transaction.atomic():
        cursor = ScoringCursor.objects.select_for_update().get(name=name)
        _write_signals(signals, replace=replace)
        alerts = raise_signal_alerts(messages, signals)
        cursor.last_message_id = max(cursor.last_message_id, messages[-1].pk)
        cursor.updated_at = timezone.now()
        cursor.save(update_fields=["last_message_id", "updated_at"])
    return ScoringResult(scored=len(signals), last_message_id=cursor.last_message_id, alerts=alerts)


def _pending(after: int, *, limit: int, replace: bool) -> list[Message]:
    pending = Message.objects.filter(kind=MessageKind.INBOUND)
    if replace:
        pending = pending.filter(pk__gt=after)
    else:
        pending = pending.filter(pk__gt=after - STRAGGLER_IDS, signal__isnull=True)
    return list(
        pending.select_related("conversation__customer__associate", "conversation__assignee").order_by("pk")[
            :limit
        ]
    )


SIGNAL_FIELDS = [
    "written_at",
    "sentiment_score",
    "sentiment_label",
    "model_version",
    "intent",
    "intent_confidence",
    "defection",
    "defection_reason",
    "scored_at",
]


def _write_signals(signals: list[MessageSignal], *, replace: bool) -> None:
    if replace:
        MessageSignal.objects.bulk_create(
            signals, update_conflicts=True, unique_fields=["message"], update_fields=SIGNAL_FIELDS
        )
    else:
        # A message another worker scored meanwhile (or a rescoring did) keeps its signal: two workers
        # that read the same batch at the same moment write it once, and its alerts are unique by cause.
        MessageSignal.objects.bulk_create(signals, ignore_conflicts=True)


def build_signals(messages: Sequence[Message]) -> list[MessageSignal]:
    """Sentiment, likely tag and defection of each message, each model called once for the batch."""
    texts = [message_text(message) for message in messages]
    engine = listening_settings().sentiment_engine
    sentiments = runtime.score_sentiments(texts, engine)
    version = runtime.sentiment_model_version(engine)
    defections = detect_defection(texts, intent_model=default_intent_model())
    intents: list[tuple[str, float]] = [("", 0.0)] * len(texts)
    tags = tag_model()
    if tags is not None:
        probabilities = intent_probabilities(tags, texts)
        intents = [(tags.classes[int(row.argmax())], round(float(row.max()), 4)) for row in probabilities]
    now = timezone.now()
    return [
        MessageSignal(
            message=message,
            written_at=message.created_at,
            sentiment_score=round(sentiment.score, 4),
            sentiment_label=sentiment.label,
            model_version=version[:40],
            intent=intent[:80],
            intent_confidence=confidence,
            defection=defection.flagged,
            defection_reason=_reason(defection.rule, defection.phrase) if defection.flagged else "",
            scored_at=now,
        )
        for message, sentiment, defection, (intent, confidence) in zip(
            messages, sentiments, defections, intents, strict=True
        )
    ]


def _reason(rule: str | None, phrase: str | None) -> str:
    said = f"“{phrase}”" if phrase else ""
    if rule:
        return f"{rule}: {said}"[:300]
    return f"reads as closing the account: {said}"[:300]


def raise_signal_alerts(messages: Sequence[Message], signals: Sequence[MessageSignal]) -> int:
    """Defection alerts for valuable customers' flagged messages, then falling sentiment per customer."""
    wanted = listening_settings().valuable_tier
    tiers: dict[int, str] = {}

    def valuable(customer: Customer) -> bool:
        if customer.pk not in tiers:
            tiers[customer.pk] = customer_value_tier(customer)
        return tier_at_least(tiers[customer.pk], wanted)

    raised = 0
    latest: dict[int, Message] = {}
    for message, signal in zip(messages, signals, strict=True):
        conversation = message.conversation
        customer = conversation.customer
        latest[customer.pk] = message
        if not signal.defection or not valuable(customer):
            continue
        alert = raise_alert(
            kind=AlertKind.DEFECTION,
            cause_key=f"defection:message:{message.pk}",
            title=f"{customer} may be leaving",
            detail=f"In “{conversation}”: {signal.defection_reason}",
            customer=customer,
            conversation=conversation,
            recipient=responsible_person(customer, conversation),
            data={"message": f"desk.message:{message.pk}", "tier": tiers[customer.pk]},
        )
        raised += alert is not None
    for customer_id, message in latest.items():
        customer = message.conversation.customer
        falling = falling_sentiment(customer_id, now=timezone.now())
        if falling is None or not valuable(customer):
            continue
        recent, baseline = falling
        year, week, _ = timezone.now().isocalendar()
        alert = raise_alert(
            kind=AlertKind.FALLING_SENTIMENT,
            cause_key=f"sentiment:customer:{customer_id}:{year}-W{week:02d}",
            title=f"{customer}'s messages are turning negative",
            detail=(
                f"Mean sentiment of the last messages {recent:+.2f}, against {baseline:+.2f} "
                f"in the {BASELINE_DAYS} days before."
            ),
            customer=customer,
            conversation=message.conversation,
            recipient=responsible_person(customer, message.conversation),
            data={"message": f"desk.message:{message.pk}", "recent": recent, "baseline": baseline},
        )
        raised += alert is not None
    return raised


def falling_sentiment(customer_id: int, *, now: datetime) -> tuple[float, float] | None:
    """(recent mean, baseline mean) when the customer's sentiment is falling by the rule above, else None."""
    window_start = now - timedelta(days=RECENT_DAYS)
    mine = MessageSignal.objects.filter(message__conversation__customer_id=customer_id)
    recent = list(
        mine.filter(written_at__gte=window_start, written_at__lte=now)
        .order_by("-written_at", "-message_id")
        .values_list("sentiment_score", flat=True)[:RECENT_COUNT]
    )
    if len(recent) < MIN_RECENT:
        return None
    recent_mean = sum(recent) / len(recent)
    if recent_mean > FALLING_BELOW:
        return None
    baseline = mine.filter(
        written_at__gte=window_start - timedelta(days=BASELINE_DAYS), written_at__lt=window_start
    ).aggregate(mean=Avg("sentiment_score"), n=Count("pk"))
    if baseline["n"] < MIN_BASELINE or baseline["mean"] is None:
        return None
    baseline_mean = float(baseline["mean"])
    if baseline_mean - recent_mean < FALLING_DROP:
        return None
    return round(recent_mean, 4), round(baseline_mean, 4)


# The trigger: a timeline listener that queues one scoring task after the commit of an inbound message.


def enqueue_scoring() -> None:
    from rapport.listening.tasks.signals import score_messages_task

    if urgent_work_waiting():
        # The task would only step aside; writing the waiting mail commits again and queues it then.
        return
    score_messages_task.enqueue()


def queue_scoring_on_commit(event: TimelineEvent) -> None:
    """Timeline listener: an inbound message queues scoring once its transaction commits."""
    if event.kind != INBOUND_EVENT:
        return
    if _already_queued(connection.run_on_commit):
        return
    # Robust: a broken queue must not turn a stored customer message into an error for the sender.
    transaction.on_commit(enqueue_scoring, robust=True)


def _already_queued(pending: Iterable[tuple[object, ...]]) -> bool:
    # Django keeps this transaction's on-commit callbacks as (savepoint ids, callable, robust) and clears
    # them on rollback: looking there coalesces a batch of mail into one task without a flag to reset.
    return any(
        entry[1] is enqueue_scoring
        or (isinstance(entry[1], functools.partial) and entry[1].func is enqueue_scoring)
        for entry in pending
    )


# Scoring any text for integrations (the API): the engine in use, with limits on the request's size.

MAX_TEXTS = 1000
MAX_TEXT_LENGTH = 5000


@dataclass(frozen=True)
class ScoredTexts:
    model_version: str
    engine: str
    sentiments: list[runtime.Sentiment]


def score_texts(*, actor: Actor, texts: Sequence[str]) -> ScoredTexts:
    """Label and score each text with the engine in use; too many or too long texts are refused whole."""
    actor.require(Perm.LISTENING_VIEW)
    if not texts:
        raise ValidationFailed("send at least one text", code="no_texts")
    if len(texts) > MAX_TEXTS:
        raise ValidationFailed(
            f"at most {MAX_TEXTS} texts a request, not {len(texts)}", code="too_many_texts"
        )
    too_long = [i for i, text in enumerate(texts) if len(text) > MAX_TEXT_LENGTH]
    if too_long:
        raise ValidationFailed(
            f"a text may hold at most {MAX_TEXT_LENGTH} characters",
            code="text_too_long",
            errors={"texts": too_long[:20]},
        )
    engine = listening_settings().sentiment_engine
    return ScoredTexts(
        model_version=runtime.sentiment_model_version(engine),
        engine=engine,
        sentiments=runtime.score_sentiments(list(texts), engine),
    )
