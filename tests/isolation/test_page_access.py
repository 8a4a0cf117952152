"""The access matrix of every staff page: who may open it, and that nobody signed out can.

Every named URL of the project must appear in PAGES, so a new page cannot ship without its row.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ALL = {Role.ADMIN, Role.LEAD, Role.AGENT, Role.ANALYST}
EDITORS = {Role.ADMIN, Role.LEAD, Role.AGENT}

# name -> (roles that may GET it, whether it takes a customer id, extra args)
PAGES: dict[str, tuple[set[str], str]] = {
    "customers:list": (ALL, ""),
    "customers:new": (EDITORS, ""),
    "customers:detail": (ALL, "customer"),
    "customers:edit": (EDITORS, "customer"),
    "customers:merge": ({Role.ADMIN, Role.LEAD}, "customer"),
    "accounts:tokens": (ALL, ""),
    "commerce:imports": ({Role.ADMIN, Role.LEAD}, ""),
    "commerce:import_detail": ({Role.ADMIN, Role.LEAD}, "import"),
    "accounts:audit_log": ({Role.ADMIN}, ""),
    "accounts:staff": ({Role.ADMIN}, ""),
    "accounts:edit_staff": ({Role.ADMIN}, "staff"),
}
# POST-only or public endpoints, covered by their own modules' tests.
NOT_PAGES = {
    "accounts:login",
    "accounts:logout",
    "accounts:revoke_token",
    "customers:add_note",
    "customers:add_tag",
    "customers:remove_tag",
    "customers:set_associate",
}


def _named_urls(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace and pattern.namespace.startswith("api"):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_page_is_in_the_access_matrix() -> None:
    assert _named_urls(get_resolver()) == set(PAGES) | NOT_PAGES


def _url(name: str, arg_kind: str) -> str:
    if arg_kind == "customer":
        return reverse(name, args=[CustomerFactory().pk])
    if arg_kind == "import":
        from rapport.commerce.models import ImportJob

        job = ImportJob.objects.create(
            kind="products", stored_path="imports/x.csv", original_name="x.csv", size=1, sha256="0"
        )
        return reverse(name, args=[job.pk])
    if arg_kind == "staff":
        return reverse(name, args=[UserFactory(role=Role.AGENT).pk])
    return reverse(name)


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("role", sorted(ALL))
def test_page_is_open_exactly_to_its_roles(name: str, role: str) -> None:
    allowed, arg_kind = PAGES[name]
    client = Client()
    client.force_login(UserFactory(role=role))

    response = client.get(_url(name, arg_kind))

    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_signed_out_visitor_is_sent_to_sign_in(name: str) -> None:
    response = Client().get(_url(name, PAGES[name][1]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_deactivated_staff_are_signed_out(name: str) -> None:
    client = Client()
    client.force_login(UserFactory(role=Role.ADMIN, is_active=False))

    response = client.get(_url(name, PAGES[name][1]))

    assert response.status_code == 302
