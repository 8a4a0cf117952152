"""The phone channel's customer merge step: the survivor takes the merged customer's calls."""

from __future__ import annotations

import pytest

from rapport.accounts.permissions import Actor
from rapport.channels.models import CallDirection, PhoneCall
from rapport.channels.phone.services import move_phone_calls
from rapport.customers.merge import register_merge_step
from rapport.customers.services import merge_customers
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_merging_customers_moves_their_calls(admin: Actor) -> None:
    register_merge_step("channels.phone", move_phone_calls)
    source, target = CustomerFactory(), CustomerFactory()
    PhoneCall.objects.create(
        call_id="c-1",
        provider="json",
        direction=CallDirection.INBOUND,
        customer_number="+442079460018",
        customer=source,
    )

    merge_customers(actor=admin, source=source, target=target)

    assert PhoneCall.objects.get().customer == target
