"""Full-text search over subjects and messages: what it finds, who sees it, and that any text is safe."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import Conversation, Message
from rapport.desk.selectors import search
from rapport.desk.selectors.search import matching_conversation_ids, search_conversations
from rapport.desk.services import conversations as service
from rapport.desk.services.merge import merge_conversations, split_message
from rapport.desk.tests.factories import TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db


def found(actor: Actor, query: str) -> list[Conversation]:
    return list(search_conversations(actor, query))


def matching(query: str) -> set[int]:
    return set(matching_conversation_ids(query))


def assert_index_consistent() -> None:
    """FTS5 compares its index with the text in the tables; a wrong trigger leaves them apart."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO desk_message_search(desk_message_search, rank) VALUES ('integrity-check', 1)"
        )
        cursor.execute(
            "INSERT INTO desk_conversation_search(desk_conversation_search, rank) "
            "VALUES ('integrity-check', 1)"
        )


def test_a_word_of_the_subject_finds_the_conversation(agent: Actor) -> None:
    wanted = a_conversation(actor=agent, subject="Broken zipper on the winter jacket")
    a_conversation(actor=agent, subject="Question about sizes")

    assert found(agent, "zipper") == [wanted]


def test_a_word_of_a_message_finds_the_conversation(agent: Actor) -> None:
    wanted = a_conversation(actor=agent, body_text="The parcel arrived soaked through.")
    a_conversation(actor=agent, body_text="Can I change my delivery address?")

    assert found(agent, "soaked") == [wanted]


def test_every_word_must_be_in_the_subject_or_in_one_message(agent: Actor) -> None:
    both = a_conversation(actor=agent, body_text="The blue kettle leaks at the spout")
    only_one = a_conversation(actor=agent, body_text="The red kettle is perfect")

    assert found(agent, "kettle leaks") == [both]
    assert set(found(agent, "kettle")) == {both, only_one}


def test_the_last_word_also_matches_as_a_prefix(agent: Actor) -> None:
    wanted = a_conversation(actor=agent, body_text="Refund for order A-1042 please")

    assert found(agent, "refu") == [wanted]
    assert found(agent, "order A-10") == [wanted]
    assert found(agent, "refu order") == []


def test_case_and_accents_do_not_count(agent: Actor) -> None:
    wanted = a_conversation(actor=agent, subject="Crème brûlée set", body_text="Zoë's order from the CAFÉ")

    for query in ("creme", "BRULEE", "zoe", "café", "cafe", "Crème Brûlée"):
        assert found(agent, query) == [wanted], query


def test_words_that_are_not_there_find_nothing(agent: Actor) -> None:
    a_conversation(actor=agent, subject="Late delivery", body_text="Where is my parcel?")

    assert found(agent, "umbrella") == []
    assert found(agent, "parcel umbrella") == []
    assert found(agent, "elivery") == []


def test_parts_of_addresses_and_codes_are_words(agent: Actor) -> None:
    wanted = a_conversation(actor=agent, body_text="Please write to anna.lee@example.com about SKU-77/B")

    for query in ("anna", "example.com", "anna.lee@example.com", "sku 77", "SKU-77/B"):
        assert found(agent, query) == [wanted], query


def test_internal_notes_are_searchable_by_staff(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, body_text="Hello")
    service.add_note(actor=agent, conversation=conversation, body_text="Customer is a journalist, escalate")

    assert found(agent, "journalist") == [conversation]


def test_results_come_most_recent_activity_first(agent: Actor) -> None:
    older = a_conversation(actor=agent, body_text="voucher question")
    newer = a_conversation(actor=agent, body_text="another voucher question")
    service.reply(actor=agent, conversation=older, body_text="Your voucher is on its way")

    assert found(agent, "voucher") == [older, newer]


def test_a_word_in_very_many_messages_finds_where_it_was_written_last(
    agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MATCH_CAP", 2)
    _oldest, older, newest = (
        a_conversation(actor=agent, subject=f"Question {n}", body_text="Is the voucher still valid?")
        for n in range(3)
    )

    assert matching("voucher") == {older.pk, newest.pk}


def test_a_common_whole_word_is_not_widened_to_a_prefix(
    agent: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MATCH_CAP", 2)
    thanks = a_conversation(actor=agent, subject="One", body_text="thanks a lot")
    rare = a_conversation(actor=agent, subject="Two", body_text="thankful")
    thank = [a_conversation(actor=agent, subject="Three", body_text="thank you") for _ in range(2)]

    assert matching("thank") == {c.pk for c in thank}
    assert matching("thankf") == {rare.pk}
    assert matching("thanks") == {thanks.pk}


def test_an_edited_message_is_found_by_its_new_words_only(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, subject="Colour", body_text="The colour is teal")
    message = conversation.messages.get()

    message.body_text = "The colour is magenta"
    message.save()

    assert found(agent, "magenta") == [conversation]
    assert found(agent, "teal") == []
    assert_index_consistent()


def test_saving_a_message_without_changing_its_text_keeps_it_found(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, body_text="Grinder makes a noise")
    message = conversation.messages.get()

    message.sender = "someone@example.com"
    message.save()

    assert found(agent, "grinder") == [conversation]
    assert_index_consistent()


def test_a_deleted_message_is_no_longer_found(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, body_text="first message")
    extra = service.reply(actor=agent, conversation=conversation, body_text="mention of a platypus")

    Message.objects.filter(pk=extra.pk).delete()

    assert found(agent, "platypus") == []
    assert found(agent, "first") == [conversation]
    assert_index_consistent()


def test_a_changed_subject_is_found_by_its_new_words_only(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, subject="Printer jam", body_text="It stopped")

    conversation.subject = "Scanner fault"
    conversation.save()

    assert found(agent, "scanner") == [conversation]
    assert found(agent, "printer") == []
    assert_index_consistent()


def test_a_deleted_conversation_leaves_nothing_behind(agent: Actor) -> None:
    conversation = a_conversation(actor=agent, subject="Flamingo lamp", body_text="flamingo pink")

    conversation.delete()

    assert matching("flamingo") == set()
    assert_index_consistent()


def test_merged_messages_are_found_under_the_conversation_they_joined(agent: Actor) -> None:
    customer = CustomerFactory()
    target = a_conversation(actor=agent, customer=customer, subject="Late", body_text="My order is late")
    source = a_conversation(
        actor=agent, customer=customer, subject="Tracking", body_text="The tracking number is 4711XZ"
    )

    merge_conversations(actor=agent, source=source, target=target)

    assert matching("4711XZ") == {target.pk}
    assert_index_consistent()


def test_a_split_message_is_found_under_its_new_conversation(agent: Actor) -> None:
    original = a_conversation(actor=agent, subject="Order", body_text="My order is late")
    service.receive_message(conversation=original, body_text="Separately: the toaster sparks")
    toaster = original.messages.get(body_text__contains="toaster")

    created = split_message(actor=agent, message=toaster)

    assert matching("toaster sparks") == {created.pk}
    assert found(agent, "late") == [original]


def test_private_team_conversations_are_not_found_by_outsiders() -> None:
    private = TeamDeskFactory(is_private=True).team
    member = Actor(user=UserFactory(role=Role.AGENT, team=private))
    outsider = Actor(user=UserFactory(role=Role.AGENT, team=TeamFactory()))
    admin = Actor(user=UserFactory(role=Role.ADMIN))
    secret = a_conversation(actor=member, team=private, body_text="confidential salary complaint")
    public = a_conversation(actor=outsider, body_text="public salary question")

    assert set(found(member, "salary")) == {secret, public}
    assert found(outsider, "salary") == [public]
    assert found(outsider, "confidential") == []
    assert set(found(admin, "salary")) == {secret, public}


def test_an_analyst_may_search(analyst: Actor, agent: Actor) -> None:
    wanted = a_conversation(actor=agent, body_text="refund of the blender")

    assert found(analyst, "blender") == [wanted]


HOSTILE = [
    '"',
    '""',
    '"unterminated',
    "*",
    "refund*",
    "NEAR(",
    "NEAR(refund order, 2)",
    "refund AND",
    "OR",
    "NOT refund",
    "-refund",
    "refund -order",
    "body_text:refund",
    "^refund",
    "(refund",
    "refund)",
    "{refund}",
    "a:b:c",
    "refund & order | !x",
    "'); DROP TABLE desk_message; --",
    "%",
    "%s",
    "\\",
    "\x00",
    "ß" * 500,
    " ".join(["word"] * 200),
]


@pytest.mark.parametrize("query", HOSTILE)
def test_query_syntax_typed_by_a_user_is_plain_text(agent: Actor, query: str) -> None:
    wanted = a_conversation(actor=agent, body_text="refund for order 12, NEAR the body_text of AND")

    results = found(agent, query)

    assert results in ([], [wanted])
    assert Message.objects.filter(conversation=wanted).exists()


def test_operator_words_are_searched_as_words(agent: Actor) -> None:
    wanted = a_conversation(actor=agent, body_text="Buy NEAR me OR AND not")
    a_conversation(actor=agent, body_text="unrelated")

    assert found(agent, "NEAR OR AND NOT") == [wanted]


def test_a_query_without_letters_or_digits_finds_nothing(agent: Actor) -> None:
    a_conversation(actor=agent, body_text="anything")

    assert found(agent, "  -*-  ") == []
    assert found(agent, "") == []


@given(query=st.text(max_size=40))
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_text_is_a_valid_query(agent: Actor, query: str) -> None:
    if not Conversation.objects.exists():
        a_conversation(actor=agent, subject='NEAR "quoted" * stuff', body_text="AND OR NOT ^ - ( ) : Zoë")

    results = found(agent, query)

    assert all(isinstance(c, Conversation) for c in results)


@given(
    word=st.from_regex(r"[A-Za-z0-9àáâäåçèéêëìíîïñòóôöùúûü]{2,12}", fullmatch=True),
    noise=st.sampled_from(["", ".", '"', "*", "-"]),
)
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_word_in_a_message_is_found_whatever_surrounds_it(agent: Actor, word: str, noise: str) -> None:
    conversation = a_conversation(actor=agent, body_text=f"before {noise}{word}{noise} after")

    assert conversation.pk in matching(f"{noise}{word.upper()}{noise}")


def test_the_sqlite_index_is_kept_by_triggers() -> None:
    """A later migration that rebuilds desk_message or desk_conversation drops these with the table."""
    if connection.vendor != "sqlite":
        pytest.skip("the triggers are SQLite's; PostgreSQL indexes the columns themselves")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'desk_%_search_%'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        f"desk_{table}_search_{when}" for table in ("message", "conversation") for when in ("ai", "ad", "au")
    }
