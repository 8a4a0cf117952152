"""The one protocol every channel plugs in with: raw input in, a desk message (or a reason) out.

A channel gives a processor that turns a stored delivery into desk records. It may also give a reader:
the part that only reads the raw bytes (parsing an email takes most of the time an email costs). The
batch path runs readers before it opens its transaction, so the database is locked only for writing.
And it may give a batch processor, which writes many deliveries in bulk (email does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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


# Raw bytes -> what the processor needs; runs outside any transaction and writes nothing to the database
# (it may read settings, and store files by content), may raise Unprocessable.
Reader = Callable[[bytes], Any]
# kind -> function that turns a stored delivery (and what its reader made of it) into desk records.
# Runs inside a transaction with the delivery row locked; raising Unprocessable quarantines, any other
# exception also quarantines (with the error named) after its writes are rolled back, so a half-written
# message never stays.
ReadProcessor = Callable[[InboundDelivery, Any], Outcome]
Processor = Callable[[InboundDelivery], Outcome]
# Many deliveries (with what the reader made of each) -> their outcomes, in order, written in bulk. It
# raises if any one cannot be written; the caller then processes them one at a time.
BatchProcessor = Callable[[Sequence[tuple[InboundDelivery, Any]]], list[Outcome]]


@dataclass(frozen=True)
class ChannelProcessing:
    read: Reader | None
    process: ReadProcessor
    process_batch: BatchProcessor | None = None


_CHANNELS: dict[str, ChannelProcessing] = {}


def register_processor(kind: str, processor: Processor) -> None:
    """A channel whose input is cheap to read: one function does it all, inside the transaction."""
    _CHANNELS[kind] = ChannelProcessing(read=None, process=lambda delivery, _: processor(delivery))


def register_reading_processor(
    kind: str, *, read: Reader, process: ReadProcessor, process_batch: BatchProcessor | None = None
) -> None:
    _CHANNELS[kind] = ChannelProcessing(read=read, process=process, process_batch=process_batch)


def processing_for(kind: str) -> ChannelProcessing:
    try:
        return _CHANNELS[kind]
    except KeyError:
        raise Unprocessable(f"no channel processes {kind!r} deliveries") from None
