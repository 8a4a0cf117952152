"""Which conversation an inbound email belongs to, without letting a stranger into someone's thread.

Headers first (In-Reply-To, then References newest first), then the conversation token in the address
the mail was sent to or in the subject. Message-IDs are not secret (they travel in every copy of a
thread), so a header match counts only when the sender is a participant: the customer (any of their
email identities) or an address in copy. The token is a secret that only the thread's own mail carries,
so it is enough on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapport.channels.email.addresses import token_in_address, token_in_subject
from rapport.customers.models import Identity, IdentityKind
from rapport.desk.models import Channel, Conversation, Message

# A References header can list hundreds of ids; the newest few find the thread just as well.
MAX_REFERENCES = 30


def referenced_ids(in_reply_to: Sequence[str], references: Sequence[str]) -> list[str]:
    """Ids the mail answers, most direct first, each once."""
    ordered = [*in_reply_to, *reversed(references)]
    return list(dict.fromkeys(ident for ident in ordered if ident))[:MAX_REFERENCES]


def is_participant(conversation: Conversation, address: str) -> bool:
    address = address.lower()
    if not address:
        return False
    if address in {participant.lower() for participant in conversation.participants}:
        return True
    return Identity.objects.filter(
        customer_id=conversation.customer_id, kind=IdentityKind.EMAIL, value=address
    ).exists()


def _by_headers(ids: list[str]) -> Iterable[Conversation]:
    if not ids:
        return []
    rank = {ident: position for position, ident in enumerate(ids)}
    messages = list(
        Message.objects.filter(external_id__in=ids, channel=Channel.EMAIL)
        .select_related("conversation")
        .only("external_id", "conversation")
    )
    messages.sort(key=lambda message: rank[message.external_id])
    return list({message.conversation_id: message.conversation for message in messages}.values())


def _by_token(recipients: Sequence[str], subject: str) -> Conversation | None:
    tokens = [token for token in (token_in_address(address) for address in recipients) if token]
    tokens.append(token_in_subject(subject))
    for token in filter(None, tokens):
        found = Conversation.objects.filter(token=token).first()
        if found is not None:
            return found
    return None


def find_thread(
    *,
    sender: str,
    in_reply_to: Sequence[str],
    references: Sequence[str],
    recipients: Sequence[str],
    subject: str,
) -> Conversation | None:
    """The existing conversation this mail continues, or None for a new one."""
    for conversation in _by_headers(referenced_ids(in_reply_to, references)):
        if is_participant(conversation, sender):
            return conversation
    return _by_token(recipients, subject)
