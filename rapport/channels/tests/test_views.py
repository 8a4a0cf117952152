"""The inbound log pages: admins find a delivery by status or Message-ID and re-process quarantine."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.channels.models import DeliveryStatus, InboundDelivery
from rapport.channels.tests.factories import a_processed_delivery, an_email

pytestmark = pytest.mark.django_db


def test_log_filters_by_status_and_message_id(admin_client_: Client) -> None:
    good = a_processed_delivery(
        an_email(message_id="<good@example.com>", subject="Parcel late"), "good@example.com"
    )
    bad = a_processed_delivery(b"\r\n\r\n")

    quarantined = admin_client_.get(reverse("channels:inbound_log"), {"status": "quarantined"})
    by_id = admin_client_.get(reverse("channels:inbound_log"), {"external_id": "<good@example.com>"})

    assert bad.status == DeliveryStatus.QUARANTINED
    assert reverse("channels:delivery", args=[bad.pk]) in quarantined.content.decode()
    assert reverse("channels:delivery", args=[good.pk]) not in quarantined.content.decode()
    assert "1 in quarantine" in quarantined.content.decode()
    assert "Parcel late" in by_id.content.decode()
    assert reverse("channels:delivery", args=[bad.pk]) not in by_id.content.decode()


def test_raw_input_downloads_as_an_attachment_that_cannot_run(admin_client_: Client) -> None:
    delivery = a_processed_delivery(
        b"Subject: <script>alert(1)</script>\r\n\r\n<html><script>alert(1)</script></html>"
    )

    response = admin_client_.get(reverse("channels:delivery_raw", args=[delivery.pk]))

    assert response.content == bytes(delivery.raw)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="delivery-{delivery.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_admin_processes_a_quarantined_delivery_again(admin_client_: Client) -> None:
    delivery = a_processed_delivery(b"\r\n\r\n")
    InboundDelivery.objects.filter(pk=delivery.pk).update(raw=an_email(subject="Fixed by hand"))

    response = admin_client_.post(reverse("channels:delivery_reprocess", args=[delivery.pk]), follow=True)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.conversation is not None
    assert delivery.conversation.subject == "Fixed by hand"
    assert "Processed again: processed." in response.content.decode()


@pytest.mark.parametrize("client_fixture", ["lead_client", "agent_client", "analyst_client"])
def test_only_admins_may_process_again(client_fixture: str, request: pytest.FixtureRequest) -> None:
    delivery = a_processed_delivery(b"\r\n\r\n")
    client: Client = request.getfixturevalue(client_fixture)

    response = client.post(reverse("channels:delivery_reprocess", args=[delivery.pk]))

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUARANTINED
