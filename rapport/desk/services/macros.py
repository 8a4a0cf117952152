"""Macros in use: filling a canned reply's variables, and running its actions through the desk's services.

A macro body is not a Django template. Authors are admins, but a template language would still let
a body reach attributes nobody meant to expose (`{{ customer.identities.all }}`, settings through
related objects), so bodies get a plain substitution over an explicit list of names instead.
Anything the desk cannot fill (an unknown name, a filter, a customer without a first name, no order)
is left exactly as written, `{{ order.number }}`, so the agent sees the gap in the composer and
fixes it before the customer ever reads it; `unresolved_variables` lists what is left for the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce import selectors as commerce
from rapport.commerce.models import Order, Shipment
from rapport.core.errors import ValidationFailed
from rapport.desk.events import record_conversation_event
from rapport.desk.models import Conversation, Macro, Message, MessageKind, Priority, Status
from rapport.desk.services import conversations, routing
from rapport.desk.services.conversations import AttachmentInput

# What a macro body may say, and what the macro editor shows authors.
MACRO_VARIABLES: dict[str, str] = {
    "customer.name": "The customer's full name",
    "customer.first_name": "The first word of the customer's name",
    "agent.name": "Your full name",
    "agent.first_name": "Your first name",
    "conversation.subject": "The conversation's subject",
    "conversation.token": "The conversation's reference",
    "order.number": "Number of the order linked to the conversation (else the customer's latest order)",
    "order.status": "That order's status",
    "order.total": "That order's total with its currency",
    "order.shipment_status": "Status of that order's latest shipment",
    "order.carrier": "Carrier of that order's latest shipment",
    "order.tracking_number": "Tracking number of that order's latest shipment",
}

# Statuses a macro may set. Snoozing needs a time and closing follows resolving by the clock.
MACRO_STATUSES = (Status.OPEN, Status.PENDING, Status.RESOLVED)
ACTION_KEYS = frozenset({"status", "priority", "add_tags", "assign"})
MAX_MACRO_TAGS = 10

_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class MacroActions:
    status: str | None = None
    priority: str | None = None
    add_tags: tuple[str, ...] = ()
    # "me" (whoever uses the macro) or a user id.
    assign: str | int | None = None

    def describe(self) -> list[str]:
        """What the macro will do, in words, for the composer and the macro list."""
        parts: list[str] = []
        if self.priority:
            parts.append(f"set priority to {Priority(self.priority).label.lower()}")
        if self.add_tags:
            parts.append("add tag" + ("s " if len(self.add_tags) > 1 else " ") + ", ".join(self.add_tags))
        if self.assign == "me":
            parts.append("assign to you")
        elif self.assign is not None:
            parts.append(f"assign to staff #{self.assign}")
        if self.status:
            parts.append(f"set status to {Status(self.status).label.lower()}")
        return parts

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.status:
            data["status"] = self.status
        if self.priority:
            data["priority"] = self.priority
        if self.add_tags:
            data["add_tags"] = list(self.add_tags)
        if self.assign is not None:
            data["assign"] = self.assign
        return data


def clean_macro_actions(raw: object) -> MacroActions:
    """The actions JSON checked: known keys, known statuses and priorities, tags, "me" or a user id."""
    if raw in (None, ""):
        return MacroActions()
    if not isinstance(raw, dict):
        raise ValidationFailed("macro actions must be an object", code="invalid_macro_actions")
    errors: dict[str, str] = {key: "unknown action" for key in raw if key not in ACTION_KEYS}
    status, priority, assign = raw.get("status") or None, raw.get("priority") or None, raw.get("assign")
    if status is not None and status not in MACRO_STATUSES:
        errors["status"] = f"choose one of {', '.join(MACRO_STATUSES)}"
    if priority is not None and priority not in Priority.values:
        errors["priority"] = f"choose one of {', '.join(Priority.values)}"
    tags = raw.get("add_tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        errors["add_tags"] = "a list of tag names"
        tags = []
    cleaned_tags = tuple(dict.fromkeys(tag.strip().lower()[:50] for tag in tags if tag.strip()))
    if len(cleaned_tags) > MAX_MACRO_TAGS:
        errors["add_tags"] = f"at most {MAX_MACRO_TAGS} tags"
    if assign in ("", None):
        assign = None
    elif assign != "me" and (isinstance(assign, bool) or not isinstance(assign, int) or assign <= 0):
        errors["assign"] = '"me" or the id of a member of staff'
    if errors:
        raise ValidationFailed(
            "the macro's actions are not valid", code="invalid_macro_actions", errors=errors
        )
    return MacroActions(status=status, priority=priority, add_tags=cleaned_tags, assign=assign)


def variables_in(body: str) -> list[str]:
    """Every `{{ name }}` a body uses, in order, once each."""
    return list(dict.fromkeys(match.group(1) for match in _VARIABLE.finditer(body)))


def unknown_variables(body: str) -> list[str]:
    """Names a body uses that the desk never fills: the macro editor refuses or flags them."""
    return [name for name in variables_in(body) if name not in MACRO_VARIABLES]


def unresolved_variables(text: str) -> list[str]:
    """What is still `{{ … }}` in a rendered body, for the warning next to the composer."""
    return variables_in(text)


def _first_word(name: str) -> str:
    return name.split()[0] if name.split() else ""


def _order_for(actor: Actor, conversation: Conversation) -> Order | None:
    """The newest order linked to the conversation, else the customer's latest (for those who see orders)."""
    if not actor.can(Perm.COMMERCE_VIEW):
        return None
    latest_shipments = Prefetch("shipments", queryset=Shipment.objects.order_by("-id"))
    linked = conversation.orders.prefetch_related(latest_shipments).order_by("-placed_at", "-id").first()
    if linked is not None:
        return linked
    recent = commerce.recent_orders(actor, conversation.customer, limit=1)
    return recent[0] if recent else None


def _values(*, conversation: Conversation, actor: Actor) -> dict[str, Callable[[], str]]:
    order_cache: list[Order | None] = []

    def order() -> Order | None:
        # Orders are read only when the body mentions one, and then once.
        if not order_cache:
            order_cache.append(_order_for(actor, conversation))
        return order_cache[0]

    def shipment() -> Shipment | None:
        found = order()
        shipments = list(found.shipments.all()) if found is not None else []
        return shipments[0] if shipments else None

    def order_field(read: Callable[[Order], str]) -> Callable[[], str]:
        return lambda: read(found) if (found := order()) is not None else ""

    def shipment_field(read: Callable[[Shipment], str]) -> Callable[[], str]:
        return lambda: read(found) if (found := shipment()) is not None else ""

    customer, user = conversation.customer, actor.user
    return {
        "customer.name": lambda: customer.name.strip(),
        "customer.first_name": lambda: _first_word(customer.name),
        "agent.name": lambda: user.full_name.strip(),
        "agent.first_name": lambda: _first_word(user.full_name),
        "conversation.subject": lambda: conversation.subject,
        "conversation.token": lambda: conversation.token,
        "order.number": order_field(lambda o: o.number),
        "order.status": order_field(lambda o: o.get_status_display()),
        "order.total": order_field(lambda o: f"{o.total} {o.currency}"),
        "order.shipment_status": shipment_field(lambda s: s.get_status_display()),
        "order.carrier": shipment_field(lambda s: s.carrier),
        "order.tracking_number": shipment_field(lambda s: s.tracking_number),
    }


def render_macro(*, macro: Macro, conversation: Conversation, actor: Actor) -> str:
    """The macro's body with its variables filled; what cannot be filled stays as written.

    One pass over the body: a value that itself looks like `{{ … }}` (a customer who calls
    themselves "{{ agent.name }}") is inserted as text and never expanded.
    """
    actor.require(Perm.DESK_VIEW)
    values = _values(conversation=conversation, actor=actor)

    def fill(match: re.Match[str]) -> str:
        read = values.get(match.group(1))
        value = read() if read is not None else ""
        return value if value else match.group(0)

    return _VARIABLE.sub(fill, macro.body)


def _assignee(actor: Actor, assign: str | int) -> User:
    if assign == "me":
        return actor.user
    user = User.objects.filter(pk=assign, is_active=True).first()
    if user is None:
        raise ValidationFailed(
            f"the macro assigns to staff #{assign}, who is not here", code="invalid_assignee"
        )
    return user


def _run_actions(
    *, actor: Actor, macro: Macro, conversation: Conversation, actions: MacroActions, with_status: bool
) -> Conversation:
    # Status goes last: a macro that tags and resolves records the tag on the open conversation.
    if actions.priority:
        conversation = conversations.set_priority(
            actor=actor, conversation=conversation, priority=actions.priority
        )
    if actions.add_tags:
        conversation = conversations.change_tags(actor=actor, conversation=conversation, add=actions.add_tags)
    if actions.assign is not None:
        assignee = _assignee(actor, actions.assign)
        if conversation.assignee_id != assignee.pk:
            conversation = routing.assign_conversation(
                actor=actor, conversation=conversation, assignee=assignee
            )
    if with_status and actions.status:
        conversation = conversations.change_status(
            actor=actor, conversation=conversation, status=actions.status
        )
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    record_conversation_event(
        conversation=conversation,
        kind="macro.applied",
        summary=f"Macro used: {macro.name}",
        actor=actor,
        data={"macro_id": macro.pk, "actions": actions.as_dict()},
    )
    return conversation


@transaction.atomic
def apply_macro(*, actor: Actor, macro: Macro, conversation: Conversation) -> Conversation:
    """Run the macro's actions now (each through its own service, so permissions and events apply).

    All or nothing: when one action is refused (an agent's macro that reassigns to someone else),
    none of the others stays applied.
    """
    actor.require(Perm.DESK_WORK)
    actions = clean_macro_actions(macro.actions)
    return _run_actions(
        actor=actor, macro=macro, conversation=conversation, actions=actions, with_status=True
    )


@transaction.atomic
def send_with_macro(
    *,
    actor: Actor,
    conversation: Conversation,
    macro: Macro,
    kind: str,
    body_text: str,
    attachments: Sequence[AttachmentInput] = (),
    then_status: str | None = None,
    seen_inbound_at: datetime | None = None,
) -> Message:
    """Send the reply or note the macro filled in, then run the macro's actions, in one transaction.

    Actions wait for the send rather than running when the macro is picked: an agent who picks a
    macro and then abandons the draft has changed nothing, and a "resolve" macro never resolves a
    conversation whose reply was refused (a newer customer message, an oversized file). When the
    agent pressed "Send + pending", that status wins over the macro's own.
    """
    actor.require(Perm.DESK_WORK)
    actions = clean_macro_actions(macro.actions)
    if kind == MessageKind.OUTBOUND:
        message = conversations.reply(
            actor=actor,
            conversation=conversation,
            body_text=body_text,
            attachments=attachments,
            then_status=then_status,
            seen_inbound_at=seen_inbound_at,
        )
    elif kind == MessageKind.NOTE:
        if then_status is not None:
            raise ValidationFailed("a note does not change the status", code="invalid_status")
        message = conversations.add_note(
            actor=actor, conversation=conversation, body_text=body_text, attachments=attachments
        )
    else:
        raise ValidationFailed(f"staff send replies or notes, not {kind!r}", code="invalid_message_kind")
    _run_actions(
        actor=actor, macro=macro, conversation=conversation, actions=actions, with_status=then_status is None
    )
    return message
