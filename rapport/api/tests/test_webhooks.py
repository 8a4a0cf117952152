"""The webhooks API: admins' tokens with webhooks:manage register endpoints and work the delivery log."""

from __future__ import annotations

import pytest

from rapport.accounts.models import User
from rapport.api.tests.conftest import ApiClient, ApiFor, assert_problem
from rapport.webhooks import network
from rapport.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint
from rapport.webhooks.services.outbox import publish_event
from rapport.webhooks.tests.conftest import fake_resolver
from rapport.webhooks.tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "resolve", fake_resolver)


def _failed_delivery(endpoint: Endpoint) -> Delivery:
    delivery = publish_event(
        event_type="webhook.test", payload={"n": 1}, endpoint_ids=[endpoint.pk]
    ).deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=1,
        last_response_code=503,
        last_error="HTTP 503",
        next_attempt_at=None,
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, endpoint=endpoint, number=1, response_code=503, error="HTTP 503"
    )
    return delivery


def test_an_admin_registers_an_endpoint_and_gets_its_secret(admin_api: ApiClient) -> None:
    response = admin_api.post(
        "/webhooks/endpoints",
        {
            "url": "https://store.example.com/hooks",
            "event_types": ["customer.created"],
            "description": "Refunds",
        },
    )

    body = response.json()
    assert response.status_code == 201, body
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["customer.created"]
    assert body["is_active"] is True
    assert Endpoint.objects.get().secret == body["secret"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://store.internal/hooks"}, "url"),
        ({"url": "http://169.254.169.254/"}, "url"),
        ({"url": "gopher://store.example.com/"}, "url"),
        ({"url": "https://store.example.com/", "event_types": ["no.such"]}, "event_types"),
    ],
)
def test_a_refused_endpoint_is_a_422_problem_and_nothing_is_saved(
    admin_api: ApiClient, payload: dict[str, object], field: str
) -> None:
    body = assert_problem(admin_api.post("/webhooks/endpoints", payload), 422, "invalid_endpoint")

    assert field in body["errors"]
    assert not Endpoint.objects.exists()


def test_a_patch_changes_only_what_is_sent(admin_api: ApiClient) -> None:
    endpoint = EndpointFactory(description="Old")

    response = admin_api.patch(f"/webhooks/endpoints/{endpoint.pk}", {"event_types": ["message.sent"]})

    assert response.status_code == 200, response.json()
    assert response.json()["event_types"] == ["message.sent"]
    assert response.json()["description"] == "Old"
    assert response.json()["url"] == endpoint.url


def test_the_catalogue_lists_event_types_with_descriptions(admin_api: ApiClient) -> None:
    items = admin_api.get("/webhooks/event-types").json()["items"]

    names = [item["name"] for item in items]
    assert "conversation.status_changed" in names
    assert all(item["description"] for item in items)


def test_the_log_lists_deliveries_filtered_by_status_and_a_failed_one_is_retried(
    admin_api: ApiClient,
) -> None:
    endpoint = EndpointFactory()
    failed = _failed_delivery(endpoint)
    publish_event(event_type="customer.created", payload={}, endpoint_ids=[endpoint.pk])

    listed = admin_api.get(f"/webhooks/endpoints/{endpoint.pk}/deliveries", {"status": "failed"}).json()
    detail = admin_api.get(f"/webhooks/deliveries/{failed.pk}").json()
    retried = admin_api.post(f"/webhooks/deliveries/{failed.pk}/retry")

    assert listed["count"] == 1
    assert listed["items"][0]["id"] == failed.pk
    assert listed["items"][0]["event_id"] == failed.event.event_id
    assert listed["items"][0]["last_response_code"] == 503
    assert detail["attempt_log"][0]["response_code"] == 503
    assert detail["payload"] == {"n": 1}
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    assert_problem(admin_api.post(f"/webhooks/deliveries/{failed.pk}/retry"), 409, "not_failed")


def test_rotation_and_test_events_through_the_api(admin_api: ApiClient) -> None:
    endpoint = EndpointFactory()

    rotated = admin_api.post(f"/webhooks/endpoints/{endpoint.pk}/rotate-secret").json()
    queued = admin_api.post(f"/webhooks/endpoints/{endpoint.pk}/test")

    assert rotated["secret"] != endpoint.secret
    assert rotated["previous_secret_expires_at"] is not None
    assert queued.status_code == 202
    assert queued.json()["event_type"] == "webhook.test"


def test_unknown_ids_are_404(admin_api: ApiClient) -> None:
    assert_problem(admin_api.get("/webhooks/endpoints/999999"), 404, "not_found")
    assert_problem(admin_api.post("/webhooks/deliveries/999999/retry"), 404, "not_found")


@pytest.mark.parametrize("role_user", ["lead_user", "agent_user", "analyst_user"])
def test_staff_other_than_admins_are_refused_and_see_no_secret(
    api_for: ApiFor, role_user: str, request: pytest.FixtureRequest
) -> None:
    endpoint = EndpointFactory()
    delivery = _failed_delivery(endpoint)
    api = api_for(request.getfixturevalue(role_user))

    for response in (
        api.get("/webhooks/endpoints"),
        api.get(f"/webhooks/endpoints/{endpoint.pk}"),
        api.get(f"/webhooks/endpoints/{endpoint.pk}/deliveries"),
        api.post("/webhooks/endpoints", {"url": "https://store.example.com/"}),
        api.post(f"/webhooks/deliveries/{delivery.pk}/retry"),
        api.post(f"/webhooks/endpoints/{endpoint.pk}/rotate-secret"),
    ):
        assert response.status_code == 403
        assert endpoint.secret not in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert Endpoint.objects.count() == 1


def test_an_admin_token_without_the_webhooks_scope_is_refused(api_for: ApiFor, admin_user: User) -> None:
    EndpointFactory()
    api = api_for(admin_user, scopes=["channels:manage", "customers:read"])

    assert_problem(api.get("/webhooks/endpoints"), 403, "permission_denied")
    assert_problem(api.get("/webhooks/event-types"), 403, "permission_denied")


WEBHOOK_ROUTES = [
    ("get", "/webhooks/event-types"),
    ("get", "/webhooks/endpoints"),
    ("post", "/webhooks/endpoints"),
    ("get", "/webhooks/endpoints/1"),
    ("patch", "/webhooks/endpoints/1"),
    ("post", "/webhooks/endpoints/1/rotate-secret"),
    ("post", "/webhooks/endpoints/1/test"),
    ("get", "/webhooks/endpoints/1/deliveries"),
    ("get", "/webhooks/deliveries/1"),
    ("post", "/webhooks/deliveries/1/retry"),
]


@pytest.mark.parametrize(("method", "path"), WEBHOOK_ROUTES)
def test_every_webhooks_route_refuses_a_request_without_credentials(
    anonymous: ApiClient, method: str, path: str
) -> None:
    response = anonymous.call(method, path, {})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
