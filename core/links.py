"""Tracker links from exports: only plain http(s) addresses are kept or shown."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

MAX_LINK_CHARS = 2000
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")


def safe_link(value: object) -> str | None:
    """The address if it is an absolute http(s) URL with a host, else None.

    ``javascript:``, ``data:``, relative paths and text with spaces or control characters
    are refused: a link a user clicks in the app or in a CSV must go where it says.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_LINK_CHARS or _CONTROL_OR_SPACE.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text


def markdown_destination(url: str) -> str:
    """A safe_link as a Markdown link destination: percent-encode anything Markdown could read."""
    return "<" + quote(url, safe=":/?#[]@!$&'*+,;=%~-._") + ">"
