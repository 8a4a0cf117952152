"""Schemas of the webhooks router: endpoints, the catalogue, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from rapport.api.v1.schemas.common import UNSENT, Text
from rapport.webhooks.models import DeliveryStatus

EventTypeName = Text


class EventTypeOut(Schema):
    name: str
    description: str


class EventTypeList(Schema):
    items: list[EventTypeOut]


class EndpointIn(Schema):
    url: Text = Field(
        min_length=1, max_length=2000, description="http(s) URL; hosts inside our network are refused"
    )
    description: Text = Field("", max_length=200)
    event_types: list[EventTypeName] = Field(
        default_factory=list,
        max_length=100,
        description="Names from GET /webhooks/event-types; empty sends none",
    )
    is_active: bool = True


class EndpointPatch(Schema):
    """Only the fields sent change; omitted fields keep their value."""

    url: Text = Field(UNSENT, min_length=1, max_length=2000)
    description: Text = Field(UNSENT, max_length=200)
    event_types: list[EventTypeName] = Field(UNSENT, max_length=100, description="Replaces the subscriptions")
    is_active: bool = Field(UNSENT)


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    secret: str = Field(description="Standard Webhooks signing secret (whsec_…); the store verifies with it")
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation, the old secret also signs until then"
    )
    created_at: datetime
    updated_at: datetime


class EndpointPage(Schema):
    count: int
    items: list[EndpointOut]


class DeliveryFilters(Schema):
    status: DeliveryStatus | None = Field(None, description="Only deliveries in this state")


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: str = Field(description="The webhook-id header: the same on every attempt")
    event_type: str
    event_created_at: datetime
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_response_code: int | None
    last_error: str
    last_duration_ms: int | None
    delivered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_event_id(obj: Any) -> str:
        return str(obj.event.event_id)

    @staticmethod
    def resolve_event_type(obj: Any) -> str:
        return str(obj.event.type)

    @staticmethod
    def resolve_event_created_at(obj: Any) -> datetime:
        created: datetime = obj.event.created_at
        return created


class AttemptOut(Schema):
    number: int
    at: datetime
    succeeded: bool
    response_code: int | None
    duration_ms: int
    error: str
    response_excerpt: str = Field(description="The start of the receiver's answer")


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any] = Field(description="The event's data object, as sent")
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_payload(obj: Any) -> dict[str, Any]:
        payload: dict[str, Any] = obj.event.payload
        return payload

    @staticmethod
    def resolve_attempt_log(obj: Any) -> list[Any]:
        return list(obj.attempt_log.order_by("number", "id"))


class DeliveryPage(Schema):
    count: int
    items: list[DeliveryOut]
