"""Browser contexts that leave nothing running into the next test."""

from __future__ import annotations

import time

# How long requests already on their way (a poll, the leave beacon sent on unload) get to finish.
IN_FLIGHT_GRACE_SECONDS = 0.5


def close_quietly(context: object) -> None:
    """Close a browser context so that nothing it sends reaches the server after the test.

    Pages poll (presence, the widget's chat) and send a beacon when they unload. A request that lands
    while the test database is being emptied locks a table of the shared in-memory SQLite database:
    the flush fails and the next test starts with this one's rows. So every further request is
    refused in the browser, and the few already sent get a moment to finish.
    """
    context.route("**/*", lambda route: route.abort())  # type: ignore[attr-defined]
    context.close()  # type: ignore[attr-defined]
    time.sleep(IN_FLIGHT_GRACE_SECONDS)
