"""Reads of the social channel for staff: mentions, newest first, with only what the reader may see.

Mentions are public posts, so everyone who reads the desk sees them all. What hangs off them is
not public: the linked customer is shown only to those who may see customers, and the conversation
only to those who may see it (a private team's conversation stays hidden from outsiders).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import SocialMention
from rapport.core.errors import NotFound
from rapport.customers.models import Customer
from rapport.desk.selectors.conversations import conversations_visible_to

PAGE_SIZE = 50


@dataclass(frozen=True)
class MentionFilters:
    platform: str = ""
    # "yes": linked to a customer; "no": not linked; "": either.
    linked: str = ""
    # Keyset cursor: the (posted_at, id) of the last row of the previous page.
    before: datetime | None = None
    before_id: int | None = None


@dataclass(frozen=True)
class MentionRow:
    mention: SocialMention
    # None when there is none, or the reader may not see it.
    customer: Customer | None
    conversation_id: int | None
    # There is a conversation, but in a private team the reader is not in.
    conversation_hidden: bool


@dataclass(frozen=True)
class MentionPage:
    rows: list[MentionRow]
    next_before: datetime | None
    next_before_id: int | None


def mentions_visible_to(actor: Actor) -> QuerySet[SocialMention]:
    actor.require(Perm.DESK_VIEW)
    return SocialMention.objects.all()


def access_mention(actor: Actor, mention_id: int) -> SocialMention:
    mention = mentions_visible_to(actor).filter(pk=mention_id).first()
    if mention is None:
        raise NotFound(f"no mention {mention_id}", code="mention_not_found")
    return mention


def platforms_in_use(actor: Actor) -> list[str]:
    return list(mentions_visible_to(actor).order_by("platform").values_list("platform", flat=True).distinct())


def mention_page(actor: Actor, filters: MentionFilters) -> MentionPage:
    """One page of mentions (at most four queries whatever its length), and the cursor of the next."""
    mentions = mentions_visible_to(actor).select_related("customer")
    if filters.platform:
        mentions = mentions.filter(platform=filters.platform)
    if filters.linked == "yes":
        mentions = mentions.filter(customer__isnull=False)
    elif filters.linked == "no":
        mentions = mentions.filter(customer__isnull=True)
    if filters.before is not None and filters.before_id is not None:
        mentions = mentions.filter(
            Q(posted_at__lt=filters.before) | Q(posted_at=filters.before, id__lt=filters.before_id)
        )
    found = list(mentions.order_by("-posted_at", "-id")[: PAGE_SIZE + 1])
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    linked = {m.conversation_id for m in found if m.conversation_id is not None}
    visible = (
        set(conversations_visible_to(actor).filter(pk__in=linked).values_list("pk", flat=True))
        if linked
        else set()
    )
    sees_customers = actor.can(Perm.CUSTOMERS_VIEW)
    rows = [
        MentionRow(
            mention=m,
            customer=m.customer if sees_customers else None,
            conversation_id=m.conversation_id if m.conversation_id in visible else None,
            conversation_hidden=m.conversation_id is not None and m.conversation_id not in visible,
        )
        for m in found
    ]
    last = found[-1] if more and found else None
    return MentionPage(
        rows=rows,
        next_before=last.posted_at if last else None,
        next_before_id=last.pk if last else None,
    )
