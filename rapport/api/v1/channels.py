"""Channels API: the inbound log, raw input as received, and re-processing quarantined deliveries."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from rapport.api.auth import api_actor
from rapport.api.v1.pagination import paginate
from rapport.api.v1.schemas.channels import DeliveryFilters, DeliveryOut, DeliveryPage
from rapport.api.v1.schemas.common import Id, PageParams, problems
from rapport.channels import selectors
from rapport.channels.downloads import raw_response
from rapport.channels.models import InboundDelivery
from rapport.channels.services.deliveries import reprocess_delivery

router = Router(tags=["channels"])


@router.get("/channels/inbound", response={200: DeliveryPage, **problems(422)})
def list_deliveries(
    request: HttpRequest, filters: Query[DeliveryFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Everything the channels received, newest first; needs the channels:manage scope."""
    log_filters = selectors.LogFilters(
        status=filters.status or "", kind=filters.kind or "", external_id=filters.external_id
    )
    return paginate(selectors.inbound_deliveries(api_actor(request), log_filters), page)


@router.get("/channels/inbound/{delivery_id}", response={200: DeliveryOut, **problems(404, 422)})
def get_delivery(request: HttpRequest, delivery_id: Id) -> InboundDelivery:
    return selectors.access_delivery(api_actor(request), delivery_id)


@router.get(
    "/channels/inbound/{delivery_id}/raw",
    response=problems(404, 422),
    openapi_extra={
        "responses": {
            200: {
                "description": "The bytes exactly as received (an RFC 5322 message, a webhook body)",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_delivery_raw(request: HttpRequest, delivery_id: Id) -> HttpResponse:
    return raw_response(selectors.access_delivery(api_actor(request), delivery_id))


@router.post(
    "/channels/inbound/{delivery_id}/reprocess", response={200: DeliveryOut, **problems(404, 409, 422)}
)
def reprocess_quarantined_delivery(request: HttpRequest, delivery_id: Id) -> InboundDelivery:
    """Send a quarantined delivery through its channel again; 409 for any other state."""
    actor = api_actor(request)
    reprocess_delivery(actor=actor, delivery=selectors.access_delivery(actor, delivery_id))
    return selectors.access_delivery(actor, delivery_id)
