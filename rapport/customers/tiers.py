"""Value tiers: standard < silver < gold < platinum, and where a customer's tier comes from.

The insights app's lifetime value registers itself as the source; other apps (SLA policies, recovery's
empowerment multipliers, listening's valuable-customer alerts) ask here without importing it.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.customers.models import Customer

STANDARD = "standard"
TIERS = (STANDARD, "silver", "gold", "platinum")
TIER_CHOICES = [(tier, tier.title()) for tier in TIERS]

TierSource = Callable[[Customer], str | None]
_sources: list[TierSource] = []


def register_tier_source(source: TierSource) -> None:
    if source not in _sources:
        _sources.append(source)


def registered_tier(customer: Customer) -> str | None:
    """The first registered source's tier for the customer, or None when none knows it."""
    for source in _sources:
        tier = source(customer)
        if tier:
            return tier
    return None


def tier_rank(tier: str) -> int:
    """0 for standard up to 3 for platinum; an unknown tier counts as standard."""
    return TIERS.index(tier) if tier in TIERS else 0
