"""Agent replies on email conversations leave by SMTP, from the mailbox the customer wrote to.

The reply is recorded (an OutboundEmail row with its Message-ID) in the reply's own transaction, and
sent by a task after the commit, so a reply that fails to save is never sent and a crash after the
commit leaves a queued row that the clock's sweep sends. A send that fails is tried again with a
growing delay; after MAX_ATTEMPTS the reply is marked failed on the thread, where an agent can send
it again. The Message-ID is stored as the desk message's external id, so the customer's answer
(In-Reply-To) threads back to the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.channels.email.addresses import reply_address, strip_angle_brackets
from rapport.channels.models import ChannelKind, InboundDelivery, Mailbox, OutboundEmail, SendStatus
from rapport.core.errors import Conflict
from rapport.customers.models import Identity, IdentityKind
from rapport.desk import blobs
from rapport.desk.models import Channel, Conversation, Message, MessageKind
from rapport.desk.outbound import DeliveryState
from rapport.desk.services.conversations import record_automatic_mail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Delay before attempt n+1 is RETRY_BASE * 4**(n-1): 1, 4, 16, 64 minutes.
RETRY_BASE = timedelta(minutes=1)
# A queued reply untouched this long lost its task; the sweep sends it.
STALE_AFTER = timedelta(minutes=10)
MAX_REFERENCES = 20


class SendFailed(Exception):
    """The reply cannot be sent as it stands (no address, no mailbox): retrying will not help."""


def record_reply(message: Message) -> None:
    """Dispatch hook (desk.outbound): give the reply its Message-ID and queue it after the commit."""
    conversation = message.conversation
    mailbox = _mailbox_for(conversation)
    domain = (mailbox.address if mailbox else "rapport.invalid").rpartition("@")[2]
    header_id = strip_angle_brackets(make_msgid(domain=domain))
    outbound = OutboundEmail.objects.create(
        message=message, mailbox=mailbox, header_message_id=header_id, queued_at=timezone.now()
    )
    Message.objects.filter(pk=message.pk).update(external_id=header_id)
    message.external_id = header_id
    transaction.on_commit(lambda: _enqueue(outbound.pk))


def _enqueue(outbound_id: int, *, at: datetime | None = None) -> None:
    from rapport.channels.tasks import send_outbound_email_task

    try:
        task = send_outbound_email_task.using(run_after=at) if at is not None else send_outbound_email_task
        task.enqueue(outbound_id)
    except Exception:
        logger.exception("could not queue outbound email %s; the sweep will send it", outbound_id)


def _mailbox_for(conversation: Conversation) -> Mailbox | None:
    """The mailbox the customer last wrote to, else their team's, else the first active one."""
    source = (
        InboundDelivery.objects.filter(conversation=conversation, kind=ChannelKind.EMAIL)
        .order_by("-id")
        .values_list("source", flat=True)
        .first()
    )
    mailboxes = Mailbox.objects.filter(is_active=True)
    return (
        (mailboxes.filter(address=source).first() if source else None)
        or (mailboxes.filter(team_id=conversation.team_id).first() if conversation.team_id else None)
        or mailboxes.order_by("pk").first()
    )


def _recipient(conversation: Conversation) -> str:
    last_sender = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.INBOUND)
        .exclude(sender="")
        .order_by("-created_at", "-id")
        .values_list("sender", flat=True)
        .first()
    )
    if last_sender:
        return last_sender
    identity = Identity.objects.filter(customer_id=conversation.customer_id, kind=IdentityKind.EMAIL).first()
    if identity is None:
        raise SendFailed("the customer has no email address")
    return identity.value


def _thread_ids(conversation: Conversation, before: Message) -> list[str]:
    ids = (
        Message.objects.filter(
            conversation=conversation, channel=Channel.EMAIL, created_at__lte=before.created_at
        )
        .exclude(pk=before.pk)
        .exclude(external_id="")
        .exclude(kind=MessageKind.NOTE)
        .order_by("created_at", "id")
        .values_list("external_id", flat=True)
    )
    return list(ids)[-MAX_REFERENCES:]


def build_email(outbound: OutboundEmail) -> EmailMultiAlternatives:
    message = outbound.message
    conversation = message.conversation
    mailbox = outbound.mailbox
    if mailbox is None:
        raise SendFailed("no mailbox is configured to send from")
    references = _thread_ids(conversation, message)
    headers = {"Message-ID": f"<{outbound.header_message_id}>"}
    if references:
        headers["In-Reply-To"] = f"<{references[-1]}>"
        headers["References"] = " ".join(f"<{ident}>" for ident in references)
    subject = conversation.subject or "Your message"
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    email = EmailMultiAlternatives(
        subject=subject,
        body=message.body_text,
        from_email=formataddr((mailbox.name, mailbox.address)),
        to=[_recipient(conversation)],
        cc=list(conversation.participants),
        reply_to=[reply_address(mailbox.address, conversation.token)],
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, blobs.read_blob(attachment.sha256), attachment.content_type)
    return email


def send_outbound(outbound_id: int) -> str:
    """Send one queued reply. The claim (attempts + 1 where it was) keeps two workers from both sending."""
    outbound = (
        OutboundEmail.objects.select_related("message__conversation", "mailbox")
        .filter(pk=outbound_id)
        .first()
    )
    if outbound is None or outbound.status != SendStatus.QUEUED:
        return outbound.status if outbound else "missing"
    claimed = OutboundEmail.objects.filter(
        pk=outbound_id, status=SendStatus.QUEUED, attempts=outbound.attempts
    ).update(attempts=F("attempts") + 1, queued_at=timezone.now())
    if not claimed:
        return SendStatus.QUEUED
    attempt = outbound.attempts + 1
    try:
        email = build_email(outbound)
        email.connection = get_connection(fail_silently=False)
        email.send()
    except SendFailed as error:
        return _fail(outbound, str(error))
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"[:500]
        if attempt >= MAX_ATTEMPTS:
            return _fail(outbound, detail)
        retry_at = timezone.now() + RETRY_BASE * 4 ** (attempt - 1)
        # The row stays queued with its next attempt's time, so the sweep also finds it.
        OutboundEmail.objects.filter(pk=outbound_id).update(last_error=detail, queued_at=retry_at)
        _enqueue(outbound_id, at=retry_at)
        return SendStatus.QUEUED
    OutboundEmail.objects.filter(pk=outbound_id).update(
        status=SendStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return SendStatus.SENT


def _fail(outbound: OutboundEmail, detail: str) -> str:
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=outbound.pk).update(status=SendStatus.FAILED, last_error=detail)
        record_automatic_mail(
            conversation=outbound.message.conversation,
            kind="send_failed",
            summary=f"A reply could not be sent by email: {detail}"[:300],
            sender=outbound.mailbox.address if outbound.mailbox else "",
        )
    return SendStatus.FAILED


def retry_outbound(*, actor: Actor, outbound: OutboundEmail) -> None:
    """An agent sends a failed reply again (after fixing the customer's address, say)."""
    actor.require(Perm.DESK_WORK)
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=outbound.pk, status=SendStatus.FAILED).update(
            status=SendStatus.QUEUED, attempts=0, last_error="", queued_at=timezone.now()
        )
        if not updated:
            raise Conflict("only a reply that failed can be sent again", code="not_failed")
        if outbound.mailbox is None:
            OutboundEmail.objects.filter(pk=outbound.pk).update(
                mailbox=_mailbox_for(outbound.message.conversation)
            )
        transaction.on_commit(lambda: _enqueue(outbound.pk))


def send_stale_outbound(*, now: datetime, limit: int = 200) -> int:
    """Queued replies whose task was lost or whose retry time has come; run by the clock."""
    due = list(
        OutboundEmail.objects.filter(status=SendStatus.QUEUED, queued_at__lt=now - STALE_AFTER)
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )
    for outbound_id in due:
        send_outbound(outbound_id)
    return len(due)


def delivery_states(messages: Sequence[Message]) -> dict[int, DeliveryState]:
    """States hook (desk.outbound): what the thread shows under each emailed reply."""
    rows = OutboundEmail.objects.filter(message_id__in=[message.pk for message in messages])
    states: dict[int, DeliveryState] = {}
    for row in rows:
        if row.status == SendStatus.SENT:
            states[row.message_id] = DeliveryState(label="Sent by email")
        elif row.status == SendStatus.FAILED:
            states[row.message_id] = DeliveryState(
                label="Not sent",
                failed=True,
                detail=row.last_error,
                retry_url=reverse("channels:outbound_retry", args=[row.pk]),
            )
        else:
            detail = (
                f"attempt {row.attempts} failed ({row.last_error}), trying again" if row.last_error else ""
            )
            states[row.message_id] = DeliveryState(label="Sending by email…", detail=detail)
    return states
