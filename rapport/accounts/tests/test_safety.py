"""Production refuses to run with the published demo logins."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from rapport.accounts.checks import check_no_demo_users_in_production
from rapport.accounts.safety import refuse_demo_users_in_production
from rapport.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_production_refuses_to_start_with_demo_logins(settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    UserFactory(email="admin@demo.test")

    with pytest.raises(ImproperlyConfigured, match="demo logins"):
        refuse_demo_users_in_production()
    assert [e.id for e in check_no_demo_users_in_production()] == ["rapport.E001"]


def test_production_starts_without_demo_logins(settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    UserFactory(email="admin@shop.example")

    refuse_demo_users_in_production()
    assert check_no_demo_users_in_production() == []


def test_development_may_have_demo_logins(settings: object) -> None:
    settings.PRODUCTION = False  # type: ignore[attr-defined]
    UserFactory(email="admin@demo.test")

    refuse_demo_users_in_production()


def test_remove_demo_users_deletes_only_the_demo_logins() -> None:
    from io import StringIO

    from django.core.management import call_command

    from rapport.accounts.models import User

    UserFactory(email="lead@demo.test")
    UserFactory(email="real@shop.example")
    out = StringIO()

    call_command("remove_demo_users", stdout=out)

    assert list(User.objects.values_list("email", flat=True)) == ["real@shop.example"]
    assert "Removed 1" in out.getvalue()
