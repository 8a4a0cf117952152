"""Which conversation an inbound email belongs to, without letting a stranger into someone's thread.

Headers first (In-Reply-To, then References newest first), then the conversation token in the address
the mail was sent to or in the subject. Message-IDs are not secret (they travel in every copy of a
thread), so a header match counts only when the sender is a participant: the customer (any of their
email identities) or an address in copy. The token is a secret that only the thread's own mail carries,
so it is enough on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapport.channels.email.addresses import token_in_address, token_in_subject
from rapport.customers.models import Identity, IdentityKind
from rapport.desk.models import Channel, Conversation, Message

# A References header can list hundreds of ids; the newest few find the thread just as well.
MAX_REFERENCES = 30


def referenced_ids(in_reply_to: Sequence[str], references: Sequence[str]) -> list[str]:
    """Ids the mail answers, most direct first, each once."""
    ordered = [*in_reply_to, *reversed(references)]
    return list(dict.fromkeys(ident for ident in ordered if ident))[:MAX_REFERENCES]


@dataclass(frozen=True)
class ThreadQuery:
    """What an inbound mail says about the thread it belongs to."""

    sender: str
    in_reply_to: Sequence[str]
    references: Sequence[str]
    recipients: Sequence[str]
    subject: str

    def header_ids(self) -> list[str]:
        return referenced_ids(self.in_reply_to, self.references)

    def tokens(self) -> list[str]:
        found = [token_in_address(address) for address in self.recipients]
        found.append(token_in_subject(self.subject))
        return [token for token in found if token]


def find_thread(
    *,
    sender: str,
    in_reply_to: Sequence[str],
    references: Sequence[str],
    recipients: Sequence[str],
    subject: str,
) -> Conversation | None:
    """The existing conversation this mail continues, or None for a new one."""
    query = ThreadQuery(sender, in_reply_to, references, recipients, subject)
    return find_threads([query])[0]


def find_threads(queries: Sequence[ThreadQuery]) -> list[Conversation | None]:
    """find_thread for many mails at once, in a few queries for the lot (a batch of inbound mail)."""
    header_ids = [query.header_ids() for query in queries]
    by_id = _conversations_by_message_id([ident for ids in header_ids for ident in ids])
    candidates = [_ranked({ident: by_id.get(ident, []) for ident in ids}, ids) for ids in header_ids]
    customers_addresses = _email_identities(
        {conversation.customer_id for found in candidates for conversation in found},
        {query.sender.lower() for query in queries if query.sender},
    )
    threads: list[Conversation | None] = []
    unthreaded: list[int] = []
    for position, (query, found) in enumerate(zip(queries, candidates, strict=True)):
        sender = query.sender.lower()
        chosen = next(
            (
                conversation
                for conversation in found
                if _is_participant(conversation, sender, customers_addresses)
            ),
            None,
        )
        threads.append(chosen)
        if chosen is None:
            unthreaded.append(position)
    by_token = _conversations_by_token(
        [token for position in unthreaded for token in queries[position].tokens()]
    )
    for position in unthreaded:
        threads[position] = next(
            (by_token[token] for token in queries[position].tokens() if token in by_token), None
        )
    return threads


def _conversations_by_message_id(ids: list[str]) -> dict[str, list[Conversation]]:
    found: dict[str, list[Conversation]] = {}
    if not ids:
        return found
    messages = (
        Message.objects.filter(external_id__in=set(ids), channel=Channel.EMAIL)
        .select_related("conversation")
        .only("external_id", "conversation")
        .order_by("pk")
    )
    for message in messages:
        found.setdefault(message.external_id, []).append(message.conversation)
    return found


def _ranked(found: dict[str, list[Conversation]], ids: list[str]) -> list[Conversation]:
    """Conversations of the referenced messages, the most direct reference first, each once."""
    ranked: dict[int, Conversation] = {}
    for ident in ids:
        for conversation in found[ident]:
            ranked.setdefault(conversation.pk, conversation)
    return list(ranked.values())


def _email_identities(customer_ids: set[int], addresses: set[str]) -> set[tuple[int, str]]:
    if not customer_ids or not addresses:
        return set()
    return set(
        Identity.objects.filter(
            customer_id__in=customer_ids, kind=IdentityKind.EMAIL, value__in=addresses
        ).values_list("customer_id", "value")
    )


def _is_participant(conversation: Conversation, sender: str, identities: set[tuple[int, str]]) -> bool:
    """The customer (any of their email identities) or an address in copy."""
    if not sender:
        return False
    if sender in {participant.lower() for participant in conversation.participants}:
        return True
    return (conversation.customer_id, sender) in identities


def _conversations_by_token(tokens: list[str]) -> dict[str, Conversation]:
    if not tokens:
        return {}
    return {
        conversation.token: conversation
        for conversation in Conversation.objects.filter(token__in=set(tokens))
    }
