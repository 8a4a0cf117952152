"""Tag suggestions: a tagger trained on this company's own tagged conversations, kept in the database.

Examples: the text of a conversation is its subject and first message from the customer; every tag an
agent set on it is one example, so a conversation with two tags gives two examples with the same text.
The softmax then shares that text's probability between its tags, which is what a top-3 suggestion
wants, and no tag is lost the way keeping only single-tag conversations would lose the ones that rarely
come alone. Tags with fewer than ``MIN_EXAMPLES`` conversations are left out (too few to learn from).

A fifth of the conversations (not of the examples: the same text must not be on both sides) is held
out, with a fixed seed, to measure accuracy: a held-out conversation counts as right when the top
suggestion is one of its tags. The stored model is then trained on every example.

The model is read once per process and read again only when a newer row exists (one small query).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import transaction

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import ValidationFailed
from rapport.desk.models import Conversation, Message, MessageKind
from rapport.listening.models import TrainedModel
from rapport.listening.numerics.intent import intent_probabilities, train_intent_model
from rapport.listening.numerics.linear import LinearTextModel, model_from_bytes, model_to_bytes

MODEL_NAME = "tags"
MIN_EXAMPLES = 10
HOLDOUT_SHARE = 0.2
DEFAULT_SEED = 20260101
SUGGESTIONS = 3
# Below this probability a tag is not worth an agent's glance.
MIN_SCORE = 0.1
KEEP_ROWS = 3
# A company's tags have far fewer examples than BANKING77: every weight is kept (the row stays small).
KEEP_FRACTION = 1.0


@dataclass(frozen=True)
class TrainingSet:
    conversation_ids: list[int]
    texts: list[str]
    tags: list[list[str]]
    left_out: dict[str, int]


@dataclass(frozen=True)
class Suggestion:
    tag: str
    score: float


def conversation_text(conversation: Conversation, first_inbound: Message | None) -> str:
    body = first_inbound.body_text.strip() if first_inbound is not None else ""
    return f"{conversation.subject}\n{body}".strip()


def training_set(*, min_examples: int = MIN_EXAMPLES) -> TrainingSet:
    """Tagged conversations (merged ones excepted) with their text, oldest first; rare tags left out."""
    conversations = list(
        Conversation.objects.filter(merged_into__isnull=True, tags__isnull=False)
        .distinct()
        .order_by("pk")
        .prefetch_related("tags")
    )
    first = _first_inbound_messages([c.pk for c in conversations])
    counts: dict[str, int] = defaultdict(int)
    for conversation in conversations:
        for tag in conversation.tags.all():
            counts[tag.name] += 1
    kept = {name for name, n in counts.items() if n >= min_examples}
    ids, texts, tags = [], [], []
    for conversation in conversations:
        names = sorted(tag.name for tag in conversation.tags.all() if tag.name in kept)
        text = conversation_text(conversation, first.get(conversation.pk))
        if names and text:
            ids.append(conversation.pk)
            texts.append(text)
            tags.append(names)
    return TrainingSet(
        conversation_ids=ids,
        texts=texts,
        tags=tags,
        left_out={name: n for name, n in sorted(counts.items()) if name not in kept},
    )


def _first_inbound_messages(conversation_ids: list[int]) -> dict[int, Message]:
    first: dict[int, Message] = {}
    messages = (
        Message.objects.filter(conversation_id__in=conversation_ids, kind=MessageKind.INBOUND)
        .only("pk", "conversation_id", "body_text", "created_at")
        .order_by("conversation_id", "created_at", "pk")
    )
    for message in messages.iterator(chunk_size=2000):
        first.setdefault(message.conversation_id, message)
    return first


def _examples(texts: list[str], tags: list[list[str]], rows: np.ndarray) -> tuple[list[str], list[str]]:
    pairs = [(texts[i], tag) for i in rows for tag in tags[i]]
    return [text for text, _ in pairs], [tag for _, tag in pairs]


def train_tag_suggestions(
    *, actor: Actor | None = None, seed: int = DEFAULT_SEED, min_examples: int = MIN_EXAMPLES
) -> TrainedModel:
    """Train the tagger on the company's conversations and store it; the same data and seed, the same model.

    ``actor`` is the lead who pressed the button (None for the weekly task).
    """
    if actor is not None:
        actor.require(Perm.LISTENING_MANAGE)
    data = training_set(min_examples=min_examples)
    distinct = {tag for names in data.tags for tag in names}
    if len(distinct) < 2:
        raise ValidationFailed(
            f"tag suggestions need at least two tags with {min_examples} or more tagged conversations each",
            code="too_few_tagged_conversations",
        )
    order = np.random.default_rng(seed).permutation(len(data.texts))
    held = max(1, round(len(order) * HOLDOUT_SHARE))
    test_rows, train_rows = np.sort(order[:held]), np.sort(order[held:])
    train_texts, train_tags = _examples(data.texts, data.tags, train_rows)
    accuracy: float | None = None
    if len(set(train_tags)) >= 2:
        trial = train_intent_model(train_texts, train_tags, seed=seed, keep_fraction=KEEP_FRACTION)
        probabilities = intent_probabilities(trial, [data.texts[i] for i in test_rows])
        hits = [
            trial.classes[int(row.argmax())] in data.tags[i]
            for i, row in zip(test_rows, probabilities, strict=True)
        ]
        accuracy = round(sum(hits) / len(hits), 4)
    all_texts, all_tags = _examples(data.texts, data.tags, np.arange(len(data.texts)))
    model = train_intent_model(
        all_texts,
        all_tags,
        seed=seed,
        keep_fraction=KEEP_FRACTION,
        metadata={
            "version": f"{MODEL_NAME}-{seed}",
            "conversations": len(data.texts),
            "left_out": data.left_out,
        },
    )
    blob, document = model_to_bytes(model)
    with transaction.atomic():
        row = TrainedModel.objects.create(
            name=MODEL_NAME,
            arrays=blob,
            meta=document,
            examples=len(all_texts),
            classes=len(model.classes),
            holdout_accuracy=accuracy,
        )
        stale = TrainedModel.objects.filter(name=MODEL_NAME).order_by("-trained_at", "-pk")[KEEP_ROWS:]
        TrainedModel.objects.filter(pk__in=[old.pk for old in stale]).delete()
    return row


# Loaded once per process; a newer row (another process trained) is noticed by one small query.
_lock = threading.Lock()
_loaded: tuple[int, LinearTextModel] | None = None


def latest_model_row() -> TrainedModel | None:
    return TrainedModel.objects.filter(name=MODEL_NAME).order_by("-trained_at", "-pk").first()


def tag_model() -> LinearTextModel | None:
    """The latest trained tagger, or None when none was trained yet."""
    global _loaded
    newest = (
        TrainedModel.objects.filter(name=MODEL_NAME)
        .order_by("-trained_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if newest is None:
        return None
    with _lock:
        if _loaded is None or _loaded[0] != newest:
            row = TrainedModel.objects.get(pk=newest)
            _loaded = (newest, model_from_bytes(bytes(row.arrays), row.meta))
        return _loaded[1]


def suggest_tags_for(*, actor: Actor, conversation: Conversation, k: int = SUGGESTIONS) -> list[Suggestion]:
    """Up to k tags the model finds likely for the conversation, leaving out those it already has.

    The caller has checked (access_conversation) that the actor may see the conversation.
    """
    actor.require(Perm.LISTENING_VIEW)
    model = tag_model()
    if model is None:
        return []
    first = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.INBOUND)
        .order_by("created_at", "pk")
        .first()
    )
    text = conversation_text(conversation, first)
    if not text:
        return []
    current = set(conversation.tags.values_list("name", flat=True))
    (row,) = intent_probabilities(model, [text])
    found: list[Suggestion] = []
    for i in np.argsort(-row, kind="stable"):
        tag, score = model.classes[int(i)], float(row[i])
        if score < MIN_SCORE or len(found) >= k:
            break
        if tag not in current:
            found.append(Suggestion(tag=tag, score=round(score, 4)))
    return found
