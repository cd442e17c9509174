"""Pure parsing: turn a RawTable into typed records and rejects.

No I/O and no database here, so every rule can be tested table-driven. Work is
done per column with memo tables because exports repeat the same few answer
labels and time formats hundreds of thousands of times.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from pipeline.errors import SourceFileError
from pipeline.records import MappingReport, Meeting, ParsedAttendance, ParsedSurveys, Reject, SurveyResponse
from pipeline import mapping
from pipeline.tools import GENERIC_TIME_HEADERS, detect_tool
from pipeline.sources.files import RawTable, promote_header
from core.keys import md5_key
from core.settings import Settings, SourceMapping, normalise_header

EARLIEST_PLAUSIBLE = datetime(2000, 1, 1)
MAX_FEEDBACK_CHARS = 20_000
MAX_RAW_CELL_CHARS = 2_000
MAX_RAW_ROW_CHARS = 20_000  # a rejected row of 10,000 wide cells stays readable, and small
# Sheets and Excel count days from 1899-12-30; 20000..80000 is 1954..2119.
SERIAL_EPOCH = datetime(1899, 12, 30)

# --- answers ---------------------------------------------------------------

# The agreement sets of the tools in pipeline.tools (Google/Microsoft Forms, Qualtrics,
# SurveyMonkey, Typeform, LimeSurvey) on a 1-5 scale. Settings add their own labels.
ANSWER_LABELS = {
    "strongly disagree": 1, "completely disagree": 1, "totally disagree": 1, "fully disagree": 1,
    "disagree completely": 1, "disagree strongly": 1, "disagree totally": 1, "very much disagree": 1,
    "disagree": 2, "somewhat disagree": 2, "mostly disagree": 2, "partly disagree": 2, "tend to disagree": 2,
    "disagree somewhat": 2, "slightly disagree": 2,
    "neither agree nor disagree": 3, "neither agree or disagree": 3, "neither disagree nor agree": 3,
    "neither": 3, "neutral": 3, "undecided": 3, "no strong feelings": 3, "no opinion": 3, "not sure": 3,
    "unsure": 3, "neither agree nor disagree neutral": 3, "neutral neither agree nor disagree": 3,
    "agree": 4, "somewhat agree": 4, "mostly agree": 4, "partly agree": 4, "tend to agree": 4,
    "agree somewhat": 4, "slightly agree": 4,
    "strongly agree": 5, "completely agree": 5, "totally agree": 5, "fully agree": 5, "agree completely": 5,
    "agree strongly": 5, "agree totally": 5, "very much agree": 5,
    "definitely disagree": 1, "definitely agree": 5,  # LimeSurvey's label sets
    # Microsoft Forms' Likert defaults in the languages of pipeline.tools.MICROSOFT_FORMS_LOCALES.
    "stimme überhaupt nicht zu": 1, "stimme nicht zu": 2, "stimme zu": 4, "stimme voll und ganz zu": 5,
    "pas du tout d accord": 1, "pas d accord": 2, "neutre": 3, "d accord": 4, "tout à fait d accord": 5,
    "totalmente en desacuerdo": 1, "en desacuerdo": 2, "de acuerdo": 4, "totalmente de acuerdo": 5,
    "helemaal mee oneens": 1, "mee oneens": 2, "neutraal": 3, "mee eens": 4, "helemaal mee eens": 5,
    "instämmer inte alls": 1, "instämmer inte": 2, "instämmer": 4, "instämmer helt": 5,
}
# A 1-7 agreement scale (declared with scale_max = 7): Qualtrics' and SurveyMonkey's 7-point set.
ANSWER_LABELS_7 = {
    "strongly disagree": 1, "completely disagree": 1, "disagree": 2, "somewhat disagree": 3,
    "slightly disagree": 3, "neither agree nor disagree": 4, "neither agree or disagree": 4, "neutral": 4,
    "undecided": 4, "no strong feelings": 4, "somewhat agree": 5, "slightly agree": 5, "agree": 6,
    "strongly agree": 7, "completely agree": 7,
}
LABEL_FOR_SCORE = {1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree"}
_NUMBER_WITH_LABEL = re.compile(r"^(\d{1,2})(?:\s+(.+))?$")
_LABEL_WITH_NUMBER = re.compile(r"^(.+?)\s+(\d{1,2})$")


class AnswerError(ValueError):
    """An answer that is present but is not 1-5 (or 1-scale_max) or a known label."""


def default_labels(scale_max: int) -> dict[str, int]:
    return ANSWER_LABELS if scale_max == 5 else ANSWER_LABELS_7 if scale_max == 7 else {}


def parse_answer(value: object, labels: dict[str, int] | None = None, scale_max: int = 5) -> int | None:
    """1..scale_max or an agree/disagree label (any case/spacing) -> score; blank -> None (skipped).

    Also accepts what forms and poll apps write around the scale, such as
    "5 - Strongly agree", "Agree (4)" or an emoji before the label. ``labels`` are extra
    (normalised) labels from the settings, on this scale.
    """
    known = default_labels(scale_max)
    if labels:
        known = {**known, **labels}
    if value is None:
        return None
    if isinstance(value, bool):
        raise AnswerError(f"{value!r} is not an answer")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None
        # Compare before converting: float() of a huge int raises OverflowError.
        if 1 <= value <= scale_max and float(value).is_integer():
            return int(value)
        raise AnswerError(f"{_clip(repr(value), 60)} is not a whole number from 1 to {scale_max}")
    text = str(value).strip()
    if not text:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        pass
    else:
        if number.is_integer() and 1 <= number <= scale_max:
            return int(number)
        raise AnswerError(f"{text!r} is not a whole number from 1 to {scale_max}")
    key = normalise_header(text)
    if key in known:
        return known[key]
    match = _NUMBER_WITH_LABEL.match(key)
    if match and 1 <= int(match.group(1)) <= scale_max and (
            match.group(2) is None or known.get(match.group(2)) == int(match.group(1))):
        return int(match.group(1))
    match = _LABEL_WITH_NUMBER.match(key)
    if match and 1 <= int(match.group(2)) <= scale_max and known.get(match.group(1)) == int(match.group(2)):
        return int(match.group(2))
    raise AnswerError(f"{_clip(text, 60)!r} is not a 1-{scale_max} answer or an agree/disagree label")


def rescale(score: int, scale_max: int) -> float:
    """A 1..scale_max answer on the 1-5 scale every figure uses (linear; 5-point answers unchanged)."""
    return float(score) if scale_max == 5 else 1 + (score - 1) * 4 / (scale_max - 1)


class _AnswerMemo(dict):
    """parse_answer with a cache; errors are cached as their message."""

    def __init__(self, labels: dict[str, int] | None = None, scale_max: int = 5) -> None:
        super().__init__()
        self.labels = labels or None
        self.scale_max = scale_max

    def __missing__(self, value: object) -> int | None | str:
        try:
            result: int | None | str = parse_answer(value, self.labels, self.scale_max)
        except AnswerError as exc:
            result = str(exc)
        self[value] = result
        return result


_BEYOND_SCALE = re.compile(r"^'?(\d{1,2})'? is not a whole number from 1 to 5$")


def beyond_scale_note(memo: _AnswerMemo, header_of: Callable[[object], str | None]) -> str | None:
    """One message for answers past 5 when no scale was declared (a 1-7 or 1-10 scale)."""
    if memo.scale_max != 5:
        return None
    highest = 0
    for result in memo.values():
        if isinstance(result, str):
            match = _BEYOND_SCALE.match(result)
            if match and 5 < int(match.group(1)) <= 11:
                highest = max(highest, int(match.group(1)))
    if not highest:
        return None
    scale = 7 if highest <= 7 else 10 if highest <= 10 else highest
    return (f"answers go up to {highest}: if this is a 1-{scale} scale, declare it with scale_max = {scale} "
            "in a [[sources]] entry for this file (answers are then rescaled onto 1-5)")


# --- feedback scrubbing ------------------------------------------------------

_SCRUB_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_SCRUB_MENTION = re.compile(r"<[@#][UWC][A-Z0-9]{2,}(?:\|[^>]*)?>|<!(?:here|channel|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>")
_SCRUB_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s./-]?)?(?:\(\d{1,4}\)[\s./-]?)?\d{2,4}(?:[\s./-]?\d{2,4}){2,4}(?![\w])")
_DATE_LIKE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
_DIGIT = re.compile(r"\d")
SCRUB_PLACEHOLDERS = {"email": "[email]", "mention": "[mention]", "phone": "[phone]"}


def _phone(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not 8 <= digits <= 15 or _DATE_LIKE.match(text) or (text.isdigit() and not 10 <= digits <= 12):
        return text  # dates, versions, short numbers and long ids stay
    return SCRUB_PLACEHOLDERS["phone"]


def scrub_feedback(text: str) -> str:
    """E-mail addresses, Slack mentions and phone numbers in feedback -> placeholders."""
    if "@" in text:
        text = _SCRUB_EMAIL.sub(SCRUB_PLACEHOLDERS["email"], text)
    if "<" in text:
        text = _SCRUB_MENTION.sub(SCRUB_PLACEHOLDERS["mention"], text)
    if len(_DIGIT.findall(text)) >= 8:  # pipeline.csv_fast_path pre-filters with the same test
        text = _SCRUB_PHONE.sub(_phone, text)
    return text


# --- times -----------------------------------------------------------------


class TimeError(ValueError):
    pass


# dateutil fills the parts a text lacks from a default date (today, if not given);
# parsing with two different defaults shows whether the text held a whole date.
_DEFAULT_A = datetime(1, 1, 1)
_DEFAULT_B = datetime(4, 2, 2)
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b(.*)$")


def infer_dayfirst(values: list[object]) -> bool:
    """Decide D/M/Y vs M/D/Y for a whole column from the values that settle it.

    Google Sheets and Slack in US locales write M/D/Y, most of the world D/M/Y;
    any first part above 12 proves D/M. With no evidence, M/D (Google's default).
    """
    for value in values:
        verdict = dayfirst_evidence(value)
        if verdict is not None:
            return verdict
    return False


def dayfirst_evidence(value: object) -> bool | None:
    """True if this one value can only be D/M/Y, False if only M/D/Y, None if it cannot tell."""
    if isinstance(value, str):
        match = _SLASH_DATE.match(value)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second:
                return True
            if second > 12 >= first:
                return False
    return None


def _dayfirst(settings: Settings, values: list[object]) -> bool:
    """The settings' date order, or the column's evidence when it is "auto"."""
    if settings.date_order == "DMY":
        return True
    if settings.date_order == "MDY":
        return False
    return infer_dayfirst(values)


def _from_number(number: float) -> datetime:
    if 1e12 <= number < 1e13:  # epoch milliseconds
        return datetime.fromtimestamp(number / 1000, tz=timezone.utc)
    if 1e9 <= number < 1e10:  # epoch seconds (Slack's ts)
        return datetime.fromtimestamp(number, tz=timezone.utc)
    if 20000 <= number < 80000:  # Sheets/Excel serial date, in local time
        return SERIAL_EPOCH + timedelta(days=number)
    raise TimeError(f"{number!r} is not a date or time")


class TimeParser:
    """Parse submission times to (utc, local) naive datetimes; naive inputs are local."""

    def __init__(self, tz: ZoneInfo, dayfirst: bool, now: datetime | None = None) -> None:
        self.tz = tz
        self._tz_is_utc = tz.key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/UCT", "UCT")
        self.dayfirst = dayfirst
        self.latest_plausible = (now or datetime.now(timezone.utc)).replace(tzinfo=None) + timedelta(days=1)
        self._memo: dict[object, tuple[datetime, datetime] | str] = {}

    def parse(self, value: object) -> tuple[datetime, datetime]:
        """Return (utc, local) or raise TimeError with a reason a user can act on."""
        try:
            cached = self._memo[value]
        except (KeyError, TypeError):
            try:
                cached = self._parse(value)
            except TimeError as exc:
                cached = str(exc)
            try:
                self._memo[value] = cached
            except TypeError:
                pass
        if isinstance(cached, str):
            raise TimeError(cached)
        return cached

    def _parse(self, value: object) -> tuple[datetime, datetime]:
        try:
            moment = self._to_datetime(value)
            if moment.tzinfo is None and self._tz_is_utc:
                utc = local = moment  # the common case, without two timezone conversions
            else:
                aware = moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment
                utc = aware.astimezone(timezone.utc).replace(tzinfo=None)
                local = aware.astimezone(self.tz).replace(tzinfo=None)
        except (OverflowError, ValueError) as exc:
            if isinstance(exc, TimeError):
                raise
            # Year 1 or 9999 shifted by a timezone, or a number too big for a float.
            raise TimeError(f"{_clip(_cell_text(value), 40)!r} is out of range") from None
        if utc < EARLIEST_PLAUSIBLE:
            raise TimeError(f"time {utc:%Y-%m-%d} is before 2000")
        if utc > self.latest_plausible:
            raise TimeError(f"time {utc:%Y-%m-%d %H:%M} is in the future")
        return utc, local

    def _to_datetime(self, value: object) -> datetime:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise TimeError("no time")
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime.combine(value, time())
        if isinstance(value, bool):
            raise TimeError(f"{value!r} is not a time")
        if isinstance(value, (int, float)):
            if isinstance(value, float) and math.isnan(value):
                raise TimeError("no time")
            return _from_number(float(value))
        text = str(value).strip()
        try:
            return datetime.fromisoformat(text.replace(" UTC", "+00:00"))
        except ValueError:
            pass
        moment = self._slash_datetime(text)
        if moment is not None:
            return moment
        try:
            return _from_number(float(text))
        except ValueError:
            pass
        if len(text) > 64:
            raise TimeError(f"{_clip(text, 40)!r} is not a date or time")
        # JavaScript's Date.toString() (Apps Script writing a form's sheet) names the zone after the
        # offset: "Mon Sep 08 2025 13:58:23 GMT-0500 (Central Daylight Time)". The offset says it all.
        text = _ZONE_NAME_AFTER_OFFSET.sub("", text)
        # "GMT+1" (Google Forms) means UTC+1; dateutil reads it POSIX-style as UTC-1.
        text = _GMT_OFFSET.sub(lambda m: f"{m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}", text)
        try:
            with warnings.catch_warnings():
                # dateutil only warns about a zone name it does not know, then ignores it: that
                # would read "4:05 PM IST" as local time, hours off. Refuse it instead.
                warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
                moment = dateutil_parser.parse(text, dayfirst=self.dayfirst, default=_DEFAULT_A, tzinfos=ZONE_ABBREVIATIONS)
                if moment.year == _DEFAULT_A.year or moment.month == 1 or moment.day == 1:
                    other = dateutil_parser.parse(text, dayfirst=self.dayfirst, default=_DEFAULT_B,
                                                  tzinfos=ZONE_ABBREVIATIONS)
                    if other.date() != moment.date():
                        raise TimeError(f"{_clip(text, 40)!r} has no full date (day, month and year)")
            return moment
        except dateutil_parser.UnknownTimezoneWarning:
            raise TimeError(f"{_clip(text, 40)!r} names a time zone that is ambiguous or unknown; "
                            "an offset such as +05:30 says which") from None
        except (ValueError, OverflowError, dateutil_parser.ParserError) as exc:
            if isinstance(exc, TimeError):
                raise
            raise TimeError(f"{_clip(text, 40)!r} is not a date or time") from None


    def _slash_datetime(self, text: str) -> datetime | None:
        """The common M/D/Y or D/M/Y (Sheets, Slack, Excel) without dateutil's cost."""
        match = _SLASH_DATETIME.match(text)
        if match is None:
            return None
        first, second, year, hour, minute, second_of_minute, fraction, meridiem = match.groups()
        day, month = (int(first), int(second)) if self.dayfirst else (int(second), int(first))
        hours = int(hour or 0)
        if meridiem:
            if not 1 <= hours <= 12:
                return None
            hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
        try:
            return datetime(int(year), month, day, hours, int(minute or 0), int(second_of_minute or 0),
                            int((fraction or "0").ljust(6, "0")))
        except ValueError:
            return None  # e.g. month 13: let the general parser give the reason


# Zone names forms write after a time (Google Forms: "… 4:05:00 PM EDT"), each one fixed offset.
# Ambiguous names (IST: India, Ireland or Israel) are not here: refused, not guessed. CST is US
# Central, as Google writes it; for China it writes GMT+8.
ZONE_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 3600, "WEST": 3600, "CET": 3600, "CEST": 7200, "MET": 3600,
    "MEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800,
    "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600,
    "PST": -8 * 3600, "PDT": -7 * 3600, "AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
    "AEST": 10 * 3600, "AEDT": 11 * 3600, "ACST": 34200, "ACDT": 37800, "AWST": 8 * 3600,
    "NZST": 12 * 3600, "NZDT": 13 * 3600, "JST": 9 * 3600, "KST": 9 * 3600, "SGT": 8 * 3600, "HKT": 8 * 3600,
}

_ZONE_NAME_AFTER_OFFSET = re.compile(r"(?<=[+-]\d{4})\s*\([A-Za-z][A-Za-z .'-]*\)\s*$")
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")

_SLASH_DATETIME = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*([AaPp][Mm])?)?$"
)


def parse_date(value: object, parser: TimeParser) -> date:
    """A meeting date: the local calendar day of whatever the cell holds."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    _utc, local = parser.parse(value)
    return local.date()


# --- columns ---------------------------------------------------------------

# Which column is which lives in pipeline.mapping (declared or exact, never guessed);
# pipeline.tools holds the tools' signatures and submission-time names.
SERIES_HEADERS = mapping.SERIES_HEADERS
QUESTION_HEADERS = ("question", "question text", "prompt", "field", "item", "question title")
ANSWER_HEADERS = ("answer", "answer text", "value", "rating", "score", "choice", "selected option", "response value", "response")
RESPONSE_ID_HEADERS = ("response id", "responseid", "submission id", "response key", "entry id", "id")
# Used only to tell respondents apart while grouping a long export without a response id,
# and to keep an "ID" of e-mails from being taken for a response id. Never for storage:
# only mapped columns are ever stored (pipeline.mapping.ColumnMap.mapped).
IDENTITY_WORDS = frozenset({
    "user", "username", "userid", "email", "mail", "name", "respondent", "member", "person",
    "author", "submitter", "responder", "participant", "employee", "login", "handle", "slack",
    "owner", "reporter", "fullname", "displayname", "attendee", "who",
    "ip", "device", "useragent",
})
IDENTITY_PHRASES = ("submitted by", "filled by", "filled out by", "answered by", "e mail", "full name", "real name",
                    "display name", "user id", "network id", "ip address", "user agent")
SLACK_MEMBER_ID = re.compile(r"^(?:<@)?[UW][A-Z0-9]{8,11}(?:\|[^>]*)?>?$")  # U024BE7LH or <@U024BE7LH|ana>
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

match_statement = mapping.match_statement
is_feedback_header = mapping.is_feedback_header


def is_identity_header(header: str) -> bool:
    key = normalise_header(header)
    if any(phrase in key for phrase in IDENTITY_PHRASES):
        return True
    return bool(IDENTITY_WORDS.intersection(key.replace("_", " ").split()))


def looks_like_identity_values(values: list[object]) -> bool:
    """A column of Slack member ids or emails identifies people whatever its header says."""
    sample = [str(v).strip() for v in values[:200] if v is not None and str(v).strip()]
    if not sample:
        return False
    hits = sum(1 for v in sample if SLACK_MEMBER_ID.match(v) or EMAIL.match(v))
    return hits / len(sample) >= 0.5


def _find(headers: list[str], candidates: tuple[str, ...], taken: set[int]) -> int | None:
    keys = [normalise_header(h) for h in headers]
    for candidate in candidates:
        for index, key in enumerate(keys):
            if index not in taken and key == candidate:
                return index
    return None


def _identity_columns(table: RawTable, skip: set[int]) -> list[int]:
    found = []
    for index, header in enumerate(table.header):
        if index in skip:
            continue
        if is_identity_header(header):
            found.append(index)
            continue
        column = [row[index] if index < len(row) else None for row in table.rows[:200]]
        if looks_like_identity_values(column):
            found.append(index)
    return found


SurveyColumns = mapping.ColumnMap


def detect_wide_columns(table: RawTable, settings: Settings, declared: SourceMapping | None = None) -> SurveyColumns | None:
    """The column map of a wide export (see pipeline.mapping.map_columns)."""
    return mapping.map_columns(table, settings, declared)


# --- helpers ---------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def raw_row(header: list[str], row: list[object], keep: list[int],
            transform: dict[int, Callable[[str], str]] | None = None) -> dict[str, str]:
    """The mapped cells of a row as the user typed them (only ``keep``: time, statements,
    feedback, series; nothing else is ever stored), with huge cells and rows capped."""
    raw: dict[str, str] = {}
    kept = 0
    for position, index in enumerate(keep):
        text = _cell_text(row[index] if index < len(row) else None)
        if transform and index in transform and text:
            text = transform[index](text)
        if len(text) > MAX_RAW_CELL_CHARS:
            text = text[:MAX_RAW_CELL_CHARS] + f"… [{len(text):,} characters in all]"
        if text:
            if kept + len(text) > MAX_RAW_ROW_CHARS:
                rest = sum(1 for i in keep[position:] if _cell_text(row[i] if i < len(row) else None))
                raw["(more cells)"] = f"{rest:,} more non-empty cells not kept"
                return raw
            raw[header[index]] = text
            kept += len(text)
    return raw


def _blake2b_key(content: str, occurrence: int) -> str:
    data = f"{content}\x1e{occurrence}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class KeyMaker:
    """Content hash plus occurrence number within one export.

    The same row in a later (superset) export gets the same key, so nothing is
    stored twice; two identical rows in one export get different keys and both stay.
    """

    def __init__(self, prefix: str, key_of: Callable[[str, int], str] = _blake2b_key) -> None:
        self.prefix = prefix
        self.key_of = key_of
        self.seen: dict[str, int] = defaultdict(int)

    def key(self, *parts: str) -> str:
        content = "\x1f".join(parts)
        occurrence = self.seen[content]
        self.seen[content] = occurrence + 1
        return self.prefix + self.key_of(content, occurrence)


def response_key_maker() -> KeyMaker:
    """Keys of responses: md5_key of (series, UTC time, "statement=score"..., feedback), stored as a UUID.

    Schema version 2 fixed this formula (core.keys, with its SQL twin for the fast path and
    the migration).
    """
    return KeyMaker("", md5_key)


def _reject(keys: KeyMaker, source: str, line: int, reason: str, raw: dict[str, str], series: str) -> Reject:
    raw_json = json.dumps(raw, ensure_ascii=False, sort_keys=True)
    return Reject(keys.key(series, reason, raw_json), source, line, reason, raw)


def _clean_feedback(value: object) -> str | None:
    if value is None:
        return None
    text = _cell_text(value).replace("\x00", "").strip()
    return text or None


def _series_of(row: list[object], column: int | None, default: str) -> str:
    if column is None or column >= len(row):
        return default
    text = _cell_text(row[column]).strip()
    return _clip(text, 200) if text else default


# --- surveys ---------------------------------------------------------------


ProgressCallback = Callable[[int, int], None]


HEADER_SEARCH_ROWS = 10


def _below_title_rows(table: RawTable, parse: Callable[[RawTable], object]) -> object:
    """Parse with the first row as header; failing that, with one of the next rows.

    Sheets often carry a title or notes above the real header. The first header that
    parses wins; if none does, the error about the first row is the one reported.
    """
    try:
        return parse(table)
    except SourceFileError as first_problem:
        for index in range(min(HEADER_SEARCH_ROWS, len(table.rows) - 1)):
            try:
                return parse(promote_header(table, index))
            except SourceFileError:
                continue
        raise first_problem


class NotASurvey(SourceFileError):
    """No column answers a statement: the table is not a survey export (a workbook tab may be skipped)."""


def parse_surveys(
    table: RawTable,
    settings: Settings,
    series: str | None = None,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
    declared: SourceMapping | None = None,
) -> ParsedSurveys:
    """Map the columns (declared or exact, see pipeline.mapping) and parse every row.

    ``declared`` is the [[sources]] entry (with CLI flags) for this file, if any.
    """
    return _below_title_rows(  # type: ignore[return-value]
        table, lambda t: _parse_surveys(t, settings, series, now, progress, declared))


def _parse_surveys(
    table: RawTable,
    settings: Settings,
    series: str | None,
    now: datetime | None,
    progress: ProgressCallback | None,
    declared: SourceMapping | None,
) -> ParsedSurveys:
    wide = detect_wide_columns(table, settings, declared)
    if wide is not None:
        return _parse_wide(wide.table, settings, wide, series or settings.default_series, now, progress)
    long_layout = _detect_long_columns(table, declared, settings.answer_labels)
    if long_layout is not None:
        return _parse_long(table, settings, long_layout, series or settings.default_series, now)
    statements = "; ".join(repr(s.text) for s in settings.statements)
    suggestions = [f"column {h!r} looks like statement {st!r}; add it as an alias if it is"
                   for h in table.header if (st := mapping.suggestion_for([h], settings, set())) is not None]
    raise NotASurvey(
        table.source,
        "no survey statement columns found (wide layout needs a column per statement, e.g. "
        f"{statements}; long layout needs Time, Question and Answer columns)"
        + (f"; {suggestions[0]}" if suggestions else "; map them in [[sources]] or add the headers as aliases"),
    )


def describe(cols: SurveyColumns, layout: str) -> MappingReport:
    header = cols.table.header
    return MappingReport(
        tool=cols.tool.name if cols.tool else None,
        layout=layout,
        header_rows=cols.header_rows,
        time_column=header[cols.time],
        statement_columns=[(s, cols.label(i), cols.how[i]) for i, s in sorted(cols.statements.items())],
        feedback_column=cols.label(cols.feedback) if cols.feedback is not None else None,
        series_column=header[cols.series] if cols.series is not None else None,
        scale_max=cols.scale_max,
        suggestions=list(cols.suggestions),
        notes=list(cols.notes),
    )


def feedback_transform(cols: SurveyColumns, settings: Settings) -> dict[int, Callable[[str], str]]:
    return {cols.feedback: scrub_feedback} if settings.scrub_feedback and cols.feedback is not None else {}


def _parse_wide(
    table: RawTable,
    settings: Settings,
    cols: SurveyColumns,
    default_series: str,
    now: datetime | None,
    progress: ProgressCallback | None,
    dayfirst: bool | None = None,
) -> ParsedSurveys:
    """Every row of a wide export. ``dayfirst`` overrides the column's own evidence: the CSV
    fast path decides it over the whole file and hands only some rows to this function."""
    report = describe(cols, "wide")
    result = ParsedSurveys(table.source, "wide", unused_columns=cols.unused(), report=report)
    result.dropped_columns = list(result.unused_columns)
    keep = cols.mapped
    transform = feedback_transform(cols, settings)
    scrub = scrub_feedback if transform else None
    if dayfirst is None:
        dayfirst = _dayfirst(settings, [r[cols.time] for r in table.rows if cols.time < len(r)])
    times = TimeParser(settings.tz, dayfirst, now)
    answers_memo = _AnswerMemo(cols.answer_labels, cols.scale_max)
    order = {text: i for i, text in enumerate(settings.statement_texts)}
    statement_columns = sorted(cols.statements.items(), key=lambda item: order[item[1]])
    response_keys, reject_keys = response_key_maker(), KeyMaker("x")

    total = len(table.rows)
    for number, (row, line) in enumerate(zip(table.rows, table.line_numbers), start=1):
        if progress is not None and (number % 10_000 == 0 or number == total):
            progress(number, total)
        series = _series_of(row, cols.series, default_series)
        problems: list[str] = []
        try:
            utc, local = times.parse(row[cols.time] if cols.time < len(row) else None)
        except TimeError as exc:
            problems.append(f"bad time: {exc}")
        answers: list[tuple[str, int]] = []
        for index, statement in statement_columns:
            value = answers_memo[row[index]] if index < len(row) else None
            if isinstance(value, str):
                problems.append(f"answer to {statement!r}: {value}")
            elif value is not None:
                answers.append((statement, value))
        feedback = _clean_feedback(row[cols.feedback]) if cols.feedback is not None and cols.feedback < len(row) else None
        if feedback is not None and len(feedback) > MAX_FEEDBACK_CHARS:
            problems.append(f"feedback is {len(feedback):,} characters (limit {MAX_FEEDBACK_CHARS:,})")
        if not problems and not answers and feedback is None:
            problems.append("no answers: every statement is blank")
        if problems:
            result.rejects.append(
                _reject(reject_keys, table.source, line, "; ".join(problems), raw_row(table.header, row, keep, transform), series)
            )
            continue
        if scrub is not None and feedback is not None:
            feedback = scrub(feedback)
        key = response_keys.key(series, utc.isoformat(), *[f"{s}={v}" for s, v in answers], feedback or "")
        result.responses.append(
            SurveyResponse(key, series, utc, local, tuple(answers), feedback, table.source, line, cols.scale_max)
        )
    note = beyond_scale_note(answers_memo, lambda v: None)
    if note:
        report.notes.append(note)
    return result


@dataclass(frozen=True)
class LongColumns:
    time: int
    question: int
    answer: int
    response_id: int | None
    series: int | None
    identity: list[int]  # respondent columns: used to group rows, never stored
    tool: str | None = None
    scale_max: int = 5
    answer_labels: dict[str, int] = field(default_factory=dict)

    @property
    def mapped(self) -> list[int]:
        return sorted({self.time, self.question, self.answer, *([self.series] if self.series is not None else [])})


def _detect_long_columns(table: RawTable, declared: SourceMapping | None = None,
                         settings_labels: tuple[tuple[str, int], ...] = ()) -> LongColumns | None:
    taken: set[int] = set()
    question = _find(table.header, QUESTION_HEADERS, taken)
    if question is None:
        return None
    taken.add(question)
    response_id = _find(table.header, RESPONSE_ID_HEADERS, taken)
    if response_id is not None and looks_like_identity_values(
        [row[response_id] if response_id < len(row) else None for row in table.rows[:200]]
    ):
        response_id = None  # an "ID" of Slack member ids or emails names people, not submissions
    if response_id is not None:
        taken.add(response_id)
    answer = _find(table.header, ANSWER_HEADERS, taken)
    if answer is None:
        return None
    taken.add(answer)
    series = _find(table.header, SERIES_HEADERS, taken)
    if series is not None:
        taken.add(series)
    identity = _identity_columns(table, taken)
    tool = detect_tool([normalise_header(h) for h in table.header])
    time_col = mapping.find_time_column(table, tool, declared.time_column if declared else None, taken | set(identity))
    scale_max = declared.scale_max if declared else 5
    labels = {normalise_header(k): v for k, v in settings_labels} if scale_max == 5 else {}
    labels.update({normalise_header(k): v for k, v in (declared.answer_labels if declared else ())})
    return LongColumns(time_col, question, answer, response_id, series, identity, tool.name if tool else None,
                       scale_max, labels)


def _parse_long(
    table: RawTable, settings: Settings, cols: LongColumns, default_series: str, now: datetime | None
) -> ParsedSurveys:
    used = set(cols.mapped) | ({cols.response_id} if cols.response_id is not None else set())
    unused = [h for i, h in enumerate(table.header) if i not in used]
    report = MappingReport(tool=cols.tool, layout="long", header_rows=1, time_column=table.header[cols.time],
                           statement_columns=[], feedback_column=None,
                           series_column=table.header[cols.series] if cols.series is not None else None)
    result = ParsedSurveys(table.source, "long", dropped_columns=unused, unused_columns=unused, report=report)
    keep = cols.mapped
    times = TimeParser(settings.tz, _dayfirst(settings, [r[cols.time] for r in table.rows if cols.time < len(r)]), now)
    answers_memo = _AnswerMemo(cols.answer_labels, cols.scale_max)
    report.scale_max = cols.scale_max
    statement_by_header: dict[str, str | None] = {}
    response_keys, reject_keys = response_key_maker(), KeyMaker("x")
    order = {text: i for i, text in enumerate(settings.statement_texts)}
    scrub = scrub_feedback if settings.scrub_feedback else None
    seen_questions: dict[str, str] = {}

    def cell(row: list[object], index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else None

    def raw(row: list[object]) -> dict[str, str]:
        transform = {cols.answer: scrub} if scrub and is_feedback_header(_cell_text(cell(row, cols.question)), settings) else None
        return raw_row(table.header, row, keep, transform)

    # Group answer rows into responses. Without a response id, rows of one
    # submission share its time (and, transiently, its respondent column,
    # which is used for grouping only and never stored).
    groups: dict[tuple, list[tuple[list[object], int]]] = defaultdict(list)
    for row, line in zip(table.rows, table.line_numbers):
        series = _series_of(row, cols.series, default_series)
        if cols.response_id is not None and _cell_text(cell(row, cols.response_id)).strip():
            group = (series, "id", _cell_text(cell(row, cols.response_id)).strip())
        else:
            who = tuple(_cell_text(cell(row, i)) for i in cols.identity)
            group = (series, "time", _cell_text(cell(row, cols.time)), who)
        groups[group].append((row, line))

    for group, members in groups.items():
        series = group[0]
        answers: dict[str, int] = {}
        feedback_parts: list[str] = []
        moments: list[tuple[datetime, datetime]] = []
        good_lines: list[int] = []
        for row, line in members:
            try:
                moment = times.parse(cell(row, cols.time))
            except TimeError as exc:
                result.rejects.append(_reject(reject_keys, table.source, line, f"bad time: {exc}", raw(row), series))
                continue
            question = _cell_text(cell(row, cols.question))
            if question not in statement_by_header:
                statement_by_header[question] = match_statement(question, settings)
                if statement_by_header[question] is not None:
                    seen_questions.setdefault(statement_by_header[question], question)
            statement = statement_by_header[question]
            if statement is None and is_feedback_header(question, settings):
                text = _clean_feedback(cell(row, cols.answer))
                if text is not None and len(text) > MAX_FEEDBACK_CHARS:
                    result.rejects.append(_reject(
                        reject_keys, table.source, line,
                        f"feedback is {len(text):,} characters (limit {MAX_FEEDBACK_CHARS:,})", raw(row), series))
                    continue
                if text:
                    feedback_parts.append(scrub(text) if scrub else text)
            elif statement is None:
                result.rejects.append(_reject(
                    reject_keys, table.source, line, f"unknown question {_clip(question, 80)!r}", raw(row), series))
                continue
            else:
                value = answers_memo[cell(row, cols.answer)]
                if isinstance(value, str):
                    result.rejects.append(_reject(
                        reject_keys, table.source, line, f"answer to {statement!r}: {value}", raw(row), series))
                    continue
                if value is not None:
                    if statement in answers and answers[statement] != value:
                        result.rejects.append(_reject(
                            reject_keys, table.source, line,
                            f"second, different answer to {statement!r} in the same response", raw(row), series))
                        continue
                    answers[statement] = value
            moments.append(moment)
            good_lines.append(line)
        if not moments or (not answers and not feedback_parts):
            continue
        utc, local = min(moments)
        ordered = tuple(sorted(answers.items(), key=lambda item: order[item[0]]))
        feedback = "\n".join(feedback_parts) if feedback_parts else None
        key = response_keys.key(series, utc.isoformat(), *[f"{s}={v}" for s, v in ordered], feedback or "")
        result.responses.append(
            SurveyResponse(key, series, utc, local, ordered, feedback, table.source, min(good_lines), cols.scale_max)
        )
    report.statement_columns = [(s, f"{table.header[cols.question]} = {q!r}", "exact")
                                for s, q in sorted(seen_questions.items(), key=lambda item: order[item[0]])]
    for question, statement in statement_by_header.items():
        if statement is None and question and not is_feedback_header(question, settings):
            suggested = mapping.suggestion_for([question], settings, set())
            if suggested:
                report.suggestions.append(f"question {question!r} looks like statement {suggested!r}; "
                                          "add it as an alias if it is")
    return result


# --- attendance ------------------------------------------------------------

DATE_HEADERS = ("date", "meeting date", "review date", "session date", "day", "when", "meeting day", "held on",
                "date of meeting", "week", "week of", "timestamp", "time")
COUNT_HEADERS = (
    "attendees", "attendance", "attendee count", "headcount", "head count", "count",
    "number of attendees", "no of attendees", "num attendees", "participants count", "people", "attended",
    "participant count", "total attendees", "total",
)
PERSON_HEADERS = ("attendee", "person", "name", "email", "attendee email", "attendee name", "participant", "user", "member", "who", "participants")
TITLE_HEADERS = ("title", "incident", "meeting", "topic", "incident title", "subject", "review", "meeting title", "incident reviewed")


def parse_attendance(
    table: RawTable, settings: Settings, series: str | None = None, now: datetime | None = None
) -> ParsedAttendance:
    """Detect the layout from the header (or a header below title rows) and count each meeting."""
    return _below_title_rows(table, lambda t: _parse_attendance(t, settings, series, now))  # type: ignore[return-value]


def _parse_attendance(
    table: RawTable, settings: Settings, series: str | None, now: datetime | None
) -> ParsedAttendance:
    default_series = series or settings.default_series
    taken: set[int] = set()
    date_col = _find(table.header, DATE_HEADERS, taken)
    if date_col is None:
        # Exact names only (Zoom's and Teams' reports write "Join Time"/"Start time").
        date_col = _find(table.header, ("join time", "meeting start time", "start time", *GENERIC_TIME_HEADERS), taken)
    if date_col is None:
        raise SourceFileError(table.source, "no meeting date column (expected a header such as 'Date')")
    taken.add(date_col)
    series_col = _find(table.header, SERIES_HEADERS, taken)
    if series_col is not None:
        taken.add(series_col)
    count_col = _find(table.header, COUNT_HEADERS, taken)
    if count_col is not None and _lists_people(table, count_col):
        person_col, count_col = count_col, None  # "Attendees" listing people, one per row
    else:
        person_col = None if count_col is not None else _person_column(table.header, taken)
    if count_col is None and person_col is None:
        raise SourceFileError(
            table.source,
            "no attendee count column ('Attendees') and no attendee column ('Attendee') found",
        )
    taken.add(count_col if count_col is not None else person_col)  # type: ignore[arg-type]
    title_col = _find(table.header, TITLE_HEADERS, taken)
    # Only the mapped columns are kept in a reject; the person column never reaches the database.
    keep = sorted(i for i in (date_col, count_col, title_col, series_col) if i is not None)
    dates = TimeParser(settings.tz, _dayfirst(settings, [r[date_col] for r in table.rows if date_col < len(r)]), now)
    reject_keys = KeyMaker("a")
    layout = "per-meeting" if count_col is not None else "per-attendee"
    result = ParsedAttendance(table.source, layout)

    def cell(row: list[object], index: int | None) -> object:
        return row[index] if index is not None and index < len(row) else None

    by_meeting: dict[tuple[str, date], dict] = {}
    for row, line in zip(table.rows, table.line_numbers):
        series_name = _series_of(row, series_col, default_series)
        raw = partial(raw_row, table.header, row, keep)  # built only for a reject
        try:
            meeting_date = parse_date(cell(row, date_col), dates)
        except TimeError as exc:
            result.rejects.append(_reject(reject_keys, table.source, line, f"bad date: {exc}", raw(), series_name))
            continue
        title = _clean_feedback(cell(row, title_col))
        slot = (series_name, meeting_date)
        if count_col is not None:
            try:
                attendees = _parse_count(cell(row, count_col))
            except ValueError as exc:
                result.rejects.append(_reject(reject_keys, table.source, line, str(exc), raw(), series_name))
                continue
            if slot in by_meeting:
                earlier = by_meeting[slot]
                result.rejects.append(_reject(
                    reject_keys, table.source, earlier["line"],
                    f"meeting on {meeting_date} listed again on line {line}; the later row was used",
                    earlier["raw"](), series_name))
            by_meeting[slot] = {"attendees": attendees, "title": title, "line": line, "raw": raw}
        else:
            person = normalise_header(_cell_text(cell(row, person_col)))
            if not person:
                result.rejects.append(_reject(reject_keys, table.source, line, "no attendee on this row", raw(), series_name))
                continue
            meeting = by_meeting.setdefault(slot, {"people": set(), "title": None, "line": line, "raw": raw})
            meeting["people"].add(person)
            meeting["title"] = meeting["title"] or title
    for (series_name, meeting_date), meeting in sorted(by_meeting.items()):
        attendees = meeting["attendees"] if "attendees" in meeting else len(meeting["people"])
        result.meetings.append(
            Meeting(series_name, meeting_date, attendees, meeting["title"], table.source, meeting["line"])
        )
    return result


_STANDALONE_NUMBER = re.compile(r"(?<![^\W_])\d+(?![^\W_])")


def _lists_people(table: RawTable, column: int) -> bool:
    """A count column whose cells are mostly names, emails or member ids, not numbers.

    Such a column is a per-attendee list; reading it as counts would reject every
    row and copy the names into the rejects. "12 people" or "~15" are still counts.
    """
    sample = [_cell_text(row[column]).strip() for row in table.rows[:200] if column < len(row)]
    sample = [value for value in sample if value]
    people = 0
    for value in sample:
        try:
            _parse_count(value)
        except ValueError:
            people += not _STANDALONE_NUMBER.search(value)
    return bool(sample) and people / len(sample) >= 0.5


_PERSON_WORDS = ("email", "attendee", "participant", "name", "user", "person")


def _person_column(headers: list[str], taken: set[int]) -> int | None:
    """An exact attendee header, else one that mentions a person (Zoom's "User Email",
    "Name (Original Name)"): e-mail columns first, as they are the most distinct."""
    exact = _find(headers, PERSON_HEADERS, taken)
    if exact is not None:
        return exact
    for word in _PERSON_WORDS:
        for index, header in enumerate(headers):
            if index not in taken and word in normalise_header(header).split():
                return index
    return None


_COUNT_WITH_WORDS = re.compile(r"^(?:~|ca\.?|about|approx\.?)?\s*(\d+)\s*\+?\s*(?:people|persons|attendees|ppl)?$", re.I)


def _parse_count(value: object) -> int:
    text = _cell_text(value).strip()
    if not text:
        raise ValueError("no attendee count")
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        match = _COUNT_WITH_WORDS.match(text)  # "12 people", "~15", "15+": what people type in sheets
        if match is None:
            raise ValueError(f"attendee count {_clip(text, 40)!r} is not a number") from None
        number = float(match.group(1))
    if not number.is_integer() or number < 0:
        raise ValueError(f"attendee count {_clip(text, 40)!r} is not a whole number of people")
    if number > 100_000:
        raise ValueError(f"attendee count {int(number):,} is implausibly large")
    return int(number)
