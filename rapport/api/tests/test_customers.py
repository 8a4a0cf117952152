"""Customers API: search, create, read, change, identities, merge, notes, timeline, preferences, lookup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.accounts.models import AuditEntry, User
from rapport.accounts.permissions import Actor
from rapport.accounts.services import create_api_token, revoke_api_token
from rapport.api.tests.conftest import API, ApiClient, ApiFor, assert_problem
from rapport.commerce.models import OrderStatus
from rapport.commerce.tests.factories import OrderFactory
from rapport.customers import services
from rapport.customers.events import record_event
from rapport.customers.identities import IdentityInput
from rapport.customers.models import Customer, Identity, Note, Preference, TimelineEvent
from rapport.customers.tests.factories import (
    CustomerFactory,
    EmailIdentityFactory,
    NoteFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def _customer(name: str = "Ada Lovelace", email: str = "ada@example.org", **kwargs: Any) -> Customer:
    return services.create_customer(
        actor=None, name=name, identities=[IdentityInput(kind="email", value=email)], **kwargs
    )


def _counts() -> tuple[int, int, int, int]:
    return (
        Customer.objects.count(),
        Identity.objects.count(),
        Note.objects.count(),
        AuditEntry.objects.exclude(action="token.create").count(),
    )


ROUTES = [
    ("get", "/customers"),
    ("post", "/customers"),
    ("get", "/customers/lookup?kind=email&value=a@example.org"),
    ("post", "/customers/find-or-create"),
    ("get", "/customers/1"),
    ("patch", "/customers/1"),
    ("post", "/customers/1/identities"),
    ("delete", "/customers/1/identities/1"),
    ("post", "/customers/1/merge"),
    ("get", "/customers/1/notes"),
    ("post", "/customers/1/notes"),
    ("get", "/customers/1/timeline"),
    ("put", "/customers/1/preferences"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_customers_route_refuses_a_request_without_credentials(
    anonymous: ApiClient, method: str, path: str
) -> None:
    response = anonymous.call(method, path, {})

    body = assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"
    assert body["title"] == "Not authenticated"


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("token", ["revoked", "made-up"])
def test_every_customers_route_refuses_a_revoked_or_made_up_token(
    admin: Actor, method: str, path: str, token: str
) -> None:
    issued = create_api_token(actor=admin, name="old", scopes=["customers:read", "customers:write"])
    revoke_api_token(actor=admin, token_id=issued.token.pk)
    raw = issued.raw if token == "revoked" else "rpt_made-up"

    assert_problem(ApiClient(raw).call(method, path, {}), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/customers"), ("get", "/customers/{id}"), ("get", "/customers/{id}/notes")],
)
def test_reading_customers_needs_the_customers_read_scope(
    api_for: ApiFor, admin_user: User, method: str, path: str
) -> None:
    customer = _customer()
    commerce_only = api_for(admin_user, scopes=["commerce:read", "commerce:write"])

    response = commerce_only.call(method, path.format(id=customer.pk))

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "admin token may not customers view"


# GET /customers


def test_list_customers_pages_with_count_and_items(agent_api: ApiClient) -> None:
    for name in ["Carla", "Ada", "Bea"]:
        _customer(name=name, email=f"{name.lower()}@example.org")

    first = agent_api.get("/customers", {"limit": 2})
    rest = agent_api.get("/customers", {"limit": 2, "offset": 2})

    assert first.status_code == 200
    assert first.json()["count"] == 3
    assert [c["name"] for c in first.json()["items"]] == ["Ada", "Bea"]
    assert rest.json()["count"] == 3
    assert [c["name"] for c in rest.json()["items"]] == ["Carla"]


def test_list_customers_shows_identities_tags_and_associate(agent_api: ApiClient, lead_user: User) -> None:
    customer = _customer(tags=["VIP"], associate_id=lead_user.pk)

    item = agent_api.get("/customers").json()["items"][0]

    identity = customer.identities.get()
    assert item == {
        "id": customer.pk,
        "name": "Ada Lovelace",
        "external_id": None,
        "language": "en",
        "time_zone": "UTC",
        "country": "",
        "associate_id": lead_user.pk,
        "identities": [
            {
                "id": identity.pk,
                "kind": "email",
                "value": "ada@example.org",
                "platform": "",
                "is_primary": True,
                "verified_at": None,
                "created_at": identity.created_at.isoformat(),
            }
        ],
        "tags": ["vip"],
        "merged_into_id": None,
        "created_at": customer.created_at.isoformat(),
        "updated_at": customer.updated_at.isoformat(),
    }


def test_list_customers_filters_by_search_tag_associate_and_unassigned(
    agent_api: ApiClient, lead_user: User
) -> None:
    ada = _customer(name="Ada", email="ada@example.org", tags=["vip"], associate_id=lead_user.pk)
    bea = _customer(name="Bea", email="bea@example.org")
    _customer(name="Carla", email="carla@example.org", associate_id=lead_user.pk)

    def names(**params: Any) -> list[str]:
        response = agent_api.get("/customers", params)
        assert response.status_code == 200
        return [c["name"] for c in response.json()["items"]]

    assert names(q="ADA@example.org") == ["Ada"]
    assert names(tag="VIP") == ["Ada"]
    assert names(associate_id=lead_user.pk) == ["Ada", "Carla"]
    assert names(unassigned="true") == ["Bea"]
    assert [c["id"] for c in agent_api.get("/customers", {"q": "bea"}).json()["items"]] == [bea.pk]
    assert [c["id"] for c in agent_api.get("/customers", {"q": "Ada"}).json()["items"]] == [ada.pk]


def test_list_customers_leaves_merged_away_customers_out(lead_api: ApiClient, lead: Actor) -> None:
    survivor = _customer(name="Ada", email="ada@example.org")
    duplicate = _customer(name="Ada L.", email="ada.l@example.org")
    services.merge_customers(actor=lead, source=duplicate, target=survivor)

    body = lead_api.get("/customers").json()

    assert body["count"] == 1
    assert [c["id"] for c in body["items"]] == [survivor.pk]


def test_list_customers_counts_a_joined_search_once_per_customer(agent_api: ApiClient) -> None:
    customer = _customer(email="ada@example.org")
    services.add_identity(actor=None, customer=customer, kind="email", value="ada@example.com")

    body = agent_api.get("/customers", {"q": "ada@example"}).json()

    assert body["count"] == 1
    assert len(body["items"]) == 1


@pytest.mark.parametrize(
    "params",
    [{"limit": 201}, {"limit": 0}, {"offset": -1}, {"limit": "many"}, {"associate_id": "x"}],
)
def test_list_customers_refuses_bad_paging_and_filters(agent_api: ApiClient, params: dict[str, Any]) -> None:
    response = agent_api.get("/customers", params)

    body = assert_problem(response, 422, "invalid_request")
    assert body["errors"][0]["loc"][0] == "query"


def test_list_customers_makes_the_same_number_of_queries_for_any_page_size(agent_api: ApiClient) -> None:
    _customer(name="A", email="a@example.org", tags=["x"])
    agent_api.get("/customers")  # the first request of a token stamps last_used_at
    with CaptureQueriesContext(connection) as one:
        agent_api.get("/customers")
    for n in range(10):
        _customer(name=f"B{n}", email=f"b{n}@example.org", tags=["x", "y"])
    with CaptureQueriesContext(connection) as eleven:
        response = agent_api.get("/customers")

    assert response.json()["count"] == 11
    assert len(eleven) == len(one)


# POST /customers


def test_create_customer_returns_it_with_normalised_identities(
    agent_api: ApiClient, agent_user: User, lead_user: User
) -> None:
    response = agent_api.post(
        "/customers",
        {
            "name": "  Ada Lovelace ",
            "identities": [
                {"kind": "email", "value": " Ada@Example.ORG "},
                {"kind": "phone", "value": "020 7946 0018"},
                {"kind": "social", "value": "@AdaL", "platform": "Twitter"},
            ],
            "language": "en-GB",
            "time_zone": "Europe/London",
            "country": "gb",
            "tags": ["VIP"],
            "associate_id": lead_user.pk,
            "external_id": "shop-42",
            "consents": {"marketing": True, "survey": False},
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == customer.pk
    assert body["name"] == "Ada Lovelace"
    assert [(i["kind"], i["value"], i["platform"], i["is_primary"]) for i in body["identities"]] == [
        ("email", "ada@example.org", "", True),
        ("phone", "+442079460018", "", True),
        ("social", "twitter:adal", "twitter", True),
    ]
    assert (body["language"], body["time_zone"], body["country"]) == ("en-GB", "Europe/London", "GB")
    assert (body["tags"], body["associate_id"], body["external_id"]) == (["vip"], lead_user.pk, "shop-42")
    assert (customer.marketing_consent, customer.survey_consent) == (True, False)
    entry = AuditEntry.objects.get(action="customer.create")
    assert (entry.actor, entry.via) == (agent_user, "token")


def test_create_customer_with_an_address_of_another_customer_is_a_conflict(agent_api: ApiClient) -> None:
    _customer(email="ada@example.org")
    before = _counts()

    response = agent_api.post(
        "/customers",
        {"name": "Imposter", "identities": [{"kind": "email", "value": "ADA@example.org"}]},
    )

    body = assert_problem(response, 409, "identity_taken")
    assert body["detail"] == "ada@example.org belongs to another customer"
    assert _counts() == before


@pytest.mark.parametrize(
    ("identities", "code"),
    [
        ([{"kind": "email", "value": "ok@example.org"}, {"kind": "email", "value": "nope"}], "invalid_email"),
        ([{"kind": "phone", "value": "12"}], "invalid_phone"),
        ([{"kind": "social", "value": "x", "platform": "myspace"}], "invalid_social_platform"),
        (
            [
                {"kind": "email", "value": "twice@example.org"},
                {"kind": "email", "value": "TWICE@example.org"},
            ],
            "duplicate_identity",
        ),
    ],
)
def test_create_customer_with_a_bad_identity_writes_nothing(
    agent_api: ApiClient, identities: list[dict[str, str]], code: str
) -> None:
    before = _counts()

    response = agent_api.post("/customers", {"name": "Ada", "identities": identities})

    assert_problem(response, 422, code)
    assert _counts() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"identities": "ada@example.org"},
        {"identities": [{"kind": "fax", "value": "1"}]},
        {"associate_id": "lead"},
        {"name": 42},
        {"name": "x" * 201},
        {"consents": {"marketing": "perhaps"}},
        {"name": "nul\x00byte"},
    ],
)
def test_create_customer_with_wrong_types_is_an_invalid_request(
    agent_api: ApiClient, payload: dict[str, Any]
) -> None:
    before = _counts()

    response = agent_api.post("/customers", payload)

    assert_problem(response, 422, "invalid_request")
    assert _counts() == before


def test_create_customer_with_malformed_json_is_a_bad_request(agent_api: ApiClient) -> None:
    response = agent_api.client.post(f"{API}/customers", "{not json", content_type="application/json")

    body = assert_problem(response, 400, "http_400")
    assert body["detail"] == "Cannot parse request body"
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone"),
        ({"associate_id": 999999}, "invalid_associate"),
        ({"country": "G1"}, "invalid_country"),
    ],
)
def test_create_customer_breaking_a_rule_is_refused(
    agent_api: ApiClient, payload: dict[str, Any], code: str
) -> None:
    response = agent_api.post("/customers", {"name": "Ada", **payload})

    assert_problem(response, 422, code)
    assert Customer.objects.count() == 0


def test_analyst_cannot_create_customers(analyst_api: ApiClient) -> None:
    response = analyst_api.post("/customers", {"name": "Ada"})

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "analyst token may not customers edit"
    assert Customer.objects.count() == 0


def test_a_read_only_token_cannot_create_customers(api_for: ApiFor, lead_user: User) -> None:
    read_only = api_for(lead_user, scopes=["customers:read"])

    response = read_only.post("/customers", {"name": "Ada"})

    assert_problem(response, 403, "permission_denied")
    assert Customer.objects.count() == 0


# GET /customers/{id}


def test_get_customer_shows_the_whole_profile_and_lifetime_spend(agent_api: ApiClient, agent: Actor) -> None:
    customer = _customer(tags=["vip"], marketing_consent=True)
    services.set_preference(actor=agent, customer=customer, kind="brand", value="Acme", likes=True)
    OrderFactory(customer=customer, total=Decimal("10.50"), currency="EUR")
    OrderFactory(customer=customer, total=Decimal("4.25"), currency="EUR")
    OrderFactory(customer=customer, total=Decimal("99.00"), currency="USD")
    OrderFactory(customer=customer, total=Decimal("50.00"), currency="EUR", status=OrderStatus.REFUNDED)

    response = agent_api.get(f"/customers/{customer.pk}")

    assert response.status_code == 200
    body = response.json()
    preference = Preference.objects.get()
    assert body["lifetime_spend"] == [
        {"currency": "EUR", "total": "14.75", "orders": 2},
        {"currency": "USD", "total": "99.00", "orders": 1},
    ]
    assert body["order_count"] == 3
    assert body["preferences"] == [{"id": preference.pk, "kind": "brand", "value": "Acme", "likes": True}]
    assert body["consents"] == {
        "marketing": True,
        "marketing_at": customer.marketing_consent_at.isoformat(),  # type: ignore[union-attr]
        "survey": True,
        "survey_at": customer.survey_consent_at.isoformat(),  # type: ignore[union-attr]
    }
    assert body["tags"] == ["vip"]
    assert [i["value"] for i in body["identities"]] == ["ada@example.org"]
    assert (body["merged_into_id"], body["merged_at"]) == (None, None)


def test_get_customer_without_the_commerce_scope_leaves_spend_out(api_for: ApiFor, agent_user: User) -> None:
    customer = _customer()
    OrderFactory(customer=customer)
    customers_only = api_for(agent_user, scopes=["customers:read"])

    body = customers_only.get(f"/customers/{customer.pk}").json()

    assert (body["lifetime_spend"], body["order_count"]) == (None, None)


def test_get_customer_makes_the_same_queries_for_1_order_and_for_30(agent_api: ApiClient) -> None:
    one, thirty = _customer(email="one@example.org"), _customer(email="thirty@example.org")
    OrderFactory(customer=one)
    OrderFactory.create_batch(30, customer=thirty)
    agent_api.get(f"/customers/{one.pk}")  # the first request of a token stamps last_used_at

    with CaptureQueriesContext(connection) as for_one:
        first = agent_api.get(f"/customers/{one.pk}")
    with CaptureQueriesContext(connection) as for_thirty:
        second = agent_api.get(f"/customers/{thirty.pk}")

    assert (first.json()["order_count"], second.json()["order_count"]) == (1, 30)
    assert len(for_thirty) == len(for_one)


def test_get_merged_customer_says_which_customer_it_went_into(lead_api: ApiClient, lead: Actor) -> None:
    survivor = _customer(email="ada@example.org")
    duplicate = _customer(email="ada.l@example.org")
    services.merge_customers(actor=lead, source=duplicate, target=survivor)

    body = lead_api.get(f"/customers/{duplicate.pk}").json()

    duplicate.refresh_from_db()
    assert body["merged_into_id"] == survivor.pk
    assert body["merged_at"] == duplicate.merged_at.isoformat()  # type: ignore[union-attr]


def test_get_unknown_customer_is_not_found(agent_api: ApiClient) -> None:
    body = assert_problem(agent_api.get("/customers/424242"), 404, "customer_not_found")

    assert body["detail"] == "no customer 424242"


@pytest.mark.parametrize("customer_id", ["abc", "0", "-1", "99999999999999999999"])
def test_get_customer_with_an_impossible_id_is_an_invalid_request(
    agent_api: ApiClient, customer_id: str
) -> None:
    body = assert_problem(agent_api.get(f"/customers/{customer_id}"), 422, "invalid_request")

    assert body["errors"][0]["loc"] == ["path", "customer_id"]


# PATCH /customers/{id}


def test_patch_customer_changes_only_the_fields_sent(agent_api: ApiClient, lead_user: User) -> None:
    customer = _customer(time_zone="Europe/Lisbon", country="PT")

    response = agent_api.patch(
        f"/customers/{customer.pk}",
        {"name": "Ada King", "associate_id": lead_user.pk, "marketing_consent": True},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["associate_id"], body["time_zone"], body["country"]) == (
        "Ada King",
        lead_user.pk,
        "Europe/Lisbon",
        "PT",
    )
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.after == {"name": "Ada King", "associate": lead_user.pk, "marketing_consent": True}


def test_patch_customer_with_null_clears_the_associate(agent_api: ApiClient, lead_user: User) -> None:
    customer = _customer(associate_id=lead_user.pk)

    body = agent_api.patch(f"/customers/{customer.pk}", {"associate_id": None}).json()

    assert body["associate_id"] is None


@pytest.mark.parametrize("payload", [{"name": None}, {"time_zone": 3}, {"marketing_consent": "maybe"}])
def test_patch_customer_with_wrong_types_changes_nothing(
    agent_api: ApiClient, payload: dict[str, Any]
) -> None:
    customer = _customer()

    response = agent_api.patch(f"/customers/{customer.pk}", payload)

    assert_problem(response, 422, "invalid_request")
    assert Customer.objects.get().updated_at == customer.updated_at


def test_patch_customer_with_a_bad_time_zone_changes_nothing(agent_api: ApiClient) -> None:
    customer = _customer()

    response = agent_api.patch(f"/customers/{customer.pk}", {"name": "Changed", "time_zone": "Nowhere/Else"})

    assert_problem(response, 422, "invalid_time_zone")
    assert Customer.objects.get().name == "Ada Lovelace"


def test_patch_merged_customer_is_a_conflict(lead_api: ApiClient, lead: Actor) -> None:
    survivor, duplicate = _customer(email="a@example.org"), _customer(email="b@example.org")
    services.merge_customers(actor=lead, source=duplicate, target=survivor)

    assert_problem(lead_api.patch(f"/customers/{duplicate.pk}", {"name": "X"}), 409, "customer_merged")


def test_analyst_cannot_patch_customers(analyst_api: ApiClient) -> None:
    customer = _customer()

    assert_problem(analyst_api.patch(f"/customers/{customer.pk}", {"name": "X"}), 403, "permission_denied")
    assert Customer.objects.get().name == "Ada Lovelace"


def test_patch_unknown_customer_is_not_found(agent_api: ApiClient) -> None:
    assert_problem(agent_api.patch("/customers/424242", {"name": "X"}), 404, "customer_not_found")


# POST/DELETE /customers/{id}/identities


def test_add_identity_normalises_it_and_keeps_the_first_primary(agent_api: ApiClient) -> None:
    customer = _customer()

    response = agent_api.post(
        f"/customers/{customer.pk}/identities", {"kind": "email", "value": "Ada@Work.example"}
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["value"], body["is_primary"]) == ("email", "ada@work.example", False)
    assert sorted(customer.identities.values_list("value", flat=True)) == [
        "ada@example.org",
        "ada@work.example",
    ]


def test_add_identity_of_another_customer_is_a_conflict(agent_api: ApiClient) -> None:
    _customer(email="taken@example.org")
    other = _customer(name="Bea", email="bea@example.org")
    before = _counts()

    response = agent_api.post(
        f"/customers/{other.pk}/identities", {"kind": "email", "value": "TAKEN@example.org"}
    )

    assert_problem(response, 409, "identity_taken")
    assert _counts() == before


def test_add_identity_with_a_missing_value_is_an_invalid_request(agent_api: ApiClient) -> None:
    customer = _customer()

    assert_problem(
        agent_api.post(f"/customers/{customer.pk}/identities", {"kind": "email"}), 422, "invalid_request"
    )
    assert Identity.objects.count() == 1


def test_analyst_cannot_add_identities(analyst_api: ApiClient) -> None:
    customer = _customer()

    response = analyst_api.post(
        f"/customers/{customer.pk}/identities", {"kind": "email", "value": "x@example.org"}
    )

    assert_problem(response, 403, "permission_denied")
    assert Identity.objects.count() == 1


def test_add_identity_to_unknown_customer_is_not_found(agent_api: ApiClient) -> None:
    response = agent_api.post("/customers/424242/identities", {"kind": "email", "value": "x@example.org"})

    assert_problem(response, 404, "customer_not_found")


def test_remove_identity_promotes_the_next_one(agent_api: ApiClient) -> None:
    customer = _customer()
    services.add_identity(actor=None, customer=customer, kind="email", value="second@example.org")
    primary = customer.identities.get(is_primary=True)

    response = agent_api.delete(f"/customers/{customer.pk}/identities/{primary.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert list(customer.identities.values_list("value", "is_primary")) == [("second@example.org", True)]


def test_remove_identity_of_another_customer_is_not_found(agent_api: ApiClient) -> None:
    mine = _customer(email="mine@example.org")
    theirs = _customer(name="Bea", email="theirs@example.org").identities.get()

    response = agent_api.delete(f"/customers/{mine.pk}/identities/{theirs.pk}")

    assert_problem(response, 404, "identity_not_found")
    assert Identity.objects.filter(pk=theirs.pk).exists()


def test_analyst_cannot_remove_identities(analyst_api: ApiClient) -> None:
    customer = _customer()
    identity = customer.identities.get()

    assert_problem(
        analyst_api.delete(f"/customers/{customer.pk}/identities/{identity.pk}"), 403, "permission_denied"
    )
    assert Identity.objects.filter(pk=identity.pk).exists()


# POST /customers/{id}/merge


def test_merge_moves_the_source_into_the_customer_in_the_path(lead_api: ApiClient) -> None:
    survivor = _customer(name="Ada", email="ada@example.org")
    duplicate = _customer(name="Ada L.", email="ada.l@example.org")
    NoteFactory(customer=duplicate, body="Prefers email")

    response = lead_api.post(f"/customers/{survivor.pk}/merge", {"source_id": duplicate.pk})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == survivor.pk
    assert sorted(i["value"] for i in body["identities"]) == ["ada.l@example.org", "ada@example.org"]
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    assert list(Note.objects.values_list("customer_id", flat=True)) == [survivor.pk]


def test_agent_cannot_merge_customers(agent_api: ApiClient) -> None:
    survivor, duplicate = _customer(email="a@example.org"), _customer(email="b@example.org")

    response = agent_api.post(f"/customers/{survivor.pk}/merge", {"source_id": duplicate.pk})

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "agent token may not customers merge"
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None
    assert duplicate.identities.count() == 1


def test_merge_with_unknown_source_is_not_found(lead_api: ApiClient) -> None:
    survivor = _customer()

    assert_problem(
        lead_api.post(f"/customers/{survivor.pk}/merge", {"source_id": 424242}), 404, "customer_not_found"
    )


def test_merge_into_itself_is_refused(lead_api: ApiClient) -> None:
    customer = _customer()

    response = lead_api.post(f"/customers/{customer.pk}/merge", {"source_id": customer.pk})

    assert_problem(response, 422, "merge_same_customer")


def test_merge_of_an_already_merged_customer_is_a_conflict(lead_api: ApiClient, lead: Actor) -> None:
    a, b, c = (_customer(email=f"{n}@example.org") for n in "abc")
    services.merge_customers(actor=lead, source=b, target=a)

    assert_problem(lead_api.post(f"/customers/{c.pk}/merge", {"source_id": b.pk}), 409, "customer_merged")


def test_merge_without_source_is_an_invalid_request(lead_api: ApiClient) -> None:
    customer = _customer()

    assert_problem(lead_api.post(f"/customers/{customer.pk}/merge", {"source": 2}), 422, "invalid_request")


# notes


def test_add_note_and_list_notes_newest_first(agent_api: ApiClient, agent_user: User) -> None:
    customer = _customer()
    NoteFactory(customer=customer, body="Older", created_at=datetime(2024, 1, 1, tzinfo=UTC))

    created = agent_api.post(f"/customers/{customer.pk}/notes", {"body": "  Called about the delay  "})
    listed = agent_api.get(f"/customers/{customer.pk}/notes")

    assert created.status_code == 201
    note = Note.objects.get(body="Called about the delay")
    assert created.json() == {
        "id": note.pk,
        "body": "Called about the delay",
        "author_id": agent_user.pk,
        "created_at": note.created_at.isoformat(),
    }
    assert listed.json()["count"] == 2
    assert [n["body"] for n in listed.json()["items"]] == ["Called about the delay", "Older"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"body": ""}, 422, "invalid_request"),
        ({"body": "   "}, 422, "note_empty"),
        ({}, 422, "invalid_request"),
    ],
)
def test_add_bad_note_writes_nothing(
    agent_api: ApiClient, body: dict[str, Any], status: int, code: str
) -> None:
    customer = _customer()

    assert_problem(agent_api.post(f"/customers/{customer.pk}/notes", body), status, code)
    assert Note.objects.count() == 0


def test_analyst_can_read_notes_but_not_write_them(analyst_api: ApiClient) -> None:
    customer = _customer()
    NoteFactory(customer=customer)

    assert analyst_api.get(f"/customers/{customer.pk}/notes").json()["count"] == 1
    assert_problem(
        analyst_api.post(f"/customers/{customer.pk}/notes", {"body": "x"}), 403, "permission_denied"
    )
    assert Note.objects.count() == 1


def test_notes_of_unknown_customer_are_not_found(agent_api: ApiClient) -> None:
    assert_problem(agent_api.get("/customers/424242/notes"), 404, "customer_not_found")
    assert_problem(agent_api.post("/customers/424242/notes", {"body": "x"}), 404, "customer_not_found")


# GET /customers/{id}/timeline


def test_timeline_pages_by_cursor_even_when_events_share_a_time(agent_api: ApiClient) -> None:
    customer = CustomerFactory()
    same_moment = datetime(2025, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    for n in range(55):
        record_event(customer=customer, kind="test", summary=f"event {n}", occurred_at=same_moment)
    ids = list(TimelineEvent.objects.order_by("-id").values_list("id", flat=True))

    first = agent_api.get(f"/customers/{customer.pk}/timeline").json()
    second = agent_api.get(
        f"/customers/{customer.pk}/timeline",
        {"before": first["next_before"], "before_id": first["next_before_id"]},
    ).json()

    assert [e["id"] for e in first["items"]] == ids[:50]
    assert first["next_before"] == same_moment.isoformat()
    assert first["next_before_id"] == ids[49]
    assert [e["id"] for e in second["items"]] == ids[50:]
    assert (second["next_before"], second["next_before_id"]) == (None, None)


def test_timeline_shows_what_services_recorded(agent_api: ApiClient, agent_user: User) -> None:
    customer = _customer()
    services.add_note(actor=Actor(user=agent_user), customer=customer, body="Hello")

    items = agent_api.get(f"/customers/{customer.pk}/timeline").json()["items"]

    note = Note.objects.get()
    assert [(e["kind"], e["summary"], e["actor_id"]) for e in items] == [
        ("note.added", "Hello", agent_user.pk),
        ("customer.created", "Customer created", None),
    ]
    assert (items[0]["subject_type"], items[0]["subject_id"]) == ("customers.note", str(note.pk))


@pytest.mark.parametrize(
    "params",
    [{"before": "2025-01-01T00:00:00+00:00"}, {"before_id": 3}, {"before": "yesterday", "before_id": 3}],
)
def test_timeline_with_half_a_cursor_is_an_invalid_request(
    agent_api: ApiClient, params: dict[str, Any]
) -> None:
    customer = CustomerFactory()

    assert_problem(agent_api.get(f"/customers/{customer.pk}/timeline", params), 422, "invalid_request")


def test_timeline_of_unknown_customer_is_not_found(agent_api: ApiClient) -> None:
    assert_problem(agent_api.get("/customers/424242/timeline"), 404, "customer_not_found")


# PUT /customers/{id}/preferences


def test_put_preference_creates_then_changes_it(agent_api: ApiClient) -> None:
    customer = _customer()

    created = agent_api.put(f"/customers/{customer.pk}/preferences", {"kind": "category", "value": "Tea"})
    changed = agent_api.put(
        f"/customers/{customer.pk}/preferences", {"kind": "category", "value": "Tea", "likes": False}
    )

    preference = Preference.objects.get()
    assert created.json() == {"id": preference.pk, "kind": "category", "value": "Tea", "likes": True}
    assert changed.json() == {"id": preference.pk, "kind": "category", "value": "Tea", "likes": False}


@pytest.mark.parametrize(
    "payload", [{"kind": "colour", "value": "red"}, {"kind": "brand"}, {"kind": "brand", "value": ""}]
)
def test_put_bad_preference_writes_nothing(agent_api: ApiClient, payload: dict[str, Any]) -> None:
    customer = _customer()

    assert_problem(agent_api.put(f"/customers/{customer.pk}/preferences", payload), 422, "invalid_request")
    assert Preference.objects.count() == 0


def test_analyst_cannot_set_preferences(analyst_api: ApiClient) -> None:
    customer = _customer()

    response = analyst_api.put(f"/customers/{customer.pk}/preferences", {"kind": "brand", "value": "Acme"})

    assert_problem(response, 403, "permission_denied")
    assert Preference.objects.count() == 0


# lookup and find-or-create


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"kind": "email", "value": " ADA@example.org"}, True),
        ({"kind": "phone", "value": "+44 20 7946 0018"}, True),
        ({"kind": "social", "value": "@AdaL", "platform": "twitter"}, True),
        ({"kind": "email", "value": "nobody@example.org"}, False),
    ],
)
def test_lookup_finds_a_customer_by_any_spelling_of_an_address(
    agent_api: ApiClient, params: dict[str, str], found: bool
) -> None:
    customer = services.create_customer(
        actor=None,
        name="Ada",
        identities=[
            IdentityInput(kind="email", value="ada@example.org"),
            IdentityInput(kind="phone", value="+442079460018"),
            IdentityInput(kind="social", value="adal", platform="twitter"),
        ],
    )

    response = agent_api.get("/customers/lookup", params)

    if found:
        assert response.status_code == 200
        assert response.json()["id"] == customer.pk
    else:
        assert_problem(response, 404, "customer_not_found")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"kind": "fax", "value": "1"}, "invalid_request"),
        ({"kind": "email"}, "invalid_request"),
        ({"kind": "email", "value": "not an email"}, "invalid_email"),
    ],
)
def test_lookup_with_bad_input_is_refused(agent_api: ApiClient, params: dict[str, str], code: str) -> None:
    assert_problem(agent_api.get("/customers/lookup", params), 422, code)


def test_find_or_create_creates_once_then_finds(agent_api: ApiClient) -> None:
    payload = {"kind": "phone", "value": "020 7946 0018", "country": "gb", "name": "Caller"}

    first = agent_api.post("/customers/find-or-create", payload)
    second = agent_api.post("/customers/find-or-create", {"kind": "phone", "value": "+442079460018"})

    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (second.status_code, second.json()["created"]) == (200, False)
    assert first.json()["customer"]["id"] == second.json()["customer"]["id"]
    assert first.json()["customer"]["name"] == "Caller"
    assert Customer.objects.count() == 1


def test_analyst_cannot_find_or_create(analyst_api: ApiClient) -> None:
    response = analyst_api.post("/customers/find-or-create", {"kind": "email", "value": "new@example.org"})

    assert_problem(response, 403, "permission_denied")
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"kind": "email", "value": "nope"}, "invalid_email"),
        ({"kind": "pager", "value": "1"}, "invalid_request"),
    ],
)
def test_find_or_create_with_bad_input_writes_nothing(
    agent_api: ApiClient, payload: dict[str, str], code: str
) -> None:
    assert_problem(agent_api.post("/customers/find-or-create", payload), 422, code)
    assert Customer.objects.count() == 0


# the signed-in browser session


def test_session_write_without_csrf_token_is_refused_and_with_it_works(agent_user: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent_user)
    csrf = "a" * 32
    browser.cookies["csrftoken"] = csrf
    body = '{"name": "Ada"}'

    refused = browser.post(f"{API}/customers", body, content_type="application/json")
    accepted = browser.post(
        f"{API}/customers", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )

    assert_problem(refused, 403, "http_403")
    assert accepted.status_code == 201, accepted.content
    assert list(Customer.objects.values_list("name", flat=True)) == ["Ada"]
    assert AuditEntry.objects.get(action="customer.create").via == "web"


def test_session_read_needs_no_csrf_token(agent_user: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent_user)
    _customer()

    response = browser.get(f"{API}/customers")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_tags_filter_uses_existing_tags(agent_api: ApiClient) -> None:
    TagFactory(name="unused")
    customer = _customer(tags=["vip"])

    assert [c["id"] for c in agent_api.get("/customers", {"tag": "vip"}).json()["items"]] == [customer.pk]
    assert agent_api.get("/customers", {"tag": "unused"}).json() == {"count": 0, "items": []}


def test_identity_factory_customers_are_listed(agent_api: ApiClient) -> None:
    identity = EmailIdentityFactory()

    body = agent_api.get("/customers", {"q": identity.value}).json()

    assert [c["id"] for c in body["items"]] == [identity.customer_id]


def test_one_customer_page_past_the_end_is_empty(agent_api: ApiClient) -> None:
    _customer()

    assert agent_api.get("/customers", {"offset": 5}).json() == {"count": 1, "items": []}


def test_timeline_cursor_accepts_an_offset_time_zone(agent_api: ApiClient) -> None:
    customer = CustomerFactory()
    record_event(customer=customer, kind="a", summary="old", occurred_at=datetime(2025, 1, 1, 10, tzinfo=UTC))
    newer = record_event(
        customer=customer, kind="b", summary="new", occurred_at=datetime(2025, 1, 1, 11, tzinfo=UTC)
    )
    before = (newer.occurred_at + timedelta(hours=2)).astimezone().isoformat()

    items = agent_api.get(
        f"/customers/{customer.pk}/timeline", {"before": before, "before_id": newer.pk + 1}
    ).json()["items"]

    assert [e["summary"] for e in items] == ["new", "old"]
