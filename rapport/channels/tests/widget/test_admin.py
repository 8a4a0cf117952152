"""The widget admin pages: only those who configure the desk; the script tag to copy; origins checked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import AuditEntry, Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.models import Widget
from rapport.channels.tests.widget.factories import WidgetFactory
from rapport.channels.widget.services import normalise_origin, save_widget
from rapport.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


@pytest.mark.parametrize("role", [Role.LEAD, Role.AGENT, Role.ANALYST])
def test_only_admins_open_the_widget_pages(role: str) -> None:
    widget = WidgetFactory()
    client = _client(role)

    statuses = [
        client.get(reverse("channels:widget_list")).status_code,
        client.get(reverse("channels:widget_new")).status_code,
        client.get(reverse("channels:widget_edit", args=[widget.pk])).status_code,
        client.post(reverse("channels:widget_edit", args=[widget.pk]), {"name": "Taken over"}).status_code,
    ]

    assert statuses == [403, 403, 403, 403]
    widget.refresh_from_db()
    assert widget.name == "Shop help"


def test_an_admin_creates_a_widget_and_gets_the_script_tag() -> None:
    client = _client(Role.ADMIN)

    response = client.post(
        reverse("channels:widget_new"),
        {
            "name": "Shop help",
            "allowed_origins": "https://WWW.Shop.example/\nhttp://localhost:8080\nhttps://shop.example:443",
            "phone_number": "+44 20 7946 0018",
            "is_active": "on",
        },
    )

    widget = Widget.objects.get()
    assert response.status_code == 302
    assert widget.allowed_origins == [
        "https://www.shop.example",
        "http://localhost:8080",
        "https://shop.example",
    ]
    assert widget.phone_number == "+442079460018"
    page = client.get(reverse("channels:widget_edit", args=[widget.pk])).text
    src = f"http://testserver/channels/widget/{widget.key}.js"
    assert f"&lt;script src=&quot;{src}&quot; async&gt;&lt;/script&gt;" in page
    assert widget.identity_secret in page
    assert AuditEntry.objects.filter(action="channels.widget.create").count() == 1


def test_a_bad_origin_is_shown_on_its_field_and_nothing_is_saved() -> None:
    client = _client(Role.ADMIN)

    response = client.post(
        reverse("channels:widget_new"), {"name": "Shop help", "allowed_origins": "https://shop.example/help"}
    )

    assert response.status_code == 422
    assert "leave out paths" in response.text
    assert Widget.objects.count() == 0


def test_a_new_secret_replaces_the_old_one_and_is_audited_without_its_value() -> None:
    widget = WidgetFactory()
    old = widget.identity_secret
    admin = Actor(user=UserFactory(role=Role.ADMIN))

    saved = save_widget(
        actor=admin,
        widget=widget,
        name="Shop help",
        allowed_origins=["https://shop.example"],
        phone_number="+442079460018",
        new_secret=True,
    )

    assert saved.identity_secret != old
    entry = AuditEntry.objects.get(action="channels.widget.update")
    assert entry.after == {"identity_secret": "(new)"}


def test_only_desk_configurers_may_save_a_widget() -> None:
    with pytest.raises(PermissionDenied):
        save_widget(actor=Actor(user=UserFactory(role=Role.LEAD)), name="x", allowed_origins=[])


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://shop.example", "https://shop.example"),
        ("HTTPS://Shop.Example:443/", "https://shop.example"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_origins_are_stored_as_browsers_send_them(raw: str, origin: str) -> None:
    assert normalise_origin(raw) == origin


@pytest.mark.parametrize(
    "raw", ["shop.example", "ftp://shop.example", "https://shop.example/path", "https://a@b.example"]
)
def test_what_is_not_an_origin_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"origin|port"):
        normalise_origin(raw)


def test_a_phone_number_that_is_not_one_is_refused() -> None:
    admin = Actor(user=UserFactory(role=Role.ADMIN))

    with pytest.raises(ValidationFailed) as refused:
        save_widget(actor=admin, name="Shop", allowed_origins=[], phone_number="12")

    assert set(refused.value.errors) == {"phone_number"}
