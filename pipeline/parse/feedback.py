"""Feedback text: cleaning, the length limit and scrubbing, with the SQL twins the CSV fast
path reads feedback by."""

from __future__ import annotations

import re

from pipeline.parse.cells import cell_string, strip_sql

MAX_FEEDBACK_CHARS = 20_000

# A local part is at most 64 characters (RFC 5321): bounded, a long run without "@" is not scanned to
# its end from each of its characters.
_SCRUB_EMAIL = re.compile(r"[\w.+'-]{1,64}@[\w-]+(?:\.[\w-]+)+")
_SCRUB_MENTION = re.compile(r"<[@#][UWC][A-Z0-9]{2,}(?:\|[^>]*)?>|<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>")
_SCRUB_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s./-]?)?(?:\(\d{1,4}\)[\s./-]?)?\d{2,4}(?:[\s./-]?\d{2,4}){2,4}(?![\w])")
_DATE_LIKE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_DIGIT = re.compile(r"\d")
PHONE_MIN_DIGITS = 8  # fewer digits are no phone number (_phone also wants 8 to 15)
SCRUB_PLACEHOLDERS = {"email": "[email]", "mention": "[mention]", "phone": "[phone]"}


def _phone(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not 8 <= digits <= 15 or _DATE_LIKE.match(text) or (text.isdigit() and not 10 <= digits <= 12):
        return text  # dates, versions, short numbers and long ids stay
    return SCRUB_PLACEHOLDERS["phone"]


def scrub_feedback(text: str) -> str:
    """E-mail addresses, Slack mentions and phone numbers in feedback -> placeholders. Callers pass text
    already within MAX_FEEDBACK_CHARS (longer feedback is a reject, before this runs)."""
    if "@" in text:
        text = _SCRUB_EMAIL.sub(SCRUB_PLACEHOLDERS["email"], text)
    if "<" in text:
        text = _SCRUB_MENTION.sub(SCRUB_PLACEHOLDERS["mention"], text)
    if len(_DIGIT.findall(text)) >= PHONE_MIN_DIGITS:
        text = _SCRUB_PHONE.sub(_phone, text)
    return text


def may_need_scrubbing(text: str) -> bool:
    """The tests ``scrub_feedback`` makes before its patterns: an '@', a '<', or enough decimal
    digits for a phone number (\\d: any Unicode decimal digit)."""
    return "@" in text or "<" in text or len(_DIGIT.findall(text)) >= PHONE_MIN_DIGITS


def may_need_scrubbing_sql(expression: str) -> str:
    """``may_need_scrubbing`` in SQL (\\p{Nd} is Python's \\d). regexp_matches stops at the last
    digit it needs; counting digits with regexp_replace cost over a second on 100,000 texts."""
    return (f"(contains({expression}, '@') OR contains({expression}, '<') "
            f"OR regexp_matches({expression}, '\\p{{Nd}}(?:[^\\p{{Nd}}]*\\p{{Nd}}){{{PHONE_MIN_DIGITS - 1:d}}}'))")


def clean_feedback(value: object) -> str | None:
    """A free-text cell trimmed (NUL characters removed), or None when nothing is left."""
    if value is None:
        return None
    text = cell_string(value).replace("\x00", "").strip()
    return text or None


def clean_feedback_sql(expression: str) -> str:
    """``clean_feedback`` of a text cell in SQL (the fast path declines files with NUL characters)."""
    return f"nullif({strip_sql(expression)}, '')"
