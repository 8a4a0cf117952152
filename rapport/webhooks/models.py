"""Outbound webhooks: the endpoints stores register, the outbox of events, and each delivery with its log."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Endpoint(models.Model):
    """A URL of the store's that receives the events it subscribed to, signed with its own secret."""

    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Standard Webhooks secret, "whsec_" + base64; the receiver needs it to verify signatures.
    secret = models.CharField(max_length=100)
    # After a rotation the old secret signs too, for a while, so a receiver can switch without a gap.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def event_types(self) -> list[str]:
        """The subscribed event types, sorted (prefetch `subscriptions` when listing endpoints)."""
        return sorted(subscription.event_type for subscription in self.subscriptions.all())

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a request now: the current one, and the previous during its grace."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets


class Subscription(models.Model):
    """An endpoint wants one event type. A row per pair, so "who wants X?" is one indexed lookup."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="subscriptions")
    event_type = models.CharField(max_length=64)

    class Meta:
        ordering = ["event_type"]
        constraints = [
            models.UniqueConstraint(fields=["event_type", "endpoint"], name="webhook_subscription_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} ← {self.event_type}"


class EventOutcome(models.TextChoices):
    # No delivery has succeeded yet, and at least one may still.
    OPEN = "", "Open"
    SUCCEEDED = "succeeded", "Delivered to at least one endpoint"
    FAILED = "failed", "Every delivery failed"


class OutboxEvent(models.Model):
    """One webhook event, written in the same transaction as the change it reports.

    event_id is the webhook-id every attempt of every delivery carries, so receivers can drop repeats.
    """

    event_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=64, db_index=True)
    # The "data" object of the JSON body, fixed when the event happened.
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # What the event is about ("desk.conversation", "42"), and the timeline row it came from.
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    timeline_event_id = models.BigIntegerField(null=True, blank=True)
    # Settled once for delivery hooks (rapport.webhooks.outcomes): succeeded is final; failed may
    # still turn into succeeded when an admin retries a delivery by hand.
    outcome = models.CharField(
        max_length=10, choices=EventOutcome.choices, default=EventOutcome.OPEN, blank=True
    )
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="outbox_subject_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERING = "delivering", "Delivering"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event on its way to one endpoint: retried with backoff until delivered or its window ends."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    # Attempts started; the attempt in flight while delivering carries this number.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Retries continue until this much time has passed since the window started (the first attempt,
    # or an admin's retry by hand).
    window_started_at = models.DateTimeField(default=timezone.now)
    # Attempts made before the window started: the backoff schedule counts only the window's own.
    attempts_before_window = models.PositiveIntegerField(default=0)
    # A worker holds a delivering row until then; past it, the sweep takes the delivery over.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [
            # The sweep: due deliveries, soonest first; done ones (null) stay out of this index.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "delivering"]),
                name="webhook_delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log_idx"),
            models.Index(fields=["endpoint", "status", "-id"], name="webhook_delivery_status_idx"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP attempt of a delivery, as it went: the log an admin reads when a store says "nothing came"."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    # Denormalised from the delivery so the per-endpoint chart reads one index range.
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="+", db_index=False)
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=False)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number", "id"]
        indexes = [
            models.Index(fields=["delivery", "number"], name="webhook_attempt_delivery_idx"),
            models.Index(fields=["endpoint", "at"], name="webhook_attempt_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
