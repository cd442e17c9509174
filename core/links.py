"""Tracker links from exports: only plain http(s) addresses are kept or shown."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

MAX_LINK_CHARS = 2000
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]")
# "scheme://user:password@host": the authority's part up to its last "@" (greedy, as urlsplit reads it).
_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")


def safe_link(value: object) -> str | None:
    """The address if it is an absolute http(s) URL with a host, else None.

    ``javascript:``, ``data:``, relative paths and text with spaces or control characters
    are refused: a link a user clicks in the app or in a CSV must go where it says. So is an
    address with a user name or password (``https://ann:pw@host/``): a login is personal data.
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
    if "@" in parts.netloc:  # userinfo, even an empty one: never stored, never shown
        return None
    return text


def without_userinfo(text: str) -> str:
    """The text with a URL's ``user:password@`` cut, for what is kept of a refused link (keys, rejects)."""
    return _USERINFO.sub(r"\1", text)


def markdown_destination(url: str) -> str:
    """A safe_link as a Markdown link destination: percent-encode anything Markdown could read."""
    return "<" + quote(url, safe=":/?#[]@!$&'*+,;=%~-._") + ">"
