"""Bulk actions from the inbox: each conversation changed on its own, failures reported, not fatal.

Every conversation goes through the same services a single change uses (assignment, tags, status),
so the rules, events and audit entries are the same; each one in its own transaction, so a refusal
on one (a closed conversation cannot be resolved) leaves it untouched and does not stop the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import RapportError, ValidationFailed
from rapport.desk.models import Status
from rapport.desk.selectors.conversations import conversations_visible_to
from rapport.desk.services import conversations, routing

# A page holds 50 rows; this leaves room for a few pages' worth without holding locks for long.
MAX_BULK = 200
NOT_FOUND = "not found"


@dataclass(frozen=True)
class BulkResult:
    updated: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # id -> reason


def _assignee(assignee_id: int | None) -> User | None:
    if assignee_id is None:
        return None
    user = User.objects.filter(pk=assignee_id, is_active=True).first()
    if user is None:
        raise ValidationFailed(f"no active member of staff {assignee_id}", code="invalid_assignee")
    return user


def bulk_update(
    *,
    actor: Actor,
    conversation_ids: Sequence[int],
    assignee_id: int | None = None,
    unassign: bool = False,
    add_tags: Sequence[str] = (),
    status: str | None = None,
) -> BulkResult:
    """Apply the same changes to each conversation; returns which changed and why others did not."""
    actor.require(Perm.DESK_WORK)
    ids = list(dict.fromkeys(conversation_ids))
    if not ids:
        raise ValidationFailed("select at least one conversation", code="nothing_selected")
    if len(ids) > MAX_BULK:
        raise ValidationFailed(f"at most {MAX_BULK} conversations at once", code="too_many_selected")
    if assignee_id is not None and unassign:
        raise ValidationFailed("assign or unassign, not both", code="invalid_bulk_action")
    tags = [name.strip() for name in add_tags if name.strip()]
    if assignee_id is None and not unassign and not tags and not status:
        raise ValidationFailed("choose what to change", code="invalid_bulk_action")
    if status is not None and status not in Status.values:
        raise ValidationFailed(f"unknown status {status!r}", code="invalid_status")
    if status == Status.SNOOZED:
        raise ValidationFailed("snooze conversations one at a time, with a time", code="invalid_snooze")
    assignee = _assignee(assignee_id)
    # Someone who may not see a conversation learns nothing about it, not even that it exists.
    found = {c.pk: c for c in conversations_visible_to(actor).filter(pk__in=ids)}
    updated: list[int] = []
    skipped: dict[int, str] = {}
    for conversation_id in ids:
        conversation = found.get(conversation_id)
        if conversation is None:
            skipped[conversation_id] = NOT_FOUND
            continue
        try:
            with transaction.atomic():
                if assignee is not None or unassign:
                    conversation = routing.assign_conversation(
                        actor=actor, conversation=conversation, assignee=assignee
                    )
                if tags:
                    conversation = conversations.change_tags(actor=actor, conversation=conversation, add=tags)
                if status:
                    conversation = conversations.change_status(
                        actor=actor, conversation=conversation, status=status
                    )
        except RapportError as error:
            skipped[conversation_id] = error.detail
        else:
            updated.append(conversation_id)
    return BulkResult(updated=updated, skipped=skipped)
