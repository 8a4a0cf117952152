"""What Rapport hears: scores on every inbound message, surveys and their answers, alerts, themes, spikes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class MessageSignal(models.Model):
    """What the models read in one inbound message: sentiment, likely intent, defection wording.

    Reached from a conversation or customer through the message, so merging or splitting conversations
    and merging customers never leaves a copy behind.
    """

    message = models.OneToOneField("desk.Message", on_delete=models.CASCADE, related_name="signal")
    # When the customer wrote: trends are drawn on this, not on when the message was scored.
    written_at = models.DateTimeField()
    sentiment_score = models.FloatField()
    sentiment_label = models.CharField(max_length=8, choices=SentimentLabel.choices)
    # The model that scored it (file name and SHA-256 prefix), so a rebuilt model's scores can be told apart.
    model_version = models.CharField(max_length=40)
    intent = models.CharField(max_length=80, blank=True)
    intent_confidence = models.FloatField(default=0.0)
    defection = models.BooleanField(default=False)
    # The rule or sentence that raised the defection flag, shown to the agent as the reason.
    defection_reason = models.CharField(max_length=300, blank=True)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["written_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.sentiment_label} {self.sentiment_score:+.2f} on message {self.message_id}"


class MentionSignal(models.Model):
    """The sentiment of one social mention; mentions are not desk messages, so they are scored apart."""

    mention = models.OneToOneField("channels.SocialMention", on_delete=models.CASCADE, related_name="signal")
    posted_at = models.DateTimeField()
    sentiment_score = models.FloatField()
    sentiment_label = models.CharField(max_length=8, choices=SentimentLabel.choices)
    model_version = models.CharField(max_length=40)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["posted_at"])]

    def __str__(self) -> str:
        return f"{self.sentiment_label} {self.sentiment_score:+.2f} on mention {self.mention_id}"


class ScoringCursor(models.Model):
    """How far scoring has read the messages table: inbound messages with a larger id are still to score."""

    name = models.CharField(max_length=40, unique=True)
    last_message_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # A worker scoring after this cursor holds the turn until then, so two never score the same batch;
    # one that died gives it up when the time passes.
    busy_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at message {self.last_message_id}"


class SentimentEngine(models.TextChoices):
    TRAINED = "trained", "Rapport's trained model"
    VADER = "vader", "VADER (lexicon and rules)"


class ListeningSettings(models.Model):
    """One row: which sentiment model scores, how surveys are sent, how alerts reach people. Admins set it."""

    sentiment_engine = models.CharField(
        max_length=10, choices=SentimentEngine.choices, default=SentimentEngine.VADER
    )
    csat_enabled = models.BooleanField(default=True)
    # Minutes after a conversation is resolved before the CSAT invitation goes out (a reopen cancels it).
    csat_delay_minutes = models.PositiveIntegerField(default=60)
    ces_enabled = models.BooleanField(default=False)
    nps_enabled = models.BooleanField(default=True)
    # The relationship survey goes this many days after the customer's first order ...
    nps_days_after_first_order = models.PositiveIntegerField(default=90)
    # ... and never more often than this per customer (a quarter).
    nps_min_days_between = models.PositiveIntegerField(default=92)
    # Invitations can be answered for this many days; an answer can be changed for a day after it is given.
    invitation_valid_days = models.PositiveIntegerField(default=14)
    # Alerts are shown in Rapport always; with this on they are also emailed to the people they are for.
    email_alerts = models.BooleanField(default=False)
    # Customers with at least this value tier count as valuable for defection and VIP alerts.
    valuable_tier = models.CharField(max_length=10, default="gold")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "listening settings"

    def __str__(self) -> str:
        return "Listening settings"


class SurveyKind(models.TextChoices):
    CSAT = "csat", "Customer satisfaction (CSAT)"
    CES = "ces", "Customer effort (CES)"
    NPS = "nps", "Net Promoter Score (NPS)"


SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
    SurveyKind.NPS: (0, 10),
}


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    ANSWERED = "answered", "Answered"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Could not be sent"


class SurveyInvitation(models.Model):
    """One request to one customer to answer one survey; answered at most once, through its token."""

    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations", db_index=False
    )
    conversation = models.ForeignKey(
        "desk.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_invitations",
    )
    # Who served the customer and in which team, as they were when the conversation was resolved.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "email" or "chat": how the invitation reaches the customer.
    delivery = models.CharField(max_length=10, default="email")
    recipient = models.CharField(max_length=254, blank=True)
    # Only the SHA-256 of the token is kept: a database reader cannot answer for a customer.
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED
    )
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    failure = models.CharField(max_length=300, blank=True)
    # Sending attempts so far: a failed send is tried again, a few times at most.
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["status", "send_at"]),
            models.Index(fields=["customer", "kind", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
        ]
        constraints = [
            # One CSAT (or CES) invitation per resolved conversation, however often it is resolved.
            models.UniqueConstraint(
                fields=["conversation", "kind"],
                condition=Q(conversation__isnull=False),
                name="listening_one_invitation_per_conversation_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} invitation {self.pk} for customer {self.customer_id}"


class SurveyResponse(models.Model):
    """The answer to one invitation: a score on the survey's scale and an optional comment."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_responses", db_index=False
    )
    conversation = models.ForeignKey(
        "desk.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True)
    comment_sentiment = models.FloatField(null=True, blank=True)
    comment_sentiment_label = models.CharField(max_length=8, choices=SentimentLabel.choices, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    # The first answer's time: it can be changed until a day after it, never later.
    first_answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "answered_at"]),
            models.Index(fields=["customer", "answered_at"]),
            models.Index(fields=["agent", "kind", "answered_at"]),
            models.Index(fields=["team", "kind", "answered_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} from customer {self.customer_id}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class FollowUp(models.Model):
    """Something a person should do for a customer: the recovery loop after a low score or an alert."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="follow_ups", db_index=False
    )
    conversation = models.ForeignKey(
        "desk.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    response = models.ForeignKey(
        SurveyResponse, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    # The customer's associate, else whoever handled the conversation; unassigned ones go to the leads.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    status = models.CharField(max_length=4, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["customer", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class AlertKind(models.TextChoices):
    DEFECTION = "defection", "Defection intent"
    FALLING_SENTIMENT = "sentiment", "Falling sentiment (valuable customer)"
    LOW_CSAT = "low_csat", "Low CSAT"
    DETRACTOR = "detractor", "NPS detractor"
    SPIKE = "spike", "Mention spike"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class Alert(models.Model):
    """Something a person should look at now, linked to what raised it; raised once per cause."""

    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    # One alert per cause: e.g. "defection:message:812", "spike:2026-12-05T14". A second raise is a no-op.
    cause_key = models.CharField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="listening_alerts"
    )
    conversation = models.ForeignKey(
        "desk.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="listening_alerts"
    )
    # Who it is for: one person (the associate), or nobody in particular, which means the leads.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="listening_alerts",
    )
    # What raised it, as "app_label.model:pk" pairs (a message, a response, mentions); shown as links.
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "raised_at"]),
            models.Index(fields=["recipient", "status", "raised_at"]),
            models.Index(fields=["kind", "raised_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class Theme(models.Model):
    """A topic customers wrote about in one period, found by the themes task."""

    # Every refresh writes a new set of themes; the page shows the latest run.
    run_at = models.DateTimeField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=200)
    top_terms = models.JSONField(default=list)
    # Message ids of typical messages, most typical first.
    example_message_ids = models.JSONField(default=list)
    message_count = models.PositiveIntegerField()
    previous_count = models.PositiveIntegerField(default=0)
    # "rising", "falling" or "steady", against the period before.
    trend = models.CharField(max_length=8)

    class Meta:
        indexes = [models.Index(fields=["run_at", "position"])]

    def __str__(self) -> str:
        return self.label


class TrainedModel(models.Model):
    """A model Rapport trained on this company's own data (tag suggestions), kept in the database.

    In the database rather than on disk so every web and worker process, on any machine, reads the same
    one. The arrays are the same pickle-free `.npz` the shipped models use.
    """

    name = models.CharField(max_length=40)
    trained_at = models.DateTimeField(default=timezone.now)
    arrays = models.BinaryField()
    meta = models.JSONField(default=dict)
    examples = models.PositiveIntegerField()
    classes = models.PositiveIntegerField()
    # Accuracy on a held-out fifth of the examples, shown next to the suggestions.
    holdout_accuracy = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["name", "trained_at"])]

    def __str__(self) -> str:
        return f"{self.name} trained {self.trained_at:%Y-%m-%d %H:%M}"
