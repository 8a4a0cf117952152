"""Live channels (chat): the conversation page polls them quickly and shows when the customer types.

The desk knows no channel. A channel app whose customers wait on the other end registers, for its
conversation channel, a reader that says whether the customer is typing now; the page of such a
conversation then pings every second, and the answer carries new messages and "… is typing".
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.desk.models import Conversation

CustomerTyping = Callable[[Conversation], bool]

_READERS: dict[str, CustomerTyping] = {}


def register_live(channel: str, *, customer_typing: CustomerTyping) -> None:
    _READERS[channel] = customer_typing


def is_live(channel: str) -> bool:
    return channel in _READERS


def customer_typing(conversation: Conversation) -> bool:
    reader = _READERS.get(conversation.channel)
    return reader is not None and reader(conversation)
