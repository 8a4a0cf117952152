"""Template filters of the recovery pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

from rapport.recovery.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """{{ action.amount|money:action.currency }} -> "€30.00"."""
    return format_money(amount or Decimal(0), currency or "EUR")
