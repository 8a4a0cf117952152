"""The index behind name search exists on each database, and the migration can be undone."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_name_search_index_exists() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'customers_customer_name_search'")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'customer_name_trgm_idx'")
        assert cursor.fetchone() is not None


@pytest.mark.django_db
def test_sqlite_triggers_keep_the_name_index_current() -> None:
    # A later migration that rebuilds customers_customer on SQLite drops these triggers with it;
    # such a migration must create them again.
    if connection.vendor != "sqlite":
        pytest.skip("the triggers exist on SQLite only; PostgreSQL indexes the column itself")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers_customer'"
        )
        assert {row[0] for row in cursor.fetchall()} == {
            "customers_customer_name_search_ai",
            "customers_customer_name_search_ad",
            "customers_customer_name_search_au",
        }


@pytest.mark.django_db(transaction=True)
def test_search_index_migration_is_reversible() -> None:
    from django.core.management import call_command

    call_command("migrate", "customers", "0002", verbosity=0)
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT name FROM sqlite_master WHERE name = 'customers_customer_name_search'")
            else:
                cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = 'customer_name_trgm_idx'")
            assert cursor.fetchone() is None
    finally:
        call_command("migrate", verbosity=0)
