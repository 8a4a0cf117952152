"""The one protocol every channel plugs in with: raw input in, a desk message (or a reason) out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.desk.models import Conversation, Message


class Unprocessable(Exception):
    """The raw input cannot be read: the delivery is quarantined with this reason, bytes kept."""


@dataclass(frozen=True)
class Outcome:
    """Where a delivery went: a message on a conversation, or ignored with a reason."""

    status: str = DeliveryStatus.PROCESSED
    conversation: Conversation | None = None
    message: Message | None = None
    reason: str = ""


# kind -> function that turns a stored delivery into desk records. Runs inside a transaction with the
# delivery row locked; raising Unprocessable quarantines, any other exception also quarantines (with
# the error named) after the transaction is rolled back, so a half-written message never stays.
Processor = Callable[[InboundDelivery], Outcome]

_PROCESSORS: dict[str, Processor] = {}


def register_processor(kind: str, processor: Processor) -> None:
    _PROCESSORS[kind] = processor


def processor_for(kind: str) -> Processor:
    try:
        return _PROCESSORS[kind]
    except KeyError:
        raise Unprocessable(f"no channel processes {kind!r} deliveries") from None
