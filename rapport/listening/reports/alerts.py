"""One alert and what raised it, as far as the asking person may see it; the alerts list's counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from rapport.accounts.permissions import Actor, Perm
from rapport.channels.models import SocialMention
from rapport.core.errors import NotFound
from rapport.desk.models import Message
from rapport.desk.selectors.conversations import conversations_visible_to
from rapport.listening.models import Alert, AlertKind, FollowUp, SurveyResponse
from rapport.listening.selectors import visible_alerts

KIND_CHOICES = list(AlertKind.choices)


def alerts_list(actor: Actor, *, status: str, kind: str = "") -> QuerySet[Alert]:
    """Alerts of one status (open or acknowledged) the actor may see, of one kind when given."""
    alerts = visible_alerts(actor, status=status)
    if kind:
        alerts = alerts.filter(kind=kind)
    return alerts


def access_alert(actor: Actor, alert_id: int) -> Alert:
    """The alert, or NotFound when it does not exist or was raised for someone else."""
    alert = visible_alerts(actor, status="").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(f"no alert {alert_id}", code="alert_not_found")
    return alert


def _ref(value: object, label: str) -> int | None:
    """The pk of an "app_label.model:pk" reference to that model, else None."""
    if not isinstance(value, str) or ":" not in value:
        return None
    model, _, pk = value.partition(":")
    return int(pk) if model == label and pk.isdigit() else None


@dataclass
class AlertSources:
    """What raised the alert: links shown on its page (only what the person may open)."""

    conversation_visible: bool = False
    message: Message | None = None
    response: SurveyResponse | None = None
    follow_up: FollowUp | None = None
    mentions: list[SocialMention] = field(default_factory=list)
    more_mentions: int = 0


def alert_sources(actor: Actor, alert: Alert, *, mentions_shown: int = 200) -> AlertSources:
    sources = AlertSources()
    data = alert.data or {}
    visible = conversations_visible_to(actor) if actor.can(Perm.DESK_VIEW) else None
    if alert.conversation_id is not None and visible is not None:
        sources.conversation_visible = visible.filter(pk=alert.conversation_id).exists()
    message_id = _ref(data.get("message"), "desk.message")
    if message_id is not None and visible is not None:
        messages = Message.objects.filter(pk=message_id, conversation__in=visible)
        sources.message = messages.select_related("conversation").first()
    response_id = _ref(data.get("response"), "listening.surveyresponse")
    if response_id is not None:
        sources.response = SurveyResponse.objects.filter(pk=response_id).first()
    follow_up_id = _ref(data.get("follow_up"), "listening.followup")
    if follow_up_id is not None:
        sources.follow_up = FollowUp.objects.filter(pk=follow_up_id).select_related("assignee").first()
    ids = [pk for pk in data.get("mention_ids", []) if isinstance(pk, int)]
    if ids:
        # Mentions are public posts: whoever may see the alert may see them.
        sources.mentions = list(
            SocialMention.objects.filter(pk__in=ids[:mentions_shown])
            .select_related("signal")
            .order_by("posted_at", "id")
        )
        sources.more_mentions = max(len(ids) - mentions_shown, 0)
    return sources
