"""Fixtures shared by every test: staff of each role, actors, and signed-in clients."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor

# Browser tests drive a live server from another thread; Django refuses sync ORM calls
# from the event loop Playwright runs, although ours are made from the test's own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_settings(settings: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # type: ignore[attr-defined]
    settings.RAPPORT_ATTACHMENTS_DIR = tmp_path_factory.mktemp("attachments")  # type: ignore[attr-defined]


def _user(role: str) -> User:
    from rapport.accounts.tests.factories import UserFactory

    return UserFactory(role=role)


@pytest.fixture
def admin_user(db: None) -> User:
    return _user(Role.ADMIN)


@pytest.fixture
def lead_user(db: None) -> User:
    return _user(Role.LEAD)


@pytest.fixture
def agent_user(db: None) -> User:
    return _user(Role.AGENT)


@pytest.fixture
def analyst_user(db: None) -> User:
    return _user(Role.ANALYST)


@pytest.fixture
def admin(admin_user: User) -> Actor:
    return Actor(user=admin_user)


@pytest.fixture
def lead(lead_user: User) -> Actor:
    return Actor(user=lead_user)


@pytest.fixture
def agent(agent_user: User) -> Actor:
    return Actor(user=agent_user)


@pytest.fixture
def analyst(analyst_user: User) -> Actor:
    return Actor(user=analyst_user)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    return signed_in(admin_user)


@pytest.fixture
def lead_client(lead_user: User) -> Client:
    return signed_in(lead_user)


@pytest.fixture
def agent_client(agent_user: User) -> Client:
    return signed_in(agent_user)


@pytest.fixture
def analyst_client(analyst_user: User) -> Client:
    return signed_in(analyst_user)
