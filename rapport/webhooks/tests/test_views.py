"""The webhook pages: admins register endpoints, see the secret, read the log and retry; nobody else."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rapport.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint
from rapport.webhooks.services.outbox import publish_event
from rapport.webhooks.tests.factories import EndpointFactory, subscribe

pytestmark = pytest.mark.django_db


def _failed_delivery(endpoint: Endpoint, *, error: str = "HTTP 500 Internal Server Error") -> Delivery:
    delivery = publish_event(
        event_type="webhook.test", payload={"n": 1}, endpoint_ids=[endpoint.pk]
    ).deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=1,
        last_response_code=500,
        last_error=error,
        next_attempt_at=None,
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, endpoint=endpoint, number=1, response_code=500, duration_ms=42, error=error
    )
    return delivery


def test_an_admin_registers_an_endpoint_and_sees_its_secret(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("webhooks:endpoint_new"),
        {
            "url": "https://store.example.com/hooks",
            "description": "Refunds",
            "event_types": ["customer.created", "message.sent"],
            "is_active": "on",
        },
        follow=True,
    )

    endpoint = Endpoint.objects.get()
    page = response.content.decode()
    assert endpoint.event_types == ["customer.created", "message.sent"]
    assert endpoint.secret in page
    assert "Saved the endpoint https://store.example.com/hooks." in page
    ticked = r'<input type="checkbox" name="event_types" value="customer\.created"[^>]* checked>'
    assert re.search(ticked, page)


def test_the_form_lists_every_event_type_with_its_description(admin_client_: Client) -> None:
    page = admin_client_.get(reverse("webhooks:endpoint_new")).content.decode()

    assert "message.received — A customer&#x27;s message arrived in a conversation" in page
    assert "customer.merged" in page


def test_a_private_url_is_refused_on_the_form_and_nothing_is_saved(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("webhooks:endpoint_new"),
        {"url": "http://store.internal/hooks", "event_types": ["customer.created"]},
    )

    assert response.status_code == 422
    assert "store.internal resolves to 10.0.0.5, which is a private address" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_rotating_shows_a_new_secret(admin_client_: Client) -> None:
    endpoint = EndpointFactory()
    old = endpoint.secret

    response = admin_client_.post(reverse("webhooks:endpoint_rotate_secret", args=[endpoint.pk]), follow=True)

    endpoint.refresh_from_db()
    page = response.content.decode()
    assert endpoint.secret != old
    assert endpoint.secret in page
    assert "The previous secret also signs until" in page


def test_a_test_event_is_queued_from_the_page(admin_client_: Client) -> None:
    endpoint = EndpointFactory()

    response = admin_client_.post(reverse("webhooks:endpoint_test", args=[endpoint.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("webhooks:delivery_log", args=[endpoint.pk])
    assert "webhook.test" in response.content.decode()
    assert endpoint.deliveries.get().status == DeliveryStatus.PENDING


def test_the_log_filters_by_status_and_offers_a_retry_for_failed_deliveries(admin_client_: Client) -> None:
    endpoint = EndpointFactory()
    failed = _failed_delivery(endpoint)
    pending = publish_event(
        event_type="customer.created", payload={}, endpoint_ids=[endpoint.pk]
    ).deliveries.get()

    everything = admin_client_.get(reverse("webhooks:delivery_log", args=[endpoint.pk])).content.decode()
    only_failed = admin_client_.get(
        reverse("webhooks:delivery_log", args=[endpoint.pk]), {"status": "failed"}
    ).content.decode()

    retry_url = reverse("webhooks:delivery_retry", args=[failed.pk])
    assert reverse("webhooks:delivery", args=[pending.pk]) in everything
    assert retry_url in everything
    assert "1 failed" in everything
    assert reverse("webhooks:delivery", args=[pending.pk]) not in only_failed
    assert "HTTP 500 Internal Server Error" in only_failed
    assert 'id="webhook-data"' in everything


def test_retrying_a_failed_delivery_puts_it_back_in_the_queue(admin_client_: Client) -> None:
    delivery = _failed_delivery(EndpointFactory())

    response = admin_client_.post(reverse("webhooks:delivery_retry", args=[delivery.pk]), follow=True)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert "The delivery is queued to be sent again." in response.content.decode()


def test_retrying_a_delivered_delivery_is_refused_with_a_message(admin_client_: Client) -> None:
    delivery = _failed_delivery(EndpointFactory())
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DELIVERED)

    response = admin_client_.post(reverse("webhooks:delivery_retry", args=[delivery.pk]), follow=True)

    assert "only a failed delivery can be retried by hand" in response.content.decode()


def test_the_delivery_page_shows_every_attempt_and_the_body(admin_client_: Client) -> None:
    delivery = _failed_delivery(EndpointFactory(), error="connection refused")

    page = admin_client_.get(reverse("webhooks:delivery", args=[delivery.pk])).content.decode()

    assert delivery.event.event_id in page
    assert "connection refused" in page
    assert "42 ms" in page
    assert "&quot;type&quot;: &quot;webhook.test&quot;" in page


def test_the_endpoint_list_takes_a_bounded_number_of_queries(
    admin_client_: Client, django_assert_max_num_queries: Any
) -> None:
    for _ in range(15):
        subscribe(EndpointFactory(), "customer.created", "message.sent")

    with django_assert_max_num_queries(8):
        response = admin_client_.get(reverse("webhooks:endpoints"))

    assert response.content.decode().count("customer.created") == 15


def test_the_log_takes_a_bounded_number_of_queries(
    admin_client_: Client, django_assert_max_num_queries: Any
) -> None:
    endpoint = EndpointFactory()
    for _ in range(20):
        _failed_delivery(endpoint)

    with django_assert_max_num_queries(10):
        admin_client_.get(reverse("webhooks:delivery_log", args=[endpoint.pk]))


@pytest.mark.parametrize("client_fixture", ["lead_client", "agent_client", "analyst_client"])
def test_nobody_but_admins_may_open_or_post(client_fixture: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(client_fixture)
    endpoint = EndpointFactory()
    delivery = _failed_delivery(endpoint)
    secret = endpoint.secret

    pages = [
        reverse("webhooks:endpoints"),
        reverse("webhooks:endpoint_new"),
        reverse("webhooks:endpoint", args=[endpoint.pk]),
        reverse("webhooks:delivery_log", args=[endpoint.pk]),
        reverse("webhooks:delivery", args=[delivery.pk]),
    ]
    posts = [
        reverse("webhooks:endpoint_rotate_secret", args=[endpoint.pk]),
        reverse("webhooks:endpoint_test", args=[endpoint.pk]),
        reverse("webhooks:delivery_retry", args=[delivery.pk]),
        reverse("webhooks:endpoint_new"),
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 403, url
        assert secret not in response.content.decode()
    for url in posts:
        assert client.post(url, {"url": "https://store.example.com/"}).status_code == 403, url
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert endpoint.secret == secret
    assert delivery.status == DeliveryStatus.FAILED
    assert Endpoint.objects.count() == 1
    assert endpoint.deliveries.count() == 1


def test_unknown_ids_are_404(admin_client_: Client) -> None:
    assert admin_client_.get(reverse("webhooks:endpoint", args=[999999])).status_code == 404
    assert admin_client_.get(reverse("webhooks:delivery", args=[999999])).status_code == 404
    assert admin_client_.post(reverse("webhooks:delivery_retry", args=[999999])).status_code == 404


def test_admins_see_the_webhooks_link_and_agents_do_not(admin_client_: Client, agent_client: Client) -> None:
    link = f'href="{reverse("webhooks:endpoints")}"'

    assert link in admin_client_.get(reverse("customers:list")).content.decode()
    assert link not in agent_client.get(reverse("customers:list")).content.decode()
