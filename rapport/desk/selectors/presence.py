"""Who else is on a conversation right now, for the collision warning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport.accounts.permissions import Actor, Perm
from rapport.desk.models import Conversation, Viewer

# Pages ping every 10 seconds; three missed pings and the person has gone.
SEEN_WITHIN = timedelta(seconds=30)
# Typing pings come every few seconds while keys are pressed; a pause this long means they stopped.
TYPING_WITHIN = timedelta(seconds=10)


def others_on(actor: Actor, conversation: Conversation, *, now: datetime) -> list[Viewer]:
    """Other people seen on the conversation within SEEN_WITHIN, the typing ones first, then by name."""
    actor.require(Perm.DESK_VIEW)
    viewers = list(
        Viewer.objects.filter(conversation=conversation, seen_at__gte=now - SEEN_WITHIN)
        .exclude(user=actor.user)
        .select_related("user")
    )
    return sorted(viewers, key=lambda viewer: (not is_typing(viewer, now=now), viewer.user.display_name))


def is_typing(viewer: Viewer, *, now: datetime) -> bool:
    return viewer.typing_at is not None and viewer.typing_at >= now - TYPING_WITHIN


@dataclass(frozen=True)
class Collision:
    name: str
    typing: bool


def collisions_on(actor: Actor, conversation: Conversation, *, now: datetime) -> list[Collision]:
    """The warning's lines: "Maria is typing a reply", "Sam is viewing"."""
    return [
        Collision(name=viewer.user.display_name, typing=is_typing(viewer, now=now))
        for viewer in others_on(actor, conversation, now=now)
    ]
