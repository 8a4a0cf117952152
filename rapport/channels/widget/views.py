"""The widget's public endpoints: its script, its settings, visitors, the form, chat and call-backs.

Each write of a visitor's words goes through intake.accept_request (raw body committed first, then
processed at once); the guards every endpoint shares (origin, CORS, sizes, errors) are in http.py.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from rapport.channels.client import client_address
from rapport.channels.models import ChatVisitor, DeliveryStatus, InboundDelivery, Widget
from rapport.channels.widget import hours, payloads
from rapport.channels.widget.http import (
    VISITOR_HEADER,
    error_response,
    json_body,
    public_endpoint,
    require_visitor,
)
from rapport.channels.widget.identity import IdentityRefused, read_identity, verify_identity
from rapport.channels.widget.ingest import CALLBACK, CHAT, CONTACT, widget_calendar
from rapport.channels.widget.intake import accept_request
from rapport.channels.widget.ratelimit import IP_WRITES, VISITOR_MESSAGES, VISITOR_TYPING, check_rate
from rapport.channels.widget.visitors import (
    agent_typing,
    chat_is_open,
    current_session,
    messages_for_visitor,
    public_name,
    record_poll,
    set_visitor_typing,
    start_visitor,
    verify_visitor_email,
    visitor_for_token,
)
from rapport.core.normalise import format_phone_for_display
from rapport.desk.models import Message, MessageKind

SCRIPT = "rapport/widget.js"


@cache
def _script_source() -> bytes:
    path = finders.find(SCRIPT)
    if not path:
        raise FileNotFoundError(SCRIPT)
    with open(str(path), "rb") as handle:
        return handle.read()


@require_GET
def widget_script(request: HttpRequest, key: str) -> HttpResponse:
    """The one file a host page loads; it finds its widget key and our address in its own src."""
    if not Widget.objects.filter(key=key, is_active=True).exists():
        raise Http404("no such widget")
    response = HttpResponse(_script_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    # Host pages that isolate themselves (COEP) may still load it.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _config(widget: Widget, now: datetime) -> dict[str, Any]:
    calendar = widget_calendar(widget)
    is_open = hours.open_now(calendar, now)
    phone = None
    if widget.phone_number:
        phone = {
            "number": widget.phone_number,
            "display": format_phone_for_display(widget.phone_number),
            "href": f"tel:{widget.phone_number}",
        }
    return {
        "name": widget.name,
        "phone": phone,
        "hours": {
            "time_zone": calendar.time_zone,
            "open_now": is_open,
            "next_open": None if is_open else hours.next_opening(calendar, now).isoformat(),
            "days": [{"day": day.day, "hours": day.hours} for day in hours.opening_days(calendar)],
        },
        "callback_windows": [
            {"key": window.key, "day": window.day_label, "label": window.label}
            for window in hours.callback_windows(calendar, now)
        ],
        "limits": {"text": payloads.MAX_TEXT},
    }


@public_endpoint("GET")
def widget_config(request: HttpRequest, widget: Widget) -> HttpResponse:
    return JsonResponse(_config(widget, timezone.now()))


def _visitor_state(visitor: ChatVisitor) -> dict[str, Any]:
    session = current_session(visitor)
    return {
        "name": visitor.name,
        "email": visitor.email,
        "verified": visitor.email_verified,
        "chat_open": chat_is_open(session),
    }


@public_endpoint("POST")
def widget_session(request: HttpRequest, widget: Widget) -> HttpResponse:
    """A visitor for this browser (new, or the one its token names), and who the host site says it is."""
    now = timezone.now()
    data = json_body(request)
    visitor = visitor_for_token(widget, request.headers.get(VISITOR_HEADER, ""))
    token = ""
    if visitor is None:
        check_rate(limit=IP_WRITES, key=client_address(request), now=now)
        visitor, token = start_visitor(widget=widget, now=now)
    identity = "none"
    if data.get("identity"):
        try:
            email = verify_identity(read_identity(data["identity"]), secret=widget.identity_secret, now=now)
            verify_visitor_email(visitor=visitor, email=email)
            identity = "verified"
        except IdentityRefused as refused:
            identity = refused.code
        except payloads.PayloadError:
            identity = "malformed"
    body = {"visitor": _visitor_state(visitor), "identity": identity}
    if token:
        body["token"] = token
    return JsonResponse(body, status=201 if token else 200)


def _accept(request: HttpRequest, widget: Widget, action: str, visitor: ChatVisitor) -> InboundDelivery:
    return accept_request(
        widget=widget,
        visitor=visitor,
        action=action,
        raw=bytes(request.body),
        remote_addr=client_address(request),
    )


def _limit_writes(request: HttpRequest, visitor: ChatVisitor) -> None:
    now = timezone.now()
    check_rate(limit=IP_WRITES, key=client_address(request), now=now)
    check_rate(limit=VISITOR_MESSAGES, key=str(visitor.pk), now=now)


def _accepted(delivery: InboundDelivery, **extra: Any) -> JsonResponse:
    # Quarantined or ignored deliveries are kept and shown to staff; the visitor hears "received".
    status = "processed" if delivery.status == DeliveryStatus.PROCESSED else "received"
    return JsonResponse({"status": status, **extra}, status=202)


def _message(message: Message) -> dict[str, Any]:
    inbound = message.kind == MessageKind.INBOUND
    prefix = f"{CHAT}:"
    return {
        "id": message.pk,
        "from": "visitor" if inbound else "agent",
        "author": "" if inbound else public_name(message),
        "text": message.body_text,
        "at": message.created_at.isoformat(),
        "client_id": message.external_id.removeprefix(prefix) if inbound else "",
    }


@public_endpoint("POST")
def widget_contact(request: HttpRequest, widget: Widget) -> HttpResponse:
    visitor = require_visitor(request, widget)
    _limit_writes(request, visitor)
    return _accepted(_accept(request, widget, CONTACT, visitor))


def _chat_response(delivery: InboundDelivery) -> JsonResponse:
    message = (
        Message.objects.select_related("author").filter(pk=delivery.message_id).first()
        if delivery.message_id
        else None
    )
    return _accepted(delivery, message=_message(message) if message is not None else None)


@public_endpoint("POST")
def widget_chat_start(request: HttpRequest, widget: Widget) -> HttpResponse:
    """The first message of a chat (with a name and an address, when the visitor gives them)."""
    visitor = require_visitor(request, widget)
    _limit_writes(request, visitor)
    return _chat_response(_accept(request, widget, CHAT, visitor))


@public_endpoint("POST")
def widget_chat_send(request: HttpRequest, widget: Widget) -> HttpResponse:
    visitor = require_visitor(request, widget)
    _limit_writes(request, visitor)
    if not chat_is_open(current_session(visitor)):
        return error_response(409, "no_chat", "this chat has ended; start a new one")
    return _chat_response(_accept(request, widget, CHAT, visitor))


@public_endpoint("POST")
def widget_chat_poll(request: HttpRequest, widget: Widget) -> HttpResponse:
    """Messages after the cursor in the visitor's own chats, and whether an agent is typing."""
    visitor = require_visitor(request, widget)
    after = json_body(request).get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise payloads.PayloadError("after must be a message id (0 for all)", status=400, field="after")
    now = timezone.now()
    delivered = messages_for_visitor(visitor, after=after)
    record_poll(visitor=visitor, delivered=delivered, now=now)
    session = current_session(visitor)
    typing = agent_typing(session, now=now) if chat_is_open(session) else None
    return JsonResponse(
        {
            "messages": [_message(message) for message in delivered],
            "cursor": delivered[-1].pk if delivered else after,
            "agent_typing": typing.name if typing else None,
            "chat_open": chat_is_open(session),
        }
    )


@public_endpoint("POST")
def widget_chat_typing(request: HttpRequest, widget: Widget) -> HttpResponse:
    visitor = require_visitor(request, widget)
    now = timezone.now()
    check_rate(limit=VISITOR_TYPING, key=str(visitor.pk), now=now)
    set_visitor_typing(visitor=visitor, typing=json_body(request).get("typing") is True, now=now)
    return HttpResponse(status=204)


@public_endpoint("POST")
def widget_callback(request: HttpRequest, widget: Widget) -> HttpResponse:
    visitor = require_visitor(request, widget)
    _limit_writes(request, visitor)
    return _accepted(_accept(request, widget, CALLBACK, visitor))
