"""The customer's survey page: token rules, GET never records, one answer per invitation, CSRF, outsiders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from rapport.listening.models import InvitationStatus, SurveyResponse
from rapport.listening.tests.factories_surveys import an_invitation

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _url(token: str) -> str:
    return f"/survey/{token}/"


def test_the_one_click_link_shows_the_score_chosen_and_records_nothing(client: Client) -> None:
    an_invitation(token="tok-a")

    page = client.get(_url("tok-a"), {"score": "4"})

    text = page.content.decode()
    assert page.status_code == 200
    assert 'value="4" required checked' in text
    assert "How satisfied are you" in text
    assert 'name="viewport"' in text
    assert not SurveyResponse.objects.exists()


def test_confirming_records_the_answer_and_thanks_the_customer(client: Client) -> None:
    invitation = an_invitation(token="tok-a")

    posted = client.post(_url("tok-a"), {"score": "5", "comment": "Lovely"})
    thanks = client.get(posted["Location"])

    assert posted.status_code == 302
    assert "Thank you! Your answer was recorded." in thanks.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.invitation, response.score, response.comment) == (invitation, 5, "Lovely")


def test_a_form_without_the_csrf_token_is_refused() -> None:
    an_invitation(token="tok-a")

    posted = Client(enforce_csrf_checks=True).post(_url("tok-a"), {"score": "5"})

    assert posted.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_an_unknown_token_is_not_found(client: Client) -> None:
    an_invitation(token="tok-a")

    assert client.get(_url("tok-b")).status_code == 404
    assert client.post(_url("tok-b"), {"score": "1"}).status_code == 404


def test_another_invitations_token_never_shows_or_changes_this_one(client: Client) -> None:
    mine = an_invitation(token="tok-mine")
    theirs = an_invitation(token="tok-theirs")
    client.post(_url("tok-mine"), {"score": "5", "comment": "mine"})

    page = client.get(_url("tok-theirs"))
    client.post(_url("tok-theirs"), {"score": "1"})

    assert "mine" not in page.content.decode()
    assert SurveyResponse.objects.get(invitation=mine).score == 5
    assert SurveyResponse.objects.get(invitation=theirs).score == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_invitation_has_closed(client: Client, method: str) -> None:
    an_invitation(token="tok-a", expires_at=NOW - timedelta(minutes=1))

    with time_machine.travel(NOW, tick=False):
        response = getattr(client, method)(_url("tok-a"), {"score": "3"})

    assert response.status_code == 410
    assert "This survey has closed" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_cancelled_invitation_has_closed(client: Client) -> None:
    an_invitation(token="tok-a", status=InvitationStatus.CANCELLED)

    assert client.post(_url("tok-a"), {"score": "3"}).status_code == 410
    assert not SurveyResponse.objects.exists()


def test_one_answer_per_invitation_changed_within_a_day_and_locked_after(client: Client) -> None:
    an_invitation(token="tok-a", expires_at=NOW + timedelta(days=14))
    with time_machine.travel(NOW, tick=False):
        client.post(_url("tok-a"), {"score": "2"})
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        client.post(_url("tok-a"), {"score": "4", "comment": "Better now"})

    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        refused = client.post(_url("tok-a"), {"score": "5"})
        page = client.get(_url("tok-a"))

    assert refused.status_code == 409
    assert "can no longer be changed" in refused.content.decode()
    assert "<form" not in page.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment) == (4, "Better now")


def test_a_score_off_the_scale_is_shown_again_with_the_reason(client: Client) -> None:
    an_invitation(token="tok-a")

    response = client.post(_url("tok-a"), {"score": "9", "comment": "keep me"})

    assert response.status_code == 422
    assert "choose a score from 1 to 5" in response.content.decode()
    assert "keep me" in response.content.decode()
