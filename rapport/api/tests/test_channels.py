"""The channels API: the inbound log for admins' tokens with channels:manage, and nobody else."""

from __future__ import annotations

import pytest

from rapport.accounts.models import User
from rapport.api.tests.conftest import ApiClient, ApiFor
from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.channels.tests.factories import a_processed_delivery, an_email

pytestmark = pytest.mark.django_db


def test_log_lists_deliveries_filtered_by_status_and_message_id(api_for: ApiFor, admin_user: User) -> None:
    good = a_processed_delivery(an_email(message_id="<good@example.com>"), "good@example.com")
    bad = a_processed_delivery(b"\r\n\r\n")
    api = api_for(admin_user)

    quarantined = api.get("/channels/inbound", {"status": "quarantined"}).json()
    by_id = api.get("/channels/inbound", {"external_id": "<good@example.com>"}).json()

    assert [item["id"] for item in quarantined["items"]] == [bad.pk]
    assert quarantined["items"][0]["reason"].startswith("the email cannot be read")
    assert [item["id"] for item in by_id["items"]] == [good.pk]
    assert by_id["items"][0]["conversation_id"] == good.conversation_id
    assert by_id["items"][0]["status"] == "processed"


def test_raw_bytes_come_back_exactly_as_received(api_for: ApiFor, admin_user: User) -> None:
    delivery = a_processed_delivery(an_email(body="Grüße"))

    response = api_for(admin_user).get(f"/channels/inbound/{delivery.pk}/raw")

    assert response.status_code == 200
    assert response.content == bytes(delivery.raw)


def test_reprocess_is_refused_for_a_processed_delivery(api_for: ApiFor, admin_user: User) -> None:
    delivery = a_processed_delivery(an_email())

    response = api_for(admin_user).post(f"/channels/inbound/{delivery.pk}/reprocess")

    assert response.status_code == 409
    assert response.json()["code"] == "not_quarantined"


def test_reprocess_runs_a_quarantined_delivery_again(api_for: ApiFor, admin_user: User) -> None:
    delivery = a_processed_delivery(b"\r\n\r\n")
    InboundDelivery.objects.filter(pk=delivery.pk).update(raw=an_email(subject="Readable now"))

    response = api_for(admin_user).post(f"/channels/inbound/{delivery.pk}/reprocess")

    assert response.status_code == 200
    assert response.json()["status"] == DeliveryStatus.PROCESSED


@pytest.mark.parametrize("role_user", ["lead_user", "agent_user", "analyst_user"])
def test_staff_other_than_admins_cannot_read_the_log(
    api_for: ApiFor, role_user: str, request: pytest.FixtureRequest
) -> None:
    delivery = a_processed_delivery(an_email())
    api = api_for(request.getfixturevalue(role_user))

    assert api.get("/channels/inbound").status_code == 403
    assert api.get(f"/channels/inbound/{delivery.pk}/raw").status_code == 403


def test_an_admin_token_without_the_channels_scope_cannot_read_the_log(
    api_for: ApiFor, admin_user: User
) -> None:
    a_processed_delivery(an_email())

    response = api_for(admin_user, scopes=["desk:read", "customers:read"]).get("/channels/inbound")

    assert response.status_code == 403


CHANNEL_ROUTES = [
    ("get", "/channels/inbound"),
    ("get", "/channels/inbound/1"),
    ("get", "/channels/inbound/1/raw"),
    ("post", "/channels/inbound/1/reprocess"),
]


@pytest.mark.parametrize(("method", "path"), CHANNEL_ROUTES)
def test_every_channels_route_refuses_a_request_without_credentials(
    anonymous: ApiClient, method: str, path: str
) -> None:
    response = anonymous.call(method, path, {})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
