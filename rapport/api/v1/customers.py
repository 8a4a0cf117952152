"""Customers API: search, create, read and change customers, their identities, notes and timeline."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.common import Id, PageParams, problems
from rapport.api.v1.schemas.customers import (
    CustomerDetailOut,
    CustomerFilters,
    CustomerIn,
    CustomerLookup,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    FindOrCreateIn,
    FindOrCreateOut,
    IdentityOut,
    MergeIn,
    NewIdentityIn,
    NoteIn,
    NoteOut,
    NotePage,
    PreferenceIn,
    PreferenceOut,
    TimelineCursor,
    TimelinePage,
)
from rapport.commerce import selectors as commerce_selectors
from rapport.customers import selectors, services
from rapport.customers.identities import IdentityInput
from rapport.customers.models import Customer, Identity, Note, Preference

router = Router(tags=["customers"])


@router.get("/customers", response={200: CustomerPage, **problems(422)})
def list_customers(
    request: HttpRequest, filters: Query[CustomerFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Customers (merged-away ones left out) by name, email, phone, handle or order number."""
    customers = selectors.search_customers(
        api_actor(request),
        query=filters.q,
        tag=filters.tag,
        associate_id=filters.associate_id,
        unassigned=filters.unassigned,
    )
    return paginate(selectors.customer_list_page(customers), page)


@router.post("/customers", response={201: CustomerOut, **problems(409, 422)})
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[Customer]:
    """Create a customer with identities; 409 `identity_taken` when an address belongs to someone else."""
    customer = services.create_customer(
        actor=api_actor(request),
        name=payload.name,
        identities=[
            IdentityInput(kind=i.kind, value=i.value, platform=i.platform) for i in payload.identities
        ],
        language=payload.language,
        time_zone=payload.time_zone,
        country=payload.country,
        tags=payload.tags,
        associate_id=payload.associate_id,
        external_id=payload.external_id,
        marketing_consent=payload.consents.marketing,
        survey_consent=payload.consents.survey,
    )
    return Status(201, customer)


@router.get("/customers/lookup", response={200: CustomerOut, **problems(404, 422)})
def lookup_customer(request: HttpRequest, lookup: Query[CustomerLookup]) -> Customer:
    """The customer at an address, however it is written; 404 `customer_not_found` when nobody has it."""
    return selectors.customer_by_identity(
        api_actor(request), kind=lookup.kind, value=lookup.value, platform=lookup.platform
    )


@router.post(
    "/customers/find-or-create", response={200: FindOrCreateOut, 201: FindOrCreateOut, **problems(422)}
)
def find_or_create_customer(request: HttpRequest, payload: FindOrCreateIn) -> Status[dict[str, Any]]:
    """For channels: the customer at an address, created on first contact (201) or found (200)."""
    customer, created = services.find_or_create_customer(
        actor=api_actor(request),
        kind=payload.kind,
        value=payload.value,
        platform=payload.platform,
        name=payload.name,
        default_region=payload.country.upper(),
    )
    return Status(201 if created else 200, {"created": created, "customer": customer})


@router.get("/customers/{customer_id}", response={200: CustomerDetailOut, **problems(404, 422)})
def get_customer(request: HttpRequest, customer_id: Id) -> CustomerDetailOut:
    """One customer with identities, preferences, consents and lifetime spend; merged ones say where to."""
    actor = api_actor(request)
    customer = selectors.access_customer(actor, customer_id)
    return CustomerDetailOut.build(
        customer, spend=commerce_selectors.lifetime_spend_if_visible(actor, customer)
    )


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **problems(404, 409, 422)})
def update_customer(request: HttpRequest, customer_id: Id, payload: CustomerPatch) -> Customer:
    """Change the fields sent; 409 `customer_merged` for a customer merged into another."""
    actor = api_actor(request)
    customer = selectors.access_customer(actor, customer_id)
    return services.update_customer(actor=actor, customer=customer, **payload.model_dump(exclude_unset=True))


@router.post("/customers/{customer_id}/identities", response={201: IdentityOut, **problems(404, 409, 422)})
def add_identity(request: HttpRequest, customer_id: Id, payload: NewIdentityIn) -> Status[Identity]:
    """Add an email, phone or handle; 409 `identity_taken` when it belongs to another customer."""
    actor = api_actor(request)
    customer = selectors.access_customer(actor, customer_id)
    identity = services.add_identity(
        actor=actor,
        customer=customer,
        kind=payload.kind,
        value=payload.value,
        platform=payload.platform,
        is_primary=payload.is_primary,
    )
    return Status(201, identity)


@router.delete(
    "/customers/{customer_id}/identities/{identity_id}", response={204: None, **problems(404, 422)}
)
def remove_identity(request: HttpRequest, customer_id: Id, identity_id: Id) -> Status[None]:
    """Remove an identity; another of the same kind becomes primary."""
    actor = api_actor(request)
    identity = selectors.access_identity(actor, customer_id, identity_id)
    services.remove_identity(actor=actor, identity=identity)
    return Status(204, None)


@router.post("/customers/{customer_id}/merge", response={200: CustomerOut, **problems(404, 409, 422)})
def merge_customers(request: HttpRequest, customer_id: Id, payload: MergeIn) -> Customer:
    """Merge the duplicate `source_id` into this customer, which survives and is returned."""
    actor = api_actor(request)
    target = selectors.access_customer(actor, customer_id)
    source = selectors.access_customer(actor, payload.source_id)
    return services.merge_customers(actor=actor, source=source, target=target)


@router.get("/customers/{customer_id}/notes", response={200: NotePage, **problems(404, 422)})
def list_notes(request: HttpRequest, customer_id: Id, page: Query[PageParams]) -> dict[str, Any]:
    """A customer's notes, newest first."""
    actor = api_actor(request)
    customer = selectors.access_customer(actor, customer_id)
    return paginate(selectors.notes_of(actor, customer), page)


@router.post("/customers/{customer_id}/notes", response={201: NoteOut, **problems(404, 422)})
def add_note(request: HttpRequest, customer_id: Id, payload: NoteIn) -> Status[Note]:
    """Add an internal note; it appears on the customer's timeline."""
    actor = api_actor(request)
    customer = selectors.access_customer(actor, customer_id)
    return Status(201, services.add_note(actor=actor, customer=customer, body=payload.body))


@router.get("/customers/{customer_id}/timeline", response={200: TimelinePage, **problems(404, 422)})
def customer_timeline(request: HttpRequest, customer_id: Id, cursor: Query[TimelineCursor]) -> TimelinePage:
    """Everything that happened with the customer, newest first, a page at a time (keyset cursor)."""
    actor = api_actor(request)
    customer = selectors.access_customer(actor, customer_id)
    events = selectors.timeline_for(actor, customer, before=cursor.before, before_id=cursor.before_id)
    return TimelinePage.of(events, page_size=selectors.TIMELINE_PAGE)


@router.put("/customers/{customer_id}/preferences", response={200: PreferenceOut, **problems(404, 422)})
def set_preference(request: HttpRequest, customer_id: Id, payload: PreferenceIn) -> Preference:
    """Set one like or dislike of a category or brand (created, or its `likes` changed)."""
    actor = api_actor(request)
    customer = selectors.access_customer(actor, customer_id)
    return services.set_preference(
        actor=actor, customer=customer, kind=payload.kind, value=payload.value, likes=payload.likes
    )
