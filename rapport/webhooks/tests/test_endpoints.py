"""Registering endpoints: URL rules, known events, audit without secrets, rotation, test events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.accounts.permissions import Actor
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.webhooks.models import DeliveryStatus, Endpoint, OutboxEvent
from rapport.webhooks.services.endpoints import (
    EndpointInput,
    create_endpoint,
    rotate_secret,
    send_test_event,
    update_endpoint,
)
from rapport.webhooks.tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


def test_an_admin_registers_an_endpoint_with_a_fresh_secret_and_its_events(admin: Actor) -> None:
    endpoint = create_endpoint(
        actor=admin,
        data=EndpointInput(
            url=" https://store.example.com/hooks ",
            description="Refunds app",
            event_types=["message.sent", "customer.created", "customer.created"],
        ),
    )

    entry = AuditEntry.objects.get(action="webhooks.endpoint.create")
    assert endpoint.url == "https://store.example.com/hooks"
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.created_by == admin.user
    assert endpoint.event_types == ["customer.created", "message.sent"]
    assert entry.after == {
        "url": "https://store.example.com/hooks",
        "description": "Refunds app",
        "event_types": ["customer.created", "message.sent"],
        "is_active": True,
    }
    assert endpoint.secret not in str(entry.after)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (EndpointInput(url=""), "url", "give the URL"),
        (EndpointInput(url="ftp://store.example.com/"), "url", "only http:// and https://"),
        (EndpointInput(url="http://store.internal/"), "url", "a private address"),
        (EndpointInput(url="http://169.254.169.254/latest/"), "url", "a cloud metadata address"),
        (
            EndpointInput(url="https://store.example.com/", event_types=["order.shipped"]),
            "event_types",
            "unknown",
        ),
        (
            EndpointInput(url="https://store.example.com/", description="x" * 201),
            "description",
            "at most 200",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    admin: Actor, data: EndpointInput, field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_endpoint(actor=admin, data=data)

    assert message in refused.value.errors[field]
    assert Endpoint.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_an_allow_listed_internal_host_may_be_registered(admin: Actor, settings: Any) -> None:
    settings.RAPPORT_WEBHOOK_ALLOWED_HOSTS = ["store.internal"]

    endpoint = create_endpoint(actor=admin, data=EndpointInput(url="http://store.internal:8080/hooks"))

    assert endpoint.pk is not None


def test_an_update_replaces_the_subscriptions_and_audits_only_what_changed(admin: Actor) -> None:
    endpoint = create_endpoint(
        actor=admin, data=EndpointInput(url="https://store.example.com/", event_types=["customer.created"])
    )

    update_endpoint(
        actor=admin,
        endpoint=endpoint,
        data=EndpointInput(url="https://store.example.com/", event_types=["message.sent"], is_active=False),
    )

    endpoint.refresh_from_db()
    entry = AuditEntry.objects.get(action="webhooks.endpoint.update")
    assert endpoint.event_types == ["message.sent"]
    assert endpoint.is_active is False
    assert entry.before == {"event_types": ["customer.created"], "is_active": True}
    assert entry.after == {"event_types": ["message.sent"], "is_active": False}


def test_rotation_keeps_the_old_secret_signing_for_a_day(admin: Actor) -> None:
    endpoint = EndpointFactory()
    old = endpoint.secret

    rotated = rotate_secret(actor=admin, endpoint=endpoint)

    assert rotated.secret != old
    assert rotated.secret.startswith("whsec_")
    assert rotated.previous_secret == old
    assert rotated.signing_secrets(timezone.now()) == [rotated.secret, old]
    assert rotated.signing_secrets(timezone.now() + timedelta(hours=25)) == [rotated.secret]
    assert old not in str(AuditEntry.objects.get(action="webhooks.endpoint.rotate_secret").after)


def test_a_test_event_goes_to_that_endpoint_alone(admin: Actor) -> None:
    endpoint, other = EndpointFactory(), EndpointFactory()

    delivery = send_test_event(actor=admin, endpoint=endpoint)

    assert delivery.endpoint == endpoint
    assert delivery.status == DeliveryStatus.PENDING
    assert OutboxEvent.objects.get().type == "webhook.test"
    assert not other.deliveries.exists()


def test_a_paused_endpoint_gets_no_test_event(admin: Actor) -> None:
    with pytest.raises(Conflict):
        send_test_event(actor=admin, endpoint=EndpointFactory(is_active=False))


@pytest.mark.parametrize("who", ["lead", "agent", "analyst"])
def test_only_admins_manage_endpoints(who: str, request: pytest.FixtureRequest) -> None:
    actor: Actor = request.getfixturevalue(who)
    endpoint = EndpointFactory()

    with pytest.raises(PermissionDenied):
        create_endpoint(actor=actor, data=EndpointInput(url="https://store.example.com/"))
    with pytest.raises(PermissionDenied):
        rotate_secret(actor=actor, endpoint=endpoint)
    with pytest.raises(PermissionDenied):
        send_test_event(actor=actor, endpoint=endpoint)
