"""Demo listening: every customer message scored, surveys sent and answered, mentions with a storm,
tag suggestions trained and themes found, all through the listening services.

Survey invitations go out by mail as in the product; the demo reads the links from the mails (held in
memory, not sent) and answers them as customers would, spread over the last weeks, so the dashboard
has a history: mostly happy answers, a few low ones that open follow-ups and alerts.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from django.core import mail
from django.db.models import F
from django.test.utils import override_settings

from rapport.core.errors import RapportError
from rapport.demo.mentions import seed_mentions
from rapport.listening.models import InvitationStatus, SurveyInvitation, SurveyKind
from rapport.listening.services.mentions import check_mention_spikes, score_new_mentions
from rapport.listening.services.scoring import score_new_messages
from rapport.listening.services.surveys import answer_survey, invite_nps_due, send_invitation
from rapport.listening.services.tag_suggestions import train_tag_suggestions
from rapport.listening.services.themes import refresh_themes

# Share of invitations answered, and the answers' weights by score (real desks see 15-40 % answer).
ANSWER_RATE = {SurveyKind.CSAT: 0.45, SurveyKind.CES: 0.35, SurveyKind.NPS: 0.3}
SCORE_WEIGHTS = {
    SurveyKind.CSAT: {5: 50, 4: 26, 3: 12, 2: 7, 1: 5},
    SurveyKind.CES: {7: 30, 6: 28, 5: 18, 4: 10, 3: 7, 2: 4, 1: 3},
    SurveyKind.NPS: {10: 22, 9: 24, 8: 18, 7: 12, 6: 8, 5: 5, 4: 4, 3: 3, 2: 2, 1: 1, 0: 1},
}
COMMENTS = {
    "high": [
        "Quick and friendly, thank you!",
        "Sorted in one reply. Great service.",
        "Lovely people to deal with.",
    ],
    "middle": ["Fine in the end, but it took a few emails.", "OK. The tracking could be clearer."],
    "low": [
        "Still waiting for my refund, nobody tells me anything.",
        "Three emails and the parcel is still lost. Very disappointed.",
        "I had to explain everything twice. Not good enough.",
    ],
}
_LINK = re.compile(r"/survey/([A-Za-z0-9_-]+)/")


def _comment(rng: random.Random, kind: str, score: int) -> str:
    """Half the answers carry a comment that fits the score (CES: 7 is "very easy")."""
    low, high = {SurveyKind.CSAT: (2, 4), SurveyKind.CES: (3, 6), SurveyKind.NPS: (6, 8)}[SurveyKind(kind)]
    band = "low" if score <= low else "high" if score >= high else "middle"
    return rng.choice(COMMENTS[band]) if rng.random() < 0.5 else ""


def _send_and_answer(invitation: SurveyInvitation, *, at: datetime, rng: random.Random) -> bool:
    """Send the invitation at `at` and, for some, answer its link a few hours later; True if answered."""
    mail.outbox = []
    if send_invitation(invitation.pk, now=at) != "sent" or not mail.outbox:
        return False
    if rng.random() >= ANSWER_RATE[SurveyKind(invitation.kind)]:
        return False
    found = _LINK.search(str(mail.outbox[0].body))
    if found is None:
        return False
    weights = SCORE_WEIGHTS[SurveyKind(invitation.kind)]
    score = rng.choices(list(weights), weights=list(weights.values()))[0]
    try:
        answer_survey(
            token=found.group(1),
            score=score,
            comment=_comment(rng, invitation.kind, score),
            now=at + timedelta(hours=rng.uniform(0.2, 20)),
        )
    except RapportError:
        return False
    return True


def seed_surveys(*, now: datetime, seed: int) -> dict[str, int]:
    """Send the CSAT invitations the demo's resolutions scheduled, and run an NPS round, with answers."""
    rng = random.Random(f"{seed}-surveys")
    answered = sent = 0
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        # The demo's conversations were resolved just now; spread their surveys over the last three weeks.
        scheduled = list(
            SurveyInvitation.objects.filter(status=InvitationStatus.SCHEDULED, conversation__isnull=False)
        )
        for invitation in scheduled:
            at = now - timedelta(days=rng.uniform(0.5, 21))
            SurveyInvitation.objects.filter(pk=invitation.pk).update(send_at=at, created_at=at)
            sent += 1
            answered += _send_and_answer(invitation, at=at, rng=rng)
        # The relationship survey, as the daily job would have sent it over the last quarter.
        round_start = now - timedelta(days=85)
        invite_nps_due(now=round_start, batch=400)
        for invitation in SurveyInvitation.objects.filter(
            kind=SurveyKind.NPS, status=InvitationStatus.SCHEDULED
        ):
            at = round_start + timedelta(days=rng.uniform(0, 84))
            SurveyInvitation.objects.filter(pk=invitation.pk).update(
                send_at=at, created_at=at, expires_at=F("expires_at") + (at - round_start)
            )
            sent += 1
            answered += _send_and_answer(invitation, at=at, rng=rng)
    return {"survey_invitations": sent, "survey_responses": answered}


def seed_listening(*, now: datetime, seed: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    scored = 0
    while True:
        batch = score_new_messages().scored
        scored += batch
        if not batch:
            break
    counts["scored_messages"] = scored
    counts.update(seed_surveys(now=now, seed=seed))
    counts["mentions"] = seed_mentions(now=now, seed=seed)
    score_new_mentions()
    counts["mention_spike_alerts"] = len(check_mention_spikes(now=now))
    try:
        counts["tag_model_examples"] = train_tag_suggestions().examples
    except RapportError:
        counts["tag_model_examples"] = 0
    counts["themes"] = len(refresh_themes(now=now))
    return counts
