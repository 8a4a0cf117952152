"""manage.py seed_demo: sizes, --if-empty, --no-staff and refusing to seed twice."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from rapport.accounts.models import User
from rapport.commerce.models import Order
from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory

SMALL = ["--customers", "60", "--products", "20", "--orders", "300"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_seeds_the_requested_sizes_and_says_how_to_sign_in(db: None) -> None:
    output = run(*SMALL)

    assert (Customer.objects.count(), Order.objects.count()) == (60, 300)
    assert "Demo data added: 20 products, 60 customers," in output
    assert (
        "Sign in as admin@demo.test, lead@demo.test, agent@demo.test, analyst@demo.test with password 'demo'."
        in output
    )


def test_if_empty_is_a_no_op_the_second_time(db: None) -> None:
    run(*SMALL, "--if-empty")
    before = (Customer.objects.count(), Order.objects.count(), User.objects.count())

    output = run(*SMALL, "--if-empty", "--seed", "9")

    assert output == ""
    assert (Customer.objects.count(), Order.objects.count(), User.objects.count()) == before


def test_if_empty_leaves_a_database_with_customers_alone(db: None) -> None:
    CustomerFactory()

    run(*SMALL, "--if-empty")

    assert Customer.objects.count() == 1
    assert not Order.objects.exists()


def test_refuses_to_seed_over_existing_data(db: None) -> None:
    CustomerFactory()

    with pytest.raises(CommandError, match="already has customers"):
        run(*SMALL)


def test_no_staff_creates_no_logins(db: None) -> None:
    output = run(*SMALL, "--no-staff")

    assert not User.objects.exists()
    assert "Sign in" not in output


def test_refuses_the_demo_logins_in_production(db: None, settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]

    with pytest.raises(CommandError, match="production"):
        run(*SMALL)

    assert not User.objects.exists()


@pytest.mark.parametrize("args", [["--orders", "-1"], ["--customers", "0", "--orders", "5"]])
def test_refuses_impossible_sizes(db: None, args: list[str]) -> None:
    with pytest.raises(CommandError):
        run(*args)
