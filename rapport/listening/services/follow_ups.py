"""Follow-ups: the task a low score or a worrying message leaves for the person who owns the customer."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, NotFound, ValidationFailed
from rapport.customers.events import record_event
from rapport.customers.models import Customer
from rapport.desk.models import Conversation
from rapport.listening.models import FollowUp, FollowUpStatus, SurveyResponse
from rapport.listening.services.people import responsible_person

DEFAULT_DUE = timedelta(days=1)
MAX_OUTCOME = 2000


def open_follow_up(
    *,
    customer: Customer,
    title: str,
    detail: str = "",
    conversation: Conversation | None = None,
    response: SurveyResponse | None = None,
    due_in: timedelta = DEFAULT_DUE,
    at: datetime | None = None,
) -> FollowUp:
    now = at or timezone.now()
    follow_up = FollowUp.objects.create(
        customer=customer,
        conversation=conversation,
        response=response,
        assignee=responsible_person(customer, conversation),
        title=title[:200],
        detail=detail,
        due_at=now + due_in,
        created_at=now,
    )
    record_event(
        customer=customer,
        kind="listening.follow_up_opened",
        summary=f"Follow-up: {follow_up.title}",
        subject=follow_up,
        data={"follow_up_id": follow_up.pk},
        occurred_at=now,
    )
    return follow_up


def can_see_follow_up(actor: Actor, follow_up: FollowUp) -> bool:
    if actor.can(Perm.LISTENING_MANAGE):
        return True
    return actor.can(Perm.LISTENING_VIEW) and follow_up.assignee_id == actor.user.pk


@transaction.atomic
def complete_follow_up(*, actor: Actor, follow_up_id: int, outcome: str = "") -> FollowUp:
    """Close the follow-up with what was done; its assignee or a lead may, once."""
    actor.require(Perm.LISTENING_VIEW)
    follow_up = FollowUp.objects.select_for_update().filter(pk=follow_up_id).first()
    if follow_up is None or not can_see_follow_up(actor, follow_up):
        raise NotFound("no such follow-up", code="follow_up_not_found")
    if not actor.can(Perm.DESK_WORK) and not actor.can(Perm.LISTENING_MANAGE):
        raise NotFound("no such follow-up", code="follow_up_not_found")
    if follow_up.status == FollowUpStatus.DONE:
        raise Conflict("this follow-up is already done", code="follow_up_done")
    if len(outcome) > MAX_OUTCOME:
        raise ValidationFailed(
            f"an outcome may hold at most {MAX_OUTCOME} characters", code="outcome_too_long"
        )
    now = timezone.now()
    follow_up.status = FollowUpStatus.DONE
    follow_up.done_at = now
    follow_up.done_by = actor.user
    follow_up.outcome = outcome.strip()
    follow_up.save(update_fields=["status", "done_at", "done_by", "outcome"])
    record_event(
        customer=follow_up.customer,
        kind="listening.follow_up_done",
        summary=f"Follow-up done: {follow_up.title}",
        actor=actor,
        subject=follow_up,
        data={"follow_up_id": follow_up.pk},
        occurred_at=now,
    )
    return follow_up
