"""Value tiers: standard < silver < gold < platinum, and where a customer's tier comes from.

The insights app's lifetime value registers itself as the source; other apps (SLA policies, recovery's
empowerment multipliers, listening's valuable-customer alerts) ask here without importing it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import CharField, QuerySet, Value

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


# Lists read every row's tier in the list's own query: the source adds it as a `value_tier` annotation.
TierAnnotation = Callable[[QuerySet[Customer]], QuerySet[Customer]]
_annotations: list[TierAnnotation] = []


def register_tier_annotation(annotate: TierAnnotation) -> None:
    if annotate not in _annotations:
        _annotations.append(annotate)


def with_tier(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers, each with `value_tier` (standard when no source knows better)."""
    if _annotations:
        return _annotations[0](customers)
    return customers.annotate(value_tier=Value(STANDARD, output_field=CharField()))
