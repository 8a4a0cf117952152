"""The customer pages: list and search, the 360, notes and tags in place, merging."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.permissions import Actor
from rapport.commerce.services import LineInput, upsert_order
from rapport.commerce.tests.factories import ProductFactory
from rapport.customers.models import Customer, Note
from rapport.customers.services import IdentityInput, create_customer
from rapport.customers.tests.factories import CustomerFactory, EmailIdentityFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client: Client) -> None:
    customer = CustomerFactory()

    for url in [reverse("customers:list"), reverse("customers:detail", args=[customer.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_list_finds_customer_by_email_prefix(agent_client: Client) -> None:
    EmailIdentityFactory(customer__name="Ada Lovelace", value="ada@example.org")
    CustomerFactory(name="Charles Babbage")

    response = agent_client.get(reverse("customers:list"), {"q": "ada@exa"})

    assert response.status_code == 200
    assert "Ada Lovelace" in response.text
    assert "Charles Babbage" not in response.text


def test_list_search_by_htmx_returns_only_the_results_fragment(agent_client: Client) -> None:
    CustomerFactory(name="Grace Hopper")

    response = agent_client.get(reverse("customers:list"), {"q": "grace"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Grace Hopper" in response.text
    assert "<html" not in response.text


def test_list_query_count_does_not_grow_with_rows(
    agent_client: Client, django_assert_max_num_queries: object
) -> None:
    for n in range(30):
        customer = CustomerFactory(name=f"Customer {n:02d}")
        EmailIdentityFactory(customer=customer)
        customer.tags.create(name=f"t{n}")

    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = agent_client.get(reverse("customers:list"))

    assert response.status_code == 200
    assert "Customer 29" in response.text


def test_detail_shows_identities_orders_and_timeline(agent: Actor, agent_client: Client) -> None:
    customer = create_customer(
        actor=agent,
        name="Mary Jackson",
        identities=[
            IdentityInput(kind="email", value="Mary@Example.org"),
            IdentityInput(kind="phone", value="+44 20 7946 0018"),
        ],
    )
    product = ProductFactory(name="Multitool", sku="MT-1")
    upsert_order(actor=None, customer=customer, number="R-77", lines=[LineInput(sku="MT-1", quantity=2)])

    response = agent_client.get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 200
    assert "mary@example.org" in response.text
    assert "+44 20 7946 0018" in response.text
    assert "R-77" in response.text
    assert f"2 × {product.name}" in response.text
    assert "39.98 EUR" in response.text
    assert "Order R-77 placed" in response.text


def test_detail_query_count_is_independent_of_order_count(
    agent_client: Client, django_assert_num_queries: object
) -> None:
    ProductFactory(sku="P-1")
    few, many = CustomerFactory(), CustomerFactory()
    upsert_order(actor=None, customer=few, number="F-1", lines=[LineInput(sku="P-1", quantity=1)])
    for n in range(40):
        upsert_order(actor=None, customer=many, number=f"M-{n}", lines=[LineInput(sku="P-1", quantity=1)])

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few_queries:
        agent_client.get(reverse("customers:detail", args=[few.pk]))
    with CaptureQueriesContext(connection) as many_queries:
        agent_client.get(reverse("customers:detail", args=[many.pk]))

    assert len(many_queries) == len(few_queries)


def test_unknown_customer_is_404(agent_client: Client) -> None:
    response = agent_client.get(reverse("customers:detail", args=[999_999]))

    assert response.status_code == 404
    assert "customer_not_found" in response.text


def test_note_added_with_htmx_appears_on_timeline(agent_client: Client) -> None:
    customer = CustomerFactory()

    response = agent_client.post(
        reverse("customers:add_note", args=[customer.pk]),
        {"body": "Prefers a call after 6pm"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Prefers a call after 6pm" in response.text
    assert 'id="timeline-section"' in response.text
    assert Note.objects.get(customer=customer).body == "Prefers a call after 6pm"


def test_note_without_javascript_redirects_back_to_the_360(agent_client: Client) -> None:
    customer = CustomerFactory()

    response = agent_client.post(reverse("customers:add_note", args=[customer.pk]), {"body": "Called back"})

    assert response.status_code == 302
    assert agent_client.get(response["Location"]).text.count("Called back") == 1


def test_empty_note_is_refused_and_nothing_is_saved(agent_client: Client) -> None:
    customer = CustomerFactory()

    response = agent_client.post(
        reverse("customers:add_note", args=[customer.pk]), {"body": "   "}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422
    assert Note.objects.count() == 0


def test_analyst_cannot_add_notes_or_tags(analyst_client: Client) -> None:
    customer = CustomerFactory()

    note = analyst_client.post(reverse("customers:add_note", args=[customer.pk]), {"body": "x"})
    tag = analyst_client.post(reverse("customers:add_tag", args=[customer.pk]), {"name": "vip"})

    assert note.status_code == 403
    assert tag.status_code == 403
    assert Note.objects.count() == 0
    assert customer.tags.count() == 0


def test_analyst_sees_the_360_without_edit_controls(analyst_client: Client) -> None:
    customer = CustomerFactory()

    response = analyst_client.get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 200
    assert "Add note" not in response.text
    assert "Merge a duplicate" not in response.text


def test_tags_are_added_and_removed_in_place(agent_client: Client) -> None:
    customer = CustomerFactory()

    added = agent_client.post(
        reverse("customers:add_tag", args=[customer.pk]), {"name": " VIP "}, HTTP_HX_REQUEST="true"
    )
    removed = agent_client.post(
        reverse("customers:remove_tag", args=[customer.pk, "vip"]), HTTP_HX_REQUEST="true"
    )

    assert added.status_code == 200
    assert '<span class="tag">vip</span>' in added.text
    assert removed.status_code == 200
    assert '<span class="tag">vip</span>' not in removed.text
    assert customer.tags.count() == 0


def test_merged_customer_page_redirects_to_survivor(lead: Actor, agent_client: Client) -> None:
    from rapport.customers.services import merge_customers

    survivor, duplicate = CustomerFactory(), CustomerFactory()
    merge_customers(actor=lead, source=duplicate, target=survivor)

    response = agent_client.get(reverse("customers:detail", args=[duplicate.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[survivor.pk])


def test_lead_merges_duplicate_from_the_page(lead_client: Client) -> None:
    survivor = CustomerFactory(name="Katherine Johnson")
    duplicate = EmailIdentityFactory(customer__name="K. Johnson", value="kj@example.org").customer

    search = lead_client.get(reverse("customers:merge", args=[survivor.pk]), {"q": "kj@example"})
    confirm = lead_client.get(reverse("customers:merge", args=[survivor.pk]), {"source": duplicate.pk})
    merged = lead_client.post(reverse("customers:merge", args=[survivor.pk]), {"source": duplicate.pk})

    assert "K. Johnson" in search.text
    assert "Merge K. Johnson" in confirm.text
    assert merged.status_code == 302
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk
    assert survivor.identities.get().value == "kj@example.org"


def test_agent_may_not_merge(agent_client: Client) -> None:
    survivor, duplicate = CustomerFactory(), CustomerFactory()

    response = agent_client.post(reverse("customers:merge", args=[survivor.pk]), {"source": duplicate.pk})

    assert response.status_code == 403
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id is None


def test_stored_markup_in_a_note_is_escaped(agent: Actor, agent_client: Client) -> None:
    from rapport.customers.services import add_note

    customer = CustomerFactory()
    add_note(actor=agent, customer=customer, body="<details open ontoggle=alert(1)>x</details>")

    response = agent_client.get(reverse("customers:detail", args=[customer.pk]))

    assert "<details open ontoggle" not in response.text
    assert "&lt;details open ontoggle=alert(1)&gt;" in response.text
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_agent_creates_a_customer_from_the_page(agent_client: Client) -> None:
    response = agent_client.post(
        reverse("customers:new"),
        {
            "name": "Hedy Lamarr",
            "email": "Hedy@Example.org",
            "phone": "+1 415 555 2671",
            "language": "en",
            "time_zone": "America/Los_Angeles",
        },
    )

    customer = Customer.objects.get(name="Hedy Lamarr")
    assert response.status_code == 302
    assert sorted(customer.identities.values_list("value", flat=True)) == ["+14155552671", "hedy@example.org"]


def test_new_customer_with_a_taken_email_shows_the_error_and_saves_nothing(agent_client: Client) -> None:
    EmailIdentityFactory(value="taken@example.org")

    response = agent_client.post(
        reverse("customers:new"),
        {"name": "Dup", "email": "taken@example.org", "language": "en", "time_zone": "UTC"},
    )

    assert response.status_code == 422
    assert "belongs to another customer" in response.text
    assert not Customer.objects.filter(name="Dup").exists()


def test_edit_page_adds_and_removes_identities(agent_client: Client) -> None:
    customer = CustomerFactory()
    url = reverse("customers:edit", args=[customer.pk])

    agent_client.post(url, {"add-identity": "1", "kind": "social", "platform": "instagram", "value": "@Hedy"})
    identity = customer.identities.get()
    agent_client.post(url, {"remove-identity": str(identity.pk)})

    assert identity.value == "instagram:hedy"
    assert customer.identities.count() == 0


def test_identity_of_another_customer_cannot_be_removed_through_this_one(agent_client: Client) -> None:
    mine, theirs = CustomerFactory(), EmailIdentityFactory()

    response = agent_client.post(
        reverse("customers:edit", args=[mine.pk]), {"remove-identity": str(theirs.pk)}
    )

    assert response.status_code == 404
    assert theirs.customer.identities.count() == 1


def test_edit_details_refuses_a_bad_time_zone(agent_client: Client) -> None:
    customer = CustomerFactory(time_zone="UTC")

    response = agent_client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"save-details": "1", "name": "X", "language": "en", "time_zone": "Nowhere/Land"},
    )

    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.time_zone == "UTC"


def test_analyst_cannot_open_edit_pages(analyst_client: Client) -> None:
    customer = CustomerFactory()

    assert analyst_client.get(reverse("customers:edit", args=[customer.pk])).status_code == 403
    assert analyst_client.get(reverse("customers:new")).status_code == 403


def test_editing_a_merged_away_customer_is_a_conflict(lead: Actor, agent_client: Client) -> None:
    from rapport.customers.services import merge_customers

    survivor, duplicate = CustomerFactory(), CustomerFactory()
    merge_customers(actor=lead, source=duplicate, target=survivor)

    response = agent_client.post(reverse("customers:add_note", args=[duplicate.pk]), {"body": "late"})

    assert response.status_code == 409
    assert "customer_merged" in response.text
    assert Note.objects.count() == 0
