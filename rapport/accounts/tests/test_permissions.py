"""The role and scope rules, written in one place, applied the same to people and tokens."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor, Perm, scopes_for_role
from rapport.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MATRIX = {
    Role.ADMIN: set(Perm),
    Role.LEAD: {
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
    },
    Role.AGENT: {
        Perm.CUSTOMERS_VIEW,
        Perm.CUSTOMERS_EDIT,
        Perm.COMMERCE_VIEW,
        Perm.TOKENS_OWN,
        Perm.DESK_VIEW,
        Perm.DESK_WORK,
        Perm.RECOVERY_VIEW,
        Perm.RECOVERY_ACT,
        Perm.LISTENING_VIEW,
    },
    Role.ANALYST: {
        Perm.CUSTOMERS_VIEW,
        Perm.COMMERCE_VIEW,
        Perm.TOKENS_OWN,
        Perm.DESK_VIEW,
        Perm.RECOVERY_VIEW,
        Perm.LISTENING_VIEW,
    },
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_each_role_has_exactly_its_permissions(role: str) -> None:
    actor = Actor(user=UserFactory(role=role))

    assert {perm for perm in Perm if actor.can(perm)} == MATRIX[role]


def test_token_is_limited_to_its_scopes() -> None:
    actor = Actor(user=UserFactory(role=Role.ADMIN), via="token", scopes=frozenset({"customers:read"}))

    assert actor.can(Perm.CUSTOMERS_VIEW)
    assert not actor.can(Perm.CUSTOMERS_EDIT)
    assert not actor.can(Perm.COMMERCE_VIEW)
    assert not actor.can(Perm.STAFF_MANAGE)


def test_token_scope_never_exceeds_the_role_of_its_owner() -> None:
    actor = Actor(user=UserFactory(role=Role.ANALYST), via="token", scopes=frozenset({"customers:write"}))

    assert not actor.can(Perm.CUSTOMERS_EDIT)


def test_deactivated_user_can_do_nothing() -> None:
    actor = Actor(user=UserFactory(role=Role.ADMIN, is_active=False))

    assert not any(actor.can(perm) for perm in Perm)


def test_scopes_offered_to_each_role() -> None:
    assert scopes_for_role(Role.ANALYST) == [
        "customers:read",
        "commerce:read",
        "desk:read",
        "recovery:read",
        "listening:read",
    ]
    assert "audit:read" in scopes_for_role(Role.ADMIN)
