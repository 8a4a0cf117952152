"""Which conversations someone may see, and one conversation with its thread."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from rapport.accounts.models import Role, Team
from rapport.accounts.permissions import Actor, Perm
from rapport.commerce.models import Order, Shipment
from rapport.commerce.selectors import orders_visible_to
from rapport.core.errors import NotFound
from rapport.customers.models import Customer
from rapport.desk.models import Attachment, Conversation, ConversationEvent, CustomField, Message


def private_team_ids_hidden_from(actor: Actor) -> list[int]:
    """Teams whose conversations this person may not see: private teams they are not a member of."""
    if actor.user.role == Role.ADMIN:
        return []
    private = Team.objects.filter(desk__is_private=True)
    if actor.user.team_id is not None:
        private = private.exclude(pk=actor.user.team_id)
    return list(private.values_list("pk", flat=True))


def conversations_visible_to(actor: Actor) -> QuerySet[Conversation]:
    """Every conversation but those of private teams the actor is not in (their own assignments excepted)."""
    actor.require(Perm.DESK_VIEW)
    conversations = Conversation.objects.all()
    hidden = private_team_ids_hidden_from(actor)
    if hidden:
        conversations = conversations.filter(
            ~Q(team_id__in=hidden) | Q(team__isnull=True) | Q(assignee=actor.user)
        )
    return conversations


def access_conversation(actor: Actor, conversation_id: int) -> Conversation:
    """The conversation, or NotFound when it does not exist or the actor may not see it."""
    conversation = (
        conversations_visible_to(actor)
        .select_related("customer", "customer__associate", "assignee", "team", "sla_policy", "merged_into")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}", code="conversation_not_found")
    return conversation


def access_message(actor: Actor, message_id: int) -> Message:
    message = Message.objects.select_related("author").filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"no message {message_id}", code="message_not_found")
    message.conversation = access_conversation(actor, message.conversation_id)
    return message


def access_attachment(actor: Actor, attachment_id: int) -> Attachment:
    """An attachment, only for someone who may see its conversation."""
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id}", code="attachment_not_found")
    try:
        access_conversation(actor, attachment.message.conversation_id)
    except NotFound:
        raise NotFound(f"no attachment {attachment_id}", code="attachment_not_found") from None
    return attachment


def thread_of(actor: Actor, conversation: Conversation) -> list[Message]:
    """Messages oldest first, with authors and attachments, in a fixed number of queries."""
    actor.require(Perm.DESK_VIEW)
    return list(
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def events_of(actor: Actor, conversation: Conversation) -> list[ConversationEvent]:
    actor.require(Perm.DESK_VIEW)
    return list(ConversationEvent.objects.filter(conversation=conversation).select_related("actor"))


def previous_conversations(actor: Actor, conversation: Conversation, limit: int = 10) -> list[Conversation]:
    """The same customer's other conversations, newest first, as far as the actor may see them."""
    return list(
        conversations_visible_to(actor)
        .filter(customer_id=conversation.customer_id)
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at")[:limit]
    )


def conversations_of_customer(actor: Actor, customer_id: int, limit: int = 10) -> list[Conversation]:
    """A customer's latest conversations for their 360 page, as far as the actor may see them."""
    return list(
        conversations_visible_to(actor)
        .filter(customer_id=customer_id)
        .select_related("assignee")
        .order_by("-last_message_at")[:limit]
    )


def conversations_hidden_on_timeline(actor: Actor, customer: Customer) -> list[str]:
    """Timeline guard: a customer's conversations the actor may not see (all of them without desk access)."""
    conversations = Conversation.objects.filter(customer=customer)
    if actor.can(Perm.DESK_VIEW):
        hidden = private_team_ids_hidden_from(actor)
        if not hidden:
            return []
        conversations = conversations.filter(team_id__in=hidden).exclude(assignee=actor.user)
    return [str(pk) for pk in conversations.values_list("pk", flat=True)]


def events_after(actor: Actor, *, after_id: int, limit: int) -> list[ConversationEvent]:
    """Events of conversations the actor may see, in id order, after the last one read (for integrations)."""
    events = ConversationEvent.objects.filter(pk__gt=after_id)
    hidden = private_team_ids_hidden_from(actor)
    actor.require(Perm.DESK_VIEW)
    if hidden:
        events = events.filter(conversation_id__in=conversations_visible_to(actor).values("pk"))
    return list(events.select_related("actor").order_by("pk")[:limit])


def active_custom_fields(actor: Actor) -> list[CustomField]:
    """The admin's fields still in use, in their order; values of switched-off fields stay stored, unshown."""
    actor.require(Perm.DESK_VIEW)
    return list(CustomField.objects.filter(is_active=True).order_by("position", "label"))


def linked_orders(actor: Actor, conversation: Conversation) -> list[Order]:
    """Orders linked to the conversation with their shipments, newest first, as far as the actor may see."""
    return list(
        orders_visible_to(actor)
        .filter(conversations=conversation)
        .prefetch_related(Prefetch("shipments", queryset=Shipment.objects.order_by("-id")))
        .order_by("-placed_at", "-id")
    )
