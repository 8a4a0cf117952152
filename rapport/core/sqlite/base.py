"""Django's SQLite backend, handing SQLite's one write lock over within a millisecond of its release.

SQLite lets one connection write at a time. Its own busy handler sleeps between tries in growing steps
(1, 2, 5, 10, 15, 20, 25 ... 100 ms): a writer that has waited 20 ms looks again only every 15 to 25
ms, and the lock lies free meanwhile. With one process storing inbound mail and others writing it to
the desk, that idle lock was most of what a sender waited for its 250. Worse, a writer left on those
long sleeps loses every race to writers that just arrived, and can wait out the whole timeout.

So SQLite's handler is off (busy timeout 0) and this backend retries instead, every millisecond, for
as long as the configured timeout allows: a transaction's BEGIN (every transaction here is BEGIN
IMMEDIATE, settings: transaction_mode), and any statement run outside a transaction (Django's
autocommit writes; a failed one changed nothing, so trying it again is safe). Every writer then waits
the same way, and none starves. Inside a transaction a statement holds the lock already and does not
wait.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db.backends.sqlite3 import base

# How long a writer sleeps before it asks for the lock again.
RETRY_EVERY_SECONDS = 0.001
_DEFAULT_TIMEOUT_SECONDS = 5.0

T = TypeVar("T")


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        self.lock_timeout = float(params.get("timeout", _DEFAULT_TIMEOUT_SECONDS))
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        # Opened and set up (the PRAGMAs, WAL on a new file) under SQLite's own handler, as processes
        # starting together may; only then is the handler turned off for the retries below.
        connection = super().get_new_connection(conn_params)
        connection.execute("PRAGMA busy_timeout = 0")
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=RetryingCursor)
        cursor.lock_timeout = self.lock_timeout
        return cursor


class RetryingCursor(base.SQLiteCursorWrapper):
    lock_timeout = _DEFAULT_TIMEOUT_SECONDS

    def execute(self, query: str, params: Any = None) -> Any:
        run = super().execute
        if self.connection.in_transaction:
            return run(query, params)
        return _retry_while_locked(lambda: run(query, params), timeout=self.lock_timeout)

    def executemany(self, query: str, param_list: Any) -> Any:
        run = super().executemany
        if self.connection.in_transaction:
            return run(query, param_list)
        rows = list(param_list)
        return _retry_while_locked(lambda: run(query, rows), timeout=self.lock_timeout)


def _retry_while_locked(attempt: Callable[[], T], *, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            if "database is locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(RETRY_EVERY_SECONDS)
