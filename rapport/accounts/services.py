"""Writes for staff accounts: users, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from rapport.accounts.audit import changed, record_audit, snapshot
from rapport.accounts.models import ApiToken, Role, Team, User
from rapport.accounts.permissions import SCOPES, Actor, Perm, scopes_for_role
from rapport.core.errors import Conflict, NotFound, ValidationFailed

TOKEN_PREFIX = "rpt_"  # noqa: S105 - a public marker, not a secret
# Writing last_used_at on every request would turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is safe; no salt or KDF is needed.
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


def create_api_token(*, actor: Actor, name: str, scopes: list[str]) -> IssuedToken:
    actor.require(Perm.TOKENS_OWN)
    name = name.strip()
    if not name:
        raise ValidationFailed("a token needs a name", code="token_name_required")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailed(f"unknown scopes: {', '.join(unknown)}", code="unknown_scope")
    beyond_role = sorted(set(scopes) - set(scopes_for_role(actor.user.role)))
    if beyond_role:
        raise ValidationFailed(f"your role cannot grant: {', '.join(beyond_role)}", code="scope_beyond_role")
    if not scopes:
        raise ValidationFailed("choose at least one scope", code="scope_required")
    secret = secrets.token_urlsafe(32)
    prefix = secret[:8]
    raw = f"{TOKEN_PREFIX}{secret}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor.user,
            name=name,
            prefix=prefix,
            token_hash=hash_token(raw),
            scopes=sorted(set(scopes)),
        )
        record_audit(
            actor=actor,
            action="token.create",
            target=token,
            after=snapshot(token, ["name", "prefix", "scopes"]),
        )
    return IssuedToken(token=token, raw=raw)


def revoke_api_token(*, actor: Actor, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        # A user revokes their own tokens; an admin may revoke anyone's.
        if token is None or (token.user_id != actor.user.pk and not actor.can(Perm.STAFF_MANAGE)):
            raise NotFound("no such token", code="token_not_found")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record_audit(
                actor=actor,
                action="token.revoke",
                target=token,
                after={"revoked_at": token.revoked_at},
            )
    return token


def authenticate_token(raw: str) -> Actor | None:
    """The actor a bearer token stands for, or None when it is unknown, revoked or its user inactive."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return Actor(user=token.user, via="token", scopes=frozenset(token.scopes))


def create_staff_user(
    *,
    actor: Actor | None,
    email: str,
    password: str,
    role: str,
    full_name: str = "",
    team: Team | None = None,
) -> User:
    """Create a staff user. actor is None only for set-up commands run by the operator."""
    if actor is not None:
        actor.require(Perm.STAFF_MANAGE)
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role!r}", code="invalid_role")
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise Conflict(f"a staff user with email {email} exists", code="email_taken")
    with transaction.atomic():
        user = User.objects.create_user(
            email,
            password,
            role=role,
            full_name=full_name,
            team=team,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        record_audit(
            actor=actor,
            action="staff.create",
            target=user,
            after=snapshot(user, ["email", "full_name", "role", "team"]),
        )
    return user


STAFF_FIELDS = ["email", "full_name", "role", "team", "is_active"]


def update_staff_user(
    *, actor: Actor, user: User, full_name: str, role: str, team: Team | None, is_active: bool
) -> User:
    actor.require(Perm.STAFF_MANAGE)
    if role not in Role.values:
        raise ValidationFailed(f"unknown role {role!r}", code="invalid_role")
    if user.pk == actor.user.pk and (not is_active or role != Role.ADMIN):
        # An admin locking themselves out could leave nobody able to manage staff.
        raise ValidationFailed("you cannot demote or deactivate yourself", code="cannot_demote_self")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = snapshot(locked, STAFF_FIELDS)
        locked.full_name = full_name.strip()
        locked.role = role
        locked.is_staff = locked.is_superuser = role == Role.ADMIN
        locked.team = team
        locked.is_active = is_active
        locked.save()
        old, new = changed(before, snapshot(locked, STAFF_FIELDS))
        if new:
            record_audit(actor=actor, action="staff.update", target=locked, before=old, after=new)
    return locked


def create_team(*, actor: Actor, name: str) -> Team:
    actor.require(Perm.STAFF_MANAGE)
    name = name.strip()
    if not name:
        raise ValidationFailed("a team needs a name", code="team_name_required")
    if Team.objects.filter(name__iexact=name).exists():
        raise Conflict(f"a team called {name} exists", code="team_exists")
    with transaction.atomic():
        team = Team.objects.create(name=name)
        record_audit(actor=actor, action="team.create", target=team, after={"name": name})
    return team
