"""A stored email becomes a desk message: parsed, threaded, and put on the right customer's timeline."""

from __future__ import annotations

from rapport.channels.email.addresses import mailbox_key
from rapport.channels.email.parsing import EmailParseError, ParsedEmail, parse_email
from rapport.channels.email.threading import find_thread
from rapport.channels.models import DeliveryStatus, InboundDelivery, Mailbox
from rapport.channels.protocol import Outcome, Unprocessable
from rapport.core.memo import remember
from rapport.customers.models import IdentityKind
from rapport.customers.services import find_or_create_customer
from rapport.desk.models import Channel, Conversation, Status
from rapport.desk.services.conversations import (
    MAX_PARTICIPANTS,
    AttachmentInput,
    desk_settings,
    open_conversation,
    receive_message,
    record_automatic_mail,
)

NOISE_LABELS = {"auto_reply": "Automatic reply", "bounce": "Delivery failure report"}
# Shown when a mail carries neither text nor attachments, so the customer's contact is not lost.
EMPTY_BODY = "(This email has no text.)"


def read_email(raw: bytes) -> ParsedEmail:
    """The part that needs no database, run before the batch's transaction opens."""
    try:
        parsed = parse_email(raw)
    except EmailParseError as error:
        raise Unprocessable(f"the email cannot be read: {error}") from error
    if not parsed.from_address:
        raise Unprocessable("the email has no sender address that can be read")
    return parsed


def process_email(delivery: InboundDelivery, parsed: ParsedEmail) -> Outcome:
    recipients = [*parsed.to, *parsed.cc, delivery.source]
    conversation = find_thread(
        sender=parsed.from_address,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        recipients=recipients,
        subject=parsed.subject,
    )
    if parsed.noise:
        return _automatic(parsed, conversation)
    attachments, skipped = _attachments(parsed)
    body = _body(parsed, skipped)
    if conversation is not None and conversation.status != Status.CLOSED:
        message = receive_message(
            conversation=conversation,
            body_text=body,
            attachments=attachments,
            sender=parsed.from_address,
            external_id=parsed.message_id,
        )
        return Outcome(conversation=conversation, message=message)
    customer, _ = find_or_create_customer(
        kind=IdentityKind.EMAIL, value=parsed.from_address, name=parsed.from_name
    )
    mailboxes = _mailboxes()
    mailbox = mailboxes.get(mailbox_key(delivery.source))
    conversation = open_conversation(
        actor=None,
        customer=customer,
        channel=Channel.EMAIL,
        subject=parsed.subject,
        body_text=body,
        attachments=attachments,
        team=mailbox.team if mailbox else None,
        participants=_others_in_copy(parsed, set(mailboxes)),
        sender=parsed.from_address,
        external_id=parsed.message_id,
    )
    return Outcome(conversation=conversation, message=conversation.messages.get())


def _mailboxes() -> dict[str, Mailbox]:
    return remember(
        "channels.mailboxes",
        lambda: {mailbox.address: mailbox for mailbox in Mailbox.objects.select_related("team")},
    )


def _automatic(parsed: ParsedEmail, conversation: Conversation | None) -> Outcome:
    label = NOISE_LABELS.get(parsed.noise, "Automatic mail")
    if conversation is None:
        return Outcome(
            status=DeliveryStatus.IGNORED, reason=f"{label} that answers no conversation; not answered"
        )
    record_automatic_mail(
        conversation=conversation,
        kind=parsed.noise,
        summary=f"{label} from {parsed.from_address}: {parsed.subject}"[:300],
        sender=parsed.from_address,
    )
    return Outcome(
        status=DeliveryStatus.IGNORED,
        conversation=conversation,
        reason=f"{label}: recorded on the conversation, not answered",
    )


def _attachments(parsed: ParsedEmail) -> tuple[list[AttachmentInput], list[str]]:
    """The attachments the desk accepts, and the names of those over its size limit."""
    if not parsed.attachments:
        return [], []
    limit = desk_settings().max_attachment_bytes
    kept: list[AttachmentInput] = []
    skipped: list[str] = []
    for item in parsed.attachments:
        if len(item.content) > limit:
            skipped.append(item.filename)
            continue
        kept.append(
            AttachmentInput(filename=item.filename, content_type=item.content_type, data=item.content)
        )
    return kept, skipped


def _body(parsed: ParsedEmail, skipped: list[str]) -> str:
    body = parsed.reply_text.strip() or parsed.text.strip()
    if skipped:
        # The raw message keeps them; the agent learns they exist and can download the original.
        note = "Attachments over the size limit are kept in the original email: " + ", ".join(skipped)
        body = f"{body}\n\n[{note}]" if body else f"[{note}]"
    if not body and not parsed.attachments:
        return EMPTY_BODY
    return body


def _others_in_copy(parsed: ParsedEmail, mailboxes: set[str]) -> list[str]:
    """People the customer wrote to besides us; a mass mailing keeps the first MAX_PARTICIPANTS."""
    addresses = [*parsed.to, *parsed.cc]
    others = [
        address
        for address in dict.fromkeys(addresses)
        if address and address != parsed.from_address and mailbox_key(address) not in mailboxes
    ]
    return others[:MAX_PARTICIPANTS]
