"""How a reply leaves the desk: the channel a conversation came by sends it, and says how that went.

The desk knows no channel. A channel app registers, for its conversation channel, a `dispatch`
called inside the reply's transaction (it records what to send and queues the sending after the
commit) and a `states` reader that tells the thread how each reply is doing ("Sending…", "Not sent").
A conversation on a channel nobody registered (a logged phone call, the API) sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapport.desk.models import Message, MessageKind


@dataclass(frozen=True)
class DeliveryState:
    label: str
    failed: bool = False
    # The error in words, shown to the agent beside a failed reply.
    detail: str = ""
    # Where a POST sends the reply again; "" when there is nothing to retry.
    retry_url: str = ""


Dispatch = Callable[[Message], None]
States = Callable[[Sequence[Message]], dict[int, DeliveryState]]


@dataclass(frozen=True)
class _Outbound:
    dispatch: Dispatch
    states: States


_CHANNELS: dict[str, _Outbound] = {}


def register_outbound(channel: str, *, dispatch: Dispatch, states: States) -> None:
    _CHANNELS[channel] = _Outbound(dispatch=dispatch, states=states)


def dispatch_reply(message: Message) -> None:
    outbound = _CHANNELS.get(message.conversation.channel)
    if outbound is not None and message.kind == MessageKind.OUTBOUND:
        outbound.dispatch(message)


def delivery_states(messages: Sequence[Message]) -> dict[int, DeliveryState]:
    """How each reply among the messages is doing, by message id; one query per channel at most."""
    replies = [message for message in messages if message.kind == MessageKind.OUTBOUND]
    states: dict[int, DeliveryState] = {}
    for channel in {message.channel for message in replies}:
        outbound = _CHANNELS.get(channel)
        if outbound is not None:
            states.update(outbound.states([message for message in replies if message.channel == channel]))
    return states
