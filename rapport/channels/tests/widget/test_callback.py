"""Call-back requests: offered windows in the widget's hours, a phone conversation due inside the window."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import time_machine

from rapport.channels.models import InboundDelivery
from rapport.channels.tests.widget.factories import HostPage, WidgetFactory
from rapport.customers.models import Identity
from rapport.desk.models import Channel, Conversation, SlaState
from rapport.desk.tests.factories import BusinessCalendarFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

# A Tuesday; London is on GMT in November, so local and UTC times agree.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 20, tzinfo=UTC)


def _callback(page: HostPage, window: str, **fields: str) -> object:
    page.start_session()
    return page.post(
        "callback", {"id": str(uuid.uuid4()), "number": "07911 123456", "window": window, **fields}
    )


@time_machine.travel(TUESDAY_MORNING, tick=False)
def test_config_offers_two_hour_windows_for_the_rest_of_today_and_tomorrow() -> None:
    page = HostPage(WidgetFactory(calendar=BusinessCalendarFactory()))

    config = page.get("config").json()

    assert [(w["day"], w["label"]) for w in config["callback_windows"]] == [
        ("Today", "09:00–11:00"),
        ("Today", "11:00–13:00"),
        ("Today", "13:00–15:00"),
        ("Today", "15:00–17:00"),
        ("Tomorrow", "09:00–11:00"),
        ("Tomorrow", "11:00–13:00"),
        ("Tomorrow", "13:00–15:00"),
        ("Tomorrow", "15:00–17:00"),
    ]
    assert config["hours"]["open_now"] is True
    assert config["hours"]["days"][0] == {"day": "Monday", "hours": "09:00–17:00"}
    assert config["hours"]["days"][5] == {"day": "Saturday", "hours": "Closed"}


@time_machine.travel(TUESDAY_MORNING, tick=False)
def test_a_callback_becomes_a_phone_conversation_due_inside_the_chosen_window() -> None:
    SlaPolicyFactory(first_response_minutes=60)
    page = HostPage(WidgetFactory(calendar=BusinessCalendarFactory()))

    response = _callback(page, "2026-11-24T13:00-15:00", name="Ada", note="About my refund")

    assert response.status_code == 202  # type: ignore[attr-defined]
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.PHONE
    assert conversation.subject == "Call back +447911123456 between 13:00 and 15:00 on Tue 24 Nov"
    assert [tag.name for tag in conversation.tags.all()] == ["callback"]
    assert conversation.first_response_due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert conversation.first_response_warn_at == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    assert conversation.sla_due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert conversation.sla_state == SlaState.OK
    assert conversation.messages.get().body_text == (
        "Please call me back on +44 7911 123456 between 13:00 and 15:00 on Tuesday 24 November "
        "(Europe/London).\n\nAbout my refund"
    )
    assert conversation.customer == Identity.objects.get(value="+447911123456").customer


@time_machine.travel(TUESDAY_MORNING, tick=False)
def test_a_callback_without_any_sla_policy_still_gets_the_window_as_its_due_time() -> None:
    page = HostPage(WidgetFactory(calendar=BusinessCalendarFactory()))

    _callback(page, "2026-11-25T09:00-11:00")

    conversation = Conversation.objects.get()
    assert conversation.sla_policy is None
    assert conversation.sla_due_at == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    assert conversation.sla_state == SlaState.OK


@time_machine.travel(TUESDAY_MORNING, tick=False)
@pytest.mark.parametrize(
    "window",
    [
        "2026-11-24T07:00-09:00",  # before opening
        "2026-11-28T09:00-11:00",  # Saturday: closed
        "2026-11-26T09:00-11:00",  # Thursday: not offered (two days only)
        "2026-11-24T09:30-11:30",  # not one of the slots
        "tomorrow afternoon",
    ],
)
def test_a_window_that_was_not_offered_is_refused(window: str) -> None:
    page = HostPage(WidgetFactory(calendar=BusinessCalendarFactory()))

    response = _callback(page, window)

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["field"] == "window"  # type: ignore[attr-defined]
    assert InboundDelivery.objects.count() == 0


@time_machine.travel(TUESDAY_MORNING, tick=False)
def test_a_number_that_cannot_be_called_is_refused() -> None:
    page = HostPage(WidgetFactory(calendar=BusinessCalendarFactory()))
    page.start_session()

    response = page.post(
        "callback", {"id": str(uuid.uuid4()), "number": "12", "window": "2026-11-24T13:00-15:00"}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "number"


@time_machine.travel(datetime(2026, 11, 27, 18, 0, tzinfo=UTC), tick=False)
def test_on_friday_evening_the_next_open_days_are_offered_by_name() -> None:
    page = HostPage(WidgetFactory(calendar=BusinessCalendarFactory()))

    config = page.get("config").json()

    assert sorted({w["day"] for w in config["callback_windows"]}) == [
        "Monday 30 November",
        "Tuesday 1 December",
    ]
    assert config["hours"]["open_now"] is False
    assert config["hours"]["next_open"] == "2026-11-30T09:00:00+00:00"
