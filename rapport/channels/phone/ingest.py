"""A stored call event becomes a message on the customer's phone conversation, once per call.

Providers report a call several times (ringing, answered, completed; a retry of any). The PhoneCall
row, unique on the provider's call id and locked while a report is applied, collects them; the
message is written by the first report that says the call has ended, and later reports only fill
in what was missing (a recording link that came afterwards).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import CallDirection, CallStatus, DeliveryStatus, InboundDelivery, PhoneCall
from rapport.channels.phone.payloads import CallEvent, PayloadError, parse_call_json, parse_twilio_form
from rapport.channels.protocol import Outcome, Unprocessable
from rapport.core.errors import ValidationFailed
from rapport.core.normalise import looks_like_phone, normalise_phone
from rapport.customers.models import Customer, IdentityKind
from rapport.customers.services import find_or_create_customer
from rapport.desk.models import ACTIVE_STATUSES, Channel, Conversation, Message, MessageKind, Priority
from rapport.desk.services.conversations import open_conversation, receive_message, reply

# InboundDelivery.source of each endpoint: which parser reads the stored body.
JSON_SOURCE = "json"
TWILIO_SOURCE = "twilio"

CALLBACK_TAG = "callback"
# A call continues the customer's phone conversation when it was active in this window.
RECENT = timedelta(hours=24)
# An inbound call nobody answered: somebody has to call back.
MISSED_INBOUND = frozenset({CallStatus.MISSED, CallStatus.VOICEMAIL, CallStatus.BUSY})


def process_phone(delivery: InboundDelivery) -> Outcome:
    event = _read(delivery)
    number = _customer_number(event)
    if number is None:
        return Outcome(
            status=DeliveryStatus.IGNORED,
            reason=f"the other party's number is withheld or not a telephone number "
            f"({event.customer_number[:64]!r}); no customer to put the call on",
        )
    customer, _ = find_or_create_customer(kind=IdentityKind.PHONE, value=number)
    agent = _active_staff(event.agent_email)
    call = _locked_call(event, provider=delivery.source, number=number, customer=customer)
    if call.message_id is not None:
        _fill_missing(call, event, agent)
        return Outcome(
            status=DeliveryStatus.IGNORED,
            conversation=call.conversation,
            message=call.message,
            reason=f"call {call.call_id} was already recorded; details it lacked were filled in",
        )
    _apply(call, event, agent)
    if not event.has_ended:
        call.save()
        return Outcome(reason="the call is in progress; its message is written when it ends")
    conversation, message = _write_message(call, customer=customer, agent=agent)
    call.conversation, call.message = conversation, message
    call.save()
    return Outcome(conversation=conversation, message=message)


def _read(delivery: InboundDelivery) -> CallEvent:
    raw = bytes(delivery.raw)
    try:
        if delivery.source == TWILIO_SOURCE:
            return parse_twilio_form(raw)
        return parse_call_json(raw)
    except PayloadError as error:
        raise Unprocessable(f"the call event cannot be read: {error}") from error


def _customer_number(event: CallEvent) -> str | None:
    """E.164 of the far end, or None when there is no number to reach (withheld, a SIP address)."""
    raw = event.customer_number
    if not looks_like_phone(raw):
        return None
    region = getattr(settings, "RAPPORT_DEFAULT_PHONE_REGION", "") or None
    try:
        return normalise_phone(raw, default_region=region)
    except ValidationFailed:
        # Carriers use impossible numbers for withheld callers (Twilio's +266696687, say).
        return None


def _active_staff(email: str) -> User | None:
    if not email:
        return None
    return User.objects.filter(email__iexact=email, is_active=True).first()


def _locked_call(event: CallEvent, *, provider: str, number: str, customer: Customer) -> PhoneCall:
    """The call's row, locked for this transaction; created by the first report that arrives."""
    existing = PhoneCall.objects.select_for_update().filter(call_id=event.call_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PhoneCall.objects.create(
                call_id=event.call_id,
                provider=provider,
                direction=event.direction,
                customer_number=number,
                customer=customer,
                from_number=event.from_number,
                to_number=event.to_number,
            )
    except IntegrityError:
        # Another report of the same call was being processed at the same moment; it created the row
        # (and committed, or the insert would still wait), so take its lock and apply this one after.
        return PhoneCall.objects.select_for_update().get(call_id=event.call_id)


def _apply(call: PhoneCall, event: CallEvent, agent: User | None) -> None:
    call.status = event.status
    call.started_at = event.started_at or call.started_at or timezone.now()
    call.ended_at = event.ended_at or call.ended_at
    call.duration_seconds = event.duration_seconds or call.duration_seconds
    call.recording_url = event.recording_url or call.recording_url
    call.agent = agent or call.agent
    call.agent_email = event.agent_email[:254] or call.agent_email
    call.updated_at = timezone.now()


def _fill_missing(call: PhoneCall, event: CallEvent, agent: User | None) -> None:
    # The message was written from an ended report; a late or out-of-order report never takes the
    # call back to "in progress" nor contradicts the message, it only completes the record.
    call.recording_url = call.recording_url or event.recording_url
    call.duration_seconds = call.duration_seconds or event.duration_seconds
    call.ended_at = call.ended_at or event.ended_at
    call.agent = call.agent or agent
    call.agent_email = call.agent_email or event.agent_email[:254]
    call.updated_at = timezone.now()
    call.save()


def spoken_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min {secs} s"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def call_summary(
    *, direction: str, status: str, duration_seconds: int, agent: str, recording_url: str
) -> str:
    """The message text of a call: "Inbound call, 4 min 12 s, answered by Ana", and its recording."""
    inbound = direction == CallDirection.INBOUND
    parts = ["Inbound call" if inbound else "Outbound call"]
    if status == CallStatus.ANSWERED:
        parts.append(spoken_duration(duration_seconds))
    elif status == CallStatus.VOICEMAIL:
        parts.append(f"voicemail ({spoken_duration(duration_seconds)})" if duration_seconds else "voicemail")
    elif status == CallStatus.MISSED:
        parts.append("missed" if inbound else "not answered")
    elif status == CallStatus.BUSY:
        parts.append("line busy")
    else:
        parts.append("failed")
    if agent and not inbound:
        parts.append(f"made by {agent}")
    elif agent and status == CallStatus.ANSWERED:
        parts.append(f"answered by {agent}")
    text = ", ".join(parts)
    return f"{text}\nRecording: {recording_url}" if recording_url else text


def _recent_phone_conversation(customer: Customer, *, callback_only: bool) -> Conversation | None:
    recent = Conversation.objects.filter(
        customer=customer,
        channel=Channel.PHONE,
        status__in=ACTIVE_STATUSES,
        merged_into__isnull=True,
        last_message_at__gte=timezone.now() - RECENT,
    )
    if callback_only:
        recent = recent.filter(tags__name=CALLBACK_TAG)
    return recent.order_by("-last_message_at", "-id").first()


def _agent_actor(agent: User | None) -> Actor | None:
    """The agent on the call, as who spoke for the company, when their role lets them work the desk."""
    if agent is None:
        return None
    actor = Actor(user=agent, via="system")
    return actor if actor.can(Perm.DESK_WORK) else None


def _write_message(
    call: PhoneCall, *, customer: Customer, agent: User | None
) -> tuple[Conversation, Message]:
    body = call_summary(
        direction=call.direction,
        status=call.status,
        duration_seconds=call.duration_seconds,
        agent=agent.display_name if agent is not None else call.agent_email,
        recording_url=call.recording_url,
    )
    number = call.customer_number
    if call.direction == CallDirection.OUTBOUND:
        return _outbound(call, customer=customer, body=body, actor=_agent_actor(agent))
    if call.status in MISSED_INBOUND:
        # Repeated attempts within a day add to the one callback already waiting.
        conversation = _recent_phone_conversation(customer, callback_only=True)
        if conversation is None:
            conversation = open_conversation(
                actor=None,
                customer=customer,
                channel=Channel.PHONE,
                subject=f"Missed call from {number}",
                body_text=body,
                priority=Priority.HIGH,
                tags=[CALLBACK_TAG],
                sender=number,
                external_id=call.call_id,
            )
            return conversation, conversation.messages.get()
    else:
        conversation = _recent_phone_conversation(customer, callback_only=False)
    if conversation is None:
        conversation = open_conversation(
            actor=None,
            customer=customer,
            channel=Channel.PHONE,
            subject=f"Call from {number}",
            body_text=body,
            sender=number,
            external_id=call.call_id,
        )
        return conversation, conversation.messages.get()
    message = receive_message(
        conversation=conversation, body_text=body, sender=number, external_id=call.call_id
    )
    return conversation, message


def _outbound(
    call: PhoneCall, *, customer: Customer, body: str, actor: Actor | None
) -> tuple[Conversation, Message]:
    """A call the company made: a reply on the recent phone conversation (calling back answers a
    callback), or a conversation the company opened."""
    conversation = _recent_phone_conversation(customer, callback_only=False)
    if conversation is not None and actor is not None:
        message = reply(actor=actor, conversation=conversation, body_text=body)
        return conversation, message
    # Without a member of staff to speak for the company the desk cannot add a reply to an existing
    # conversation, so the call opens its own (already answered: the company spoke first).
    conversation = open_conversation(
        actor=actor,
        customer=customer,
        channel=Channel.PHONE,
        subject=f"Call to {call.customer_number}",
        body_text=body,
        first_message=MessageKind.OUTBOUND,
        external_id=call.call_id,
    )
    return conversation, conversation.messages.get()
