"""Admins register the store's endpoints: URL (checked against SSRF rules), events, secret."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.accounts.audit import changed, record_audit
from rapport.accounts.permissions import Actor, Perm
from rapport.core.errors import Conflict, ValidationFailed
from rapport.core.standard_webhooks import new_secret
from rapport.webhooks import network
from rapport.webhooks.catalogue import event_type_names
from rapport.webhooks.models import Delivery, Endpoint, Subscription
from rapport.webhooks.services.delivery import allowed_hosts
from rapport.webhooks.services.outbox import publish_event

# After a rotation the old secret keeps signing (a second v1 signature) this long, so the store can
# update its copy without refusing a single request.
ROTATION_GRACE = timedelta(hours=24)
MAX_DESCRIPTION = 200
TEST_EVENT_TYPE = "webhook.test"


@dataclass(frozen=True)
class EndpointInput:
    url: str
    description: str = ""
    event_types: Sequence[str] = ()
    is_active: bool = True


def _audited(endpoint: Endpoint, event_types: list[str]) -> dict[str, Any]:
    # Never the secret: the audit log is read by people who need not hold it.
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": event_types,
        "is_active": endpoint.is_active,
    }


def _clean(data: EndpointInput) -> tuple[str, list[str]]:
    errors: dict[str, str] = {}
    url = data.url.strip()
    if not url:
        errors["url"] = "give the URL that receives the events"
    else:
        try:
            network.check_url(url, allowed_hosts=allowed_hosts())
        except network.UnsafeURL as error:
            errors["url"] = str(error)
    known = set(event_type_names())
    unknown = sorted({name for name in data.event_types if name not in known})
    if unknown:
        errors["event_types"] = f"unknown event type: {', '.join(unknown)}"
    if len(data.description) > MAX_DESCRIPTION:
        errors["description"] = f"at most {MAX_DESCRIPTION} characters"
    if "\x00" in data.description:
        errors["description"] = "the description cannot contain NUL characters"
    if errors:
        raise ValidationFailed("the endpoint was not saved", code="invalid_endpoint", errors=errors)
    return url, sorted(set(data.event_types))


def _subscribe(endpoint: Endpoint, event_types: list[str]) -> None:
    Subscription.objects.filter(endpoint=endpoint).exclude(event_type__in=event_types).delete()
    have = set(Subscription.objects.filter(endpoint=endpoint).values_list("event_type", flat=True))
    Subscription.objects.bulk_create(
        Subscription(endpoint=endpoint, event_type=name) for name in event_types if name not in have
    )


def create_endpoint(*, actor: Actor, data: EndpointInput) -> Endpoint:
    actor.require(Perm.WEBHOOKS_MANAGE)
    url, event_types = _clean(data)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            url=url,
            description=data.description.strip(),
            secret=new_secret(),
            is_active=data.is_active,
            created_by=actor.user,
        )
        _subscribe(endpoint, event_types)
        record_audit(
            actor=actor,
            action="webhooks.endpoint.create",
            target=endpoint,
            after=_audited(endpoint, event_types),
        )
    return endpoint


def update_endpoint(*, actor: Actor, endpoint: Endpoint, data: EndpointInput) -> Endpoint:
    actor.require(Perm.WEBHOOKS_MANAGE)
    url, event_types = _clean(data)
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = _audited(locked, sorted(locked.subscriptions.values_list("event_type", flat=True)))
        locked.url = url
        locked.description = data.description.strip()
        locked.is_active = data.is_active
        locked.updated_at = timezone.now()
        locked.save()
        _subscribe(locked, event_types)
        old, new = changed(before, _audited(locked, event_types))
        if new:
            record_audit(actor=actor, action="webhooks.endpoint.update", target=locked, before=old, after=new)
    return locked


def rotate_secret(*, actor: Actor, endpoint: Endpoint) -> Endpoint:
    """A new secret signs from now on; the old one also signs for ROTATION_GRACE, then stops."""
    actor.require(Perm.WEBHOOKS_MANAGE)
    now = timezone.now()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + ROTATION_GRACE
        locked.secret = new_secret()
        locked.updated_at = now
        locked.save(update_fields=["previous_secret", "previous_secret_expires_at", "secret", "updated_at"])
        record_audit(
            actor=actor,
            action="webhooks.endpoint.rotate_secret",
            target=locked,
            after={"previous_secret_signs_until": locked.previous_secret_expires_at},
        )
    return locked


def send_test_event(*, actor: Actor, endpoint: Endpoint) -> Delivery:
    """A "webhook.test" event to this endpoint alone, whatever it subscribes to, sent like any other."""
    actor.require(Perm.WEBHOOKS_MANAGE)
    if not endpoint.is_active:
        raise Conflict("the endpoint is paused: activate it to send a test event", code="endpoint_inactive")
    with transaction.atomic():
        event = publish_event(
            event_type=TEST_EVENT_TYPE,
            payload={
                "endpoint_id": endpoint.pk,
                "message": "A test event from Rapport: your endpoint works.",
            },
            endpoint_ids=[endpoint.pk],
            subject_type=endpoint._meta.label_lower,
            subject_id=str(endpoint.pk),
        )
        record_audit(
            actor=actor, action="webhooks.endpoint.test", target=endpoint, after={"event": event.event_id}
        )
    return event.deliveries.get()
