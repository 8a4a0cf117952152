"""Alert mail: with email alerts on, each new alert is mailed to its recipient, or to the leads.

The alert listener (registered at start-up) runs after the commit that raised the alert and queues the
sending task; the task claims the alert by setting ``emailed_at`` where it was empty, so a task run twice
(a retry, two workers) sends one mail. A send that fails gives the claim back for the next try.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.listening.models import Alert
from rapport.listening.services.config import listening_settings


def queue_alert_mail(alert_id: int) -> None:
    """The alert listener: queue the mail when email alerts are on (checked again when sending)."""
    if not listening_settings().email_alerts:
        return
    from rapport.listening.tasks.dashboard import send_alert_mail_task

    send_alert_mail_task.enqueue(alert_id)


def alert_recipients(alert: Alert) -> list[str]:
    """The alert's recipient when it has an active one; else every active lead (admins when no lead)."""
    if alert.recipient is not None and alert.recipient.is_active and alert.recipient.email:
        return [alert.recipient.email]
    leads = User.objects.filter(is_active=True, role=Role.LEAD).exclude(email="").order_by("email")
    emails = list(leads.values_list("email", flat=True))
    if not emails:
        admins = User.objects.filter(is_active=True, role=Role.ADMIN).exclude(email="").order_by("email")
        emails = list(admins.values_list("email", flat=True))
    return emails


def build_alert_mail(alert: Alert, recipients: list[str]) -> EmailMultiAlternatives:
    # A relative link is still useful in the mail when no public address is configured.
    base = str(getattr(settings, "RAPPORT_PUBLIC_URL", "") or "").rstrip("/")
    context = {"alert": alert, "url": base + reverse("listening:alert", args=[alert.pk])}
    mail = EmailMultiAlternatives(
        subject=f"[Rapport] {alert.title}",
        body=render_to_string("listening/emails/alert.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients[:1],
        # The leads do not need to see each other's addresses.
        bcc=recipients[1:],
    )
    mail.attach_alternative(render_to_string("listening/emails/alert.html", context), "text/html")
    return mail


def send_alert_mail(alert_id: int) -> str:
    """Mail the alert once; returns what happened ("sent", "disabled", "already", "missing", "nobody")."""
    if not listening_settings().email_alerts:
        return "disabled"
    alert = Alert.objects.select_related("recipient").filter(pk=alert_id).first()
    if alert is None:
        return "missing"
    if alert.emailed_at is not None:
        return "already"
    recipients = alert_recipients(alert)
    if not recipients:
        return "nobody"
    claimed_at = timezone.now()
    claimed = Alert.objects.filter(Q(pk=alert_id), Q(emailed_at__isnull=True)).update(emailed_at=claimed_at)
    if not claimed:
        return "already"
    try:
        build_alert_mail(alert, recipients).send()
    except Exception:
        Alert.objects.filter(pk=alert_id, emailed_at=claimed_at).update(emailed_at=None)
        raise
    return "sent"
