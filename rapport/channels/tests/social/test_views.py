"""The mentions page: who sees it, its filters, one conversation per mention, and what stays hidden."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Role, User
from rapport.accounts.tests.factories import TeamFactory, UserFactory
from rapport.channels.models import SocialMention
from rapport.channels.social.selectors import PAGE_SIZE
from rapport.channels.tests.social.factories import SocialMentionFactory
from rapport.customers.models import Customer, Identity, IdentityKind
from rapport.customers.tests.factories import CustomerFactory, EmailIdentityFactory
from rapport.desk.models import Conversation
from rapport.desk.tests.factories import TeamDeskFactory, a_conversation

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("client_fixture", ["admin_client_", "lead_client", "agent_client", "analyst_client"])
def test_everyone_who_reads_the_desk_sees_mentions_newest_first(
    client_fixture: str, request: pytest.FixtureRequest
) -> None:
    older = SocialMentionFactory(text="Older post", posted_at=datetime(2026, 11, 1, tzinfo=UTC), reach=12_345)
    newer = SocialMentionFactory(text="Newer post", posted_at=datetime(2026, 11, 2, tzinfo=UTC))
    client: Client = request.getfixturevalue(client_fixture)

    response = client.get(reverse("channels:mentions"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(newer.text) < page.index(older.text)
    assert "<td>12345</td>" in page


def test_signed_out_visitor_is_sent_to_sign_in(client: Client) -> None:
    SocialMentionFactory(text="Public but still staff only")

    response = client.get(reverse("channels:mentions"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_filters_narrow_by_platform_and_by_link_to_a_customer(agent_client: Client) -> None:
    SocialMentionFactory(platform="twitter", text="Tweet, unknown author")
    SocialMentionFactory(platform="instagram", text="Gram, unknown author")
    SocialMentionFactory(
        platform="instagram", text="Gram by a customer", customer=CustomerFactory(name="Ada")
    )

    instagram = agent_client.get(reverse("channels:mentions"), {"platform": "instagram"}).content.decode()
    linked = agent_client.get(reverse("channels:mentions"), {"linked": "yes"}).content.decode()
    unlinked = agent_client.get(reverse("channels:mentions"), {"linked": "no"}).content.decode()

    assert ("Tweet, unknown author" in instagram, "Gram, unknown author" in instagram) == (False, True)
    assert ("Gram by a customer" in linked, "Gram, unknown author" in linked) == (True, False)
    assert ("Gram by a customer" in unlinked, "Tweet, unknown author" in unlinked) == (False, True)


def test_htmx_filter_answers_with_the_results_only(agent_client: Client) -> None:
    SocialMentionFactory(text="Fragment row")

    response = agent_client.get(reverse("channels:mentions"), headers={"HX-Request": "true"})

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="results"')
    assert "Fragment row" in content
    assert "<html" not in content


def test_older_mentions_are_a_cursor_away(agent_client: Client) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(PAGE_SIZE + 1):
        SocialMentionFactory(text=f"Post {n:03d}.", posted_at=start + timedelta(minutes=n))

    first = agent_client.get(reverse("channels:mentions"))
    last = first.context["page"].rows[-1].mention
    second = agent_client.get(
        reverse("channels:mentions"), {"before": last.posted_at.isoformat(), "before_id": last.pk}
    )

    assert "Post 000." not in first.content.decode()
    assert [row.mention.text for row in second.context["page"].rows] == ["Post 000."]


def test_mentions_page_reads_a_bounded_number_of_queries(
    agent_client: Client, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        conversation = a_conversation(channel="social") if n % 3 == 0 else None
        SocialMentionFactory(customer=CustomerFactory() if n % 2 else None, conversation=conversation)

    # session, user, one page of mentions, private teams, visible conversations, platforms
    with django_assert_max_num_queries(6):
        response = agent_client.get(reverse("channels:mentions"))

    assert len(response.context["page"].rows) == 30


def test_agent_turns_a_mention_into_a_conversation_once(agent_client: Client, agent_user: User) -> None:
    mention = SocialMentionFactory(
        platform="twitter",
        handle="ada",
        author_name="Ada Lovelace",
        text="My teapot leaks",
        url="https://t.example/1",
    )
    url = reverse("channels:mention_to_conversation", args=[mention.pk])

    first = agent_client.post(url)
    second = agent_client.post(url)

    conversation = Conversation.objects.get()
    assert first["Location"] == second["Location"] == reverse("desk:conversation", args=[conversation.pk])
    assert (conversation.channel, conversation.subject, conversation.created_by) == (
        "social",
        "Mention by @ada on Twitter",
        agent_user,
    )
    message = conversation.messages.get()
    assert (message.body_text, message.sender, message.external_id) == (
        "My teapot leaks\n\nhttps://t.example/1",
        "twitter:ada",
        f"twitter:post:{mention.external_id}",
    )
    assert conversation.customer.name == "Ada Lovelace"
    assert Identity.objects.get(customer=conversation.customer).value == "twitter:ada"
    mention.refresh_from_db()
    assert (mention.conversation, mention.customer) == (conversation, conversation.customer)


def test_mention_by_a_known_customer_opens_their_conversation(agent_client: Client) -> None:
    customer = CustomerFactory(name="Ada")
    Identity.objects.create(customer=customer, kind=IdentityKind.SOCIAL, value="twitter:ada")
    mention = SocialMentionFactory(handle="ada", customer=customer)

    agent_client.post(reverse("channels:mention_to_conversation", args=[mention.pk]))

    assert Conversation.objects.get().customer == customer
    assert Customer.objects.count() == 1


def test_analyst_sees_mentions_but_cannot_turn_them_into_conversations(analyst_client: Client) -> None:
    mention = SocialMentionFactory()

    page = analyst_client.get(reverse("channels:mentions")).content.decode()
    response = analyst_client.post(reverse("channels:mention_to_conversation", args=[mention.pk]))

    assert "Turn into conversation" not in page
    assert response.status_code == 403
    assert Conversation.objects.count() == 0


def test_turn_into_conversation_is_post_only(agent_client: Client) -> None:
    mention = SocialMentionFactory()

    response = agent_client.get(reverse("channels:mention_to_conversation", args=[mention.pk]))

    assert response.status_code == 405


def test_unknown_mention_is_not_found(agent_client: Client) -> None:
    response = agent_client.post(reverse("channels:mention_to_conversation", args=[999_999]))

    assert response.status_code == 404


def test_mention_page_shows_a_private_teams_conversation_to_its_members_only() -> None:
    # Given a customer whose mention became a conversation in a private team, with private words in it
    team = TeamFactory(name="VIP")
    TeamDeskFactory(team=team, is_private=True)
    customer = CustomerFactory(name="Ada")
    EmailIdentityFactory(customer=customer, value="ada.private@example.org")
    member = UserFactory(role=Role.AGENT, team=team)
    outsider = UserFactory(role=Role.AGENT)
    conversation = a_conversation(
        customer=customer,
        channel="social",
        team=team,
        subject="Refund for order 991",
        body_text="My card ends in 4242",
    )
    SocialMentionFactory(text="Public post by Ada", customer=customer, conversation=conversation)

    # When each of them opens the mentions page
    seen_by_member = client_for(member).get(reverse("channels:mentions")).content.decode()
    seen_by_outsider = client_for(outsider).get(reverse("channels:mentions")).content.decode()

    # Then both see the public post and the customer, only the member the way into the conversation,
    # and neither anything written in it or the customer's private addresses
    link = reverse("desk:conversation", args=[conversation.pk])
    for page in (seen_by_member, seen_by_outsider):
        assert "Public post by Ada" in page
        assert reverse("customers:detail", args=[customer.pk]) in page
        assert "Refund for order 991" not in page
        assert "4242" not in page
        assert "ada.private@example.org" not in page
    assert link in seen_by_member
    assert link not in seen_by_outsider
    assert "A conversation of a team you are not in" in seen_by_outsider


def test_turning_a_mention_whose_conversation_is_private_does_not_reveal_it() -> None:
    team = TeamFactory(name="VIP")
    TeamDeskFactory(team=team, is_private=True)
    conversation = a_conversation(channel="social", team=team)
    mention = SocialMentionFactory(conversation=conversation, customer=conversation.customer)
    outsider = client_for(UserFactory(role=Role.AGENT))

    response = outsider.post(reverse("channels:mention_to_conversation", args=[mention.pk]), follow=True)

    assert response.redirect_chain == [(reverse("channels:mentions"), 302)]
    assert "The conversation belongs to a team you are not in." in response.content.decode()
    assert SocialMention.objects.get().conversation == conversation


@pytest.mark.django_db(transaction=True)
def test_two_agents_clicking_at_once_open_one_conversation_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the race needs PostgreSQL")
    mention = SocialMentionFactory(handle="ada")
    clients = [client_for(UserFactory(role=Role.AGENT)) for _ in range(3)]
    url = reverse("channels:mention_to_conversation", args=[mention.pk])
    barrier = threading.Barrier(len(clients))
    locations: list[str] = []

    def click(client: Client) -> None:
        try:
            barrier.wait()
            locations.append(client.post(url)["Location"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    conversation = Conversation.objects.get()
    assert locations == [reverse("desk:conversation", args=[conversation.pk])] * 3
    assert Customer.objects.count() == 1
