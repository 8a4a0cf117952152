"""Steps every browser journey takes: signing staff in, and keeping the page's script errors."""

from __future__ import annotations

from typing import Any

# UserFactory's password.
PASSWORD = "correct horse battery"


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/desk/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/desk/")


def collect_errors(page: Any, into: list[str]) -> None:
    """Console errors and uncaught exceptions of `page`, appended to `into` as they happen."""
    page.on("console", lambda message: into.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: into.append(str(error)))
