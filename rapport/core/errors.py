"""Domain errors with stable codes; the API and the pages map them to responses in one place each."""

from __future__ import annotations

from typing import Any


class RapportError(Exception):
    """Base of every error a service or selector raises on purpose."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = errors or {}


class NotFound(RapportError):
    """The object does not exist, or the actor may not know that it does."""

    status = 404
    code = "not_found"
    title = "Not found"


class PermissionDenied(RapportError):
    """The actor is known but their role or token scope does not allow this."""

    status = 403
    code = "permission_denied"
    title = "Permission denied"


class ValidationFailed(RapportError):
    """Input is well-formed but breaks a rule (bad phone number, unknown SKU...)."""

    status = 422
    code = "invalid"
    title = "Invalid input"


class Conflict(RapportError):
    """The change clashes with existing data (an identity that belongs to someone else...)."""

    status = 409
    code = "conflict"
    title = "Conflict"
