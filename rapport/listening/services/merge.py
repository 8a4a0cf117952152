"""Customer merges: what listening keeps on a customer moves to the one that remains."""

from __future__ import annotations

from rapport.customers.models import Customer
from rapport.listening.models import Alert, FollowUp, SurveyInvitation, SurveyResponse


def move_listening_records(source: Customer, target: Customer) -> dict[str, int]:
    return {
        "survey_invitations": SurveyInvitation.objects.filter(customer=source).update(customer=target),
        "survey_responses": SurveyResponse.objects.filter(customer=source).update(customer=target),
        "follow_ups": FollowUp.objects.filter(customer=source).update(customer=target),
        "listening_alerts": Alert.objects.filter(customer=source).update(customer=target),
    }
