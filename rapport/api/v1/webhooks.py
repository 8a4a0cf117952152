"""Webhooks API: register endpoints, read their delivery log, retry failed deliveries (webhooks:manage)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from rapport.accounts.permissions import Perm
from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.common import Id, PageParams, problems
from rapport.api.v1.schemas.webhooks import (
    DeliveryDetailOut,
    DeliveryFilters,
    DeliveryOut,
    DeliveryPage,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EndpointPatch,
    EventTypeList,
)
from rapport.webhooks import selectors
from rapport.webhooks.catalogue import event_types
from rapport.webhooks.models import Delivery, Endpoint
from rapport.webhooks.services.delivery import retry_delivery as retry_delivery_service
from rapport.webhooks.services.endpoints import (
    EndpointInput,
    create_endpoint,
    rotate_secret,
    send_test_event,
    update_endpoint,
)

router = Router(tags=["webhooks"])


def _fresh(request: HttpRequest, endpoint_id: int) -> Endpoint:
    return selectors.access_endpoint(api_actor(request), endpoint_id)


@router.get("/webhooks/event-types", response={200: EventTypeList, **problems(422)})
def list_webhook_event_types(request: HttpRequest) -> dict[str, Any]:
    """The catalogue: every event an endpoint can subscribe to (payloads in docs/webhooks.md)."""
    api_actor(request).require(Perm.WEBHOOKS_MANAGE)
    return {"items": [{"name": item.name, "description": item.description} for item in event_types()]}


@router.get("/webhooks/endpoints", response={200: EndpointPage, **problems(422)})
def list_webhook_endpoints(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return paginate(selectors.endpoints_visible_to(api_actor(request)), page)


@router.post("/webhooks/endpoints", response={201: EndpointOut, **problems(422)})
def create_webhook_endpoint(request: HttpRequest, payload: EndpointIn) -> Status[Endpoint]:
    """Register an endpoint; its signing secret is generated and returned. 422 `invalid_endpoint` for a
    URL that is not http(s) or resolves to a loopback, private, link-local or metadata address."""
    actor = api_actor(request)
    endpoint = create_endpoint(
        actor=actor,
        data=EndpointInput(
            url=payload.url,
            description=payload.description,
            event_types=payload.event_types,
            is_active=payload.is_active,
        ),
    )
    return Status(201, _fresh(request, endpoint.pk))


@router.get("/webhooks/endpoints/{endpoint_id}", response={200: EndpointOut, **problems(404, 422)})
def get_webhook_endpoint(request: HttpRequest, endpoint_id: Id) -> Endpoint:
    return _fresh(request, endpoint_id)


@router.patch("/webhooks/endpoints/{endpoint_id}", response={200: EndpointOut, **problems(404, 422)})
def update_webhook_endpoint(request: HttpRequest, endpoint_id: Id, payload: EndpointPatch) -> Endpoint:
    """Change the fields sent; event_types replaces the subscriptions."""
    actor = api_actor(request)
    endpoint = selectors.access_endpoint(actor, endpoint_id)
    sent = payload.model_dump(exclude_unset=True)
    data = EndpointInput(
        url=sent.get("url", endpoint.url),
        description=sent.get("description", endpoint.description),
        event_types=sent.get("event_types", endpoint.event_types),
        is_active=sent.get("is_active", endpoint.is_active),
    )
    update_endpoint(actor=actor, endpoint=endpoint, data=data)
    return _fresh(request, endpoint_id)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/rotate-secret", response={200: EndpointOut, **problems(404, 422)}
)
def rotate_webhook_secret(request: HttpRequest, endpoint_id: Id) -> Endpoint:
    """A new secret signs from now on; the previous one also signs for 24 hours."""
    actor = api_actor(request)
    rotate_secret(actor=actor, endpoint=selectors.access_endpoint(actor, endpoint_id))
    return _fresh(request, endpoint_id)


@router.post("/webhooks/endpoints/{endpoint_id}/test", response={202: DeliveryOut, **problems(404, 409, 422)})
def send_webhook_test_event(request: HttpRequest, endpoint_id: Id) -> Status[Delivery]:
    """Queue a `webhook.test` event to this endpoint alone; 409 `endpoint_inactive` when it is paused."""
    actor = api_actor(request)
    delivery = send_test_event(actor=actor, endpoint=selectors.access_endpoint(actor, endpoint_id))
    return Status(202, selectors.access_delivery(actor, delivery.pk))


@router.get(
    "/webhooks/endpoints/{endpoint_id}/deliveries", response={200: DeliveryPage, **problems(404, 422)}
)
def list_webhook_deliveries(
    request: HttpRequest, endpoint_id: Id, filters: Query[DeliveryFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """The endpoint's deliveries, newest first: status, last response code and timing, next attempt."""
    actor = api_actor(request)
    endpoint = selectors.access_endpoint(actor, endpoint_id)
    log = selectors.deliveries_of(actor, endpoint, selectors.DeliveryFilters(status=filters.status or ""))
    return paginate(log, page)


@router.get("/webhooks/deliveries/{delivery_id}", response={200: DeliveryDetailOut, **problems(404, 422)})
def get_webhook_delivery(request: HttpRequest, delivery_id: Id) -> Delivery:
    """One delivery with its payload and every attempt."""
    return selectors.access_delivery(api_actor(request), delivery_id)


@router.post(
    "/webhooks/deliveries/{delivery_id}/retry", response={200: DeliveryOut, **problems(404, 409, 422)}
)
def retry_webhook_delivery(request: HttpRequest, delivery_id: Id) -> Delivery:
    """Send a failed delivery again, at once and then on a fresh three-day schedule; 409 `not_failed`
    for a delivery in any other state."""
    actor = api_actor(request)
    retry_delivery_service(actor=actor, delivery=selectors.access_delivery(actor, delivery_id))
    return selectors.access_delivery(actor, delivery_id)
