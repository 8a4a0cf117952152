"""A stored email becomes a desk message: parsed, threaded, and put on the right customer's timeline."""

from __future__ import annotations

from collections.abc import Sequence

from rapport.channels.email.addresses import mailbox_key
from rapport.channels.email.parsing import EmailParseError, ParsedEmail, parse_email
from rapport.channels.email.threading import ThreadQuery, find_threads
from rapport.channels.models import DeliveryStatus, InboundDelivery, Mailbox
from rapport.channels.protocol import Outcome, Unprocessable
from rapport.core.memo import remember
from rapport.customers.models import IdentityKind
from rapport.customers.services import find_or_create_customers
from rapport.desk.blobs import store_blob
from rapport.desk.models import Channel, Conversation, Message, Status
from rapport.desk.services.conversations import (
    MAX_PARTICIPANTS,
    MAX_SUBJECT,
    AttachmentInput,
    desk_settings,
    record_automatic_mail,
)
from rapport.desk.services.intake import (
    InboundReply,
    NewInbound,
    open_inbound_conversations,
    receive_inbound_messages,
)

NOISE_LABELS = {"auto_reply": "Automatic reply", "bounce": "Delivery failure report"}
# Shown when a mail carries neither text nor attachments, so the customer's contact is not lost.
EMPTY_BODY = "(This email has no text.)"


def read_email(raw: bytes) -> ParsedEmail:
    """What needs no transaction, done before the batch's opens: the parse, and the attachments' files.

    Writing a file (with its fsync) inside the transaction would hold SQLite's one write lock while the
    disk syncs. Files are named by their content, so one whose mail then fails is only left unused,
    and the mail's next try finds it there.
    """
    try:
        parsed = parse_email(raw)
    except EmailParseError as error:
        raise Unprocessable(f"the email cannot be read: {error}") from error
    if not parsed.from_address:
        raise Unprocessable("the email has no sender address that can be read")
    if parsed.attachments and not parsed.noise:
        limit = desk_settings().max_attachment_bytes
        for item in parsed.attachments:
            if len(item.content) <= limit:
                store_blob(item.content)
    return parsed


def process_email(delivery: InboundDelivery, parsed: ParsedEmail) -> Outcome:
    return process_emails([(delivery, parsed)])[0]


def process_emails(batch: Sequence[tuple[InboundDelivery, ParsedEmail]]) -> list[Outcome]:
    """Thread each mail, find or create its sender, and write it to the desk; outcomes in batch order.

    A batch is written in bulk (threads found together, new senders created together, messages
    inserted together). A mail that answers another in the same batch must see that one written
    first, so the batch is cut into runs that answer nothing earlier in the run.
    """
    outcomes: list[Outcome] = []
    for run in _independent_runs(batch):
        outcomes.extend(_process_run(run))
    return outcomes


def _independent_runs(
    batch: Sequence[tuple[InboundDelivery, ParsedEmail]],
) -> list[list[tuple[InboundDelivery, ParsedEmail]]]:
    runs: list[list[tuple[InboundDelivery, ParsedEmail]]] = []
    seen: set[str] = set()
    for item in batch:
        parsed = item[1]
        answers = {*parsed.in_reply_to, *parsed.references}
        if not runs or answers & seen:
            runs.append([])
            seen = set()
        runs[-1].append(item)
        if parsed.message_id:
            seen.add(parsed.message_id)
    return runs


def _process_run(run: list[tuple[InboundDelivery, ParsedEmail]]) -> list[Outcome]:
    threads = find_threads(
        [
            ThreadQuery(
                sender=parsed.from_address,
                in_reply_to=parsed.in_reply_to,
                references=parsed.references,
                recipients=[*parsed.to, *parsed.cc, delivery.source],
                subject=parsed.subject,
            )
            for delivery, parsed in run
        ]
    )
    outcomes: dict[int, Outcome] = {}
    replies: list[tuple[int, InboundReply]] = []
    firsts: list[tuple[int, ParsedEmail, str, list[AttachmentInput], str]] = []
    for position, ((delivery, parsed), conversation) in enumerate(zip(run, threads, strict=True)):
        if parsed.noise:
            outcomes[position] = _automatic(parsed, conversation)
            continue
        attachments, skipped = _attachments(parsed)
        body = _body(parsed, skipped)
        if conversation is not None and conversation.status != Status.CLOSED:
            replies.append(
                (
                    position,
                    InboundReply(
                        conversation_id=conversation.pk,
                        body_text=body,
                        attachments=attachments,
                        sender=parsed.from_address,
                        external_id=parsed.message_id,
                    ),
                )
            )
        else:
            firsts.append((position, parsed, body, attachments, delivery.source))
    messages = receive_inbound_messages([reply for _, reply in replies])
    for (position, _), message in zip(replies, messages, strict=True):
        outcomes[position] = Outcome(conversation=message.conversation, message=message)
    for position, (conversation, message) in zip(
        [first[0] for first in firsts], _open_conversations(firsts), strict=True
    ):
        outcomes[position] = Outcome(conversation=conversation, message=message)
    return [outcomes[position] for position in range(len(run))]


def _open_conversations(
    firsts: list[tuple[int, ParsedEmail, str, list[AttachmentInput], str]],
) -> list[tuple[Conversation, Message]]:
    if not firsts:
        return []
    customers = find_or_create_customers(
        kind=IdentityKind.EMAIL, people=[(parsed.from_address, parsed.from_name) for _, parsed, *_ in firsts]
    )
    mailboxes = _mailboxes()
    items = []
    for _, parsed, body, attachments, source in firsts:
        mailbox = mailboxes.get(mailbox_key(source))
        items.append(
            NewInbound(
                customer=customers[parsed.from_address],
                channel=Channel.EMAIL,
                # A conversation's subject holds MAX_SUBJECT characters; the full one stays in the mail.
                subject=parsed.subject[:MAX_SUBJECT],
                body_text=body,
                attachments=attachments,
                team=mailbox.team if mailbox else None,
                participants=_others_in_copy(parsed, set(mailboxes)),
                sender=parsed.from_address,
                external_id=parsed.message_id,
            )
        )
    return open_inbound_conversations(items)


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
