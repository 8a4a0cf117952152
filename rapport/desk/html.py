"""Message bodies: HTML cleaned by an allowlist (nh3) before it is stored, and plain text derived from it."""

from __future__ import annotations

import html
import re

import nh3

# Tags that end a line when HTML is read as plain text.
_LINE_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")


def sanitise_html(raw: str) -> str:
    """Only harmless markup survives: no scripts, styles, event handlers or javascript: links."""
    if not raw.strip():
        return ""
    return nh3.clean(raw, link_rel="noopener noreferrer nofollow")


def html_to_text(raw: str) -> str:
    with_breaks = _LINE_BREAKS.sub("\n", raw)
    text = html.unescape(nh3.clean(with_breaks, tags=set()))
    return _BLANK_RUNS.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()
