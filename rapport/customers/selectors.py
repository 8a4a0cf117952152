"""Reads for customers, always scoped to who asks."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import NotFound
from rapport.core.normalise import looks_like_phone, normalise_phone
from rapport.customers.models import Customer, Identity, IdentityKind, Tag, TimelineEvent

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


def _identity_prefix(value: str) -> Q:
    # A range instead of LIKE so the (kind, value) index is used on SQLite and PostgreSQL alike.
    return Q(value__gte=value, value__lt=value + "\uffff")


def search_customers(
    actor: Actor,
    *,
    query: str = "",
    tag: str = "",
    associate_id: int | None = None,
    unassigned: bool = False,
) -> QuerySet[Customer]:
    """Customers matching a name, email, phone, social handle or order number, with filters."""
    customers = customers_visible_to(actor)
    query = query.strip()
    if query:
        lowered = query.lower()
        matches = Q(name__icontains=query)
        identity_ids = Identity.objects.filter(_identity_prefix(lowered)).values("customer_id")
        if "@" in lowered:
            matches = Q(pk__in=identity_ids)
        else:
            matches |= Q(orders__number=query)
            matches |= Q(
                pk__in=Identity.objects.filter(
                    kind=IdentityKind.SOCIAL, value__endswith=":" + lowered.lstrip("@")
                ).values("customer_id")
            )
            if looks_like_phone(query):
                try:
                    phone = normalise_phone(query)
                except Exception:
                    phone = "+" + "".join(ch for ch in query if ch.isdigit())
                matches |= Q(
                    pk__in=Identity.objects.filter(
                        Q(kind=IdentityKind.PHONE) & _identity_prefix(phone)
                    ).values("customer_id")
                )
            elif len(lowered) >= 3:
                matches |= Q(pk__in=identity_ids)
        customers = customers.filter(matches)
    if tag:
        customers = customers.filter(tags__name=tag.strip().lower())
    if unassigned:
        customers = customers.filter(associate__isnull=True)
    elif associate_id is not None:
        customers = customers.filter(associate_id=associate_id)
    return customers.distinct() if query or tag else customers


def customer_list_page(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """What a list page shows per row, fetched in a fixed number of queries."""
    return customers.select_related("associate").prefetch_related("tags", "identities")


def timeline_for(
    actor: Actor, customer: Customer, *, before: datetime | None = None, before_id: int | None = None
) -> list[TimelineEvent]:
    """One page of the timeline, newest first; keyset pagination so deep pages cost the same."""
    actor.require(Perm.CUSTOMERS_VIEW)
    events = TimelineEvent.objects.filter(customer=customer).select_related("actor")
    if before is not None and before_id is not None:
        events = events.filter(Q(occurred_at__lt=before) | Q(occurred_at=before, id__lt=before_id))
    return list(events.order_by("-occurred_at", "-id")[:TIMELINE_PAGE])


def tags_in_use() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")
