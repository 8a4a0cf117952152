"""Who a listening alert or follow-up is for: the customer's associate, else whoever served them."""

from __future__ import annotations

from rapport.accounts.models import User
from rapport.customers.models import Customer
from rapport.desk.models import Conversation


def responsible_person(customer: Customer, conversation: Conversation | None = None) -> User | None:
    """The associate when they are active, else the conversation's assignee; None means the leads."""
    associate = customer.associate
    if associate is not None and associate.is_active:
        return associate
    if conversation is not None and conversation.assignee is not None and conversation.assignee.is_active:
        return conversation.assignee
    return None
