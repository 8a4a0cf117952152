"""Customers, the identities that point at them, and what we know about them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person the company serves.

    On SQLite, triggers keep the FTS5 name index current (migration 0003). A migration that makes
    SQLite rebuild this table drops them: such a migration must create them again.
    """

    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16, default="en")
    time_zone = models.CharField(max_length=64, default="UTC")
    # Region used to read phone numbers written without a country code.
    country = models.CharField(max_length=2, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="associated_customers",
    )
    marketing_consent = models.BooleanField(default=False)
    marketing_consent_at = models.DateTimeField(null=True, blank=True)
    survey_consent = models.BooleanField(default=True)
    survey_consent_at = models.DateTimeField(null=True, blank=True)
    # db_index=False: almost every row has NULL here, so a full index only tempts the planner into
    # walking 99% of the table for "live customers"; the partial index below covers the few merged.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", db_index=False
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # The list is ordered by name; this index lets a page stop after its rows.
            models.Index(fields=["name", "id"], name="customer_name_id_idx"),
            models.Index(fields=["associate", "name"]),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="customer_merged_into_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"Customer {self.pk}"

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social"


class Identity(models.Model):
    """An address at which a customer can be reached; unique across all customers."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=IdentityKind.choices)
    # Normalised: lower-case email, E.164 phone, "platform:handle" for social.
    value = models.CharField(max_length=254)
    is_primary = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-is_primary", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value"),
        ]
        indexes = [models.Index(fields=["value"]), models.Index(fields=["customer", "kind"])]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def platform(self) -> str:
        return self.value.split(":", 1)[0] if self.kind == IdentityKind.SOCIAL else ""

    @property
    def display_value(self) -> str:
        from rapport.core.normalise import format_phone_for_display

        if self.kind == IdentityKind.PHONE:
            return format_phone_for_display(self.value)
        if self.kind == IdentityKind.SOCIAL:
            platform, _, handle = self.value.partition(":")
            return f"@{handle} on {platform.title()}"
        return self.value


class PreferenceKind(models.TextChoices):
    CATEGORY = "category", "Category"
    BRAND = "brand", "Brand"


class Preference(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="preferences")
    kind = models.CharField(max_length=10, choices=PreferenceKind.choices)
    value = models.CharField(max_length=100)
    likes = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="preference_unique_per_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{'likes' if self.likes else 'dislikes'} {self.kind} {self.value}"


class Note(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]


class TimelineEvent(models.Model):
    """One thing that happened with a customer. Every app appends here; the 360 reads only this."""

    # db_index=False: the (customer, -occurred_at, -id) index below serves lookups by customer.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=40)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    # Where the event came from, so the timeline can link to it ("commerce.order", 42).
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"
