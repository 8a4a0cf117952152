"""Survey invitations: who is asked and when, sending with one-click links, answers and the recovery loop."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.tests.factories import MailboxFactory
from rapport.core.errors import Conflict, ValidationFailed
from rapport.customers.models import TimelineEvent
from rapport.desk.models import Status
from rapport.desk.services.conversations import change_status, receive_message
from rapport.listening.models import (
    Alert,
    AlertKind,
    FollowUp,
    InvitationStatus,
    ListeningSettings,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from rapport.listening.services import surveys
from rapport.listening.services.surveys import MAX_ATTEMPTS, answer_survey, hash_token, send_due_invitations
from rapport.listening.tests.factories_surveys import (
    a_customer,
    a_paid_order,
    a_resolved_conversation,
    an_invitation,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _settings(**values: object) -> None:
    ListeningSettings.objects.update_or_create(pk=1, defaults=values)


def _links(body: str) -> list[str]:
    return re.findall(r"https?://\S+/survey/[\w-]+/\?score=\d+", body)


def _send_all(at: datetime) -> dict[str, int]:
    with time_machine.travel(at, tick=False):
        return send_due_invitations()


# --- scheduling ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_resolving_a_conversation_schedules_its_csat_invitation_after_the_delay() -> None:
    _settings(csat_delay_minutes=30)
    agent = UserFactory(role=Role.AGENT)

    conversation = a_resolved_conversation(agent=agent)

    invitation = SurveyInvitation.objects.get()
    assert invitation.kind == SurveyKind.CSAT
    assert invitation.conversation == conversation
    assert invitation.customer == conversation.customer
    assert invitation.agent == agent
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.send_at == NOW + timedelta(minutes=30)


def test_a_conversation_resolved_twice_is_asked_once() -> None:
    conversation = a_resolved_conversation()
    actor = Actor(user=conversation.assignee)
    change_status(actor=actor, conversation=conversation, status=Status.OPEN)

    change_status(actor=actor, conversation=conversation, status=Status.RESOLVED)

    assert SurveyInvitation.objects.filter(conversation=conversation).count() == 1


def test_ces_is_asked_too_when_it_is_enabled() -> None:
    _settings(ces_enabled=True)

    conversation = a_resolved_conversation()

    assert sorted(conversation.survey_invitations.values_list("kind", flat=True)) == ["ces", "csat"]


@pytest.mark.parametrize(
    ("customer_kwargs", "config"),
    [
        ({"survey_consent": False}, {}),
        ({"email": False}, {}),
        ({}, {"csat_enabled": False}),
    ],
    ids=["no consent", "no email address", "csat disabled"],
)
def test_customers_who_may_not_be_asked_get_no_invitation(
    customer_kwargs: dict[str, object], config: dict[str, object]
) -> None:
    _settings(**config)

    a_resolved_conversation(customer=a_customer(**customer_kwargs))

    assert not SurveyInvitation.objects.exists()


# --- sending ------------------------------------------------------------------------------------


def test_the_invitation_mail_carries_five_one_click_links_and_only_the_tokens_hash_is_stored() -> None:
    with time_machine.travel(NOW, tick=False):
        conversation = a_resolved_conversation(subject="Broken zip")

    counts = _send_all(NOW + timedelta(hours=2))

    assert counts["sent"] == 1
    (message,) = mail.outbox
    invitation = SurveyInvitation.objects.get()
    assert message.to == [invitation.recipient]
    assert invitation.recipient == conversation.customer.identities.get().value
    links = _links(message.body)
    assert [link.rsplit("=", 1)[1] for link in links] == ["1", "2", "3", "4", "5"]
    token = re.search(r"/survey/([\w-]+)/", links[0]).group(1)  # type: ignore[union-attr]
    assert len({re.search(r"/survey/([\w-]+)/", link).group(1) for link in links}) == 1  # type: ignore[union-attr]
    html = message.alternatives[0][0]
    assert all(link.replace("&", "&amp;") in html or link in html for link in links)
    assert invitation.token_hash == hash_token(token)
    assert token not in str(SurveyInvitation.objects.values().get())
    assert invitation.status == InvitationStatus.SENT
    assert invitation.sent_at == NOW + timedelta(hours=2)


def test_nps_mail_offers_eleven_scores_from_the_default_address() -> None:
    an_invitation(kind=SurveyKind.NPS, status=InvitationStatus.SCHEDULED, sent_at=None)

    send_due_invitations()

    (message,) = mail.outbox
    assert [link.rsplit("=", 1)[1] for link in _links(message.body)] == [str(n) for n in range(11)]
    assert message.from_email == "webmaster@localhost"


def test_the_invitation_comes_from_the_conversations_mailbox() -> None:
    MailboxFactory(address="help@shop.example", name="Shop help")
    with time_machine.travel(NOW, tick=False):
        a_resolved_conversation()

    _send_all(NOW + timedelta(hours=2))

    assert mail.outbox[0].from_email == "Shop help <help@shop.example>"


def test_mail_is_in_the_customers_language() -> None:
    an_invitation(customer=a_customer(language="de"), status=InvitationStatus.SCHEDULED, sent_at=None)

    send_due_invitations()

    assert mail.outbox[0].subject == "Wie haben wir Ihnen geholfen?"


def test_nothing_is_sent_before_the_delay() -> None:
    with time_machine.travel(NOW, tick=False):
        a_resolved_conversation()

    counts = _send_all(NOW + timedelta(minutes=59))

    assert counts == {"sent": 0, "failed": 0, "cancelled": 0, "skipped": 0}
    assert mail.outbox == []


def test_a_conversation_reopened_before_the_send_cancels_its_invitation() -> None:
    with time_machine.travel(NOW, tick=False):
        conversation = a_resolved_conversation()
        receive_message(conversation=conversation, body_text="Actually it is still broken")

    _send_all(NOW + timedelta(hours=2))

    invitation = SurveyInvitation.objects.get()
    assert invitation.status == InvitationStatus.CANCELLED
    assert invitation.failure == "the conversation was reopened"
    assert mail.outbox == []


def test_consent_withdrawn_before_the_send_cancels_the_invitation() -> None:
    with time_machine.travel(NOW, tick=False):
        conversation = a_resolved_conversation()
    conversation.customer.survey_consent = False
    conversation.customer.save()

    _send_all(NOW + timedelta(hours=2))

    assert SurveyInvitation.objects.get().status == InvitationStatus.CANCELLED
    assert mail.outbox == []


def test_a_failed_send_is_recorded_and_retried_a_few_times_at_most(settings: object) -> None:
    # A real SMTP backend aimed at a closed local port: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # type: ignore[attr-defined]
    invitation = an_invitation(status=InvitationStatus.SCHEDULED, sent_at=None, send_at=NOW)
    tokens = set()

    for hour in range(1, 10):
        _send_all(NOW + timedelta(hours=hour * 3))
        invitation.refresh_from_db()
        tokens.add(invitation.token_hash)

    assert invitation.status == InvitationStatus.FAILED
    assert invitation.attempts == MAX_ATTEMPTS
    assert "ConnectionRefusedError" in invitation.failure
    assert len(tokens) == MAX_ATTEMPTS  # every attempt mails a fresh token


# --- NPS on a schedule --------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_nps_goes_only_after_the_first_order_delay_and_only_to_consenting_customers() -> None:
    _settings(nps_days_after_first_order=90)
    due = a_customer()
    a_paid_order(due, days_ago=120)
    a_paid_order(due, days_ago=10)
    too_recent = a_customer()
    a_paid_order(too_recent, days_ago=89)
    declined = a_customer(survey_consent=False)
    a_paid_order(declined, days_ago=200)
    never_paid = a_customer()
    a_paid_order(never_paid, days_ago=200, status="cancelled")

    invited = surveys.invite_nps_due(batch=2)

    assert invited == 1
    assert list(SurveyInvitation.objects.values_list("customer_id", "kind")) == [(due.pk, "nps")]


def test_nps_is_never_sent_twice_a_quarter() -> None:
    customer = a_customer()
    a_paid_order(customer, days_ago=400)
    with time_machine.travel(NOW, tick=False):
        assert surveys.invite_nps_due() == 1
        assert surveys.invite_nps_due() == 0
    with time_machine.travel(NOW + timedelta(days=91), tick=False):
        assert surveys.invite_nps_due() == 0
    with time_machine.travel(NOW + timedelta(days=93), tick=False):
        assert surveys.invite_nps_due() == 1


def test_a_shorter_setting_cannot_make_nps_more_frequent_than_a_quarter() -> None:
    _settings(nps_min_days_between=30)
    customer = a_customer()
    a_paid_order(customer, days_ago=400)
    with time_machine.travel(NOW, tick=False):
        surveys.invite_nps_due()

    with time_machine.travel(NOW + timedelta(days=40), tick=False):
        assert surveys.invite_nps_due() == 0


# --- answers and the recovery loop --------------------------------------------------------------


def test_a_low_csat_opens_a_follow_up_for_the_associate_and_raises_one_alert() -> None:
    associate = UserFactory(role=Role.AGENT)
    conversation = a_resolved_conversation(customer=a_customer(associate=associate))
    invitation = an_invitation(token="tok-low", conversation=conversation)

    response = answer_survey(token="tok-low", score="1", comment="Nobody answered my question, awful service")

    follow_up = FollowUp.objects.get()
    assert follow_up.assignee == associate
    assert follow_up.response == response
    assert follow_up.conversation == conversation
    alert = Alert.objects.get()
    assert (alert.kind, alert.cause_key, alert.recipient) == (
        AlertKind.LOW_CSAT,
        f"survey:{invitation.pk}",
        associate,
    )
    assert response.comment_sentiment_label == "negative"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED


def test_changing_a_low_answer_opens_no_second_follow_up_and_raising_it_keeps_the_first() -> None:
    an_invitation(token="tok")
    answer_survey(token="tok", score=2)

    answer_survey(token="tok", score=1)
    answer_survey(token="tok", score=5, comment="They called me back, all good")

    assert FollowUp.objects.count() == 1
    assert Alert.objects.count() == 1
    assert SurveyResponse.objects.get().score == 5


def test_changing_an_answer_down_later_starts_recovery_once() -> None:
    an_invitation(token="tok", kind=SurveyKind.NPS)
    answer_survey(token="tok", score=9)
    assert not FollowUp.objects.exists()

    answer_survey(token="tok", score=3)
    answer_survey(token="tok", score=4)

    assert FollowUp.objects.count() == 1
    assert Alert.objects.get().kind == AlertKind.DETRACTOR


@pytest.mark.parametrize(("kind", "score"), [("csat", 3), ("nps", 7), ("ces", 1)])
def test_other_scores_start_no_recovery(kind: str, score: int) -> None:
    an_invitation(token="tok", kind=kind)

    answer_survey(token="tok", score=score)

    assert not FollowUp.objects.exists()
    assert not Alert.objects.exists()


def test_an_answer_can_be_changed_within_a_day_and_not_after() -> None:
    an_invitation(token="tok")
    with time_machine.travel(NOW, tick=False):
        answer_survey(token="tok", score=3)
    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        answer_survey(token="tok", score=4)

    with time_machine.travel(NOW + timedelta(hours=25), tick=False), pytest.raises(Conflict) as refused:
        answer_survey(token="tok", score=5)

    assert refused.value.code == "answer_locked"
    response = SurveyResponse.objects.get()
    assert (response.score, response.first_answered_at) == (4, NOW)


def test_answering_records_a_timeline_event() -> None:
    invitation = an_invitation(token="tok")

    response = answer_survey(token="tok", score=4, comment="Quick and kind")

    event = TimelineEvent.objects.get(kind="listening.survey_answered")
    assert event.customer == invitation.customer
    assert event.data["response_id"] == response.pk
    assert event.data["score"] == 4


@pytest.mark.parametrize("score", ["0", "6", "x", None])
def test_a_score_off_the_scale_is_refused(score: object) -> None:
    an_invitation(token="tok")

    with pytest.raises(ValidationFailed):
        answer_survey(token="tok", score=score)

    assert not SurveyResponse.objects.exists()
