"""The public endpoints: origins, preflight, limits, honeypot, replays, the contact form."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
import time_machine

from rapport.channels.models import ChatVisitor, DeliveryStatus, InboundDelivery
from rapport.channels.tests.widget.factories import ORIGIN, HostPage, WidgetFactory
from rapport.channels.widget import ratelimit
from rapport.customers.models import Identity
from rapport.desk.models import Channel, Conversation, Message

pytestmark = pytest.mark.django_db

# Limits count in fixed one-minute windows: tests that fill one start just after a minute turns, so
# their requests cannot straddle two windows on a slow machine.
START_OF_A_MINUTE = datetime(2026, 11, 24, 10, 0, 1, tzinfo=UTC)


def test_config_shows_the_phone_number_and_hours_to_an_allowed_origin() -> None:
    page = HostPage(WidgetFactory())

    response = page.get("config")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Vary"] == "Origin"
    body = response.json()
    assert body["phone"] == {
        "number": "+442079460018",
        "display": "+44 20 7946 0018",
        "href": "tel:+442079460018",
    }
    assert body["hours"]["days"] == [{"day": "Every day", "hours": "Open 24 hours"}]
    assert body["hours"]["open_now"] is True


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://shop.example",
        "https://shop.example:8443",
        "https://sub.shop.example",
        "",
    ],
)
def test_any_other_origin_is_refused_without_cors_headers(origin: str) -> None:
    page = HostPage(WidgetFactory(), origin=origin)

    responses = [
        page.get("config"),
        page.post("session"),
        page.client.options(page.url("chat_send"), HTTP_ORIGIN=origin),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert all("Access-Control-Allow-Origin" not in r for r in responses)
    assert ChatVisitor.objects.count() == 0


def test_preflight_is_answered_for_an_allowed_origin() -> None:
    page = HostPage(WidgetFactory())

    response = page.client.options(
        page.url("chat_send"),
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-rapport-visitor",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Content-Type, X-Rapport-Visitor"
    assert response["Access-Control-Max-Age"] == "600"


def test_an_inactive_or_unknown_widget_is_not_found() -> None:
    page = HostPage(WidgetFactory(is_active=False))

    assert page.get("config").status_code == 404
    assert page.client.get("/channels/widget/nope/config/", HTTP_ORIGIN=ORIGIN).status_code == 404


def test_the_script_is_served_for_an_active_widget_only() -> None:
    widget = WidgetFactory()
    page = HostPage(widget)

    response = page.client.get(page.url("script"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"attachShadow" in response.content
    widget.is_active = False
    widget.save()
    assert page.client.get(page.url("script")).status_code == 404


def test_a_write_without_a_known_visitor_token_is_refused() -> None:
    page = HostPage(WidgetFactory())

    response = page.post("chat_start", {"id": str(uuid.uuid4()), "text": "hi"}, token="made-up")

    assert response.status_code == 401
    assert response.json()["error"] == "unknown_visitor"
    assert InboundDelivery.objects.count() == 0


def test_contact_form_stores_the_raw_body_then_opens_a_web_conversation() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()
    body = {
        "id": str(uuid.uuid4()),
        "name": "Ada",
        "email": "Ada@Example.com",
        "message": "Do you ship to Malta?",
    }

    response = page.post("contact", body)

    assert response.status_code == 202
    assert response.json() == {"status": "processed"}
    delivery = InboundDelivery.objects.get()
    visitor = ChatVisitor.objects.get()
    assert (delivery.kind, delivery.source, delivery.sender, delivery.external_id) == (
        "widget",
        page.widget.key,
        str(visitor.pk),
        f"contact:{body['id']}",
    )
    assert json.loads(bytes(delivery.raw)) == body
    assert delivery.status == DeliveryStatus.PROCESSED
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.WEB
    assert conversation.customer == Identity.objects.get(value="ada@example.com").customer
    assert conversation.messages.get().body_text == "Do you ship to Malta?"
    assert delivery.conversation == conversation


def test_the_same_client_uuid_twice_has_one_effect() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()
    body = {"id": str(uuid.uuid4()), "text": "Hello, is anyone there?"}

    first = page.post("chat_start", body)
    second = page.post("chat_start", body)
    third = page.post("chat_send", body)

    assert [first.status_code, second.status_code, third.status_code] == [202, 202, 202]
    assert first.json() == second.json() == third.json()
    assert InboundDelivery.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_filled_honeypot_is_answered_like_a_message_but_stores_only_the_ignored_raw_row() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()

    response = page.post(
        "contact",
        {
            "id": str(uuid.uuid4()),
            "email": "bot@spam.example",
            "message": "Buy now",
            "website": "http://spam",
        },
    )

    assert response.status_code == 202
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.IGNORED
    assert "robot" in delivery.reason
    assert Conversation.objects.count() == 0
    assert Identity.objects.count() == 0


def test_a_message_over_5000_characters_is_refused_with_413_and_not_stored() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()

    response = page.chat("x" * 5001, start=True)

    assert response.status_code == 413
    assert response.json()["field"] == "text"
    assert InboundDelivery.objects.count() == 0


def test_a_body_over_32_kb_is_refused_with_413() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()
    raw = json.dumps({"id": str(uuid.uuid4()), "text": "a", "pad": "y" * 33_000}).encode()

    response = page.post("chat_start", raw=raw)

    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert InboundDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"text": "no id"}, 400, "id"),
        ({"id": "not-a-uuid", "text": "hi"}, 400, "id"),
        ({"id": str(uuid.uuid4()), "text": "   "}, 422, "text"),
        ({"id": str(uuid.uuid4()), "text": "hi", "email": "not an address"}, 422, "email"),
        ({"id": str(uuid.uuid4()), "text": 42}, 422, "text"),
    ],
)
def test_malformed_chat_messages_are_refused_and_leave_no_row(
    body: dict[str, object], status: int, field: str
) -> None:
    page = HostPage(WidgetFactory())
    page.start_session()

    response = page.post("chat_start", body)

    assert response.status_code == status
    assert response.json()["field"] == field
    assert InboundDelivery.objects.count() == 0


def test_a_body_that_is_not_json_is_refused() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()

    response = page.post("contact", raw=b"name=Ada")

    assert response.status_code == 400
    assert response.json()["error"] == "not_json"


@time_machine.travel(START_OF_A_MINUTE)
def test_a_visitor_sending_more_than_20_messages_a_minute_gets_429_with_retry_after() -> None:
    page = HostPage(WidgetFactory())
    page.start_session()
    assert page.chat("first", start=True).status_code == 202
    statuses = [page.chat(f"message {n}").status_code for n in range(2, 22)]

    assert statuses == [202] * 19 + [429]
    refused = page.chat("one more")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Access-Control-Expose-Headers"] == "Retry-After"
    assert Message.objects.count() == 20


@time_machine.travel(START_OF_A_MINUTE)
def test_one_address_writing_more_than_60_times_a_minute_gets_429() -> None:
    widget = WidgetFactory()
    statuses = [HostPage(widget, remote_addr="198.51.100.9").post("session").status_code for _ in range(61)]

    assert statuses == [201] * 60 + [429]
    assert ChatVisitor.objects.count() == 60
    # Another address is counted on its own.
    assert HostPage(widget, remote_addr="198.51.100.10").post("session").status_code == 201


def test_counters_are_one_row_per_bucket_and_minute_and_old_ones_are_swept() -> None:
    from datetime import timedelta

    now = datetime(2026, 11, 24, 10, 0, 30, tzinfo=UTC)
    counts = [ratelimit.count_request(limit=ratelimit.IP_WRITES, key="192.0.2.1", now=now) for _ in range(3)]
    later = ratelimit.count_request(
        limit=ratelimit.IP_WRITES, key="192.0.2.1", now=now + timedelta(minutes=1)
    )

    assert counts == [1, 2, 3]
    assert later == 1
    assert ratelimit.delete_old_counters(now=now + timedelta(minutes=6)) == 1
    assert ratelimit.delete_old_counters(now=now + timedelta(minutes=7)) == 1
