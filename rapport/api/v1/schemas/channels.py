"""Schemas of the channels router: the inbound log and its filters."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from rapport.api.v1.schemas.common import Id, Text
from rapport.channels.models import ChannelKind, DeliveryStatus


class DeliveryFilters(Schema):
    status: DeliveryStatus | None = Field(None, description="Only deliveries in this state")
    kind: ChannelKind | None = Field(None, description="Only this channel")
    external_id: Text = Field(
        "", max_length=998, description="Message-ID (with or without <>) or provider id"
    )


class DeliveryOut(Schema):
    id: int
    kind: ChannelKind
    source: str = Field(description="The mailbox, widget or provider it arrived at")
    sender: str
    external_id: str = Field(description="Message-ID for email, the provider's id elsewhere")
    size: int
    received_at: datetime
    status: DeliveryStatus
    attempts: int
    processed_at: datetime | None
    reason: str = Field(description="Why it was quarantined or ignored")
    conversation_id: Id | None
    message_id: Id | None


class DeliveryPage(Schema):
    count: int
    items: list[DeliveryOut]
