"""A visitor chats through the widget on another site; an agent answers from the inbox; the visitor reads it.

The host page is served by its own small HTTP server on 127.0.0.1, while Rapport runs on localhost:
two origins, as a shop's website and its support desk would be. The host page has a strict content
security policy and hostile CSS, which the widget must live with.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from rapport.accounts.models import Role
from rapport.accounts.tests.factories import UserFactory
from rapport.channels.models import ChatSession
from rapport.channels.tests.widget.factories import WidgetFactory
from rapport.desk.models import Conversation, MessageKind
from rapport.desk.tests.factories import BusinessCalendarFactory
from tests.browser.contexts import close_quietly
from tests.browser.steps import collect_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<link rel="stylesheet" href="/shop.css"></head>
<body><h1>Welcome to the shop</h1><p>Our products.</p>
<script src="{script}" async></script></body></html>"""
# What a careless site stylesheet does to anything it can reach.
HOSTILE_CSS = b"* { font-size: 40px !important; color: red !important; } button { display: none !important; }"


class HostSite:
    """A shop's website on its own origin, with a strict CSP that allows Rapport's script and calls only."""

    def __init__(self, rapport_origin: str, script: str) -> None:
        page = HOST_PAGE.format(script=script).encode()
        policy = (
            f"default-src 'self'; script-src 'self' {rapport_origin}; connect-src 'self' {rapport_origin}; "
            "style-src 'self'; img-src 'self'"
        )

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body, kind = (HOSTILE_CSS, "text/css") if self.path == "/shop.css" else (page, "text/html")
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Security-Policy", policy)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host_site(live_server: Any) -> Iterator[tuple[HostSite, Any]]:
    widget = WidgetFactory(name="Shop help", phone_number="+442079460018", allowed_origins=[])
    script = f"{live_server.url}/channels/widget/{widget.key}.js"
    with HostSite(live_server.url, script) as site:
        widget.allowed_origins = [site.origin]
        widget.save()
        yield site, widget


def test_a_visitor_chats_on_another_site_and_reads_the_agents_reply(
    live_server: Any, browser: Any, page: Any, host_site: tuple[HostSite, Any]
) -> None:
    site, widget = host_site
    widget.calendar = BusinessCalendarFactory(name="Shop hours", weekly_hours=[[[0, 1440]]] * 7)
    widget.save()
    UserFactory(email="maria@shop.example", role=Role.AGENT, full_name="Maria Lopez")
    visitor_errors: list[str] = []
    agent_errors: list[str] = []
    collect_errors(page, visitor_errors)

    # The visitor opens the help button on the shop's page: number and hours are in plain sight.
    page.goto(f"{site.origin}/")
    page.get_by_role("button", name="Help", exact=True).click()
    dialog = page.get_by_role("dialog", name="Shop help")
    expect(dialog.get_by_role("link", name="+44 20 7946 0018")).to_have_attribute("href", "tel:+442079460018")
    expect(dialog.get_by_role("row", name="Monday 00:00–24:00")).to_be_visible()
    expect(dialog.get_by_text("We’re open now").first).to_be_visible()
    # The shop's CSS did not reach inside: the widget's buttons are shown, at the widget's size.
    launcher_size = page.get_by_role("button", name="Help", exact=True).evaluate(
        "b => getComputedStyle(b).fontSize"
    )
    assert launcher_size == "15px"

    # The visitor starts a chat.
    dialog.get_by_role("button", name="Chat with us").click()
    dialog.get_by_label("Your name (optional)").fill("Ada")
    dialog.get_by_label("Email (optional, so we can answer if you leave)").fill("ada@example.com")
    dialog.get_by_label("Your message").fill("Hello, my parcel has not arrived.")
    dialog.get_by_role("button", name="Start chat").click()
    expect(dialog.locator(".msg.visitor").get_by_text("Hello, my parcel has not arrived.")).to_be_visible()
    expect(dialog.locator(".msg.visitor.pending")).to_have_count(0)
    conversation = Conversation.objects.get()
    assert conversation.channel == "chat"
    assert ChatSession.objects.get().conversation == conversation

    # The agent, in another browser, opens the conversation from the inbox.
    agent_context = browser.new_context(viewport={"width": 1400, "height": 900})
    agent = agent_context.new_page()
    agent.set_default_timeout(10_000)
    collect_errors(agent, agent_errors)
    sign_in(agent, live_server.url, "maria@shop.example")
    agent.get_by_role("link", name="Hello, my parcel has not arrived.").click()
    agent.locator("#thread .msg.inbound").get_by_text("Hello, my parcel has not arrived.").wait_for()

    # The visitor types: the agent sees it within a second or two, and then the new message.
    draft = dialog.get_by_label("Your message")
    draft.press_sequentially("It was order R-1")
    agent.locator("#collision").get_by_text("Ada is typing…").wait_for(timeout=3_000)
    draft.press("Enter")
    agent.locator("#thread .msg.inbound").get_by_text("It was order R-1").wait_for(timeout=3_000)

    # The agent types (the visitor sees it) and replies.
    composer = agent.locator("#composer-body")
    composer.press_sequentially("Sorry about that")
    dialog.get_by_text("Maria is typing…").wait_for(timeout=3_000)
    composer.press_sequentially(", it ships today.")
    agent.get_by_role("button", name="Send", exact=True).click()
    agent.locator("#thread .msg.outbound").get_by_text("Sorry about that, it ships today.").wait_for()

    # The visitor sees the reply, with the agent's first name.
    reply = dialog.locator(".msg.agent")
    expect(reply).to_contain_text("Sorry about that, it ships today.", timeout=3_000)
    expect(reply.locator(".who")).to_have_text("Maria")
    expect(dialog.get_by_text("Maria is typing…")).to_have_count(0)
    assert list(conversation.messages.values_list("kind", flat=True)) == [
        MessageKind.INBOUND,
        MessageKind.INBOUND,
        MessageKind.OUTBOUND,
    ]

    # Back on the desk, the thread says the visitor has seen it (after the next refresh of the page).
    agent.reload()
    agent.locator("#thread .msg.outbound").get_by_text("Seen by the visitor").wait_for()

    close_quietly(agent_context)
    # Nothing was blocked by either page's content security policy, and no script failed.
    assert visitor_errors == []
    assert agent_errors == []
