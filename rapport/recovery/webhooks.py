"""Recovery actions as outbound webhook events, and what their delivery means for the action.

recovery.action.approved is the event the store acts on: it carries everything needed to carry the
action out. When it is delivered the action is "sent to the store"; when every retry failed, "failed".
The store then reports done or failed through POST /api/v1/recovery/actions/{id}/outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rapport.customers.models import IdentityKind, TimelineEvent
from rapport.recovery.models import RecoveryAction

if TYPE_CHECKING:
    from rapport.webhooks.models import OutboxEvent

# webhook event type -> (description, the transition's verb). Timeline kinds come in two spellings: an
# action on a conversation is recorded through the desk, which puts "desk." before the kind.
EVENT_TYPES = {
    "recovery.action.approved": (
        "A recovery action was approved (within the policy or by a lead): the store should carry it out "
        "and report back with POST /api/v1/recovery/actions/{id}/outcome.",
        "approved",
    ),
    "recovery.action.cancelled": (
        "A recovery action was cancelled or declined before it was carried out.",
        "cancelled",
    ),
    "recovery.action.done": ("The store reported a recovery action carried out.", "done"),
}
CANCEL_VERBS = ("cancelled", "declined")


def timeline_kinds(verb: str) -> list[str]:
    verbs = CANCEL_VERBS if verb == "cancelled" else (verb,)
    return [f"{prefix}recovery.action.{v}" for v in verbs for prefix in ("", "desk.")]


def action_payload(action: RecoveryAction) -> dict[str, Any]:
    email = (
        action.customer.identities.filter(kind=IdentityKind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return {
        "id": action.pk,
        "kind": action.kind,
        "reason": action.reason,
        "status": action.status,
        "amount": str(action.amount),
        "currency": action.currency,
        "order_id": action.order_id,
        "order_number": action.order.number if action.order is not None else None,
        "lines": [
            {
                "order_line_id": line.order_line_id,
                "sku": line.order_line.sku,
                "name": line.order_line.name,
                "quantity": line.quantity,
                "amount": str(line.amount),
            }
            for line in action.lines.select_related("order_line").order_by("id")
        ],
        "options": {
            "waive_shipping": action.waive_shipping,
            "expedited": action.expedited,
            "coupon_code": action.coupon_code,
        },
        "note": action.note,
        "customer": {"id": action.customer_id, "email": email, "name": action.customer.name},
        "conversation_id": action.conversation_id,
        "requested_by_id": action.requested_by_id,
        "approved_by_id": action.approved_by_id,
        "approved_automatically": action.approved_automatically,
        "decided_at": action.decided_at.isoformat() if action.decided_at else None,
        "decision_note": action.decision_note,
        "store_reference": action.store_reference,
        "created_at": action.created_at.isoformat(),
    }


def payload_of(event: TimelineEvent) -> dict[str, Any]:
    action = (
        RecoveryAction.objects.select_related("customer", "order")
        .filter(pk=event.data.get("action_id"))
        .first()
    )
    if action is None:
        return {"id": event.data.get("action_id"), "summary": event.summary}
    # The row's status is the transition's, even when the action moved on since.
    return {
        **action_payload(action),
        "status": event.data.get("status", action.status),
        "summary": event.summary,
    }


def _action_id(event: OutboxEvent) -> int | None:
    try:
        return int(event.payload.get("id"))
    except (TypeError, ValueError):
        return None


def approval_delivered(event: OutboxEvent, succeeded: bool) -> None:
    """The approval reached the store (sent), or never will (failed)."""
    from rapport.recovery.services.actions import mark_sent, mark_undeliverable

    action_id = _action_id(event)
    if action_id is None:
        return
    if succeeded:
        mark_sent(action_id=action_id)
    else:
        mark_undeliverable(action_id=action_id)


def register() -> None:
    """Declare the event types and the delivery hook in the webhooks app's catalogue."""
    from rapport.webhooks.catalogue import register_event_type
    from rapport.webhooks.outcomes import register_delivery_hook

    for name, (description, verb) in EVENT_TYPES.items():
        register_event_type(
            name, description=description, timeline_kinds=timeline_kinds(verb), payload=payload_of
        )
    register_delivery_hook("recovery.action.approved", approval_delivered)
