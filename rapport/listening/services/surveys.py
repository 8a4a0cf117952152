"""Surveys: inviting customers (CSAT and CES after a resolution, NPS on a schedule), sending, answering.

The answer link carries a random token; only its SHA-256 is stored, so someone who reads the database
cannot answer for a customer. The token is made when the invitation is sent, in the same step that
builds the email, and a new one is made for every attempt: a retry after a failed send mails a fresh
link and the earlier one, never delivered, stops working.

Chat conversations are asked by email too (the address the customer or the chat visitor gave). An
outbound desk message would need an agent as its author, would count as the agent's reply in the
thread, moves the conversation's `last_message_at` and is refused on closed conversations; and the
visitor of a resolved chat has usually left the page. Without an address the chat customer is not
asked.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Min, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import ChatSession
from rapport.commerce.models import Order, OrderStatus
from rapport.core.errors import Conflict, NotFound, RapportError, ValidationFailed
from rapport.customers.events import record_event
from rapport.customers.models import Customer, Identity, IdentityKind, TimelineEvent
from rapport.desk.models import Channel, Conversation, Status
from rapport.listening import runtime
from rapport.listening.models import (
    SCALES,
    AlertKind,
    FollowUp,
    InvitationStatus,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from rapport.listening.services.alerts import raise_alert
from rapport.listening.services.config import listening_settings
from rapport.listening.services.follow_ups import open_follow_up

logger = logging.getLogger(__name__)

# A failed send is tried again after 5, 20, 80 minutes; after MAX_ATTEMPTS it stays failed.
MAX_ATTEMPTS = 4
RETRY_BASE = timedelta(minutes=5)
# While one worker sends, the invitation is not due for others; one left this long lost its worker.
SENDING_LEASE = timedelta(minutes=10)
# An answer can be changed until a day after it was first given.
CHANGE_WINDOW = timedelta(days=1)
# The relationship survey never goes more often than once a quarter, whatever the setting says.
MIN_DAYS_BETWEEN_NPS = 92
NPS_BATCH = 500
SEND_BATCH = 200
MAX_COMMENT = 2000
# Orders that were paid for: the first of them starts the relationship survey's clock.
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
# Low answers open a follow-up for the associate and raise an alert: CSAT 1-2, NPS detractors 0-6.
LOW_SCORES: dict[str, int] = {SurveyKind.CSAT: 2, SurveyKind.NPS: 6}
ALERT_KINDS: dict[str, str] = {SurveyKind.CSAT: AlertKind.LOW_CSAT, SurveyKind.NPS: AlertKind.DETRACTOR}


class SurveyClosed(RapportError):
    """The invitation was cancelled or has expired: it can no longer be answered."""

    status = 410
    code = "survey_closed"
    title = "Survey closed"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unusable_hash() -> str:
    # Until it is sent an invitation has no token; the hash of a secret nobody keeps holds its place.
    return hash_token(secrets.token_urlsafe(32))


def is_low(kind: str, score: int) -> bool:
    limit = LOW_SCORES.get(kind)
    return limit is not None and score <= limit


# ---------------------------------------------------------------------------------------------------
# Inviting


def customer_email(customer: Customer, conversation: Conversation | None = None) -> str:
    """The address to ask: the customer's primary email, else the one the chat visitor gave."""
    address = (
        Identity.objects.filter(customer_id=customer.pk, kind=IdentityKind.EMAIL)
        .order_by("-is_primary", "pk")
        .values_list("value", flat=True)
        .first()
    )
    if address:
        return address
    if conversation is not None and conversation.channel == Channel.CHAT:
        visitor_email = (
            ChatSession.objects.filter(conversation_id=conversation.pk)
            .exclude(visitor__email="")
            .values_list("visitor__email", flat=True)
            .first()
        )
        return visitor_email or ""
    return ""


def _enabled(kind: str) -> bool:
    config = listening_settings()
    return {
        SurveyKind.CSAT: config.csat_enabled,
        SurveyKind.CES: config.ces_enabled,
        SurveyKind.NPS: config.nps_enabled,
    }[SurveyKind(kind)]


def why_not_invite(customer: Customer, conversation: Conversation | None = None) -> str:
    """The reason this customer may not be asked now, or "" when they may."""
    if customer.merged_into_id is not None:
        return "the customer was merged into another"
    if not customer.survey_consent:
        return "the customer does not want surveys"
    if conversation is not None and conversation.merged_into_id is not None:
        return "the conversation was merged into another"
    if not customer_email(customer, conversation):
        return "the customer has no email address"
    return ""


def _new_invitation(
    *,
    kind: str,
    customer: Customer,
    conversation: Conversation | None,
    send_at: datetime,
    now: datetime,
) -> SurveyInvitation:
    return SurveyInvitation(
        kind=kind,
        customer=customer,
        conversation=conversation,
        agent=conversation.assignee if conversation is not None else None,
        team=conversation.team if conversation is not None else None,
        delivery="email",
        token_hash=_unusable_hash(),
        send_at=send_at,
        expires_at=send_at + timedelta(days=listening_settings().invitation_valid_days),
        created_at=now,
    )


def schedule_conversation_survey(
    *, conversation: Conversation, kind: str, now: datetime | None = None
) -> SurveyInvitation | None:
    """Schedule the CSAT or CES invitation of a resolved conversation; None when it may not be sent.

    One invitation per conversation and kind: resolving again (after a reopen) schedules nothing new.
    """
    now = now or timezone.now()
    if kind not in (SurveyKind.CSAT, SurveyKind.CES) or not _enabled(kind):
        return None
    customer = conversation.customer
    if why_not_invite(customer, conversation):
        return None
    if SurveyInvitation.objects.filter(conversation=conversation, kind=kind).exists():
        return None
    invitation = _new_invitation(
        kind=kind,
        customer=customer,
        conversation=conversation,
        send_at=now + timedelta(minutes=listening_settings().csat_delay_minutes),
        now=now,
    )
    try:
        # A savepoint: a concurrent resolve of the same conversation must not undo the resolve itself.
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        return None
    return invitation


def invite_after_resolution(event: TimelineEvent) -> None:
    """Timeline listener (registered in apps.ready): a conversation resolved schedules its surveys."""
    if event.kind != "desk.conversation.status_changed" or event.data.get("to") != Status.RESOLVED:
        return
    conversation = (
        Conversation.objects.select_related("customer", "assignee", "team")
        .filter(pk=event.data.get("conversation_id"))
        .first()
    )
    if conversation is None:
        return
    for kind in (SurveyKind.CSAT, SurveyKind.CES):
        schedule_conversation_survey(conversation=conversation, kind=kind, now=event.occurred_at)


def invite_customer(
    *, actor: Actor, customer: Customer, kind: str, conversation: Conversation | None = None
) -> SurveyInvitation:
    """An integration or a lead asks one customer now; refused with the reason when they may not be."""
    actor.require(Perm.LISTENING_MANAGE)
    now = timezone.now()
    if kind not in SurveyKind.values:
        raise ValidationFailed(f"unknown survey kind {kind!r}", code="invalid_survey_kind")
    if conversation is not None and conversation.customer_id != customer.pk:
        raise ValidationFailed("the conversation is with another customer", code="conversation_not_customers")
    if kind == SurveyKind.NPS and conversation is not None:
        raise ValidationFailed(
            "the NPS survey is about the relationship, not a conversation", code="nps_no_conversation"
        )
    if kind != SurveyKind.NPS and conversation is None:
        raise ValidationFailed("a CSAT or CES survey asks about a conversation", code="conversation_required")
    reason = why_not_invite(customer, conversation)
    if reason:
        raise Conflict(f"this customer cannot be asked: {reason}", code="not_invitable")
    if kind == SurveyKind.NPS and _recent_nps(customer, now):
        raise Conflict("this customer was asked for NPS within the last quarter", code="nps_too_soon")
    invitation = _new_invitation(
        kind=kind, customer=customer, conversation=conversation, send_at=now, now=now
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:
        raise Conflict("this conversation was already asked", code="already_invited") from exc
    transaction.on_commit(_enqueue_sending)
    return invitation


def _enqueue_sending() -> None:
    from rapport.listening.tasks.surveys import send_due_surveys_task

    try:
        send_due_surveys_task.enqueue()
    except Exception:
        logger.exception("could not queue survey sending; the clock will send it")


def _nps_window(now: datetime) -> datetime:
    days = max(listening_settings().nps_min_days_between, MIN_DAYS_BETWEEN_NPS)
    return now - timedelta(days=days)


def _recent_nps(customer: Customer, now: datetime) -> bool:
    return SurveyInvitation.objects.filter(
        customer=customer, kind=SurveyKind.NPS, created_at__gte=_nps_window(now)
    ).exists()


def invite_nps_due(*, now: datetime | None = None, batch: int = NPS_BATCH) -> int:
    """Invite every consenting customer whose first paid order is old enough and who was not asked lately.

    Set-based and batched by customer id; running it twice invites nobody twice.
    """
    now = now or timezone.now()
    config = listening_settings()
    if not config.nps_enabled:
        return 0
    first_order_before = now - timedelta(days=config.nps_days_after_first_order)
    recent = SurveyInvitation.objects.filter(
        customer_id=OuterRef("pk"), kind=SurveyKind.NPS, created_at__gte=_nps_window(now)
    )
    has_email = Identity.objects.filter(customer_id=OuterRef("pk"), kind=IdentityKind.EMAIL)
    first_paid = (
        Order.objects.filter(customer_id=OuterRef("pk"), status__in=PAID_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(first=Min("placed_at"))
        .values("first")
    )
    due = (
        Customer.objects.filter(merged_into__isnull=True, survey_consent=True)
        .filter(Exists(has_email))
        .exclude(Exists(recent))
        .annotate(first_paid_at=first_paid)
        .filter(first_paid_at__lte=first_order_before)
        .order_by("pk")
    )
    invited = 0
    after = 0
    while True:
        customers = list(due.filter(pk__gt=after)[:batch])
        if not customers:
            return invited
        after = customers[-1].pk
        SurveyInvitation.objects.bulk_create(
            [
                _new_invitation(
                    kind=SurveyKind.NPS, customer=customer, conversation=None, send_at=now, now=now
                )
                for customer in customers
            ]
        )
        invited += len(customers)


# ---------------------------------------------------------------------------------------------------
# Sending

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "comment": "Anything you would like to add? (optional)",
        "send": "Send my answer",
        "change": "Change my answer",
        "thanks": "Thank you! Your answer was recorded.",
        "can_change": "You can change it until {date}.",
        "locked": "Answers can be changed for a day after they are given; this one can no longer be changed.",
        "csat_subject": "How did we do?",
        "csat_question": "How satisfied are you with the help you received?",
        "csat_low": "Very unsatisfied",
        "csat_high": "Very satisfied",
        "ces_subject": "Was it easy?",
        "ces_question": "How easy was it to get your issue resolved?",
        "ces_low": "Very difficult",
        "ces_high": "Very easy",
        "nps_subject": "Would you recommend us?",
        "nps_question": "How likely are you to recommend us to a friend or colleague?",
        "nps_low": "Not at all likely",
        "nps_high": "Extremely likely",
        "intro": "Hello {name},",
        "one_click": "Click one answer; you can add a comment on the next page.",
        "about": "About your conversation: {subject}",
        "closing": "Thank you for helping us improve.",
        "expires": "This survey is open until {date}.",
    },
    "de": {
        "comment": "Möchten Sie noch etwas hinzufügen? (optional)",
        "send": "Antwort senden",
        "change": "Antwort ändern",
        "thanks": "Danke! Ihre Antwort wurde gespeichert.",
        "can_change": "Sie können sie bis {date} ändern.",
        "locked": "Antworten können einen Tag lang geändert werden; diese nicht mehr.",
        "csat_subject": "Wie haben wir Ihnen geholfen?",
        "csat_question": "Wie zufrieden sind Sie mit der Hilfe, die Sie erhalten haben?",
        "csat_low": "Sehr unzufrieden",
        "csat_high": "Sehr zufrieden",
        "ces_subject": "War es einfach?",
        "ces_question": "Wie einfach war es, Ihr Anliegen zu lösen?",
        "ces_low": "Sehr schwierig",
        "ces_high": "Sehr einfach",
        "nps_subject": "Würden Sie uns weiterempfehlen?",
        "nps_question": "Wie wahrscheinlich ist es, dass Sie uns Freunden oder Kollegen empfehlen?",
        "nps_low": "Gar nicht wahrscheinlich",
        "nps_high": "Äußerst wahrscheinlich",
        "intro": "Hallo {name},",
        "one_click": (
            "Klicken Sie auf eine Antwort; auf der nächsten Seite können Sie einen Kommentar hinzufügen."
        ),
        "about": "Zu Ihrem Gespräch: {subject}",
        "closing": "Danke, dass Sie uns helfen, besser zu werden.",
        "expires": "Diese Umfrage ist bis {date} geöffnet.",
    },
    "fr": {
        "comment": "Souhaitez-vous ajouter quelque chose ? (facultatif)",
        "send": "Envoyer ma réponse",
        "change": "Modifier ma réponse",
        "thanks": "Merci ! Votre réponse a été enregistrée.",
        "can_change": "Vous pouvez la modifier jusqu'au {date}.",
        "locked": "Une réponse peut être modifiée pendant un jour ; celle-ci ne peut plus l'être.",
        "csat_subject": "Comment avons-nous fait ?",
        "csat_question": "Êtes-vous satisfait de l'aide que vous avez reçue ?",
        "csat_low": "Très insatisfait",
        "csat_high": "Très satisfait",
        "ces_subject": "Était-ce facile ?",
        "ces_question": "Était-il facile de résoudre votre demande ?",
        "ces_low": "Très difficile",
        "ces_high": "Très facile",
        "nps_subject": "Nous recommanderiez-vous ?",
        "nps_question": "Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue ?",
        "nps_low": "Pas du tout probable",
        "nps_high": "Très probable",
        "intro": "Bonjour {name},",
        "one_click": "Cliquez sur une réponse ; vous pourrez ajouter un commentaire à la page suivante.",
        "about": "À propos de votre demande : {subject}",
        "closing": "Merci de nous aider à nous améliorer.",
        "expires": "Ce questionnaire est ouvert jusqu'au {date}.",
    },
}


def texts_for(language: str) -> dict[str, str]:
    return TEXTS.get((language or "en")[:2].lower(), TEXTS["en"])


def survey_url(token: str) -> str:
    """The absolute address of the answer page (RAPPORT_PUBLIC_URL is where customers reach Rapport)."""
    return f"{settings.RAPPORT_PUBLIC_URL}{reverse('survey:answer', args=[token])}"


@dataclass(frozen=True)
class ScoreLink:
    score: int
    url: str


def build_invitation_email(invitation: SurveyInvitation, token: str) -> EmailMultiAlternatives:
    """The invitation with one link per score: one click opens the page with that score chosen."""
    kind = invitation.kind
    words = texts_for(invitation.customer.language)
    low, high = SCALES[kind]
    url = survey_url(token)
    context = {
        "invitation": invitation,
        "words": words,
        "greeting": words["intro"].format(name=invitation.customer.name or ""),
        "question": words[f"{kind}_question"],
        "low_label": words[f"{kind}_low"],
        "high_label": words[f"{kind}_high"],
        "about": words["about"].format(subject=invitation.conversation.subject)
        if invitation.conversation is not None and invitation.conversation.subject
        else "",
        "expires": words["expires"].format(date=f"{invitation.expires_at:%Y-%m-%d}"),
        "links": [ScoreLink(score=score, url=f"{url}?score={score}") for score in range(low, high + 1)],
        "survey_url": url,
    }
    email = EmailMultiAlternatives(
        subject=words[f"{kind}_subject"],
        body=render_to_string("listening/emails/survey_invitation.txt", context),
        from_email=_sender(invitation.conversation),
        to=[invitation.recipient],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(
        render_to_string("listening/emails/survey_invitation.html", context), "text/html"
    )
    return email


def _sender(conversation: Conversation | None) -> str:
    # The mailbox the customer wrote to, so the survey comes from the address they know.
    from rapport.channels.email.outgoing import _mailbox_for

    mailbox = _mailbox_for(conversation) if conversation is not None else None
    if mailbox is None:
        return str(settings.DEFAULT_FROM_EMAIL)
    return formataddr((mailbox.name, mailbox.address))


def _why_cancel(invitation: SurveyInvitation, now: datetime) -> str:
    if not _enabled(invitation.kind):
        return f"{invitation.kind.upper()} surveys were turned off"
    if invitation.expires_at <= now:
        return "it expired before it could be sent"
    conversation = invitation.conversation
    if conversation is not None and conversation.status not in (Status.RESOLVED, Status.CLOSED):
        return "the conversation was reopened"
    return why_not_invite(invitation.customer, conversation)


def _cancel(invitation: SurveyInvitation, reason: str) -> None:
    SurveyInvitation.objects.filter(
        pk=invitation.pk, status__in=[InvitationStatus.SCHEDULED, InvitationStatus.FAILED]
    ).update(status=InvitationStatus.CANCELLED, failure=reason[:300])


def send_invitation(invitation_id: int, *, now: datetime | None = None) -> str:
    """Send one due invitation, or cancel it when it should no longer go; "sent", "failed", "cancelled"
    or "skipped" (not due, or another worker has it).

    Consent, the conversation's status and merges are checked again here: much can change between a
    resolution and the send.
    """
    now = now or timezone.now()
    invitation = (
        SurveyInvitation.objects.select_related("customer", "conversation", "conversation__customer")
        .filter(pk=invitation_id)
        .first()
    )
    if (
        invitation is None
        or invitation.status not in (InvitationStatus.SCHEDULED, InvitationStatus.FAILED)
        or invitation.attempts >= MAX_ATTEMPTS
        or invitation.send_at > now
    ):
        return "skipped"
    reason = _why_cancel(invitation, now)
    if reason:
        _cancel(invitation, reason)
        return "cancelled"
    token = secrets.token_urlsafe(32)
    recipient = customer_email(invitation.customer, invitation.conversation)
    expires_at = now + timedelta(days=listening_settings().invitation_valid_days)
    # The claim: only the worker that moves the attempt counter on sends; the lease keeps the invitation
    # away from other workers while it sends, and hands it back if this one dies.
    claimed = SurveyInvitation.objects.filter(
        pk=invitation.pk, status=invitation.status, attempts=invitation.attempts
    ).update(
        attempts=F("attempts") + 1,
        token_hash=hash_token(token),
        recipient=recipient[:254],
        send_at=now + SENDING_LEASE,
        expires_at=expires_at,
    )
    if not claimed:
        return "skipped"
    invitation.refresh_from_db()
    try:
        build_invitation_email(invitation, token).send()
    except Exception as exc:
        logger.warning("survey invitation %s could not be sent: %s", invitation.pk, exc)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.FAILED,
            failure=f"{type(exc).__name__}: {exc}"[:300],
            send_at=now + RETRY_BASE * 4 ** (invitation.attempts - 1),
        )
        return "failed"
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        status=InvitationStatus.SENT, sent_at=now, failure=""
    )
    record_event(
        customer=invitation.customer,
        kind="listening.survey_sent",
        summary=f"{invitation.get_kind_display()} survey sent to {recipient}",
        subject=invitation,
        data={"invitation_id": invitation.pk, "kind": invitation.kind},
        occurred_at=now,
    )
    return "sent"


def due_invitation_ids(now: datetime, limit: int = SEND_BATCH) -> list[int]:
    return list(
        SurveyInvitation.objects.filter(
            status__in=[InvitationStatus.SCHEDULED, InvitationStatus.FAILED],
            send_at__lte=now,
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def send_due_invitations(*, now: datetime | None = None, limit: int = SEND_BATCH) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "cancelled": 0, "skipped": 0}
    for invitation_id in due_invitation_ids(now, limit):
        counts[send_invitation(invitation_id, now=now)] += 1
    return counts


# ---------------------------------------------------------------------------------------------------
# Answering


def invitation_for_token(token: str, *, now: datetime | None = None) -> SurveyInvitation:
    """The invitation this token answers; NotFound for an unknown token, SurveyClosed when it closed."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        raise NotFound("no such survey", code="survey_not_found")
    invitation = (
        SurveyInvitation.objects.select_related("customer", "conversation")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise NotFound("no such survey", code="survey_not_found")
    if invitation.status == InvitationStatus.CANCELLED or invitation.expires_at <= now:
        raise SurveyClosed("this survey has closed")
    return invitation


def response_of(invitation: SurveyInvitation) -> SurveyResponse | None:
    return SurveyResponse.objects.filter(invitation=invitation).first()


def can_change(response: SurveyResponse, now: datetime) -> bool:
    return now <= response.first_answered_at + CHANGE_WINDOW


def clean_score(kind: str, raw: object) -> int:
    low, high = SCALES[kind]
    try:
        score = int(str(raw))
    except (TypeError, ValueError):
        score = low - 1
    if not low <= score <= high:
        raise ValidationFailed(
            f"choose a score from {low} to {high}",
            code="invalid_score",
            errors={"score": f"from {low} to {high}"},
        )
    return score


@transaction.atomic
def answer_survey(
    *, token: str, score: object, comment: str = "", now: datetime | None = None
) -> SurveyResponse:
    """Record the customer's answer, or change it within a day of the first; a low one starts recovery."""
    now = now or timezone.now()
    found = invitation_for_token(token, now=now)
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("customer", "conversation")
        .get(pk=found.pk)
    )
    value = clean_score(invitation.kind, score)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            f"a comment may hold at most {MAX_COMMENT} characters",
            code="comment_too_long",
            errors={"comment": "too long"},
        )
    response = response_of(invitation)
    if response is not None and not can_change(response, now):
        raise Conflict(
            "this answer can no longer be changed: answers can be changed for a day", code="answer_locked"
        )
    sentiment = (
        runtime.score_sentiments([comment], listening_settings().sentiment_engine)[0] if comment else None
    )
    if response is None:
        response = SurveyResponse(
            invitation=invitation,
            kind=invitation.kind,
            customer=invitation.customer,
            conversation=invitation.conversation,
            agent_id=invitation.agent_id,
            team_id=invitation.team_id,
            first_answered_at=now,
        )
    response.score = value
    response.comment = comment
    response.comment_sentiment = sentiment.score if sentiment else None
    response.comment_sentiment_label = sentiment.label if sentiment else ""
    response.answered_at = now
    response.save()
    if invitation.status != InvitationStatus.ANSWERED:
        invitation.status = InvitationStatus.ANSWERED
        invitation.save(update_fields=["status"])
    record_event(
        customer=invitation.customer,
        kind="listening.survey_answered",
        summary=f"{invitation.kind.upper()} answered: {value}" + (f" – {comment[:200]}" if comment else ""),
        subject=response,
        data={
            "invitation_id": invitation.pk,
            "response_id": response.pk,
            "kind": invitation.kind,
            "score": value,
            "conversation_id": invitation.conversation_id,
        },
        occurred_at=now,
    )
    if is_low(invitation.kind, value):
        _start_recovery(invitation, response)
    return response


def _start_recovery(invitation: SurveyInvitation, response: SurveyResponse) -> None:
    """Open the follow-up and raise the alert, once per answer however often it is changed."""
    if FollowUp.objects.filter(response=response).exists():
        return
    customer = invitation.customer
    label = "CSAT" if invitation.kind == SurveyKind.CSAT else "NPS"
    title = f"{label} {response.score} from {customer.name or f'customer {customer.pk}'}"
    detail = response.comment or "No comment."
    follow_up = open_follow_up(
        customer=customer,
        title=title,
        detail=detail,
        conversation=invitation.conversation,
        response=response,
        at=response.answered_at,
    )
    raise_alert(
        kind=ALERT_KINDS[SurveyKind(invitation.kind)],
        cause_key=f"survey:{invitation.pk}",
        title=title,
        detail=detail,
        customer=customer,
        conversation=invitation.conversation,
        recipient=follow_up.assignee,
        data={
            "response": f"listening.surveyresponse:{response.pk}",
            "follow_up": f"listening.followup:{follow_up.pk}",
        },
        at=response.answered_at,
    )
