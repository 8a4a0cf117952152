"""Who has a conversation open and who is typing in it: what the collision warning is made of."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.desk.models import Conversation, Viewer


def touch_viewer(*, actor: Actor, conversation: Conversation, typing: bool = False) -> None:
    """Mark the actor as looking at the conversation now (and typing, when they are)."""
    actor.require(Perm.DESK_VIEW)
    now = timezone.now()
    # Someone who may not write is never "typing a reply", whatever their page sends.
    changes = {"seen_at": now, **({"typing_at": now} if typing and actor.can(Perm.DESK_WORK) else {})}
    if Viewer.objects.filter(conversation=conversation, user=actor.user).update(**changes):
        return
    try:
        # A savepoint, so losing the race to the same person's other tab leaves the transaction usable.
        with transaction.atomic():
            Viewer.objects.create(conversation=conversation, user=actor.user, **changes)
    except IntegrityError:
        Viewer.objects.filter(conversation=conversation, user=actor.user).update(**changes)


def leave_conversation(*, actor: Actor, conversation: Conversation) -> None:
    """The actor closed the page: others stop seeing them at once rather than after the time-out."""
    actor.require(Perm.DESK_VIEW)
    Viewer.objects.filter(conversation=conversation, user=actor.user).delete()
