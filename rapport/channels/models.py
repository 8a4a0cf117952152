"""What every channel receives, kept raw before it is parsed, and the email mailboxes Rapport serves."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from rapport.accounts.models import Team
from rapport.desk.models import Conversation, Message


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    WIDGET = "widget", "Web widget"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", "Received, not yet processed"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (automatic mail)"
    QUARANTINED = "quarantined", "Quarantined"


class InboundDelivery(models.Model):
    """One delivery as it arrived: the raw bytes are committed before anything reads them.

    A sender that retries (a second SMTP DATA after a lost 250, a replayed webhook) delivers the same
    dedupe_key again; the unique constraint keeps one row, so the delivery has one effect.
    """

    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    # Where it arrived: a mailbox address, a widget key, a telephony or social provider.
    source = models.CharField(max_length=254)
    # Message-ID for email, the provider's id elsewhere; "" when the input carries none.
    external_id = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    # A digest of (kind, sender, external id), or of the raw bytes when there is no id.
    dedupe_key = models.CharField(max_length=64, unique=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    remote_addr = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker that took the delivery to process keeps other workers off it until then (a worker that
    # died holding it frees it when the time passes).
    claimed_until = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Why it was quarantined or ignored, in words an admin can act on.
    reason = models.TextField(blank=True)
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="delivery_status_idx"),
            models.Index(fields=["external_id"], name="delivery_external_id_idx"),
            models.Index(fields=["-received_at", "-id"], name="delivery_received_idx"),
        ]
        verbose_name_plural = "inbound deliveries"

    def __str__(self) -> str:
        return f"{self.kind} from {self.sender or '?'} ({self.status})"


class Mailbox(models.Model):
    """An address customers write to (support@, returns@). Mail for any other address is refused."""

    address = models.EmailField(unique=True)
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)
    # Mailboxes hosted elsewhere are polled over IMAP; the UID bookkeeping makes each message read once.
    imap_host = models.CharField(max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(default=993)
    imap_use_tls = models.BooleanField(default=True)
    imap_username = models.CharField(max_length=255, blank=True)
    # Sealed (rapport.core.sealed): Rapport sends it to the IMAP server, so it cannot be hashed.
    imap_password_sealed = models.TextField(blank=True)
    imap_folder = models.CharField(max_length=255, default="INBOX")
    imap_uid_validity = models.BigIntegerField(null=True, blank=True)
    imap_last_uid = models.BigIntegerField(default=0)
    imap_polled_at = models.DateTimeField(null=True, blank=True)
    imap_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def polls_imap(self) -> bool:
        return bool(self.imap_host and self.imap_username)


class SendStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(models.Model):
    """An agent's reply on its way out by SMTP: the headers it carries and whether it left."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbound_email")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    header_message_id = models.CharField(max_length=998)
    status = models.CharField(max_length=10, choices=SendStatus.choices, default=SendStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "queued_at"], name="outbound_status_idx")]

    def __str__(self) -> str:
        return f"{self.header_message_id} ({self.status})"


class CallDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class CallStatus(models.TextChoices):
    # Reported while the call rings or runs; its message is written once it ends.
    IN_PROGRESS = "in_progress", "In progress"
    ANSWERED = "answered", "Answered"
    MISSED = "missed", "Missed"
    VOICEMAIL = "voicemail", "Voicemail"
    BUSY = "busy", "Busy"
    FAILED = "failed", "Failed"


class PhoneCall(models.Model):
    """One telephone call as the provider reported it; later reports of the same call update this row.

    Its message is written once, when the call has ended; the row keeps what arrives after (a
    recording link, a corrected duration) without writing the conversation again.
    """

    call_id = models.CharField(max_length=128, unique=True)
    # "json" for the documented payload, "twilio" for Twilio's status callbacks.
    provider = models.CharField(max_length=40)
    direction = models.CharField(max_length=10, choices=CallDirection.choices)
    status = models.CharField(max_length=12, choices=CallStatus.choices, default=CallStatus.IN_PROGRESS)
    from_number = models.CharField(max_length=64, blank=True)
    to_number = models.CharField(max_length=64, blank=True)
    # E.164: the caller of an inbound call, the callee of an outbound one.
    customer_number = models.CharField(max_length=32)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # As the provider sent it: kept when no active member of staff has this address.
    agent_email = models.CharField(max_length=254, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    recording_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="phonecall_customer_idx")]

    def __str__(self) -> str:
        return f"{self.direction} call {self.call_id} ({self.status})"


class SocialMention(models.Model):
    """A public post that names the company. Only a known handle links it to a customer: a mention
    is not a contact, so nobody becomes a customer by mentioning us until staff open a conversation."""

    platform = models.CharField(max_length=20)
    # Lower-case, without the leading @.
    handle = models.CharField(max_length=100)
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    url = models.URLField(max_length=2000, blank=True)
    posted_at = models.DateTimeField()
    external_id = models.CharField(max_length=255)
    # Followers or audience of the author when it was posted, as the provider counts them.
    reach = models.PositiveBigIntegerField(default=0)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="mention_unique_platform_post"),
        ]
        indexes = [
            # The mentions page is newest first, whole or narrowed to one platform.
            models.Index(fields=["-posted_at", "-id"], name="mention_recent_idx"),
            models.Index(fields=["platform", "-posted_at", "-id"], name="mention_platform_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} on {self.platform}: {self.text[:50]}"


def new_widget_key() -> str:
    # Public (it is in every host page's script tag) but random, so widgets cannot be listed by guessing.
    return secrets.token_urlsafe(16)


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


class Widget(models.Model):
    """The help button a website embeds with one script tag: phone, hours, contact form, chat, call-back.

    Only the origins listed may talk to it: every public request's Origin header is checked against
    allowed_origins (exact scheme://host[:port]), and CORS headers are sent to those alone.
    """

    key = models.SlugField(max_length=32, unique=True, default=new_widget_key)
    name = models.CharField(max_length=100)
    allowed_origins = models.JSONField(default=list, blank=True)
    # E.164; shown in plain sight with a tel: link. Blank: the widget shows no number.
    phone_number = models.CharField(max_length=32, blank=True)
    # Opening hours shown, "open now", and the call-back windows offered. Null: around the clock (UTC).
    calendar = models.ForeignKey(
        "desk.BusinessCalendar", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # HMAC-SHA256 key the host site signs its visitors' identities with (docs/widget.md).
    identity_secret = models.CharField(max_length=64, default=new_identity_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def allows_origin(self, origin: str) -> bool:
        return bool(origin) and origin in self.allowed_origins


class ChatVisitor(models.Model):
    """One browser on a host site, known by a random token it keeps; only the token's digest is stored."""

    widget = models.ForeignKey(Widget, on_delete=models.CASCADE, related_name="visitors")
    token_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)
    # As typed into a form, or as the host site signed it (email_verified).
    email = models.CharField(max_length=254, blank=True)
    email_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The last poll: a visitor unseen for a few minutes has left, and replies go by email.
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"visitor {self.pk} on {self.widget_id}"


class ChatSession(models.Model):
    """A chat conversation and the visitor who started it: who may read it, typing, what was seen."""

    visitor = models.ForeignKey(ChatVisitor, on_delete=models.CASCADE, related_name="sessions")
    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="+")
    visitor_typing_at = models.DateTimeField(null=True, blank=True)
    # The newest agent reply the visitor's widget has received: "Seen by the visitor" up to here.
    seen_message_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["visitor", "-id"], name="chatsession_visitor_idx")]

    def __str__(self) -> str:
        return f"chat {self.conversation_id} of visitor {self.visitor_id}"


class WidgetRateCounter(models.Model):
    """Requests per bucket (an IP, a visitor) in one minute: shared by every web process through the DB."""

    bucket = models.CharField(max_length=120)
    # Minutes since the Unix epoch.
    minute = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "minute"], name="widget_rate_unique_bucket_minute")
        ]
        indexes = [models.Index(fields=["minute"], name="widget_rate_minute_idx")]

    def __str__(self) -> str:
        return f"{self.bucket} @ {self.minute}: {self.count}"
