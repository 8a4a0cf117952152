"""The catalogue of outbound webhook event types: which timeline kinds become which event, and its payload.

Apps register their event types here (usually from their AppConfig.ready()); the outbox listener looks
a timeline row's kind up in this registry to decide whether it is a webhook event at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rapport.customers.models import TimelineEvent

PayloadBuilder = Callable[[TimelineEvent], dict[str, Any]]


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    timeline_kinds: tuple[str, ...]
    payload: PayloadBuilder


_BY_NAME: dict[str, EventType] = {}
_BY_KIND: dict[str, EventType] = {}


class CatalogueError(ValueError):
    """A registration that would make the catalogue ambiguous."""


def register_event_type(
    name: str,
    *,
    description: str,
    timeline_kinds: Sequence[str],
    payload: PayloadBuilder,
) -> EventType:
    """Declare the webhook event `name`, sent for timeline rows of the given kinds.

    Registering the same name again with the same kinds replaces the entry (ready() may run twice in
    tests); a timeline kind already claimed by another event type is an error, because one timeline
    row must map to exactly one webhook event.
    """
    if not name or len(name) > 64:
        raise CatalogueError(f"Webhook event type name {name!r} must be 1 to 64 characters.")
    kinds = tuple(timeline_kinds)
    if not kinds:
        raise CatalogueError(f"Webhook event type {name!r} needs at least one timeline kind.")
    for kind in kinds:
        owner = _BY_KIND.get(kind)
        if owner is not None and owner.name != name:
            raise CatalogueError(f"Timeline kind {kind!r} is already sent as {owner.name!r}.")
    previous = _BY_NAME.get(name)
    if previous is not None:
        for kind in previous.timeline_kinds:
            _BY_KIND.pop(kind, None)
    event_type = EventType(name=name, description=description, timeline_kinds=kinds, payload=payload)
    _BY_NAME[name] = event_type
    for kind in kinds:
        _BY_KIND[kind] = event_type
    return event_type


def event_type_for_kind(kind: str) -> EventType | None:
    """The event type a timeline kind is sent as, or None when it is not a webhook event."""
    return _BY_KIND.get(kind)


def get_event_type(name: str) -> EventType | None:
    return _BY_NAME.get(name)


def event_types() -> list[EventType]:
    """Every registered event type, sorted by name (the order pages and docs show them in)."""
    return sorted(_BY_NAME.values(), key=lambda event_type: event_type.name)


def event_type_names() -> list[str]:
    return [event_type.name for event_type in event_types()]
