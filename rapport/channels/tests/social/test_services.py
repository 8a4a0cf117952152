"""The social channel's customer merge step: the survivor takes the merged customer's mentions."""

from __future__ import annotations

import pytest

from rapport.accounts.permissions import Actor
from rapport.channels.models import SocialMention
from rapport.channels.social.services import move_social_mentions
from rapport.channels.tests.social.factories import SocialMentionFactory
from rapport.customers.merge import register_merge_step
from rapport.customers.services import merge_customers
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_merging_customers_moves_their_mentions(admin: Actor) -> None:
    register_merge_step("channels.social", move_social_mentions)
    source, target = CustomerFactory(), CustomerFactory()
    SocialMentionFactory(customer=source)

    merge_customers(actor=admin, source=source, target=target)

    assert SocialMention.objects.get().customer == target
