"""Reads for customers, always scoped to who asks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, NotFound, ValidationFailed
from rapport.core.normalise import SOCIAL_PLATFORMS, looks_like_phone, normalise_phone
from rapport.customers.identities import IdentityInput, normalise_identity
from rapport.customers.models import Customer, Identity, IdentityKind, Note, Preference, Tag, TimelineEvent
from rapport.customers.tiers import with_tier
from rapport.customers.timeline_guards import hidden_subjects

TIMELINE_PAGE = 50


def customers_visible_to(actor: Actor) -> QuerySet[Customer]:
    """Every live (not merged-away) customer: all staff with the view permission serve every customer."""
    actor.require(Perm.CUSTOMERS_VIEW)
    return Customer.objects.filter(merged_into__isnull=True)


def access_customer(actor: Actor, customer_id: int) -> Customer:
    """The customer, merged or not (callers redirect merged ones), or NotFound."""
    actor.require(Perm.CUSTOMERS_VIEW)
    customer = Customer.objects.select_related("associate").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"no customer {customer_id}", code="customer_not_found")
    return customer


def access_live_customer(actor: Actor, customer_id: int) -> Customer:
    """The customer, or Conflict when it was merged away (its data now lives on the survivor)."""
    customer = access_customer(actor, customer_id)
    if customer.is_merged:
        raise Conflict("this customer was merged into another", code="customer_merged")
    return customer


def _identity_prefix(value: str) -> Q:
    # A range instead of LIKE so the (kind, value) index is used on SQLite and PostgreSQL alike.
    return Q(value__gte=value, value__lt=value + "\uffff")


def _matching_ids(query: str) -> Q:
    """Which customers a free-text query means: one indexed subquery per kind of match, unioned.

    A UNION of small id sets, not an OR of conditions: an OR makes PostgreSQL test every customer
    row, where a union lets it fetch the few matches and sort only those.
    """
    lowered = query.lower()
    branches: list[QuerySet[Any]] = []
    if lowered.startswith("@"):
        handles = [f"{platform}:{lowered[1:]}" for platform in SOCIAL_PLATFORMS]
        branches.append(
            Identity.objects.filter(kind=IdentityKind.SOCIAL, value__in=handles).values("customer_id")
        )
    elif "@" in lowered:
        branches.append(Identity.objects.filter(_identity_prefix(lowered)).values("customer_id"))
    else:
        branches.append(Customer.objects.filter(orders__number=query).values("pk"))
        if looks_like_phone(query):
            try:
                phone = normalise_phone(query, default_region=settings.RAPPORT_DEFAULT_PHONE_REGION or None)
            except ValidationFailed:
                phone = "+" + "".join(ch for ch in query if ch.isdigit())
            branches.append(
                Identity.objects.filter(Q(kind=IdentityKind.PHONE) & _identity_prefix(phone)).values(
                    "customer_id"
                )
            )
        else:
            branches.append(_names_containing(query))
            if len(lowered) >= 3:
                # "maria.g" finds maria.garcia@...: the start of an address is how people remember it.
                branches.append(Identity.objects.filter(_identity_prefix(lowered)).values("customer_id"))
    # Each branch without ORDER BY: SQLite refuses ordering inside a compound subquery.
    first, *rest = [branch.order_by() for branch in branches]
    return Q(pk__in=first.union(*rest) if rest else first)


# FTS5's trigram index answers substring matches of three characters or more.
TRIGRAM = 3


def _names_containing(query: str) -> QuerySet[Any]:
    """Ids of customers whose name contains the query, case-insensitively, from an index where one exists.

    SQLite: the FTS5 trigram table customers_customer_name_search (migration 0003); PostgreSQL: a
    pg_trgm GIN index on UPPER(name) that Django's icontains uses as it is.
    """
    if connection.vendor != "sqlite" or len(query) < TRIGRAM:
        return Customer.objects.filter(name__icontains=query).values("pk")
    # A quoted FTS5 phrase is matched literally; doubling quotes is its only escape.
    phrase = '"' + query.replace('"', '""') + '"'
    return Customer.objects.filter(
        pk__in=RawSQL("SELECT rowid FROM customers_customer_name_search WHERE name MATCH %s", [phrase])
    ).values("pk")


def search_customers(
    actor: Actor,
    *,
    query: str = "",
    tag: str = "",
    tier: str = "",
    associate_id: int | None = None,
    unassigned: bool = False,
) -> QuerySet[Customer]:
    """Customers matching a name, email, phone, @handle or order number, with filters.

    No DISTINCT is needed: matches are subqueries, and a customer carries a given tag at most once.
    """
    customers = with_tier(customers_visible_to(actor))
    query = query.strip()
    if query:
        customers = customers.filter(_matching_ids(query))
    if tag:
        customers = customers.filter(tags__name=tag.strip().lower())
    if tier:
        # value_tier is annotated by with_tier() through the registered source, out of the stubs' sight.
        customers = customers.filter(value_tier=tier)  # type: ignore[misc]
    if unassigned:
        customers = customers.filter(associate__isnull=True)
    elif associate_id is not None:
        customers = customers.filter(associate_id=associate_id)
    return customers


def customer_list_page(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a list page shows per row, fetched in a fixed number of queries."""
    return customers.select_related("associate").prefetch_related("tags", "identities")


def timeline_for(
    actor: Actor, customer: Customer, *, before: datetime | None = None, before_id: int | None = None
) -> list[TimelineEvent]:
    """One page of the timeline, newest first; keyset pagination so deep pages cost the same."""
    actor.require(Perm.CUSTOMERS_VIEW)
    events = TimelineEvent.objects.filter(customer=customer).select_related("actor")
    for subject_type, ids in hidden_subjects(actor, customer).items():
        events = events.exclude(subject_type=subject_type, subject_id__in=ids)
    if before is not None and before_id is not None:
        events = events.filter(Q(occurred_at__lt=before) | Q(occurred_at=before, id__lt=before_id))
    return list(events.order_by("-occurred_at", "-id")[:TIMELINE_PAGE])


def tags_in_use(actor: Actor) -> QuerySet[Tag]:
    actor.require(Perm.CUSTOMERS_VIEW)
    return Tag.objects.order_by("name")


def customer_by_identity(actor: Actor, *, kind: str, value: str, platform: str = "") -> Customer:
    """The customer reachable at an address, written any way the channel spells it, or NotFound."""
    actor.require(Perm.CUSTOMERS_VIEW)
    normalised = normalise_identity(
        IdentityInput(kind=kind, value=value, platform=platform),
        default_region=settings.RAPPORT_DEFAULT_PHONE_REGION or None,
    )
    customer = (
        customer_list_page(Customer.objects.all())
        .filter(identities__kind=kind, identities__value=normalised)
        .first()
    )
    if customer is None:
        raise NotFound(f"no customer has {kind} {normalised}", code="customer_not_found")
    return customer


def access_identity(actor: Actor, customer_id: int, identity_id: int) -> Identity:
    """One identity of one customer, or NotFound (also when it belongs to another customer)."""
    actor.require(Perm.CUSTOMERS_VIEW)
    identity = (
        Identity.objects.select_related("customer").filter(pk=identity_id, customer_id=customer_id).first()
    )
    if identity is None:
        raise NotFound(f"customer {customer_id} has no identity {identity_id}", code="identity_not_found")
    return identity


def notes_of(actor: Actor, customer: Customer) -> QuerySet[Note]:
    """A customer's notes, newest first."""
    actor.require(Perm.CUSTOMERS_VIEW)
    return Note.objects.filter(customer=customer).order_by("-created_at", "-id")


def access_preference(actor: Actor, customer_id: int, preference_id: int) -> Preference:
    """One preference of one customer, or NotFound (also when it belongs to another customer)."""
    actor.require(Perm.CUSTOMERS_VIEW)
    preference = Preference.objects.filter(pk=preference_id, customer_id=customer_id).first()
    if preference is None:
        raise NotFound(
            f"customer {customer_id} has no preference {preference_id}", code="preference_not_found"
        )
    return preference
