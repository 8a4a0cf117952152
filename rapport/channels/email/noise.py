"""Whether an inbound message was sent by a machine: a bounce, an automatic reply, or neither.

The desk must neither open conversations for these nor answer them: an acknowledgement sent
to an auto-responder starts a mail loop (RFC 3834 §1), and a bounce is news about our own
outbound mail, not a customer's request.

Rules, strongest first:

bounce
  * Content-Type multipart/report with report-type=delivery-status: the DSN format of
    RFC 3464 §2 (multipart/report itself is RFC 6522).
  * Any message/delivery-status part (RFC 3464 §2.1), or message/global-delivery-status
    (RFC 6533): older MTAs send a multipart/report without the report-type parameter.
    Parts inside an attached message (message/rfc822) do not count: a customer who
    forwards us a bounce is asking a question.
  * From MAILER-DAEMON or postmaster (RFC 5321 §4.5.1 makes postmaster the address of the
    mail system) together with a failure subject ("Undeliverable", "Delivery Status
    Notification (Failure)", "failure notice", ...): the non-standard bounces of qmail and
    Exchange. The sender alone is not enough: a postmaster also answers abuse reports.

auto_reply
  * Auto-Submitted with any value but "no" (RFC 3834 §5: auto-generated and auto-replied;
    RFC 5436 adds auto-notified). §5.1 says "no" marks a message a person created, and
    RFC 3834 §2 says not to answer any other value.
  * Precedence bulk, junk or auto_reply, unless the message came through a mailing list
    (List-Id, RFC 2919). Precedence was never standardised (RFC 2076 lists it as
    non-standard); RFC 3834 §2 lets responders stay silent on list, junk and bulk.
    "list" is deliberately not noise: a list relays a person's words, and a support
    address is often itself a group (Google Groups, Mailman) that stamps Precedence: list,
    or in Mailman 2 bulk, on every customer's mail. Machine mail that arrives through a
    list still carries Auto-Submitted or one of the vendor headers below.
  * X-Autoreply or X-Autorespond (vacation programs' own markers) with any value but "no".
  * X-Auto-Response-Suppress naming OOF, AutoReply or All (Microsoft's [MS-OXCMAIL]):
    Exchange stamps it on its own automatic replies so that they are not answered, and
    people's mail clients do not set it.
  * An "Out of office", "Automatic reply", "Auto:" or similar subject, but only together
    with a second witness: a null Return-Path (responders send with an empty envelope
    sender, as RFC 5321 §4.5.5 requires of bounces) or any X-Auto-Response-Suppress.
    A subject alone is what a person writes too ("Out of office on Friday?").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.errors import MessageError
from email.message import EmailMessage, Message

BOUNCE = "bounce"
AUTO_REPLY = "auto_reply"

# What reading a header object of policy.default can raise on malformed input:
# email._header_value_parser has known IndexError/AttributeError paths, recurses on
# nested comments and quoted strings, and in 3.11 leaves `pos` unbound in
# _get_ptext_to_endchars for a domain literal left open after white space ("a@[ ":
# UnboundLocalError, a NameError); a date can overflow. Found by fuzzing; the parsing package
# shares the set.
HEADER_ERRORS: tuple[type[Exception], ...] = (
    MessageError,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    IndexError,
    NameError,
    OverflowError,
    RecursionError,
)

_DSN_PART_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_SYSTEM_SENDER = re.compile(r"mailer[- ]daemon|(^|[\s<\"])postmaster($|[@>\s\"])", re.IGNORECASE)
_FAILURE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status notification|failure|failed|has failed|problem)"
    r"|failure notice|returned mail|mail delivery (failed|failure|subsystem)|could not be delivered"
    r"|non[- ]?delivery|delivery notification",
    re.IGNORECASE,
)
_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply"})
_MS_SUPPRESS_AUTO = frozenset({"oof", "autoreply", "all"})
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto:|automatic reply|autoreply|auto-reply|auto reply|out of (the )?office|"
    r"abwesenheitsnotiz|automatische antwort|réponse automatique|absence)",
    re.IGNORECASE,
)
_NO_VALUES = frozenset({"", "no", "false", "0"})


def noise_kind(message: EmailMessage) -> str:
    """ "bounce", "auto_reply", or "" for mail a person wrote."""
    if _is_bounce(message):
        return BOUNCE
    if _is_auto_reply(message):
        return AUTO_REPLY
    return ""


def _is_bounce(message: EmailMessage) -> bool:
    content_type = _content_type(message)
    if content_type == "multipart/report" and _param(message, "report-type") == "delivery-status":
        return True
    if any(_content_type(part) in _DSN_PART_TYPES for part in _own_parts(message)):
        return True
    return bool(
        _SYSTEM_SENDER.search(_header(message, "From"))
        and _FAILURE_SUBJECT.search(_header(message, "Subject"))
    )


def _is_auto_reply(message: EmailMessage) -> bool:
    auto_submitted = _token(_header(message, "Auto-Submitted"))
    if auto_submitted not in _NO_VALUES:
        return True
    if _token(_header(message, "Precedence")) in _AUTO_PRECEDENCE and not _header(message, "List-Id"):
        return True
    for name in ("X-Autoreply", "X-Autorespond"):
        if _token(_header(message, name)) not in _NO_VALUES:
            return True
    suppress = _header(message, "X-Auto-Response-Suppress")
    suppressed = {token.strip().lower() for token in suppress.split(",")}
    if suppressed & _MS_SUPPRESS_AUTO:
        return True
    if _AUTO_REPLY_SUBJECT.match(_header(message, "Subject")):
        null_sender = _header(message, "Return-Path").strip() == "<>"
        return null_sender or bool(suppress.strip())
    return False


def _own_parts(message: Message) -> Iterator[Message]:
    # The MIME tree of this message, without descending into attached messages.
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        # is_multipart() first: get_payload() of an 8-bit leaf decodes it, and can raise.
        if part.is_multipart() and _content_type(part).startswith("multipart/"):
            stack.extend(child for child in part.get_payload() if isinstance(child, Message))


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except HEADER_ERRORS:
        return ""


def _content_type(message: Message) -> str:
    try:
        return message.get_content_type()
    except HEADER_ERRORS:
        return message.get_default_type()


def _param(message: Message, name: str) -> str:
    try:
        value = message.get_param(name)
    except HEADER_ERRORS:
        return ""
    return value.strip().lower() if isinstance(value, str) else ""


def _token(value: str) -> str:
    # "auto-replied; owner-email=ann@example.com" (RFC 3834 §5 allows parameters).
    return value.split(";", 1)[0].strip().lower()
