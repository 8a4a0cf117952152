"""A customer answers the CSAT email's one-click link with a 1 from her phone and confirms it; her
associate signs in and finds the follow-up, with the score and comment, on the follow-ups page."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from rapport.accounts.models import Role
from rapport.accounts.permissions import Actor
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.services import IdentityInput, create_customer
from rapport.desk.services.conversations import change_status, open_conversation
from rapport.listening.models import FollowUp, SurveyResponse
from rapport.listening.services.surveys import send_due_invitations
from tests.browser.contexts import close_quietly
from tests.browser.steps import collect_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_answers_csat_with_a_one_and_her_associate_sees_the_follow_up(
    live_server: Any, page: Any, browser: Any, settings: Any
) -> None:
    settings.RAPPORT_PUBLIC_URL = live_server.url
    maria = UserFactory(email="maria@shop.example", role=Role.AGENT, full_name="Maria Lopez")
    customer = create_customer(
        actor=None,
        name="Dorothy Vaughan",
        identities=[IdentityInput(kind="email", value="dorothy@example.org")],
    )
    customer.associate = maria
    customer.save(update_fields=["associate"])
    conversation = open_conversation(
        actor=Actor(user=maria),
        customer=customer,
        channel="email",
        subject="My parcel was stolen",
        body_text="Tracking says delivered but it never arrived.",
    )
    change_status(actor=Actor(user=maria), conversation=conversation, status="resolved")
    # The clock's send, run now rather than after the delay: the invitation mail with its links.
    conversation.survey_invitations.update(send_at=timezone.now())
    assert send_due_invitations()["sent"] == 1
    (invitation_mail,) = mail.outbox
    link = re.search(r"(\S+/survey/[\w-]+/\?score=1)\b", invitation_mail.body).group(1)  # type: ignore[union-attr]
    base = live_server.url

    # Dorothy opens the "1" link on her phone: the page shows 1 chosen and records nothing yet.
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = phone_context.new_page()
    phone.set_default_timeout(10_000)
    phone_errors: list[str] = []
    collect_errors(phone, phone_errors)
    phone.goto(link)
    expect(phone.get_by_role("radio", name="1")).to_be_checked()
    phone.wait_for_load_state("networkidle")
    assert not SurveyResponse.objects.exists()

    # She adds a comment and confirms.
    phone.get_by_label("Anything you would like to add? (optional)").fill("Nobody told me what happens next.")
    phone.get_by_role("button", name="Send my answer").click()
    phone.get_by_text("Thank you! Your answer was recorded.").wait_for()
    phone.wait_for_load_state("networkidle")
    follow_up = FollowUp.objects.get()
    assert follow_up.assignee == maria
    close_quietly(phone_context)

    # Maria signs in and finds the follow-up, with the score, the comment and the conversation.
    errors: list[str] = []
    collect_errors(page, errors)
    sign_in(page, base, "maria@shop.example")
    page.goto(f"{base}/listening/follow-ups/")
    row = page.locator("tr.follow-up")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Dorothy Vaughan")
    expect(row).to_contain_text("CSAT 1: “Nobody told me what happens next.”")
    expect(row.get_by_role("link", name=f"Conversation #{conversation.pk}")).to_be_visible()

    # She calls Dorothy and marks it done with what she did.
    row.get_by_placeholder("What was done (optional)").fill("Called her; a replacement is on its way")
    row.get_by_role("button", name="Done").click()
    page.get_by_text("Nothing to follow up.").wait_for()

    screenshot_dir = os.environ.get("RAPPORT_SCREENSHOT_DIR")
    if screenshot_dir:
        page.screenshot(path=os.path.join(screenshot_dir, "survey-follow-ups.png"), full_page=True)
    follow_up.refresh_from_db()
    assert follow_up.outcome == "Called her; a replacement is on its way"
    assert errors == []
    assert phone_errors == []
