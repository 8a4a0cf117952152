"""Fixtures for API tests: clients that speak JSON to /api/v1 with a bearer token of some scopes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from rapport.accounts.models import User
from rapport.accounts.permissions import Actor, scopes_for_role
from rapport.accounts.services import create_api_token

API = "/api/v1"


class ApiClient:
    """Sends JSON with `Authorization: Bearer <token>`, or no credentials at all when token is None."""

    def __init__(self, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = Client(headers=headers)

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {})

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(API + path, json.dumps(body), content_type="application/json")

    def put(self, path: str, body: Any = None) -> Any:
        return self.client.put(API + path, json.dumps(body), content_type="application/json")

    def patch(self, path: str, body: Any = None) -> Any:
        return self.client.patch(API + path, json.dumps(body), content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if method == "get":
            return self.get(path)
        if method == "delete":
            return self.delete(path)
        return getattr(self, method)(path, body)


ApiFor = Callable[..., ApiClient]


@pytest.fixture
def api_for(db: None) -> ApiFor:
    """api_for(user) has every scope the user's role allows; api_for(user, scopes=[...]) only those."""

    def make(user: User, scopes: list[str] | None = None) -> ApiClient:
        issued = create_api_token(
            actor=Actor(user=user),
            name="test",
            scopes=scopes if scopes is not None else scopes_for_role(user.role),
        )
        return ApiClient(issued.raw)

    return make


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient(None)


@pytest.fixture
def admin_api(api_for: ApiFor, admin_user: User) -> ApiClient:
    return api_for(admin_user)


@pytest.fixture
def lead_api(api_for: ApiFor, lead_user: User) -> ApiClient:
    return api_for(lead_user)


@pytest.fixture
def agent_api(api_for: ApiFor, agent_user: User) -> ApiClient:
    return api_for(agent_user)


@pytest.fixture
def analyst_api(api_for: ApiFor, analyst_user: User) -> ApiClient:
    return api_for(analyst_user)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and stable code; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://rapport.invalid/problems/{code}"
    return body
