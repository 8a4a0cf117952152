"""Customer services: identities, find-or-create, notes, tags, preferences and merge."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from rapport.accounts.models import AuditEntry
from rapport.accounts.permissions import Actor
from rapport.commerce.models import Order, WishlistItem
from rapport.commerce.services import LineInput, add_to_wishlist, upsert_order
from rapport.commerce.tests.factories import ProductFactory
from rapport.core.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.customers import services
from rapport.customers.models import Customer, Identity, Note, Preference, TimelineEvent
from rapport.customers.services import IdentityInput
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_create_customer_normalises_identities_and_audits(agent: Actor) -> None:
    customer = services.create_customer(
        actor=agent,
        name="  Ada Lovelace ",
        country="gb",
        identities=[
            IdentityInput(kind="email", value=" Ada@Example.ORG "),
            IdentityInput(kind="phone", value="020 7946 0018"),
            IdentityInput(kind="social", value="@AdaL", platform="Twitter"),
        ],
        tags=["VIP", "newsletter"],
    )

    assert customer.name == "Ada Lovelace"
    assert sorted(customer.identities.values_list("value", flat=True)) == [
        "+442079460018",
        "ada@example.org",
        "twitter:adal",
    ]
    assert all(i.is_primary for i in customer.identities.all())
    assert sorted(customer.tags.values_list("name", flat=True)) == ["newsletter", "vip"]
    entry = AuditEntry.objects.get(action="customer.create")
    assert entry.actor == agent.user
    assert entry.after["name"] == "Ada Lovelace"


@pytest.mark.parametrize(
    ("identity", "code"),
    [
        (IdentityInput(kind="email", value="not-an-email"), "invalid_email"),
        (IdentityInput(kind="phone", value="12"), "invalid_phone"),
        (IdentityInput(kind="social", value="x", platform="myspace"), "invalid_social_platform"),
        (IdentityInput(kind="fax", value="1"), "invalid_identity_kind"),
    ],
)
def test_bad_identity_is_refused_and_nothing_is_written(
    agent: Actor, identity: IdentityInput, code: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.create_customer(actor=agent, name="X", identities=[identity])

    assert error.value.code == code
    assert Customer.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_identity_of_another_customer_is_a_conflict_and_leaves_data_as_it_was(agent: Actor) -> None:
    services.create_customer(
        actor=agent, name="First", identities=[IdentityInput(kind="email", value="a@b.co")]
    )

    with pytest.raises(Conflict) as error:
        services.create_customer(
            actor=agent,
            name="Second",
            identities=[
                IdentityInput(kind="email", value="new@b.co"),
                IdentityInput(kind="email", value="A@B.co"),
            ],
        )

    assert error.value.code == "identity_taken"
    assert list(Customer.objects.values_list("name", flat=True)) == ["First"]
    assert Identity.objects.count() == 1


def test_add_identity_to_same_customer_twice_is_idempotent(agent: Actor) -> None:
    customer = CustomerFactory()

    first = services.add_identity(actor=agent, customer=customer, kind="email", value="x@y.co")
    second = services.add_identity(actor=agent, customer=customer, kind="email", value="X@Y.CO")

    assert first.pk == second.pk
    assert customer.identities.count() == 1


def test_removing_primary_identity_promotes_the_next_one(agent: Actor) -> None:
    customer = CustomerFactory()
    first = services.add_identity(actor=agent, customer=customer, kind="email", value="one@y.co")
    services.add_identity(actor=agent, customer=customer, kind="email", value="two@y.co")

    services.remove_identity(actor=agent, identity=first)

    assert customer.identities.get().value == "two@y.co"
    assert customer.identities.get().is_primary


def test_find_or_create_returns_the_existing_customer_for_any_spelling() -> None:
    created, was_created = services.find_or_create_customer(kind="phone", value="+1 415 555 2671", name="Sam")
    found, found_created = services.find_or_create_customer(kind="phone", value="+14155552671")

    assert was_created is True
    assert found_created is False
    assert found.pk == created.pk
    assert created.name == "Sam"


def test_find_or_create_social_handle() -> None:
    customer, created = services.find_or_create_customer(
        kind="social", value="@Rapport_Fan", platform="instagram"
    )

    assert created
    assert customer.identities.get().value == "instagram:rapport_fan"


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_contacts_create_one_customer() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite test databases are not shared between threads")
    results: list[int] = []

    def contact() -> None:
        customer, _ = services.find_or_create_customer(kind="email", value="race@example.org")
        results.append(customer.pk)
        connection.close()

    threads = [threading.Thread(target=contact) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    assert Customer.objects.count() == 1


def test_update_customer_records_only_what_changed(agent: Actor, lead_user: object) -> None:
    customer = CustomerFactory(name="Old")

    services.update_customer(
        actor=agent, customer=customer, name="New", associate_id=lead_user.pk, language="en"
    )  # type: ignore[attr-defined]

    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.before == {"name": "Old", "associate": None}
    assert entry.after == {"name": "New", "associate": lead_user.pk}  # type: ignore[attr-defined]
    assert TimelineEvent.objects.filter(customer=customer, kind="customer.associate_changed").exists()
    details = TimelineEvent.objects.get(customer=customer, kind="customer.updated")
    assert details.summary == "Details changed: name"
    assert details.data == {"fields": ["name"]}


def test_an_update_that_changes_nothing_adds_nothing_to_the_timeline(agent: Actor) -> None:
    customer = CustomerFactory(name="Same", language="en")
    before = TimelineEvent.objects.filter(customer=customer).count()

    services.update_customer(actor=agent, customer=customer, name="Same", language="en")

    assert TimelineEvent.objects.filter(customer=customer).count() == before


def test_update_customer_refuses_unknown_time_zone(agent: Actor) -> None:
    customer = CustomerFactory(time_zone="UTC")

    with pytest.raises(ValidationFailed):
        services.update_customer(actor=agent, customer=customer, time_zone="Mars/Olympus")

    customer.refresh_from_db()
    assert customer.time_zone == "UTC"


def test_note_lands_on_the_timeline(agent: Actor) -> None:
    customer = CustomerFactory()

    note = services.add_note(actor=agent, customer=customer, body="Loves multitools")

    event = TimelineEvent.objects.get(customer=customer, kind="note.added")
    assert event.summary == "Loves multitools"
    assert event.subject_id == str(note.pk)


def test_analyst_cannot_write(analyst: Actor) -> None:
    customer = CustomerFactory()

    with pytest.raises(PermissionDenied):
        services.add_note(actor=analyst, customer=customer, body="x")
    with pytest.raises(PermissionDenied):
        services.create_customer(actor=analyst, name="x")
    assert Note.objects.count() == 0


def test_preference_is_set_once_per_value(agent: Actor) -> None:
    customer = CustomerFactory()

    services.set_preference(actor=agent, customer=customer, kind="brand", value="Acme", likes=True)
    services.set_preference(actor=agent, customer=customer, kind="brand", value="Acme", likes=False)

    assert list(Preference.objects.values_list("value", "likes")) == [("Acme", False)]


def test_merge_moves_everything_to_the_survivor(lead: Actor) -> None:
    ProductFactory(sku="S-1")
    survivor = services.create_customer(
        actor=lead, name="Ada", identities=[IdentityInput(kind="email", value="ada@a.co")], tags=["vip"]
    )
    duplicate = services.create_customer(
        actor=lead,
        name="Ada L.",
        identities=[
            IdentityInput(kind="email", value="ada@b.co"),
            IdentityInput(kind="phone", value="+14155552671"),
        ],
        tags=["newsletter", "vip"],
    )
    upsert_order(actor=None, customer=duplicate, number="D-1", lines=[LineInput(sku="S-1", quantity=1)])
    add_to_wishlist(actor=None, customer=duplicate, product=ProductFactory())
    services.add_note(actor=lead, customer=duplicate, body="Called about a refund")
    services.set_preference(actor=lead, customer=duplicate, kind="category", value="Tools", likes=True)

    result = services.merge_customers(actor=lead, source=duplicate, target=survivor)

    duplicate.refresh_from_db()
    assert result.pk == survivor.pk
    assert duplicate.merged_into_id == survivor.pk
    assert sorted(survivor.identities.values_list("value", flat=True)) == [
        "+14155552671",
        "ada@a.co",
        "ada@b.co",
    ]
    assert survivor.identities.get(value="ada@a.co").is_primary
    assert not survivor.identities.get(value="ada@b.co").is_primary
    assert Order.objects.get(number="D-1").customer_id == survivor.pk
    assert WishlistItem.objects.filter(customer=survivor).count() == 1
    assert Note.objects.get().customer_id == survivor.pk
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["newsletter", "vip"]
    assert survivor.preferences.count() == 1
    assert TimelineEvent.objects.filter(customer=duplicate).count() == 0
    merge_event = TimelineEvent.objects.get(customer=survivor, kind="customer.merged")
    assert merge_event.data["moved"]["commerce.orders"] == 1
    assert AuditEntry.objects.filter(action="customer.merge", target_id=str(survivor.pk)).exists()


def test_merge_into_itself_or_twice_is_refused(lead: Actor) -> None:
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()

    with pytest.raises(ValidationFailed):
        services.merge_customers(actor=lead, source=a, target=a)
    services.merge_customers(actor=lead, source=b, target=a)
    with pytest.raises(Conflict):
        services.merge_customers(actor=lead, source=b, target=c)


def test_earlier_merges_follow_to_the_final_survivor(lead: Actor) -> None:
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()

    services.merge_customers(actor=lead, source=a, target=b)
    services.merge_customers(actor=lead, source=b, target=c)

    assert Customer.objects.get(pk=a.pk).merged_into_id == c.pk


def test_agent_may_not_merge(agent: Actor) -> None:
    a, b = CustomerFactory(), CustomerFactory()

    with pytest.raises(PermissionDenied):
        services.merge_customers(actor=agent, source=a, target=b)
    assert Customer.objects.get(pk=a.pk).merged_into_id is None


def test_order_pushed_for_a_merged_customer_lands_on_the_survivor(lead: Actor) -> None:
    ProductFactory(sku="S-2")
    survivor, duplicate = CustomerFactory(), CustomerFactory()
    services.merge_customers(actor=lead, source=duplicate, target=survivor)

    order, _ = upsert_order(
        actor=None, customer=duplicate, number="LATE-1", lines=[LineInput(sku="S-2", quantity=1)]
    )

    assert order.customer_id == survivor.pk


@pytest.mark.parametrize(
    "write",
    [
        lambda actor, c: services.add_note(actor=actor, customer=c, body="late note"),
        lambda actor, c: services.add_tag(actor=actor, customer=c, name="late"),
        lambda actor, c: services.add_identity(actor=actor, customer=c, kind="email", value="late@x.co"),
        lambda actor, c: services.set_preference(
            actor=actor, customer=c, kind="brand", value="Acme", likes=True
        ),
    ],
)
def test_writes_to_a_merged_away_customer_are_refused(lead: Actor, write: object) -> None:
    survivor, duplicate = CustomerFactory(), CustomerFactory()
    services.merge_customers(actor=lead, source=duplicate, target=survivor)

    with pytest.raises(Conflict) as error:
        write(lead, duplicate)  # type: ignore[operator]

    assert error.value.code == "customer_merged"
    assert Note.objects.count() == 0
    assert Identity.objects.count() == 0


def test_name_longer_than_the_column_is_refused(agent: Actor) -> None:
    with pytest.raises(ValidationFailed) as error:
        services.create_customer(actor=agent, name="x" * 201)

    assert error.value.code == "name_too_long"
    assert Customer.objects.count() == 0


def test_the_system_may_tag_a_customer(agent: Actor) -> None:
    customer = CustomerFactory()

    services.add_tag(actor=None, customer=customer, name="wholesale")

    assert list(customer.tags.values_list("name", flat=True)) == ["wholesale"]
    assert AuditEntry.objects.get(action="customer.tag_add").actor_label == "system"


def test_many_addresses_find_their_customers_and_new_ones_become_customers_as_one_at_a_time() -> None:
    known = services.find_or_create_customer(kind="email", value="ada@example.com", name="Ada")[0]
    one_at_a_time = services.find_or_create_customer(kind="email", value="cy@example.com", name=" Cy ")[0]

    found = services.find_or_create_customers(
        kind="email",
        people=[("ADA@example.com", "Someone else"), ("bob@example.com", " Bob "), ("Bob@Example.com", "B")],
    )

    assert set(found) == {"ada@example.com", "bob@example.com"}
    assert found["ada@example.com"] == known
    bob = found["bob@example.com"]
    assert bob.name == "Bob"
    assert [(i.kind, i.value, i.is_primary) for i in bob.identities.all()] == [
        ("email", "bob@example.com", True)
    ]
    for created in (bob, one_at_a_time):
        created.refresh_from_db()
    assert (bob.language, bob.time_zone, bob.survey_consent, bob.marketing_consent) == (
        one_at_a_time.language,
        one_at_a_time.time_zone,
        one_at_a_time.survey_consent,
        one_at_a_time.marketing_consent,
    )
    assert list(TimelineEvent.objects.filter(customer=bob).values_list("kind", flat=True)) == [
        "customer.created"
    ]
    audit = AuditEntry.objects.get(action="customer.create", target_id=str(bob.pk))
    assert audit.after["identities"] == ["bob@example.com"]
    assert Customer.objects.count() == 3


def test_an_address_that_is_not_one_is_refused_for_the_whole_call() -> None:
    with pytest.raises(ValidationFailed):
        services.find_or_create_customers(
            kind="email", people=[("ok@example.com", ""), ("not an address", "")]
        )

    assert not Customer.objects.exists()
