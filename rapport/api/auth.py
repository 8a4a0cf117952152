"""API authentication: bearer tokens with scopes, or the signed-in session (CSRF checked on writes)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor
from rapport.accounts.services import authenticate_token


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return authenticate_token(token)


class SessionAuth(APIKeyCookie):
    """The browser's session; ninja checks the CSRF token on unsafe methods (csrf=True)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = request.user
        if isinstance(user, User) and user.is_authenticated and user.is_active:
            return Actor(user=user, via="web")
        return None


def api_actor(request: HttpRequest) -> Actor:
    actor: Any = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
