"""The recovery API: actions for a conversation, decisions, the store's outcome, policies, and outsiders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rapport.accounts.models import Role, User
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.api.tests.conftest import ApiClient, ApiFor, assert_problem
from rapport.customers.tests.factories import CustomerFactory, EmailIdentityFactory
from rapport.desk.models import TeamDesk
from rapport.desk.tests.factories import a_conversation
from rapport.recovery.models import ActionStatus, RecoveryAction
from rapport.recovery.tests.factories import PolicyFactory, an_order, lines_of, propose

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policies() -> None:
    PolicyFactory(role="agent", per_action_limit=Decimal("50"), per_customer_limit=Decimal("100"))
    PolicyFactory(role="lead", per_action_limit=Decimal("500"), per_customer_limit=Decimal("1000"))


def test_agent_replaces_lines_of_the_conversations_order(agent_api: ApiClient) -> None:
    customer = EmailIdentityFactory(value="dot@example.org").customer
    conversation = a_conversation(customer=customer)
    order = an_order(customer, lines=[("Mug", 2, "10.00")], shipping="3.00")
    (mug,) = lines_of(order)

    response = agent_api.post(
        "/recovery/actions",
        {
            "conversation_id": conversation.pk,
            "kind": "replacement",
            "reason": "lost_or_stolen",
            "order_id": order.pk,
            "lines": [{"order_line_id": mug.pk, "quantity": 1}],
            "waive_shipping": True,
            "expedited": True,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["amount"] == "13.00"
    assert body["order_number"] == order.number
    assert body["lines"] == [
        {"order_line_id": mug.pk, "sku": mug.sku, "name": "Mug", "quantity": 1, "amount": "10.00"}
    ]
    assert body["approved_automatically"] is True
    assert body["policy_snapshot"]["per_action_limit"] == "50.00"
    listed = agent_api.get("/recovery/actions", {"conversation_id": conversation.pk}).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


def test_over_the_limit_it_waits_and_a_lead_approves(
    agent_api: ApiClient, api_for: ApiFor, lead_user: User
) -> None:
    conversation = a_conversation()

    created = agent_api.post(
        "/recovery/actions",
        {
            "conversation_id": conversation.pk,
            "kind": "goodwill_credit",
            "reason": "our_mistake",
            "amount": "75.00",
        },
    ).json()
    refused = agent_api.post(f"/recovery/actions/{created['id']}/approve", {"note": ""})
    approved = api_for(lead_user).post(f"/recovery/actions/{created['id']}/approve", {"note": "loyal"})

    assert created["status"] == "proposed"
    assert created["approval_reasons"] == ["over the €50.00 per-action limit for agents"]
    assert_problem(refused, 403, "permission_denied")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by_id"] == lead_user.pk
    again = api_for(lead_user).post(f"/recovery/actions/{created['id']}/decline", {"note": ""})
    assert_problem(again, 409, "not_waiting")


def test_the_store_reports_the_outcome_once(admin_api: ApiClient, agent: Actor) -> None:
    action = propose(agent, customer=CustomerFactory(), amount="10")

    done = admin_api.post(f"/recovery/actions/{action.pk}/outcome", {"status": "done", "reference": "RF-1"})
    repeated = admin_api.post(
        f"/recovery/actions/{action.pk}/outcome", {"status": "done", "reference": "RF-1"}
    )
    contradicted = admin_api.post(f"/recovery/actions/{action.pk}/outcome", {"status": "failed"})

    assert done.status_code == repeated.status_code == 200
    assert (done.json()["status"], done.json()["store_reference"]) == ("done", "RF-1")
    assert_problem(contradicted, 409, "invalid_transition")


def test_an_outcome_other_than_done_or_failed_is_refused(admin_api: ApiClient, agent: Actor) -> None:
    action = propose(agent, customer=CustomerFactory(), amount="10")

    response = admin_api.post(f"/recovery/actions/{action.pk}/outcome", {"status": "cancelled"})

    assert_problem(response, 422, "invalid_request")


def test_another_customers_order_is_refused_and_nothing_is_written(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    foreign = an_order(CustomerFactory())

    response = agent_api.post(
        "/recovery/actions",
        {
            "conversation_id": conversation.pk,
            "kind": "refund",
            "reason": "carrier",
            "order_id": foreign.pk,
            "amount": "5",
        },
    )

    body = assert_problem(response, 422, "order_not_customers")
    assert body["errors"] == {"order": f"order {foreign.number} is not this customer's"}
    assert RecoveryAction.objects.count() == 0


def test_a_refund_above_what_was_paid_is_refused(agent_api: ApiClient) -> None:
    conversation = a_conversation()
    order = an_order(conversation.customer, lines=[("Mug", 1, "10.00")], shipping="0")

    response = agent_api.post(
        "/recovery/actions",
        {
            "conversation_id": conversation.pk,
            "kind": "refund",
            "reason": "carrier",
            "order_id": order.pk,
            "amount": "10.01",
        },
    )

    assert_problem(response, 422, "refund_exceeds_paid")


def test_money_as_a_float_is_refused(agent_api: ApiClient) -> None:
    response = agent_api.post(
        "/recovery/actions",
        {
            "customer_id": CustomerFactory().pk,
            "kind": "goodwill_credit",
            "reason": "goodwill",
            "amount": 10.5,
        },
    )

    assert_problem(response, 422, "invalid_request")


def test_a_token_without_recovery_write_cannot_propose(api_for: ApiFor, agent_user: User) -> None:
    conversation = a_conversation()
    api = api_for(agent_user, scopes=["desk:read", "desk:write", "recovery:read"])

    response = api.post(
        "/recovery/actions",
        {"conversation_id": conversation.pk, "kind": "goodwill_credit", "reason": "goodwill", "amount": "5"},
    )

    assert_problem(response, 403, "permission_denied")
    assert api.get("/recovery/actions").status_code == 200


def test_an_analyst_reads_but_cannot_act(analyst_api: ApiClient, agent: Actor) -> None:
    action = propose(agent, customer=CustomerFactory(), amount="80")

    assert analyst_api.get(f"/recovery/actions/{action.pk}").status_code == 200
    assert_problem(analyst_api.post(f"/recovery/actions/{action.pk}/cancel", {}), 403, "permission_denied")


def test_actions_on_a_private_teams_conversation_are_hidden_from_outsiders(api_for: ApiFor) -> None:
    private = TeamFactory()
    TeamDesk.objects.create(team=private, is_private=True)
    conversation = a_conversation(team=private)
    action = propose(
        Actor(user=UserFactory(role=Role.AGENT, team=private)), conversation=conversation, amount="80"
    )
    outsider = api_for(UserFactory(role=Role.LEAD, team=TeamFactory()))

    assert_problem(outsider.get(f"/recovery/actions/{action.pk}"), 404, "recovery_action_not_found")
    assert_problem(
        outsider.post(f"/recovery/actions/{action.pk}/approve", {}), 404, "recovery_action_not_found"
    )
    assert outsider.get("/recovery/actions").json()["count"] == 0
    assert_problem(
        outsider.post(
            "/recovery/actions",
            {
                "conversation_id": conversation.pk,
                "kind": "goodwill_credit",
                "reason": "goodwill",
                "amount": "1",
            },
        ),
        404,
        "conversation_not_found",
    )


def test_policies_are_read_with_recovery_read(api_for: ApiFor, agent_user: User) -> None:
    response = api_for(agent_user, scopes=["recovery:read"]).get("/recovery/policies")

    assert response.status_code == 200
    roles = [(item["role"], item["per_action_limit"]) for item in response.json()["items"]]
    assert roles == [("agent", "50.00"), ("lead", "500.00")]
    assert response.json()["items"][0]["tier_multipliers"]["gold"] == "1.5"


def test_signed_out_callers_get_401(anonymous: ApiClient) -> None:
    assert_problem(anonymous.get("/recovery/actions"), 401, "not_authenticated")


def test_statuses_are_those_documented(admin_api: ApiClient) -> None:
    assert {status.value for status in ActionStatus} == {
        "proposed",
        "approved",
        "sent",
        "done",
        "failed",
        "cancelled",
    }
