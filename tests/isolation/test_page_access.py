"""The access matrix of every staff page: who may open it, and that nobody signed out can.

Every named URL of the project must appear in PAGES, so a new page cannot ship without its row.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import UserFactory
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ALL = {Role.ADMIN, Role.LEAD, Role.AGENT, Role.ANALYST}
EDITORS = {Role.ADMIN, Role.LEAD, Role.AGENT}

# name -> (roles that may GET it, whether it takes a customer id, extra args)
PAGES: dict[str, tuple[set[str], str]] = {
    "customers:list": (ALL, ""),
    "customers:new": (EDITORS, ""),
    "customers:detail": (ALL, "customer"),
    "customers:edit": (EDITORS, "customer"),
    "customers:merge": ({Role.ADMIN, Role.LEAD}, "customer"),
    "desk:new": (EDITORS, "customer"),
    # the inbox and its polled counts: analysts read the desk too
    "desk:inbox": (ALL, ""),
    "desk:inbox_counts": (ALL, ""),
    # the conversation page and attachment downloads: analysts read, without the composer
    "desk:conversation": (ALL, "conversation"),
    "desk:attachment": (ALL, "attachment"),
    "accounts:tokens": (ALL, ""),
    "commerce:imports": ({Role.ADMIN, Role.LEAD}, ""),
    "commerce:import_detail": ({Role.ADMIN, Role.LEAD}, "import"),
    "accounts:audit_log": ({Role.ADMIN}, ""),
    "accounts:staff": ({Role.ADMIN}, ""),
    "accounts:edit_staff": ({Role.ADMIN}, "staff"),
    # desk configuration: admins; macros: leads and admins
    "desk:settings": ({Role.ADMIN}, ""),
    "desk:settings_calendars": ({Role.ADMIN}, ""),
    "desk:settings_calendar_new": ({Role.ADMIN}, ""),
    "desk:settings_calendar": ({Role.ADMIN}, "calendar"),
    "desk:settings_sla": ({Role.ADMIN}, ""),
    "desk:settings_sla_policy": ({Role.ADMIN}, "sla_policy"),
    "desk:settings_teams": ({Role.ADMIN}, ""),
    "desk:settings_team": ({Role.ADMIN}, "team"),
    "desk:settings_fields": ({Role.ADMIN}, ""),
    "desk:settings_field": ({Role.ADMIN}, "custom_field"),
    "desk:settings_general": ({Role.ADMIN}, ""),
    "desk:settings_macros": ({Role.ADMIN, Role.LEAD}, ""),
    "desk:settings_macro_new": ({Role.ADMIN, Role.LEAD}, ""),
    "desk:settings_macro": ({Role.ADMIN, Role.LEAD}, "macro"),
    # the inbound log holds every customer's raw words: admins only
    "channels:inbound_log": ({Role.ADMIN}, ""),
    "channels:delivery": ({Role.ADMIN}, "delivery"),
    "channels:delivery_raw": ({Role.ADMIN}, "delivery"),
    "channels:mailboxes": ({Role.ADMIN}, ""),
    "channels:mailbox_new": ({Role.ADMIN}, ""),
    "channels:mailbox": ({Role.ADMIN}, "mailbox"),
    # public posts about us: everyone who reads the desk
    "channels:mentions": (ALL, ""),
    # web widgets: their pages show the identity secret, so admins only
    "channels:widget_list": ({Role.ADMIN}, ""),
    "channels:widget_new": ({Role.ADMIN}, ""),
    "channels:widget_edit": ({Role.ADMIN}, "widget"),
    # outbound webhooks: endpoints show their signing secret, the log every customer event: admins only
    "webhooks:endpoints": ({Role.ADMIN}, ""),
    "webhooks:endpoint_new": ({Role.ADMIN}, ""),
    "webhooks:endpoint": ({Role.ADMIN}, "webhook_endpoint"),
    "webhooks:delivery_log": ({Role.ADMIN}, "webhook_endpoint"),
    "webhooks:delivery": ({Role.ADMIN}, "webhook_delivery"),
    # recovery: the panel, an action and the report for everyone who reads the desk; the queue for those
    # who approve; empowerment policies for admins
    "recovery:conversation_panel": (ALL, "conversation"),
    "recovery:action": (ALL, "recovery_action"),
    "recovery:approvals": ({Role.ADMIN, Role.LEAD}, ""),
    "recovery:report": (ALL, ""),
    "recovery:policies": ({Role.ADMIN}, ""),
    "recovery:policy_new": ({Role.ADMIN}, ""),
    "recovery:policy": ({Role.ADMIN}, "recovery_policy"),
    # listening signals: the conversation panel and the customer's trend for every role; the tagger page for
    # those who manage listening
    "listening:conversation_signals": (ALL, "conversation"),
    "listening:customer_sentiment": (ALL, "customer"),
    "listening:tags": ({Role.ADMIN, Role.LEAD}, ""),
    # survey follow-ups: everyone sees their own (leads and admins all); survey settings: admins
    "listening:follow_ups": (ALL, ""),
    "listening:survey_settings": ({Role.ADMIN}, ""),
    # listening dashboard, alerts list, themes, mention volume and survey report (with CSV) for every role;
    # per-agent rows are narrowed inside the report (rapport/listening/tests/test_reports_dashboard.py)
    "listening:dashboard": (ALL, ""),
    "listening:alerts": (ALL, ""),
    "listening:themes": (ALL, ""),
    "listening:mention_volume": (ALL, ""),
    "listening:survey_report": (ALL, ""),
    "listening:survey_report_csv": (ALL, ""),
    # service dashboard (with its CSV tables) for every role that reads the desk; an agent's rows are
    # narrowed inside the report (rapport/insights/tests/test_service_report.py)
    "insights:service": (ALL, ""),
    # relationships dashboard (with its CSV tables): everyone who reads customers; nothing per agent
    "insights:relationships": (ALL, ""),
    # a customer's value and health, and the at-risk list: everyone who reads customers
    "insights:customer": (ALL, "customer"),
    "insights:at_risk": (ALL, ""),
    # products to suggest in a conversation's composer: whoever reads the conversation
    "insights:conversation_recommendations": (ALL, "conversation"),
}
# POST-only or public endpoints, covered by their own modules' tests.
NOT_PAGES = {
    # starting outreach, POST only: rapport/insights/tests/test_customer_views.py
    "insights:outreach",
    "accounts:login",
    "accounts:logout",
    "accounts:revoke_token",
    "customers:add_note",
    "customers:add_tag",
    "customers:remove_tag",
    "customers:set_associate",
    # inbox actions, POST only: rapport/desk/tests/views/test_inbox_views.py
    "desk:inbox_bulk",
    "desk:inbox_presence",
    "desk:inbox_save_view",
    "desk:inbox_delete_view",
    # conversation page actions, POST or htmx fragments: rapport/desk/tests/views/test_conversation_views.py
    "desk:conversation_send",
    "desk:conversation_status",
    "desk:conversation_priority",
    "desk:conversation_assign",
    "desk:conversation_add_tag",
    "desk:conversation_remove_tag",
    "desk:conversation_macro",
    "desk:conversation_apply_macro",
    "desk:conversation_presence",
    "desk:conversation_leave",
    "desk:conversation_merge",
    # the details card's form, POST only: rapport/desk/tests/views/test_conversation_details.py
    "desk:conversation_details",
    "desk:message_split",
    # desk configuration, POST only: rapport/desk/tests/views/test_config_views.py
    "desk:settings_calendar_delete",
    "desk:settings_sla_delete",
    "desk:settings_sla_move",
    "desk:settings_team_member",
    "desk:settings_field_delete",
    "desk:settings_macro_delete",
    # re-processing a quarantined delivery, POST only: rapport/channels/tests/test_views.py
    "channels:delivery_reprocess",
    # sending a failed reply again, POST only: rapport/channels/tests/email/test_outgoing.py
    "channels:outbound_retry",
    # turning a mention into a conversation, POST only: rapport/channels/tests/social/test_views.py
    "channels:mention_to_conversation",
    # provider webhooks, signed and public: rapport/channels/tests/phone/, rapport/channels/tests/social/
    "channels:phone_webhook",
    "channels:twilio_voice_status",
    "channels:social_webhook",
    # the widget's public endpoints (origin allow-list and visitor token): rapport/channels/tests/widget/
    "channels:widget_script",
    "channels:widget_config",
    "channels:widget_session",
    "channels:widget_contact",
    "channels:widget_chat_start",
    "channels:widget_chat_send",
    "channels:widget_chat_poll",
    "channels:widget_chat_typing",
    "channels:widget_callback",
    # recovery actions, POST only: rapport/recovery/tests/test_views.py
    "recovery:propose",
    "recovery:decide",
    "recovery:cancel",
    "recovery:outcome",
    # training the tagger, POST only: rapport/listening/tests/test_views_signals.py
    "listening:train_tags",
    # webhook actions, POST only: rapport/webhooks/tests/test_views.py
    "webhooks:endpoint_rotate_secret",
    "webhooks:endpoint_test",
    "webhooks:delivery_retry",
    # marking a follow-up done, POST only: rapport/listening/tests/test_follow_ups_views.py
    "listening:follow_up_done",
    # one alert's page is 404 to all but its recipient and the leads; acknowledging and refreshing themes
    # are POST only: rapport/listening/tests/test_alerts_dashboard.py, test_views_dashboard.py
    "listening:alert",
    "listening:alert_acknowledge",
    "listening:themes_refresh",
    # the customer's survey page, public with its token: rapport/listening/tests/test_public_survey.py
    "survey:answer",
}


# arg kind -> the desk factory that makes one (a shared macro, so a lead of any team may open it)
DESK_CONFIG_ARGS = {
    "calendar": "BusinessCalendarFactory",
    "sla_policy": "SlaPolicyFactory",
    "custom_field": "CustomFieldFactory",
    "macro": "MacroFactory",
}


def _named_urls(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace and pattern.namespace.startswith("api"):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_page_is_in_the_access_matrix() -> None:
    assert _named_urls(get_resolver()) == set(PAGES) | NOT_PAGES


def _url(name: str, arg_kind: str) -> str:
    if arg_kind == "customer":
        return reverse(name, args=[CustomerFactory().pk])
    if arg_kind == "import":
        from rapport.commerce.models import ImportJob

        job = ImportJob.objects.create(
            kind="products", stored_path="imports/x.csv", original_name="x.csv", size=1, sha256="0"
        )
        return reverse(name, args=[job.pk])
    if arg_kind == "staff":
        return reverse(name, args=[UserFactory(role=Role.AGENT).pk])
    if arg_kind == "conversation":
        from rapport.desk.tests.factories import a_conversation

        return reverse(name, args=[a_conversation().pk])
    if arg_kind == "attachment":
        from rapport.desk.services.conversations import AttachmentInput
        from rapport.desk.tests.factories import a_conversation

        conversation = a_conversation(attachments=[AttachmentInput("a.txt", "text/plain", b"a")])
        return reverse(name, args=[conversation.messages.get().attachments.get().pk])
    if arg_kind == "team":
        from rapport.accounts.tests.factories import TeamFactory

        return reverse(name, args=[TeamFactory().pk])
    if arg_kind == "widget":
        from rapport.channels.tests.widget.factories import WidgetFactory

        return reverse(name, args=[WidgetFactory().pk])
    if arg_kind == "mailbox":
        from rapport.channels.tests.factories import MailboxFactory

        return reverse(name, args=[MailboxFactory().pk])
    if arg_kind == "delivery":
        from rapport.channels.services.deliveries import store_delivery

        delivery, _ = store_delivery(kind="email", source="support@shop.test", raw=b"Subject: hi\r\n\r\nhi")
        return reverse(name, args=[delivery.pk])
    if arg_kind in ("webhook_endpoint", "webhook_delivery"):
        from rapport.webhooks.services.outbox import publish_event
        from rapport.webhooks.tests.factories import EndpointFactory

        endpoint = EndpointFactory()
        if arg_kind == "webhook_endpoint":
            return reverse(name, args=[endpoint.pk])
        event = publish_event(event_type="webhook.test", payload={}, endpoint_ids=[endpoint.pk])
        return reverse(name, args=[event.deliveries.get().pk])
    if arg_kind == "recovery_action":
        from rapport.accounts.permissions import Actor
        from rapport.recovery.tests.factories import propose

        action = propose(Actor(user=UserFactory(role=Role.AGENT)), customer=CustomerFactory(), amount="5")
        return reverse(name, args=[action.pk])
    if arg_kind == "recovery_policy":
        from rapport.recovery.tests.factories import PolicyFactory

        return reverse(name, args=[PolicyFactory().pk])
    if arg_kind in DESK_CONFIG_ARGS:
        from rapport.desk.tests import factories

        return reverse(name, args=[getattr(factories, DESK_CONFIG_ARGS[arg_kind])().pk])
    return reverse(name)


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("role", sorted(ALL))
def test_page_is_open_exactly_to_its_roles(name: str, role: str) -> None:
    allowed, arg_kind = PAGES[name]
    client = Client()
    client.force_login(UserFactory(role=role))

    response = client.get(_url(name, arg_kind))

    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_signed_out_visitor_is_sent_to_sign_in(name: str) -> None:
    response = Client().get(_url(name, PAGES[name][1]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_deactivated_staff_are_signed_out(name: str) -> None:
    client = Client()
    client.force_login(UserFactory(role=Role.ADMIN, is_active=False))

    response = client.get(_url(name, PAGES[name][1]))

    assert response.status_code == 302
