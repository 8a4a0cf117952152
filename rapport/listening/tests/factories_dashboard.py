"""Factories for the dashboard's tests: mentions by the hour, survey answers, alerts and themes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from rapport.accounts.models import Team, User
from rapport.channels.models import SocialMention
from rapport.customers.tests.factories import CustomerFactory
from rapport.listening.models import (
    Alert,
    AlertKind,
    InvitationStatus,
    SurveyInvitation,
    SurveyResponse,
)
from rapport.listening.services.alerts import raise_alert

_serial = count(1)


def mentions_at(hour: datetime, n: int, *, text: str = "Talking about @shop") -> list[SocialMention]:
    """n mentions posted within the hour that begins at ``hour``, spread over its minutes."""
    return SocialMention.objects.bulk_create(
        [
            SocialMention(
                platform="twitter",
                handle=f"fan{next(_serial)}",
                text=text,
                posted_at=hour + timedelta(seconds=(3600 * i) // max(n, 1)),
                external_id=f"post-{next(_serial)}",
            )
            for i in range(n)
        ]
    )


def hourly_mentions(start: datetime, counts: list[int]) -> None:
    """Mentions per hour from ``start``, one count per hour, in one insert."""
    rows = []
    for offset, n in enumerate(counts):
        hour = start + timedelta(hours=offset)
        rows += [
            SocialMention(
                platform="twitter",
                handle=f"fan{next(_serial)}",
                text="Talking about @shop",
                posted_at=hour + timedelta(minutes=i % 60),
                external_id=f"post-{next(_serial)}",
            )
            for i in range(n)
        ]
    SocialMention.objects.bulk_create(rows, batch_size=2000)


def survey_answer(
    kind: str,
    score: int,
    *,
    at: datetime,
    agent: User | None = None,
    team: Team | None = None,
    comment: str = "",
) -> SurveyResponse:
    """An answered invitation (sent an hour before the answer) and its response."""
    customer = CustomerFactory()
    invitation = SurveyInvitation.objects.create(
        kind=kind,
        customer=customer,
        agent=agent,
        team=team,
        token_hash=hashlib.sha256(f"token-{next(_serial)}".encode()).hexdigest(),
        status=InvitationStatus.ANSWERED,
        send_at=at - timedelta(hours=1),
        sent_at=at - timedelta(hours=1),
        expires_at=at + timedelta(days=14),
    )
    return SurveyResponse.objects.create(
        invitation=invitation,
        kind=kind,
        customer=customer,
        agent=agent,
        team=team,
        score=score,
        comment=comment,
        answered_at=at,
        first_answered_at=at,
    )


def unanswered_invitation(
    kind: str, *, at: datetime, agent: User | None = None, team: Team | None = None
) -> SurveyInvitation:
    return SurveyInvitation.objects.create(
        kind=kind,
        customer=CustomerFactory(),
        agent=agent,
        team=team,
        token_hash=hashlib.sha256(f"token-{next(_serial)}".encode()).hexdigest(),
        status=InvitationStatus.SENT,
        send_at=at,
        sent_at=at,
        expires_at=at + timedelta(days=14),
    )


def an_alert(*, recipient: User | None = None, kind: str = AlertKind.LOW_CSAT, **extra: Any) -> Alert:
    serial = next(_serial)
    alert = raise_alert(
        kind=kind,
        cause_key=f"test:{serial}",
        title=extra.pop("title", f"Alert {serial}"),
        recipient=recipient,
        **extra,
    )
    assert alert is not None
    return alert
