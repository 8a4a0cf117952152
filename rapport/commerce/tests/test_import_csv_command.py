"""manage.py import_csv: the summary, failed lines, exit statuses, dry runs and --as."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rapport.accounts.models import AuditEntry, User
from rapport.customers.models import Customer

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_csv", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_prints_a_summary_of_a_good_file(db: None) -> None:
    output = run("customers", str(FIXTURES / "customers.csv"))

    assert output == "customers: 4 created, 0 updated, 0 unchanged, 0 failed\n"


def test_second_import_of_a_file_reports_everything_unchanged(db: None) -> None:
    run("products", str(FIXTURES / "products.csv"))

    output = run("products", str(FIXTURES / "products.csv"))

    assert output == "products: 0 created, 0 updated, 4 unchanged, 0 failed\n"


def test_lists_failed_rows_by_line_and_exits_with_status_2(db: None) -> None:
    out = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command(
            "import_csv",
            "customers",
            str(FIXTURES / "customers_malformed.csv"),
            stdout=out,
            stderr=io.StringIO(),
        )

    assert failure.value.returncode == 2
    assert out.getvalue().splitlines() == [
        "customers: 2 created, 0 updated, 0 unchanged, 4 failed",
        "line 3: email: 'not-an-email' is not an email address",
        "line 4: expected 5 fields, found 6",
        "line 5: external_id: is required",
        "line 6: phone: '020 7946 0999' has no country code: write +44… or fill in the country column",
    ]
    assert Customer.objects.count() == 2


def test_a_bad_header_is_an_error_and_writes_nothing(db: None) -> None:
    with pytest.raises(CommandError, match=r"lacks required column.*nothing was imported") as failure:
        run("customers", str(FIXTURES / "customers_missing_column.csv"))

    assert failure.value.returncode == 1
    assert not Customer.objects.exists()


def test_a_missing_file_is_an_error(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run("customers", str(tmp_path / "nope.csv"))


def test_dry_run_says_so_and_writes_nothing(db: None) -> None:
    output = run("customers", str(FIXTURES / "customers.csv"), "--dry-run")

    assert output == "customers: 4 created, 0 updated, 0 unchanged, 0 failed (dry run: nothing was written)\n"
    assert not Customer.objects.exists()


def test_warns_about_columns_it_ignores(db: None, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("external_id,favourite_colour\nC1,green\n")

    output = run("customers", str(path))

    assert output.splitlines()[0] == "warning: ignored unknown column(s): favourite_colour"


def test_as_a_lead_audits_every_change_under_their_name(lead_user: User) -> None:
    run("customers", str(FIXTURES / "customers.csv"), "--as", lead_user.email.upper())

    entries = AuditEntry.objects.filter(action="customer.create")
    assert entries.count() == 4
    assert {(entry.actor_id, entry.via) for entry in entries} == {(lead_user.pk, "import")}


def test_as_a_role_without_import_permission_is_refused(agent_user: User) -> None:
    with pytest.raises(CommandError, match="agent user may not commerce import"):
        run("customers", str(FIXTURES / "customers.csv"), "--as", agent_user.email)

    assert not Customer.objects.exists()


@pytest.mark.parametrize("active", [True, False])
def test_as_an_unknown_or_inactive_user_is_refused(db: None, active: bool) -> None:
    User.objects.create_user("gone@example.com", "pw", role="lead", is_active=active)
    email = "nobody@example.com" if active else "gone@example.com"

    with pytest.raises(CommandError, match=f"no active staff user {email}"):
        run("customers", str(FIXTURES / "customers.csv"), "--as", email)
