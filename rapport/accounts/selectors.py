"""Reads for staff accounts, scoped to who asks."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from rapport.accounts.models import ApiToken, AuditEntry, Team, User
from rapport.accounts.permissions import Actor, Perm


def tokens_of(actor: Actor) -> QuerySet[ApiToken]:
    actor.require(Perm.TOKENS_OWN)
    return ApiToken.objects.filter(user=actor.user)


def audit_entries_visible_to(
    actor: Actor,
    *,
    action: str = "",
    actor_email: str = "",
    target_type: str = "",
    target_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    actor.require(Perm.AUDIT_VIEW)
    entries = AuditEntry.objects.all()
    if action:
        entries = entries.filter(action=action)
    if actor_email:
        entries = entries.filter(actor_label=actor_email.strip().lower())
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=target_id)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lt=until)
    return entries


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by().values_list("action", flat=True).distinct())


def staff_for_assignment(actor: Actor) -> QuerySet[User]:
    """Staff who can own customer relationships (associates), for people who work with customers."""
    actor.require(Perm.CUSTOMERS_VIEW)
    return User.objects.filter(is_active=True, role__in=["admin", "lead", "agent"])


def staff_visible_to(actor: Actor) -> QuerySet[User]:
    actor.require(Perm.STAFF_MANAGE)
    return User.objects.select_related("team").order_by("full_name", "email")


def access_staff_user(actor: Actor, user_id: int) -> User:
    from rapport.core.errors import NotFound

    user = staff_visible_to(actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound(f"no staff user {user_id}", code="staff_not_found")
    return user


def teams_visible_to(actor: Actor) -> QuerySet[Team]:
    actor.require(Perm.STAFF_MANAGE)
    return Team.objects.all()
