"""Rapport's SQLite backend: every writer waits for the one write lock by retrying, then gives up.

Each test opens its own connections to a database file of its own, as separate processes would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections

from rapport.core.sqlite.base import DatabaseWrapper


@pytest.fixture
def open_connection(tmp_path: Path, django_db_blocker: Any) -> Iterator[Any]:
    """Connections of their own to a file database, not the test database pytest-django guards."""
    opened: list[DatabaseWrapper] = []

    def open_one(timeout: float = 5.0) -> DatabaseWrapper:
        settings = dict(connections.settings["default"])
        settings.update(
            ENGINE="rapport.core.sqlite",
            NAME=str(tmp_path / "locks.sqlite3"),
            OPTIONS={
                "transaction_mode": "IMMEDIATE",
                "timeout": timeout,
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        )
        wrapper = DatabaseWrapper(settings, alias=f"locks{len(opened)}")
        wrapper.inc_thread_sharing()  # opened here, used in a thread of the test, closed here
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        first = open_one()
        with first.cursor() as cursor:
            cursor.execute("CREATE TABLE item (name TEXT NOT NULL)")
        yield open_one
        for wrapper in opened:
            wrapper.close()


def hold_the_lock(wrapper: DatabaseWrapper, seconds: float, started: threading.Event) -> None:
    with wrapper.cursor() as cursor:
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("INSERT INTO item (name) VALUES ('held')")
        started.set()
        time.sleep(seconds)
        cursor.execute("COMMIT")


def lock_held(holder: DatabaseWrapper, seconds: float) -> threading.Thread:
    """Another connection holds the write lock for `seconds` from now; join the thread when done."""
    started = threading.Event()
    thread = threading.Thread(target=hold_the_lock, args=(holder, seconds, started))
    thread.start()
    started.wait(5)
    return thread


def test_a_transaction_waits_for_the_lock_and_writes_once_it_is_free(open_connection: Any) -> None:
    holder, waiter = open_connection(), open_connection()
    holding = lock_held(holder, 0.3)

    with waiter.cursor() as cursor:
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("INSERT INTO item (name) VALUES ('waited')")
        cursor.execute("COMMIT")
        cursor.execute("SELECT name FROM item ORDER BY rowid")
        names = [row[0] for row in cursor.fetchall()]
    holding.join()

    assert names == ["held", "waited"]


def test_a_write_outside_a_transaction_waits_too_instead_of_failing(open_connection: Any) -> None:
    holder, waiter = open_connection(), open_connection()
    holding = lock_held(holder, 0.3)

    with waiter.cursor() as cursor:
        cursor.execute("INSERT INTO item (name) VALUES ('autocommit')")
        cursor.executemany("INSERT INTO item (name) VALUES (%s)", iter([("many",)]))
        cursor.execute("SELECT count(*) FROM item")
        count = cursor.fetchone()[0]
    holding.join()

    assert count == 3


def test_a_writer_gives_up_with_database_is_locked_once_its_timeout_passes(open_connection: Any) -> None:
    holder, impatient = open_connection(), open_connection(timeout=0.2)
    holding = lock_held(holder, 1.0)

    with pytest.raises(OperationalError, match="database is locked"), impatient.cursor() as cursor:
        cursor.execute("BEGIN IMMEDIATE")
    holding.join()


def test_the_project_runs_on_this_backend() -> None:
    from django.conf import settings

    if connections["default"].vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL")
    assert isinstance(connections["default"], DatabaseWrapper)
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_connection_opened_while_another_writes_sets_itself_up_then_waits_by_retrying(
    open_connection: Any,
) -> None:
    holder = open_connection()
    holding = lock_held(holder, 0.3)

    late = open_connection()
    with late.cursor() as cursor:  # opens now: its PRAGMAs run while the lock is held
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = cursor.fetchone()[0]
        cursor.execute("INSERT INTO item (name) VALUES ('late')")
    holding.join()

    assert busy_timeout == 0  # SQLite's sleeping handler is off; the backend retries instead
