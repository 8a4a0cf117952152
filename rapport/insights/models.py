"""Insights tables: what the value models fitted, each customer's value and health, recommendations."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone


class ValueTier(models.TextChoices):
    STANDARD = "standard", "Standard"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"
    PLATINUM = "platinum", "Platinum"


class ValueModelFit(models.Model):
    """One fit of BG/NBD and Gamma-Gamma over every customer's paid orders, with what it found."""

    fitted_at = models.DateTimeField(default=timezone.now)
    # Orders up to this moment were used; summaries count time in days up to it.
    calibration_end = models.DateTimeField()
    customers = models.PositiveIntegerField()
    repeat_customers = models.PositiveIntegerField(default=0)
    r = models.FloatField()
    alpha = models.FloatField()
    a = models.FloatField()
    b = models.FloatField()
    log_likelihood = models.FloatField()
    # Gamma-Gamma; null when too few customers bought twice to fit it.
    p = models.FloatField(null=True, blank=True)
    q = models.FloatField(null=True, blank=True)
    gamma = models.FloatField(null=True, blank=True)
    annual_discount_rate = models.FloatField()
    horizon_months = models.PositiveSmallIntegerField()
    seconds = models.FloatField(default=0.0)

    class Meta:
        indexes = [models.Index(fields=["-fitted_at"])]

    def __str__(self) -> str:
        return f"Value model fitted {self.fitted_at:%Y-%m-%d %H:%M} over {self.customers} customers"


class CustomerValue(models.Model):
    """A customer's purchase summary and what the latest fit expects of them."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="value"
    )
    fit = models.ForeignKey(ValueModelFit, on_delete=models.CASCADE, related_name="+")
    # The summary, in days: repeat purchase days, first to last purchase, first purchase to the fit.
    frequency = models.PositiveIntegerField()
    recency_days = models.FloatField()
    age_days = models.FloatField()
    average_order_value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    p_alive = models.FloatField()
    expected_purchases_90 = models.FloatField()
    expected_purchases_365 = models.FloatField()
    expected_order_value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    clv = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    tier = models.CharField(max_length=10, choices=ValueTier.choices, default=ValueTier.STANDARD)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["-clv"]),
            models.Index(fields=["tier", "-clv"]),
            models.Index(fields=["p_alive"]),
        ]

    def __str__(self) -> str:
        return f"Customer {self.customer_id}: CLV {self.clv}, P(alive) {self.p_alive:.2f}"


class HealthBand(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    WATCH = "watch", "Watch"
    AT_RISK = "at_risk", "At risk"


class HealthScore(models.Model):
    """A customer's relationship health (numerics/health.py), with the reasons that moved it."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    score = models.FloatField()
    band = models.CharField(max_length=8, choices=HealthBand.choices)
    # [{"signal": ..., "text": ..., "points": ...}], largest cost first.
    reasons = models.JSONField(default=list)
    p_alive = models.FloatField(null=True, blank=True)
    clv = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    # What the customer would be worth if surely active, times the chance they are gone: the at-risk order.
    value_at_risk = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["band", "-value_at_risk"]),
            models.Index(fields=["-value_at_risk"]),
        ]

    def __str__(self) -> str:
        return f"Customer {self.customer_id}: health {self.score:.0f} ({self.band})"


class SimilarProduct(models.Model):
    """ "Customers who bought this also bought": a product's most similar products, best first."""

    product = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="+")
    similar = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "rank"], name="similar_product_rank")]

    def __str__(self) -> str:
        return f"{self.product_id} -> {self.similar_id} ({self.score:.3f})"


class Recommendation(models.Model):
    """A product recommended to a customer, with the product they own that it comes from."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="recommendations"
    )
    product = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="+")
    # "Because you bought ...": the owned product that contributed most to the score.
    because = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="+")
    because_wishlist = models.BooleanField(default=False)
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "rank"], name="recommendation_rank")]

    def __str__(self) -> str:
        return f"Customer {self.customer_id}: {self.product_id} (#{self.rank})"


class PurchaseHistory(models.Model):
    """The relationships page's defection and cohort counts of the latest whole months, as one refresh
    counted them from every paid or fulfilled order placed up to ``as_of``.

    The page shows any 12 or 24 of these months without reading orders (numerics/retention.py says why a
    window of the counts is what counting those months alone gives). Only the latest row is kept.
    """

    as_of = models.DateTimeField()
    # Months are calendar months of this zone: a history counted in another one is not used.
    time_zone = models.CharField(max_length=64)
    first_month = models.DateField()  # the first day of the first month counted
    months = models.PositiveSmallIntegerField()
    # months + 1 counts: customers active at each month's start, then at the last month's end.
    active = models.JSONField(default=list)
    defected = models.JSONField(default=list)  # one count per month
    cohort_sizes = models.JSONField(default=list)  # one count per month
    # Per cohort c: customers of it buying in month 1, 2, ... after theirs, up to the last month counted.
    cohort_returned = models.JSONField(default=list)
    seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name_plural = "purchase histories"
        indexes = [models.Index(fields=["-as_of"])]

    def __str__(self) -> str:
        return f"Purchase history of {self.months} months from {self.first_month:%Y-%m}, as of {self.as_of}"
