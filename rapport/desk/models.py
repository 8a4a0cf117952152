"""Conversations with customers, their messages and attachments, and what the desk runs on.

Calendars, SLA policies, team routing rules, agent presence, custom fields, macros and saved views
are the desk's configuration; events are the append-only history of every conversation.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from rapport.desk.business_hours import Calendar


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    WEB = "web", "Web form"
    SOCIAL = "social", "Social"
    API = "api", "API"


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending on customer"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Statuses in which the desk still owes the customer something; they are what inbox views count.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.SNOOZED)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class SlaState(models.TextChoices):
    NONE = "none", "No SLA"
    OK = "ok", "On track"
    PAUSED = "paused", "Paused"
    NEAR = "near", "Near breach"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"


class BusinessCalendar(models.Model):
    """Opening hours in a time zone with holidays, or around the clock."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    always_open = models.BooleanField(default=False)
    # Seven lists (Monday first) of [start_minute, end_minute] pairs, local wall-clock time.
    weekly_hours = models.JSONField(default=list, blank=True)
    # ISO dates on which the calendar is closed all day.
    holidays = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def as_calendar(self) -> Calendar:
        weekly = tuple(tuple((int(a), int(b)) for a, b in day) for day in (self.weekly_hours or [[]] * 7))
        return Calendar(
            time_zone=self.time_zone,
            weekly=weekly if len(weekly) == 7 else ((),) * 7,
            holidays=frozenset(date.fromisoformat(day) for day in self.holidays or []),
            always_open=self.always_open,
        )


class TeamDesk(models.Model):
    """How one team's desk runs: privacy, routing rules, hours and capacity."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="desk")
    # A private team's conversations are seen only by its members and admins.
    is_private = models.BooleanField(default=False)
    route_to_associate = models.BooleanField(default=True)
    round_robin = models.BooleanField(default=True)
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_capacity = models.PositiveIntegerField(default=20)

    def __str__(self) -> str:
        return f"desk of {self.team}"


class AgentPresence(models.Model):
    """Whether an agent takes new conversations now, and how many open ones they can carry."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presence")
    available = models.BooleanField(default=True)
    # Null: the team's default capacity.
    capacity = models.PositiveIntegerField(null=True, blank=True)
    # Null: the team's calendar (and with no team calendar, always working).
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Round robin hands the next conversation to whoever waited longest among the least loaded.
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user} {'available' if self.available else 'away'}"


class DeskSettings(models.Model):
    """Settings for the whole desk; there is one row (pk=1)."""

    auto_close_after_days = models.PositiveIntegerField(default=4)
    # Share of an SLA target after which a conversation is flagged as near breach.
    near_breach_percent = models.PositiveIntegerField(default=80)
    max_attachment_bytes = models.PositiveIntegerField(default=20 * 1024 * 1024)

    def __str__(self) -> str:
        return "desk settings"


class SlaPolicy(models.Model):
    """Targets for a kind of conversation; the first active policy (by position) that matches applies."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Blank criteria match everything.
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    # Customers of at least this value tier (customers.tiers; from lifetime value); blank: any customer.
    customer_tier = models.CharField(max_length=10, blank=True)
    customer_tag = models.ForeignKey(
        "customers.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="sla_policies"
    )
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class CustomFieldKind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    CHOICE = "choice", "Choice"
    DATE = "date", "Date"


class CustomField(models.Model):
    key = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=CustomFieldKind.choices)
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


def new_conversation_token() -> str:
    return secrets.token_urlsafe(12)


class Conversation(models.Model):
    """One thread with one customer, on the channel it started on.

    On SQLite, triggers keep the FTS5 subject index current (migration 0002). A migration that makes
    SQLite rebuild this table drops them: such a migration must create them again.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="conversations", db_index=False
    )
    # Unguessable: goes in reply addresses and subjects for threading, and in customer-facing links.
    token = models.CharField(max_length=24, unique=True, default=new_conversation_token)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    tags = models.ManyToManyField("customers.Tag", blank=True, related_name="conversations")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    assigned_reason = models.CharField(max_length=100, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    # Extra addresses kept in copy on replies.
    participants = models.JSONField(default=list, blank=True)
    orders = models.ManyToManyField("commerce.Order", blank=True, related_name="conversations")
    custom_fields = models.JSONField(default=dict, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)

    # SLA clock. Due times are stored so views filter on an index; pausing moves them on resume.
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    # Business time the clock has stood still (pending on the customer, resolved), in seconds.
    sla_paused_seconds = models.PositiveIntegerField(default=0)
    # The earliest target still running, and when it becomes "near breach": what inbox views read.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(max_length=10, choices=SlaState.choices, default=SlaState.NONE)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)

    first_response_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # When the conversation was done, while it is resolved or closed; NULL otherwise. The database keeps it
    # (no write path sets it), so reports read a range of an index instead of computing this for every
    # row of the history. Closing a resolved conversation keeps resolved_at; a row that is not resolved or
    # closed is not done, whatever moments it keeps. After save() the attribute is stale until reloaded.
    done_at = models.GeneratedField(
        expression=Case(
            When(
                status__in=[Status.RESOLVED, Status.CLOSED],
                then=Coalesce("resolved_at", "closed_at"),
            ),
            default=None,
        ),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
    )

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            # Each inbox view is an equality filter plus this order, so a page stops after its rows. The
            # columns after the order are what the private-team filter, merges and the "breaching" view
            # read, so pages and the views' counts need not visit the table (the counts took twice as
            # long). A partial index on the active statuses would be smaller, but SQLite does not match
            # `status IN (?, ...)` with parameters to an index's condition.
            models.Index(
                fields=[
                    "status",
                    "-last_message_at",
                    "-id",
                    "merged_into",
                    "team",
                    "assignee",
                    "sla_warn_at",
                    "first_response_breached",
                    "resolution_breached",
                ],
                name="conv_status_covering_idx",
            ),
            models.Index(
                fields=["assignee", "status", "-last_message_at", "-id"], name="conv_assignee_recent_idx"
            ),
            models.Index(fields=["team", "status", "-last_message_at", "-id"], name="conv_team_recent_idx"),
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent_idx"),
            models.Index(
                fields=["sla_warn_at"], condition=Q(sla_warn_at__isnull=False), name="conv_sla_warn_idx"
            ),
            models.Index(
                fields=["snoozed_until"], condition=Q(snoozed_until__isnull=False), name="conv_snoozed_idx"
            ),
            models.Index(fields=["resolved_at"], condition=Q(status="resolved"), name="conv_resolved_idx"),
            # Dashboards and reports read a date range of conversations (insights' service dashboard).
            models.Index(fields=["created_at"], name="conv_created_idx"),
            # The service dashboard's backlog: what is open at a moment (done_at NULL, or at or after it)
            # is a range of this index, read without visiting the table (visibility and filter columns).
            models.Index(
                fields=["done_at", "created_at", "team", "assignee", "merged_into", "channel"],
                name="conv_done_created_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or f"Conversation {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def sla_status(self, now: datetime) -> str:
        """The SLA state as of now, read from the stored due times (no task needs to have run)."""
        if self.sla_paused_at is not None:
            return SlaState.PAUSED
        if self.first_response_breached or self.resolution_breached:
            return SlaState.BREACHED
        if self.sla_due_at is None:
            return SlaState.MET if self.sla_policy_id else SlaState.NONE
        if self.sla_due_at <= now:
            return SlaState.BREACHED
        if self.sla_warn_at is not None and self.sla_warn_at <= now:
            return SlaState.NEAR
        return SlaState.OK


class MessageKind(models.TextChoices):
    INBOUND = "inbound", "From the customer"
    OUTBOUND = "outbound", "Reply"
    NOTE = "note", "Internal note"


class Message(models.Model):
    """A customer's message, a reply or an internal note. The SQLite FTS5 body index hangs on this
    table by triggers (migration 0002): a migration that rebuilds the table must create them again."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Staff author of replies and notes; inbound messages come from the conversation's customer.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.CharField(max_length=254, blank=True)
    body_text = models.TextField(blank=True)
    # Sanitised with nh3 before it is stored; shown as is.
    body_html = models.TextField(blank=True)
    # Channel's own id (an email Message-ID), for threading and deduplication.
    external_id = models.CharField(max_length=998, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_thread_idx"),
            # Customer messages of a date range: dashboards, listening's themes.
            models.Index(fields=["kind", "created_at"], name="message_kind_created_idx"),
            # Email threading looks replies up by the Message-ID they answer; most messages have none.
            models.Index(
                fields=["external_id"], name="message_external_id_idx", condition=~models.Q(external_id="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.body_text[:50]}"

    @property
    def is_note(self) -> bool:
        return self.kind == MessageKind.NOTE


class Attachment(models.Model):
    """A file on a message. The bytes live outside the database, named by their SHA-256."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class ConversationEvent(models.Model):
    """One change to a conversation: status, assignment, tags, SLA flags, merges. Append-only."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="conv_event_thread_idx"),
            # Later apps (webhooks, insights) read the stream in order.
            models.Index(fields=["created_at", "id"], name="conv_event_stream_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"


class Macro(models.Model):
    """A canned reply with variables, plus actions applied when it is used."""

    name = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    # {"status": "...", "priority": "...", "add_tags": [...], "assign": "me" | user id}
    actions = models.JSONField(default=dict, blank=True)
    # Null: shared with every team.
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="macros"
    )
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A named inbox filter an agent keeps (or shares with everyone)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict)
    shared = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name


class Viewer(models.Model):
    """Who has a conversation open and whether they are typing: the collision warning reads this."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="viewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)
    typing_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="viewer_unique_per_conversation")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.conversation_id}"
