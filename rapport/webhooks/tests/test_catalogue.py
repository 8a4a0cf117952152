"""The catalogue: one event type per timeline kind, and the desk's and customers' entries in place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rapport.webhooks import catalogue
from rapport.webhooks.catalogue import (
    CatalogueError,
    event_type_for_kind,
    event_type_names,
    register_event_type,
)


@pytest.fixture
def scratch_catalogue() -> Iterator[None]:
    by_name, by_kind = dict(catalogue._BY_NAME), dict(catalogue._BY_KIND)
    yield
    catalogue._BY_NAME.clear()
    catalogue._BY_NAME.update(by_name)
    catalogue._BY_KIND.clear()
    catalogue._BY_KIND.update(by_kind)


def test_the_desk_and_customer_events_are_registered() -> None:
    assert {
        "conversation.opened",
        "conversation.status_changed",
        "conversation.assigned",
        "message.received",
        "message.sent",
        "customer.created",
        "customer.updated",
        "customer.merged",
    } <= set(event_type_names())
    assert event_type_for_kind("desk.message.inbound").name == "message.received"  # type: ignore[union-attr]
    assert event_type_for_kind("tag.added").name == "customer.updated"  # type: ignore[union-attr]
    assert event_type_for_kind("desk.message.note") is None
    assert event_type_for_kind("note.added") is None


@pytest.mark.usefixtures("scratch_catalogue")
def test_a_timeline_kind_cannot_be_sent_as_two_event_types() -> None:
    with pytest.raises(CatalogueError, match=r"already sent as 'message\.received'"):
        register_event_type(
            "message.in", description="", timeline_kinds=["desk.message.inbound"], payload=dict
        )


@pytest.mark.usefixtures("scratch_catalogue")
def test_registering_again_replaces_the_entry() -> None:
    register_event_type("recovery.approved", description="one", timeline_kinds=["recovery.a"], payload=dict)
    register_event_type("recovery.approved", description="two", timeline_kinds=["recovery.b"], payload=dict)

    assert event_type_for_kind("recovery.a") is None
    assert event_type_for_kind("recovery.b").description == "two"  # type: ignore[union-attr]


@pytest.mark.usefixtures("scratch_catalogue")
@pytest.mark.parametrize(("name", "kinds"), [("", ["x"]), ("a" * 65, ["x"]), ("empty.kinds", [])])
def test_bad_registrations_are_refused(name: str, kinds: list[str]) -> None:
    with pytest.raises(CatalogueError):
        register_event_type(name, description="", timeline_kinds=kinds, payload=dict)
