"""Accepting a visitor's words: check the body, commit it raw, then process it at once.

The raw body is committed first (store_delivery, deduplicated on the message's client uuid, so a
retry has one effect) and processed right away in the same request: a chat message should reach the
agent within a second, not wait for the worker. The stored row still guarantees that nothing
acknowledged is lost if processing fails; the worker's task and the clock's sweep find it too.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from rapport.channels.models import ChannelKind, ChatVisitor, DeliveryStatus, InboundDelivery, Widget
from rapport.channels.services.deliveries import process_delivery, store_delivery
from rapport.channels.widget import hours, payloads
from rapport.channels.widget.ingest import CHAT, CONTACT, external_id, phone_region, widget_calendar


def accept_request(
    *, widget: Widget, visitor: ChatVisitor, action: str, raw: bytes, remote_addr: str
) -> InboundDelivery:
    """Store and process one contact form, chat message or call-back; a replay returns the first.

    Raises PayloadError, before anything is stored, for a body the endpoint refuses. A body with the
    honeypot filled is stored without those checks: the robot is answered like anyone else.
    """
    data = payloads.read_json(raw)
    if payloads.honeypot_filled(data):
        ident = payloads.client_id(data)
    else:
        ident = payloads.require_client_id(data)
        _check(widget, action, data)
    delivery, _ = store_delivery(
        kind=ChannelKind.WIDGET,
        source=widget.key,
        raw=raw,
        sender=str(visitor.pk),
        external_id=external_id(action, ident),
        remote_addr=remote_addr,
    )
    if delivery.status == DeliveryStatus.RECEIVED:
        process_delivery(delivery.pk)
        delivery.refresh_from_db()
    return delivery


def _check(widget: Widget, action: str, data: dict[str, Any]) -> None:
    if action == CONTACT:
        payloads.read_contact(data)
    elif action == CHAT:
        payloads.read_chat_message(data)
    else:
        request = payloads.read_callback(data, default_region=phone_region(widget))
        offered = {window.key for window in hours.callback_windows(widget_calendar(widget), timezone.now())}
        if request.window not in offered:
            raise payloads.PayloadError(
                "choose one of the call-back times offered", code="invalid_window", field="window"
            )
