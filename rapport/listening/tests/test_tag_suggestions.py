"""The tagger learns from the company's tagged conversations, deterministically, and suggests new tags."""

from __future__ import annotations

import io

import numpy as np
import pytest

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import PermissionDenied, ValidationFailed
from rapport.desk.services.conversations import change_tags
from rapport.listening.models import MessageSignal, TrainedModel
from rapport.listening.services import scoring, tag_suggestions
from rapport.listening.tests.factories import a_customer_conversation

pytestmark = pytest.mark.django_db

TEXTS = {
    "refund": [
        "I want my money back for the broken kettle",
        "Please refund my order, the item was faulty",
        "When will I receive the refund for my return?",
        "I returned the shoes two weeks ago and still no refund",
        "Can you give me my money back please",
        "Refund request for order 5512",
        "The refund has not reached my card yet",
        "I was promised a refund but nothing arrived",
        "Please return the money to my account",
        "How long does a refund take?",
        "Still waiting for my refund",
        "Money back please, the jacket does not fit",
    ],
    "delivery": [
        "Where is my parcel? It has not arrived",
        "The courier did not deliver my package",
        "Tracking says delivered but there is no parcel",
        "My delivery is late by a week",
        "When will my order be shipped?",
        "The package is stuck in transit",
        "Can you tell me when the parcel arrives",
        "Delivery was supposed to be yesterday",
        "No parcel yet, tracking has not moved",
        "The courier left my package at the wrong house",
        "Is my order shipped yet?",
        "Parcel not delivered, please check with the courier",
    ],
    "address": [
        "Please change the delivery address on my account",
        "I moved house, update my address please",
        "Wrong street in my address, can you fix it",
        "New address for my next orders",
        "Can I change the shipping address before dispatch",
        "Please update my postal code",
        "Change my address to 4 Elm Road",
        "My address has a typo in the house number",
        "Update the billing address please",
        "I need to change my address",
    ],
    "rare": ["A question about gift wrapping"] * 3,
}


def _tagged_conversations(agent: Actor) -> None:
    for tag, texts in TEXTS.items():
        for text in texts:
            conversation = a_customer_conversation(text=text, actor=agent)
            change_tags(actor=agent, conversation=conversation, add=[tag])


@pytest.fixture
def lead() -> Actor:
    return Actor(user=UserFactory(role=Role.LEAD))


def test_training_with_a_seed_is_deterministic_and_leaves_rare_tags_out(lead: Actor) -> None:
    _tagged_conversations(Actor(user=UserFactory(role=Role.AGENT)))

    first = tag_suggestions.train_tag_suggestions(actor=lead, seed=7)
    second = tag_suggestions.train_tag_suggestions(actor=lead, seed=7)

    assert bytes(first.arrays) == bytes(second.arrays)
    assert first.holdout_accuracy == second.holdout_accuracy
    assert first.meta["classes"] == ["address", "delivery", "refund"]
    assert first.meta["left_out"] == {"rare": 3}
    assert first.examples == 34
    assert first.holdout_accuracy is not None
    assert 0 <= first.holdout_accuracy <= 1


def test_a_conversation_with_two_tags_gives_one_example_per_tag(lead: Actor) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    _tagged_conversations(agent)
    both = a_customer_conversation(text="Refund the parcel that never arrived", actor=agent)
    change_tags(actor=agent, conversation=both, add=["refund", "delivery"])

    row = tag_suggestions.train_tag_suggestions(actor=lead, seed=7)

    assert row.examples == 36


def test_suggests_the_right_tag_on_a_clear_example_and_not_one_it_has(lead: Actor) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    _tagged_conversations(agent)
    tag_suggestions.train_tag_suggestions(actor=lead, seed=7)
    fresh = a_customer_conversation(text="I want a refund, give me my money back", actor=agent)
    tagged = a_customer_conversation(text="I want a refund, give me my money back", actor=agent)
    change_tags(actor=agent, conversation=tagged, add=["refund"])

    suggested = tag_suggestions.suggest_tags_for(actor=agent, conversation=fresh)
    without = tag_suggestions.suggest_tags_for(actor=agent, conversation=tagged)

    assert suggested[0].tag == "refund"
    assert len(suggested) <= 3
    assert "refund" not in [s.tag for s in without]


def test_scoring_stores_the_likely_tag_once_a_model_exists(lead: Actor) -> None:
    agent = Actor(user=UserFactory(role=Role.AGENT))
    _tagged_conversations(agent)
    tag_suggestions.train_tag_suggestions(actor=lead, seed=7)
    conversation = a_customer_conversation(text="Where is my parcel, the courier never came", actor=agent)

    scoring.score_new_messages()

    signal = MessageSignal.objects.get(message__conversation=conversation)
    assert signal.intent == "delivery"
    assert 0 < signal.intent_confidence <= 1


def test_a_newer_model_is_loaded_in_place_of_the_cached_one(lead: Actor) -> None:
    _tagged_conversations(Actor(user=UserFactory(role=Role.AGENT)))
    tag_suggestions.train_tag_suggestions(actor=lead, seed=7)
    before = tag_suggestions.tag_model()
    tag_suggestions.train_tag_suggestions(actor=lead, seed=8, min_examples=3)

    after = tag_suggestions.tag_model()

    assert before is not None
    assert after is not None
    assert after is not before
    assert "rare" in after.classes
    assert tag_suggestions.tag_model() is after


def test_old_model_rows_are_pruned(lead: Actor) -> None:
    _tagged_conversations(Actor(user=UserFactory(role=Role.AGENT)))
    for seed in range(5):
        tag_suggestions.train_tag_suggestions(actor=lead, seed=seed)

    assert TrainedModel.objects.filter(name="tags").count() == tag_suggestions.KEEP_ROWS


def test_too_few_tagged_conversations_are_refused(lead: Actor) -> None:
    a_customer_conversation(text="hello")

    with pytest.raises(ValidationFailed) as refused:
        tag_suggestions.train_tag_suggestions(actor=lead)

    assert refused.value.code == "too_few_tagged_conversations"


def test_an_agent_may_not_train() -> None:
    with pytest.raises(PermissionDenied):
        tag_suggestions.train_tag_suggestions(actor=Actor(user=UserFactory(role=Role.AGENT)))


def test_stored_model_round_trips_without_pickle(lead: Actor) -> None:
    _tagged_conversations(Actor(user=UserFactory(role=Role.AGENT)))
    row = tag_suggestions.train_tag_suggestions(actor=lead, seed=7)

    with np.load(io.BytesIO(bytes(row.arrays)), allow_pickle=False) as arrays:
        assert set(arrays.files) >= {"data", "indices", "indptr", "intercept"}
