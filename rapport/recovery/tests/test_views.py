"""Recovery pages: the conversation's panel, proposing from it, the approvals queue, policies, the report."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import AuditEntry, Role, Team
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.desk.models import TeamDesk
from rapport.desk.tests.factories import a_conversation
from rapport.recovery.models import ActionStatus, EmpowermentPolicy, RecoveryAction
from rapport.recovery.tests.factories import PolicyFactory, an_order, lines_of, propose

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _policies() -> None:
    PolicyFactory(role="agent", per_action_limit=Decimal("50"), per_customer_limit=Decimal("100"))
    PolicyFactory(role="lead", per_action_limit=Decimal("500"), per_customer_limit=Decimal("1000"))


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_conversation_page_loads_the_panel(agent_client: Client) -> None:
    conversation = a_conversation()

    page = agent_client.get(reverse("desk:conversation", args=[conversation.pk]))

    assert page.status_code == 200
    assert reverse("recovery:conversation_panel", args=[conversation.pk]).encode() in page.content


def test_panel_shows_orders_lines_limits_and_repeated_recoveries(
    agent_client: Client, agent_user: object
) -> None:
    conversation = a_conversation()
    order = an_order(conversation.customer, lines=[("Pocket multitool", 1, "20.00")])
    propose(Actor(user=UserFactory(role=Role.LEAD)), customer=conversation.customer, amount="15")

    response = agent_client.get(reverse("recovery:conversation_panel", args=[conversation.pk]), headers=HTMX)

    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text  # the fragment only
    assert order.number in text
    assert "Pocket multitool" in text
    assert "1 recovery for" in text
    assert "€15.00 in total" in text
    assert "Alone, agents may grant up to €50.00 per action" in text


def test_agent_proposes_a_replacement_within_the_limit_from_the_panel(agent_client: Client) -> None:
    conversation = a_conversation()
    order = an_order(conversation.customer, lines=[("Mug", 1, "20.00")], shipping="4.00")
    (mug,) = lines_of(order)

    response = agent_client.post(
        reverse("recovery:propose", args=[conversation.pk]),
        {
            "kind": "replacement",
            "reason": "lost_or_stolen",
            "line": [str(mug.pk)],
            f"quantity-{mug.pk}": "1",
            "waive_shipping": "on",
        },
        headers=HTMX,
    )

    action = RecoveryAction.objects.get()
    assert response.status_code == 200
    assert (action.status, action.amount, action.order_id) == (
        ActionStatus.APPROVED,
        Decimal("24.00"),
        order.pk,
    )
    text = response.content.decode()
    assert "Approved: €24.00 replacement" in text
    assert "We&#x27;ve sent a replacement for order" in text
    assert "there is no charge for shipping" in text


def test_a_refused_proposal_shows_why_and_writes_nothing(agent_client: Client) -> None:
    conversation = a_conversation()
    foreign = an_order(CustomerFactory())
    (line,) = lines_of(foreign)

    response = agent_client.post(
        reverse("recovery:propose", args=[conversation.pk]),
        {"kind": "replacement", "reason": "carrier", "order": "", "line": [str(line.pk)]},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert RecoveryAction.objects.count() == 0
    # The line is on no order of this customer's, so the replacement has no order.
    assert "a replacement needs an order" in response.content.decode()


def test_without_javascript_proposing_redirects_back_to_the_conversation(agent_client: Client) -> None:
    conversation = a_conversation()

    response = agent_client.post(
        reverse("recovery:propose", args=[conversation.pk]),
        {"kind": "goodwill_credit", "reason": "goodwill", "amount": "80"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("desk:conversation", args=[conversation.pk])
    assert RecoveryAction.objects.get().status == ActionStatus.PROPOSED


def test_lead_approves_from_the_queue_in_one_click(lead_client: Client, lead_user: object) -> None:
    action = propose(Actor(user=UserFactory(role=Role.AGENT)), conversation=a_conversation(), amount="80")

    queue = lead_client.get(reverse("recovery:approvals"))
    response = lead_client.post(
        reverse("recovery:decide", args=[action.pk]), {"decision": "approve", "note": "ok"}, headers=HTMX
    )

    assert "over the €50.00 per-action limit for agents" in queue.content.decode()
    assert response.status_code == 200
    assert "Approved: €80.00 goodwill credit" in response.content.decode()
    action.refresh_from_db()
    assert (action.status, action.approved_by, action.decision_note) == (
        ActionStatus.APPROVED,
        lead_user,
        "ok",
    )


def test_lead_declines_and_the_agents_panel_shows_it(lead_client: Client) -> None:
    agent = UserFactory(role=Role.AGENT)
    conversation = a_conversation()
    action = propose(Actor(user=agent), conversation=conversation, amount="80")

    lead_client.post(
        reverse("recovery:decide", args=[action.pk]), {"decision": "decline", "note": "too much"}
    )
    panel = _client(agent).get(reverse("recovery:conversation_panel", args=[conversation.pk]), headers=HTMX)

    assert "Declined by" in panel.content.decode()
    assert "too much" in panel.content.decode()


def test_an_agent_cannot_decide(agent_client: Client) -> None:
    action = propose(Actor(user=UserFactory(role=Role.AGENT)), customer=CustomerFactory(), amount="80")

    response = agent_client.post(reverse("recovery:decide", args=[action.pk]), {"decision": "approve"})

    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.PROPOSED


def test_an_analyst_reads_the_panel_without_the_form(analyst_client: Client) -> None:
    conversation = a_conversation()

    response = analyst_client.get(
        reverse("recovery:conversation_panel", args=[conversation.pk]), headers=HTMX
    )
    refused = analyst_client.post(
        reverse("recovery:propose", args=[conversation.pk]), {"kind": "goodwill_credit"}
    )

    assert response.status_code == 200
    assert "Put it right" not in response.content.decode()
    assert refused.status_code == 403


def test_a_private_teams_conversation_and_its_actions_stay_hidden_from_outsiders() -> None:
    private = TeamFactory()
    TeamDesk.objects.create(team=private, is_private=True)
    member = UserFactory(role=Role.LEAD, team=private)
    outsider_lead = UserFactory(role=Role.LEAD, team=TeamFactory())
    conversation = a_conversation(team=private)
    action = propose(
        Actor(user=UserFactory(role=Role.AGENT, team=private)), conversation=conversation, amount="80"
    )
    outsider = _client(outsider_lead)

    assert outsider.get(reverse("recovery:conversation_panel", args=[conversation.pk])).status_code == 404
    assert outsider.get(reverse("recovery:action", args=[action.pk])).status_code == 404
    assert (
        outsider.post(reverse("recovery:decide", args=[action.pk]), {"decision": "approve"}).status_code
        == 404
    )
    assert f'id="approval-{action.pk}"' not in outsider.get(reverse("recovery:approvals")).content.decode()
    assert f'id="approval-{action.pk}"' in _client(member).get(reverse("recovery:approvals")).content.decode()


def test_admin_creates_and_changes_a_policy_each_change_audited(admin_client_: Client) -> None:
    team = Team.objects.create(name="Returns")
    data = {
        "role": "agent",
        "team": str(team.pk),
        "currency": "eur",
        "per_action_limit": "25",
        "per_customer_limit": "60",
        "per_customer_window_days": "14",
        "per_agent_daily_limit": "150",
        "kinds_needing_approval": ["refund"],
        "multiplier_standard": "1",
        "multiplier_silver": "1.1",
        "multiplier_gold": "1.5",
        "multiplier_platinum": "2",
    }

    created = admin_client_.post(reverse("recovery:policy_new"), data)
    policy = EmpowermentPolicy.objects.get(team=team)
    changed = admin_client_.post(
        reverse("recovery:policy", args=[policy.pk]), {**data, "per_action_limit": "30"}
    )

    assert created.status_code == changed.status_code == 302
    policy.refresh_from_db()
    assert (policy.version, policy.per_action_limit, policy.currency) == (2, Decimal("30.00"), "EUR")
    assert list(policy.versions.values_list("version", flat=True)) == [2, 1]
    entries = AuditEntry.objects.filter(target_type="recovery.empowermentpolicy").order_by("id")
    assert [e.action for e in entries] == ["recovery.policy.create", "recovery.policy.update"]
    assert entries[1].before == {"per_action_limit": "25.00", "version": 1}
    assert entries[1].after == {"per_action_limit": "30.00", "version": 2}


def test_a_bad_policy_is_refused_on_the_form(admin_client_: Client) -> None:
    response = admin_client_.post(
        reverse("recovery:policy_new"),
        {
            "role": "agent",
            "currency": "euro",
            "per_action_limit": "25",
            "per_customer_limit": "60",
            "per_customer_window_days": "14",
            "per_agent_daily_limit": "150",
            "multiplier_standard": "1",
            "multiplier_silver": "1",
            "multiplier_gold": "1",
            "multiplier_platinum": "1",
        },
    )

    assert response.status_code == 422
    # The agents' policy for everyone exists already (the fixture's); the currency is refused first.
    assert EmpowermentPolicy.objects.count() == 2


def test_the_report_shows_cost_by_reason_and_who_bought_again(lead_client: Client) -> None:
    propose(
        Actor(user=UserFactory(role=Role.AGENT)), customer=CustomerFactory(), amount="12", reason="carrier"
    )

    response = lead_client.get(reverse("recovery:report"))

    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="recovery-cost-data"' in text
    assert "Carrier" in text
    assert "€12.00" in text
    assert "Did they buy again within 90 days?" in text


def test_the_action_page_shows_the_policy_snapshot(agent_client: Client) -> None:
    action = propose(Actor(user=UserFactory(role=Role.AGENT)), customer=CustomerFactory(), amount="12")

    response = agent_client.get(reverse("recovery:action", args=[action.pk]))

    assert response.status_code == 200
    assert "per_action_limit" in response.content.decode()
