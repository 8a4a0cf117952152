"""Listening settings changes are audited; a customer merge carries surveys, follow-ups and alerts along."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.models import AuditEntry, Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.core.errors import PermissionDenied
from rapport.customers.services import merge_customers
from rapport.customers.tests.factories import CustomerFactory
from rapport.listening.models import Alert, AlertKind, FollowUp, SurveyInvitation, SurveyKind
from rapport.listening.runtime import score_sentiments, sentiment_model_version
from rapport.listening.services.alerts import raise_alert
from rapport.listening.services.config import listening_settings, update_listening_settings
from rapport.listening.services.follow_ups import open_follow_up

pytestmark = pytest.mark.django_db


def test_only_an_admin_changes_listening_settings_and_the_change_is_audited() -> None:
    with pytest.raises(PermissionDenied):
        update_listening_settings(actor=Actor(user=UserFactory(role=Role.LEAD)), csat_delay_minutes=5)
    admin = Actor(user=UserFactory(role=Role.ADMIN))
    update_listening_settings(actor=admin, csat_delay_minutes=5, sentiment_engine="vader")
    assert listening_settings().csat_delay_minutes == 5
    entry = AuditEntry.objects.get(action="listening.settings_changed")
    assert entry.before["csat_delay_minutes"] == 60
    assert entry.after["csat_delay_minutes"] == 5


def test_merging_customers_moves_invitations_follow_ups_and_alerts() -> None:
    source, target = CustomerFactory(), CustomerFactory()
    now = timezone.now()
    SurveyInvitation.objects.create(
        kind=SurveyKind.NPS,
        customer=source,
        token_hash="a" * 64,
        send_at=now,
        expires_at=now + timedelta(days=14),
    )
    open_follow_up(customer=source, title="Call back")
    raise_alert(kind=AlertKind.DEFECTION, cause_key="merge-test", title="Leaving", customer=source)

    merge_customers(actor=Actor(user=UserFactory(role=Role.ADMIN)), source=source, target=target)

    assert SurveyInvitation.objects.get().customer == target
    assert FollowUp.objects.get().customer == target
    assert Alert.objects.get().customer == target


@pytest.mark.parametrize("engine", ["trained", "vader"])
def test_both_engines_label_and_score_in_range(engine: str) -> None:
    scored = score_sentiments(
        ["I love this shop, thank you!", "This is awful, the worst service ever."], engine
    )
    assert [s.label for s in scored] == ["positive", "negative"]
    assert all(-1.0 <= s.score <= 1.0 for s in scored)
    assert sentiment_model_version(engine).startswith({"trained": "sentiment-", "vader": "vader-"}[engine])


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sentiment engine"):
        score_sentiments(["hello"], "bert")
