"""A stored widget request becomes desk records: a web-form conversation, a chat message, a call-back.

The delivery's source is the widget key, its sender the visitor's id, and its external id
"<action>:<client uuid>": the endpoint, not the browser, names the action, so a body posted to the
contact form is never processed as anything else. The body is read again with the endpoint's own
checks (payloads.py); whatever fails them here was tampered with and is quarantined.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.db import transaction

from rapport.channels.models import ChatSession, ChatVisitor, DeliveryStatus, InboundDelivery, Widget
from rapport.channels.protocol import Outcome, Unprocessable
from rapport.channels.widget import hours, payloads
from rapport.channels.widget.visitors import chat_is_open, current_session
from rapport.core.normalise import format_phone_for_display
from rapport.customers.models import Customer, IdentityKind
from rapport.customers.services import create_customer, find_or_create_customer
from rapport.desk.business_hours import Calendar, around_the_clock
from rapport.desk.models import Channel
from rapport.desk.services.conversations import open_conversation, receive_message
from rapport.desk.services.sla import set_first_response_due

CONTACT, CHAT, CALLBACK = "contact", "chat", "callback"
ACTIONS = frozenset({CONTACT, CHAT, CALLBACK})
CALLBACK_TAG = "callback"
ANONYMOUS_NAME = "Web visitor"


def external_id(action: str, client_id: str) -> str:
    return f"{action}:{client_id}"


def widget_calendar(widget: Widget) -> Calendar:
    return widget.calendar.as_calendar() if widget.calendar is not None else around_the_clock()


def phone_region(widget: Widget) -> str:
    """Numbers typed without a country code are read as local to the company's own number."""
    if widget.phone_number:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(widget.phone_number, None))
        except phonenumbers.NumberParseException:
            region = None
        if region:
            return str(region)
    return str(getattr(settings, "RAPPORT_DEFAULT_PHONE_REGION", ""))


def process_widget(delivery: InboundDelivery) -> Outcome:
    action = delivery.external_id.partition(":")[0]
    if action not in ACTIONS:
        raise Unprocessable(f"unknown widget action {action!r}")
    widget = Widget.objects.select_related("team", "calendar").filter(key=delivery.source).first()
    if widget is None:
        raise Unprocessable(f"no widget has the key {delivery.source!r}")
    visitor = (
        ChatVisitor.objects.filter(pk=int(delivery.sender), widget=widget).first()
        if delivery.sender.isdigit()
        else None
    )
    if visitor is None:
        raise Unprocessable("the visitor who sent this is not known to the widget")
    try:
        data = payloads.read_json(bytes(delivery.raw))
        if payloads.honeypot_filled(data):
            return Outcome(
                status=DeliveryStatus.IGNORED,
                reason="the hidden field people never see was filled in: sent by a robot; not processed",
            )
        if action == CONTACT:
            return _contact(widget, visitor, payloads.read_contact(data), delivery.external_id)
        if action == CHAT:
            return _chat(widget, visitor, payloads.read_chat_message(data), delivery.external_id)
        request = payloads.read_callback(data, default_region=phone_region(widget))
        return _callback(widget, visitor, request, delivery.external_id)
    except payloads.PayloadError as error:
        raise Unprocessable(f"the widget request is not valid: {error.detail}") from error


def _live(customer: Customer) -> Customer:
    # Merges move everything to the survivor; the visitor keeps pointing at the old record.
    while customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def _customer(visitor: ChatVisitor, *, email: str, name: str, phone: str = "") -> Customer:
    """Who the visitor is: the host site's signed identity first, then an address they typed.

    A typed address is what any email sender could claim too: it files the contact on that
    customer, and the visitor still reads only the conversations they started themselves.
    """
    if visitor.email_verified and visitor.email:
        customer, _ = find_or_create_customer(kind=IdentityKind.EMAIL, value=visitor.email, name=name)
    elif email:
        customer, _ = find_or_create_customer(kind=IdentityKind.EMAIL, value=email, name=name)
        visitor.email = email
    elif visitor.customer is not None:
        customer = visitor.customer
    elif phone:
        customer, _ = find_or_create_customer(kind=IdentityKind.PHONE, value=phone, name=name)
    else:
        customer = create_customer(actor=None, name=name or ANONYMOUS_NAME)
    customer = _live(customer)
    visitor.customer = customer
    if name and not visitor.name:
        visitor.name = name
    visitor.save(update_fields=["customer", "email", "name"])
    return customer


def _contact(widget: Widget, visitor: ChatVisitor, form: payloads.ContactForm, ident: str) -> Outcome:
    customer = _customer(visitor, email=form.email, name=form.name)
    conversation = open_conversation(
        actor=None,
        customer=customer,
        channel=Channel.WEB,
        body_text=form.message,
        team=widget.team,
        sender=visitor.email if visitor.email_verified else form.email,
        external_id=ident,
    )
    return Outcome(conversation=conversation, message=conversation.messages.get())


def _chat(widget: Widget, visitor: ChatVisitor, chat: payloads.ChatMessage, ident: str) -> Outcome:
    session = current_session(visitor)
    if session is not None and chat_is_open(session):
        message = receive_message(
            conversation=session.conversation, body_text=chat.text, sender=visitor.email, external_id=ident
        )
        ChatSession.objects.filter(pk=session.pk).update(visitor_typing_at=None)
        return Outcome(conversation=session.conversation, message=message)
    customer = _customer(visitor, email=chat.email, name=chat.name)
    conversation = open_conversation(
        actor=None,
        customer=customer,
        channel=Channel.CHAT,
        body_text=chat.text,
        team=widget.team,
        sender=visitor.email,
        external_id=ident,
    )
    ChatSession.objects.create(visitor=visitor, conversation=conversation, created_at=conversation.created_at)
    return Outcome(conversation=conversation, message=conversation.messages.get())


def _callback(widget: Widget, visitor: ChatVisitor, request: payloads.CallbackRequest, ident: str) -> Outcome:
    calendar = widget_calendar(widget)
    try:
        window = hours.parse_window(calendar, request.window)
    except ValueError as error:
        raise Unprocessable(f"the call-back window {request.window!r} cannot be used: {error}") from None
    customer = _customer(visitor, email=request.email, name=request.name, phone=request.number)
    zone = calendar.zone
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    number = format_phone_for_display(request.number)
    when = f"between {start:%H:%M} and {end:%H:%M}"
    day = f"{start:%A} {start.day} {start:%B}"
    body = f"Please call me back on {number} {when} on {day} ({calendar.time_zone})."
    if request.note:
        body = f"{body}\n\n{request.note}"
    with transaction.atomic():
        conversation = open_conversation(
            actor=None,
            customer=customer,
            channel=Channel.PHONE,
            subject=f"Call back {request.number} {when} on {start:%a} {start.day} {start:%b}",
            body_text=body,
            tags=[CALLBACK_TAG],
            team=widget.team,
            sender=request.number,
            external_id=ident,
        )
        # The promise is the window itself: near breach when it opens, breached when it has passed.
        conversation = set_first_response_due(
            conversation=conversation, due_at=window.end, warn_at=window.start
        )
    return Outcome(conversation=conversation, message=conversation.messages.get())
