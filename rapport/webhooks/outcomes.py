"""Hooks other apps register to learn how the deliveries of an event turned out.

A hook for an event type is called inside the transaction that records the outcome: with True the
first time any delivery of the event succeeds, or with False when its last delivery finally fails and
none succeeded. Each event gets at most one call per hook (the outbox row remembers it was settled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rapport.webhooks.models import OutboxEvent

DeliveryHook = Callable[["OutboxEvent", bool], None]

_HOOKS: dict[str, list[DeliveryHook]] = {}


def register_delivery_hook(event_type: str, hook: DeliveryHook) -> None:
    """Call `hook(event, succeeded)` once per event of `event_type` when its outcome is known."""
    hooks = _HOOKS.setdefault(event_type, [])
    if hook not in hooks:
        hooks.append(hook)


def hooks_for(event_type: str) -> list[DeliveryHook]:
    return list(_HOOKS.get(event_type, ()))


def notify_outcome(event: OutboxEvent, *, succeeded: bool) -> None:
    """Run the hooks of the event's type; the caller holds the transaction and settles the event once."""
    for hook in hooks_for(event.type):
        hook(event, succeeded)
