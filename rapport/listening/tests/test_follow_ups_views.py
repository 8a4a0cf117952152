"""The follow-ups page, marking one done, and the survey settings page; with outsiders."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import AuditEntry, Role, User
from rapport.accounts.tests.factories import UserFactory
from rapport.listening.models import FollowUp, FollowUpStatus, ListeningSettings
from rapport.listening.services.surveys import answer_survey
from rapport.listening.tests.factories_surveys import a_customer, an_invitation

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _low_answer(associate: User, *, comment: str = "Rude and slow") -> FollowUp:
    token = f"tok-{associate.pk}"
    an_invitation(token=token, customer=a_customer(associate=associate, name=f"Customer of {associate.pk}"))
    response = answer_survey(token=token, score=1, comment=comment)
    return FollowUp.objects.get(response=response)


def test_the_associate_sees_her_follow_up_with_score_and_comment_and_an_outsider_does_not() -> None:
    maria, outsider = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    follow_up = _low_answer(maria)

    mine = _signed_in(maria).get(reverse("listening:follow_ups")).content.decode()
    theirs = _signed_in(outsider).get(reverse("listening:follow_ups")).content.decode()

    assert follow_up.title in mine
    assert "CSAT 1: “Rude and slow”" in mine
    assert 'action="/listening/follow-ups/' in mine
    assert follow_up.title not in theirs
    assert "Nothing to follow up." in theirs


def test_a_lead_sees_everyones_follow_ups_and_filters_by_assignee(
    lead_client: Client, django_assert_max_num_queries: object
) -> None:
    maria, sam = UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)
    marias, sams = _low_answer(maria), _low_answer(sam)

    with django_assert_max_num_queries(12):  # type: ignore[operator]
        everyone = lead_client.get(reverse("listening:follow_ups")).content.decode()
    only_sam = lead_client.get(reverse("listening:follow_ups"), {"assignee": sam.pk}).content.decode()

    assert marias.title in everyone
    assert sams.title in everyone
    assert sams.title in only_sam
    assert marias.title not in only_sam


def test_marking_a_follow_up_done_records_the_outcome() -> None:
    maria = UserFactory(role=Role.AGENT)
    follow_up = _low_answer(maria)
    client = _signed_in(maria)

    posted = client.post(
        reverse("listening:follow_up_done", args=[follow_up.pk]), {"outcome": "Called her; sent a voucher"}
    )
    done = client.get(reverse("listening:follow_ups"), {"status": "done"}).content.decode()

    assert posted.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.outcome, follow_up.done_by) == (
        FollowUpStatus.DONE,
        "Called her; sent a voucher",
        maria,
    )
    assert "Called her; sent a voucher" in done


def test_another_agent_cannot_mark_someone_elses_follow_up_done() -> None:
    follow_up = _low_answer(UserFactory(role=Role.AGENT))

    posted = _signed_in(UserFactory(role=Role.AGENT)).post(
        reverse("listening:follow_up_done", args=[follow_up.pk]), {"outcome": "x"}
    )

    assert posted.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN


def test_an_admin_changes_the_survey_settings_and_it_is_audited(admin_client_: Client) -> None:
    page = admin_client_.get(reverse("listening:survey_settings"))
    assert page.status_code == 200

    posted = admin_client_.post(
        reverse("listening:survey_settings"),
        {
            "csat_enabled": "on",
            "csat_delay_minutes": "15",
            "nps_enabled": "on",
            "nps_days_after_first_order": "60",
            "nps_min_days_between": "120",
            "invitation_valid_days": "7",
            "sentiment_engine": "vader",
            "valuable_tier": "silver",
        },
    )

    assert posted.status_code == 302
    saved = ListeningSettings.objects.get()
    assert (saved.csat_delay_minutes, saved.ces_enabled, saved.sentiment_engine, saved.valuable_tier) == (
        15,
        False,
        "vader",
        "silver",
    )
    assert AuditEntry.objects.filter(action="listening.settings_changed").count() == 1


def test_nps_more_often_than_a_quarter_is_refused_on_the_settings_page(admin_client_: Client) -> None:
    posted = admin_client_.post(
        reverse("listening:survey_settings"),
        {
            "csat_delay_minutes": "15",
            "nps_days_after_first_order": "60",
            "nps_min_days_between": "30",
            "invitation_valid_days": "7",
            "sentiment_engine": "trained",
            "valuable_tier": "gold",
        },
    )

    assert posted.status_code == 422
    assert not AuditEntry.objects.filter(action="listening.settings_changed").exists()


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_may_change_the_survey_settings(role: str) -> None:
    client = _signed_in(UserFactory(role=role))

    assert client.get(reverse("listening:survey_settings")).status_code == 403
    assert client.post(reverse("listening:survey_settings"), {"csat_delay_minutes": "1"}).status_code == 403
