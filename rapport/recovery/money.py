"""Amounts as people read them ("€50.00", "12.50 CHF"); pure, no Django, so the rules and replies share it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# Currencies whose symbol goes before the amount; any other is written after it with its ISO code.
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def cents(amount: Decimal | int | float | str) -> Decimal:
    """Rounded to the cent, half up, as money is shown and stored (DECIMAL(12, 2))."""
    return Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    value = cents(amount)
    symbol = SYMBOLS.get(currency.upper())
    if symbol is None:
        return f"{value:,.2f} {currency.upper()}"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"
