"""Writes of the phone channel outside call processing: the customer merge step."""

from __future__ import annotations

from rapport.channels.models import PhoneCall
from rapport.customers.models import Customer


def move_phone_calls(source: Customer, target: Customer) -> dict[str, int]:
    """Customer merge step: calls of the merged-away customer now belong to the survivor."""
    return {"phone_calls": PhoneCall.objects.filter(customer=source).update(customer=target)}
