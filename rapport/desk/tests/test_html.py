"""Message HTML: whatever comes in, what is stored cannot run script."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rapport.desk.html import html_to_text, sanitise_html

TAGS = ["p", "b", "a", "img", "script", "svg", "details", "iframe", "style", "div", "object", "math"]
ATTRIBUTES = ["onclick", "onerror", "ontoggle", "href", "src", "style", "srcdoc", "formaction"]
VALUES = ["javascript:alert(1)", "alert(1)", "x", "data:text/html,<script>alert(1)</script>", "JaVaScRiPt:x"]

fragments = st.one_of(
    st.text(max_size=20),
    st.builds(
        lambda tag, attr, value, body: f'<{tag} {attr}="{value}">{body}</{tag}>',
        st.sampled_from(TAGS),
        st.sampled_from(ATTRIBUTES),
        st.sampled_from(VALUES),
        st.text(max_size=10),
    ),
)
DANGEROUS = re.compile(
    r"<\s*(script|iframe|object|style|svg|math)|\son\w+\s*=|javascript:|srcdoc|formaction", re.I
)


@given(st.lists(fragments, max_size=8).map("".join))
def test_sanitised_html_never_carries_script(raw: str) -> None:
    assert not DANGEROUS.search(sanitise_html(raw))


markup = st.builds(
    lambda tag, attr, value, body: f'<{tag} {attr}="{value}">{body}</{tag}>',
    st.sampled_from(TAGS),
    st.sampled_from(ATTRIBUTES),
    st.sampled_from(["x", "alert(1)"]),
    st.text(alphabet="abc xyz.", max_size=10),
)


@given(st.lists(markup, max_size=8).map("".join))
def test_text_from_html_keeps_words_and_drops_every_tag(raw: str) -> None:
    text = html_to_text(raw)
    assert "<" not in text
    assert ">" not in text


def test_paragraphs_and_breaks_become_lines() -> None:
    assert html_to_text("<p>Hello</p><p>Where is <b>my</b> order?<br>Thanks</p>") == (
        "Hello\nWhere is my order?\nThanks"
    )


def test_links_keep_their_text_and_are_marked_noopener() -> None:
    assert sanitise_html('<a href="https://example.org">track</a>') == (
        '<a href="https://example.org" rel="noopener noreferrer nofollow">track</a>'
    )
