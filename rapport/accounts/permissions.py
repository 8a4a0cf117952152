"""What each role may do, and which token scope each permission needs: the one place these rules live."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rapport.accounts.models import Role, User
from rapport.core.errors import PermissionDenied


class Perm(StrEnum):
    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_EDIT = "customers.edit"
    CUSTOMERS_MERGE = "customers.merge"
    COMMERCE_VIEW = "commerce.view"
    COMMERCE_EDIT = "commerce.edit"
    COMMERCE_IMPORT = "commerce.import"
    AUDIT_VIEW = "audit.view"
    STAFF_MANAGE = "staff.manage"
    TOKENS_OWN = "tokens.own"
    DESK_VIEW = "desk.view"
    DESK_WORK = "desk.work"
    DESK_ASSIGN = "desk.assign"
    DESK_CONFIGURE = "desk.configure"
    CHANNELS_MANAGE = "channels.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"
    RECOVERY_VIEW = "recovery.view"
    RECOVERY_ACT = "recovery.act"
    RECOVERY_APPROVE = "recovery.approve"
    RECOVERY_CONFIGURE = "recovery.configure"
    LISTENING_VIEW = "listening.view"
    LISTENING_MANAGE = "listening.manage"
    LISTENING_CONFIGURE = "listening.configure"


# Scopes a token can carry: read or write per domain.
SCOPES: dict[str, str] = {
    "customers:read": "Read customers, identities, notes and timelines",
    "customers:write": "Create, change and merge customers; add notes",
    "commerce:read": "Read products, orders, shipments and wishlists",
    "commerce:write": "Create and change products, orders, shipments and wishlists",
    "audit:read": "Read the audit log",
    "desk:read": "Read conversations, messages, attachments, macros and views",
    "desk:write": "Open conversations, reply, add notes, change status, tags and assignment",
    "channels:manage": "Read the inbound log and quarantine, download raw input, re-process it",
    "webhooks:manage": "Register webhook endpoints, read their delivery log, retry failed deliveries",
    "recovery:read": "Read recovery actions, the approvals queue and empowerment policies",
    "recovery:write": "Propose, approve, decline and cancel recovery actions; report the store's outcome",
    "listening:read": "Score texts; read sentiment, surveys, themes, mention volume, alerts and follow-ups",
    "listening:write": "Acknowledge any alert, close any follow-up, retrain tag suggestions",
}

PERMISSION_SCOPE: dict[Perm, str | None] = {
    Perm.CUSTOMERS_VIEW: "customers:read",
    Perm.CUSTOMERS_EDIT: "customers:write",
    Perm.CUSTOMERS_MERGE: "customers:write",
    Perm.COMMERCE_VIEW: "commerce:read",
    Perm.COMMERCE_EDIT: "commerce:write",
    Perm.COMMERCE_IMPORT: "commerce:write",
    Perm.AUDIT_VIEW: "audit:read",
    Perm.DESK_VIEW: "desk:read",
    Perm.DESK_WORK: "desk:write",
    Perm.DESK_ASSIGN: "desk:write",
    # Calendars, SLA policies, routing rules and custom fields are set up by a signed-in admin.
    Perm.DESK_CONFIGURE: None,
    # Raw inbound mail and webhook bodies hold every customer's words: admins only.
    Perm.CHANNELS_MANAGE: "channels:manage",
    # Endpoints carry signing secrets and receive every customer event: admins only.
    Perm.WEBHOOKS_MANAGE: "webhooks:manage",
    Perm.RECOVERY_VIEW: "recovery:read",
    Perm.RECOVERY_ACT: "recovery:write",
    Perm.RECOVERY_APPROVE: "recovery:write",
    # Empowerment policies are set by a signed-in admin; tokens may read them (recovery:read) only.
    Perm.RECOVERY_CONFIGURE: None,
    Perm.LISTENING_VIEW: "listening:read",
    Perm.LISTENING_MANAGE: "listening:write",
    # Survey timing and alert mail are set by a signed-in admin.
    Perm.LISTENING_CONFIGURE: None,
    # Managing staff and tokens needs a signed-in person; no token scope grants it.
    Perm.STAFF_MANAGE: None,
    Perm.TOKENS_OWN: None,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.LEAD: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.CUSTOMERS_EDIT,
            Perm.CUSTOMERS_MERGE,
            Perm.COMMERCE_VIEW,
            Perm.COMMERCE_EDIT,
            Perm.COMMERCE_IMPORT,
            Perm.TOKENS_OWN,
            Perm.DESK_VIEW,
            Perm.DESK_WORK,
            Perm.DESK_ASSIGN,
            Perm.RECOVERY_VIEW,
            Perm.RECOVERY_ACT,
            Perm.RECOVERY_APPROVE,
            Perm.LISTENING_VIEW,
            Perm.LISTENING_MANAGE,
        }
    ),
    Role.AGENT: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.CUSTOMERS_EDIT,
            Perm.COMMERCE_VIEW,
            Perm.TOKENS_OWN,
            Perm.DESK_VIEW,
            Perm.DESK_WORK,
            Perm.RECOVERY_VIEW,
            Perm.RECOVERY_ACT,
            Perm.LISTENING_VIEW,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.COMMERCE_VIEW,
            Perm.TOKENS_OWN,
            Perm.DESK_VIEW,
            Perm.RECOVERY_VIEW,
            Perm.LISTENING_VIEW,
        }
    ),
}


def role_permissions(role: str) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role, frozenset())


def scopes_for_role(role: str) -> list[str]:
    """The scopes a user of this role may put on a token: never more than the role itself allows."""
    perms = role_permissions(role)
    return [scope for scope in SCOPES if any(PERMISSION_SCOPE[perm] == scope for perm in perms)]


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in user (every scope of their role) or a token (its scopes only)."""

    user: User
    via: str = "web"
    scopes: frozenset[str] | None = field(default=None)

    def can(self, perm: Perm) -> bool:
        if not self.user.is_active or perm not in role_permissions(self.user.role):
            return False
        if self.scopes is None:
            return True
        needed = PERMISSION_SCOPE[perm]
        return needed is not None and needed in self.scopes

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied(
                f"{self.user.role} {'token' if self.scopes is not None else 'user'} "
                f"may not {perm.value.replace('.', ' ')}",
                code="permission_denied",
            )

    @property
    def label(self) -> str:
        return self.user.email


def actor_for_user(user: User) -> Actor:
    return Actor(user=user)
