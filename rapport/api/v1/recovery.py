"""Recovery API: actions for a conversation, approving and declining, the store's outcome, and policies."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.common import Id, PageParams, problems
from rapport.api.v1.schemas.recovery import (
    ActionFilters,
    ActionIn,
    ActionOut,
    ActionPage,
    DecisionIn,
    OutcomeIn,
    PolicyOut,
    PolicyPage,
)
from rapport.core.errors import ValidationFailed
from rapport.customers.selectors import access_customer
from rapport.desk.selectors.conversations import access_conversation
from rapport.recovery import selectors
from rapport.recovery.models import EmpowermentPolicy, RecoveryAction
from rapport.recovery.services import actions as services

router = Router(tags=["recovery"])


@router.get("/recovery/actions", response={200: ActionPage, **problems(422)})
def list_actions(
    request: HttpRequest, filters: Query[ActionFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Recovery actions, newest first, as far as the caller may see their conversations."""
    actions = selectors.search_actions(
        api_actor(request),
        conversation_id=filters.conversation_id,
        customer_id=filters.customer_id,
        status=filters.status or "",
        kind=filters.kind or "",
    )
    return paginate(actions, page)


@router.post("/recovery/actions", response={201: ActionOut, **problems(404, 409, 422)})
def create_action(request: HttpRequest, payload: ActionIn) -> Status[RecoveryAction]:
    """Propose an action; within the caller's empowerment policy it comes back approved, else proposed
    (waiting for a lead) with the reasons in `approval_reasons`."""
    actor = api_actor(request)
    if payload.conversation_id is not None:
        conversation = access_conversation(actor, payload.conversation_id)
        customer = conversation.customer
        if payload.customer_id is not None and payload.customer_id != customer.pk:
            raise ValidationFailed(
                "the conversation is with another customer", code="conversation_not_customers"
            )
    elif payload.customer_id is not None:
        conversation = None
        customer = access_customer(actor, payload.customer_id)
    else:
        raise ValidationFailed("name the conversation or the customer", code="customer_required")
    action = services.propose_action(
        actor=actor, customer=customer, conversation=conversation, request=payload.to_request()
    )
    return Status(201, selectors.access_action(actor, action.pk))


@router.get("/recovery/actions/{action_id}", response={200: ActionOut, **problems(404, 422)})
def get_action(request: HttpRequest, action_id: Id) -> RecoveryAction:
    return selectors.access_action(api_actor(request), action_id)


@router.post("/recovery/actions/{action_id}/approve", response={200: ActionOut, **problems(404, 409, 422)})
def approve_action(request: HttpRequest, action_id: Id, payload: DecisionIn) -> RecoveryAction:
    """A lead approves an action waiting for approval; 409 `not_waiting` when it was decided already."""
    actor = api_actor(request)
    action = services.approve_action(
        actor=actor, action=selectors.access_action(actor, action_id), note=payload.note
    )
    return selectors.access_action(actor, action.pk)


@router.post("/recovery/actions/{action_id}/decline", response={200: ActionOut, **problems(404, 409, 422)})
def decline_action(request: HttpRequest, action_id: Id, payload: DecisionIn) -> RecoveryAction:
    actor = api_actor(request)
    action = services.decline_action(
        actor=actor, action=selectors.access_action(actor, action_id), note=payload.note
    )
    return selectors.access_action(actor, action.pk)


@router.post("/recovery/actions/{action_id}/cancel", response={200: ActionOut, **problems(404, 409, 422)})
def cancel_action(request: HttpRequest, action_id: Id, payload: DecisionIn) -> RecoveryAction:
    """Who asked (or a lead) cancels an action not carried out yet."""
    actor = api_actor(request)
    action = services.cancel_action(
        actor=actor, action=selectors.access_action(actor, action_id), note=payload.note
    )
    return selectors.access_action(actor, action.pk)


@router.post("/recovery/actions/{action_id}/outcome", response={200: ActionOut, **problems(404, 409, 422)})
def report_outcome(request: HttpRequest, action_id: Id, payload: OutcomeIn) -> RecoveryAction:
    """The store says it carried the approved action out (done) or could not (failed). Repeating the same
    outcome is harmless; contradicting an earlier one is 409 `invalid_transition`."""
    actor = api_actor(request)
    action = services.record_outcome(
        actor=actor,
        action=selectors.access_action(actor, action_id),
        status=payload.status,
        reference=payload.reference,
        detail=payload.detail,
    )
    return selectors.access_action(actor, action.pk)


@router.get("/recovery/policies", response={200: PolicyPage, **problems(422)})
def list_policies(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Empowerment policies: what each role (or a team's members) may grant alone."""
    return paginate(selectors.policies_visible_to(api_actor(request)), page)


@router.get("/recovery/policies/{policy_id}", response={200: PolicyOut, **problems(404, 422)})
def get_policy(request: HttpRequest, policy_id: Id) -> EmpowermentPolicy:
    return selectors.access_policy(api_actor(request), policy_id)
