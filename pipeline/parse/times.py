"""Times: what a submission time or meeting date means (its shape, D/M vs M/D, local -> UTC),
with the SQL twins the CSV fast path reads the common shapes by."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from core.settings import Settings, week_monday

from pipeline.errors import DateOrderConflict, worded

EARLIEST_PLAUSIBLE = datetime(2000, 1, 1)
# Sheets and Excel count days from 1899-12-30; 20000..80000 is 1954..2119.
SERIAL_EPOCH = datetime(1899, 12, 30)


class TimeError(ValueError):
    pass


# dateutil fills the parts a text lacks from a default date (today, if not given);
# parsing with two different defaults shows whether the text held a whole date.
_DEFAULT_A = datetime(1, 1, 1)
_DEFAULT_B = datetime(4, 2, 2)
# Slashes, dots or hyphens (13-03-2026, as much of Europe writes it): the fast reader
# (_SLASH_DATETIME) reads all three, so all three are evidence of the file's order.
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b(.*)$")
# A date that starts with its year is year/month/day whatever the date order: day-first applies to
# D/M/Y vs M/D/Y only (dateutil's dayfirst=True would read 2025/09/02 as 9 February).
_YEAR_FIRST_DATE = re.compile(r"(?<!\d)(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?!\d)")


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


def slash_date_parts_sql(expression: str) -> str:
    """``dayfirst_evidence``'s pattern in SQL: a struct of the first two parts ('' when it does not
    match). For ASCII printable text only, where RE2 and Python's re agree (others: ask Python)."""
    return (f"regexp_extract({expression}, '^ *([0-9]{{1,2}})[/.-]([0-9]{{1,2}})[/.-][0-9]{{2,4}}\\b', "
            "['first', 'second'])")


def dayfirst_verdict_sql(parts: str) -> str:
    """``dayfirst_evidence`` in SQL over ``slash_date_parts_sql``: true (D/M), false (M/D) or NULL."""
    return (f"CASE WHEN {parts}.first = '' THEN NULL "
            f"WHEN {parts}.first::INT > 12 AND {parts}.second::INT <= 12 THEN true "
            f"WHEN {parts}.second::INT > 12 AND {parts}.first::INT <= 12 THEN false END")


DATE_ORDER_GUESSED_NOTE = worded("date order guessed")


def is_slash_date(value: object) -> bool:
    """A D/M/Y or M/D/Y date (``dayfirst_evidence``'s shape), whether or not it settles the order."""
    return isinstance(value, str) and _SLASH_DATE.match(value) is not None


def slash_date_sql(parts: str) -> str:
    """``is_slash_date`` in SQL over ``slash_date_parts_sql`` (ASCII printable text, as there)."""
    return f"({parts}.first <> '')"


def _column_date_order(values: Iterable[object], source: str) -> tuple[bool, bool]:
    """(dayfirst, guessed) from every value, ``guessed`` when slash dates settle nothing; one that can
    only be D/M and another that can only be M/D is a DateOrderConflict naming date_order, not
    decided by whichever came first."""
    day_first: str | None = None
    month_first: str | None = None
    slash_dates = False
    for value in values:
        verdict = dayfirst_evidence(value)
        if verdict is True and day_first is None:
            day_first = _date_part(value)
        elif verdict is False and month_first is None:
            month_first = _date_part(value)
        slash_dates = slash_dates or is_slash_date(value)
    if day_first is not None and month_first is not None:
        raise DateOrderConflict(source, worded("date order conflicting", day_first=day_first, month_first=month_first))
    return day_first is not None, slash_dates and day_first is None and month_first is None


def _date_part(value: object) -> str:
    """Only the date of a slash-date cell, for a message (whatever follows it is not shown)."""
    match = _SLASH_DATE.match(value)  # type: ignore[arg-type]  # only called where it matched
    return value[match.start(1):match.end(3)]  # type: ignore[index]


def dayfirst_decision(settings: Settings, values: Iterable[object], source: str) -> tuple[bool, bool]:
    """(dayfirst, guessed): the settings' date order, else the column's evidence; ``guessed`` when
    "auto" found slash dates but none that settles the order (then M/D, said in the summary).

    Google Sheets and Slack in US locales write M/D/Y, most of the world D/M/Y; a first part
    above 12 proves D/M, a second one M/D. Evidence both ways is refused (DateOrderConflict)."""
    if settings.date_order != "auto":
        return settings.date_order == "DMY", False
    return _column_date_order(values, source)


def _from_number(number: float) -> datetime:
    if 1e12 <= number < 1e13:  # epoch milliseconds
        return datetime.fromtimestamp(number / 1000, tz=timezone.utc)
    if 1e9 <= number < 1e10:  # epoch seconds (Slack's ts)
        return datetime.fromtimestamp(number, tz=timezone.utc)
    if 20000 <= number < 80000:  # Sheets/Excel serial date, in local time
        # To the millisecond, as openpyxl's from_excel reads a date cell: 08:00 is 45901.33333333334 as a
        # float, which is 08:00:00.000001 read raw, a different response key from the same time styled.
        day, fraction = divmod(number, 1)
        return SERIAL_EPOCH + timedelta(days=day, milliseconds=round(fraction * 86_400_000))
    raise TimeError("a number that is not a date or time")


class TimeParser:
    """Parse submission times to (utc, local) naive datetimes; naive inputs are local."""

    def __init__(self, tz: ZoneInfo, dayfirst: bool, now: datetime | None = None) -> None:
        self.tz = tz
        self.tz_is_utc = tz.key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/UCT", "UCT")
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
            if moment.tzinfo is None and self.tz_is_utc:
                utc = local = moment  # the common case, without two timezone conversions
            else:
                aware = moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment
                utc = aware.astimezone(timezone.utc).replace(tzinfo=None)
                local = aware.astimezone(self.tz).replace(tzinfo=None)
        except (OverflowError, ValueError) as exc:
            if isinstance(exc, TimeError):
                raise
            # Year 1 or 9999 shifted by a timezone, or a number too big for a float.
            raise TimeError("a date or time out of range") from None
        if utc < EARLIEST_PLAUSIBLE:
            raise TimeError("a time before 2000")
        if utc > self.latest_plausible:
            raise TimeError("a time in the future")
        return utc, local

    def _to_datetime(self, value: object) -> datetime:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise TimeError("no time")
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime.combine(value, time())
        if isinstance(value, bool):
            raise TimeError("not a time")
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
        # JavaScript's Date.toString() (Apps Script writing a form's sheet) names the zone after the
        # offset: "Mon Sep 08 2025 13:58:23 GMT-0500 (Central Daylight Time)". The offset says it all; a long
        # zone name ("Central European Standard Time") would pass the length cap, so it goes first (text
        # capped at 128 characters for it).
        if len(text) <= 128:
            text = _ZONE_NAME_AFTER_OFFSET.sub("", text)
        if len(text) > 64:
            raise TimeError("text that is not a date or time")
        # "GMT+1" (Google Forms) means UTC+1; dateutil reads it POSIX-style as UTC-1.
        text = _GMT_OFFSET.sub(lambda m: f"{m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}", text)
        if _YEARLESS_RANGE.search(text) and not _YEAR.search(text):
            raise TimeError("no full date (day, month and year)")  # "2 - 6 March": dateutil reads 2 as the year
        dayfirst, month_day, order = self._numeric_date(text)
        try:
            with warnings.catch_warnings():
                # dateutil only warns about a zone name it does not know, then ignores it: that
                # would read "4:05 PM IST" as local time, hours off. Refuse it instead.
                warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
                moment = dateutil_parser.parse(text, dayfirst=dayfirst, default=_DEFAULT_A, tzinfos=ZONE_ABBREVIATIONS)
                if moment.year == _DEFAULT_A.year or moment.month == 1 or moment.day == 1:
                    other = dateutil_parser.parse(text, dayfirst=dayfirst, default=_DEFAULT_B,
                                                  tzinfos=ZONE_ABBREVIATIONS)
                    if other.date() != moment.date():
                        raise TimeError("no full date (day, month and year)")
            # A year written in the text must be the year read: "Mar 16-20, 2026" is not 2020 (a range of days,
            # or more numbers than one date, that date_range_ends did not take apart).
            years = {int(year) for year in _YEAR.findall(text)}
            if years and moment.year not in years and not _two_digit_year(text, moment.year):
                raise TimeError("more numbers than one date (a range of days?)")
            # dateutil swaps day and month when the month is impossible (13/03/2026 read M/D):
            # that would be a guess against the file's order, so it is a reason instead.
            if month_day is not None and (moment.month, moment.day) != month_day:
                raise TimeError(f"not a date when read {order}")
            return moment
        except dateutil_parser.UnknownTimezoneWarning:
            raise TimeError("a time zone name that is ambiguous or unknown; "
                            "an offset such as +05:30 says which") from None
        except (ValueError, OverflowError, dateutil_parser.ParserError) as exc:
            if isinstance(exc, TimeError):
                raise
            if month_day is not None and not _is_month_day(*month_day):
                raise TimeError(f"not a date when read {order}") from None
            raise TimeError("text that is not a date or time") from None


    def _numeric_date(self, text: str) -> tuple[bool, tuple[int, int] | None, str]:
        """(dayfirst for dateutil, the (month, day) the text's numeric date must read as, its order).

        A year-first date is year/month/day whatever the date order; a slash date (D/M/Y or
        M/D/Y) is read in the file's order. None: no numeric date to hold dateutil to. The order is
        worded for a reject reason (shown on pages too: no settings key in it)."""
        year_first = _YEAR_FIRST_DATE.search(text)
        if year_first:
            return False, (int(year_first.group(2)), int(year_first.group(3))), "year/month/day"
        slash = _SLASH_DATE.match(text)
        if slash:
            first, second = int(slash.group(1)), int(slash.group(2))
            if self.dayfirst:
                return True, (second, first), "day/month/year, this file's date order"
            return False, (first, second), "month/day/year, this file's date order"
        return self.dayfirst, None, ""

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


def _is_month_day(month: int, day: int) -> bool:
    """Whether some year has this day (29 February: a leap year)."""
    try:
        date(2000, month, day)
    except ValueError:
        return False
    return True


# A range of days in one cell ("9-13 Mar 2026", "Mar 16-20, 2026", "2026-03-23 to 2026-03-27", "30 Mar - 3 Apr
# 2026"): dateutil alone reads one end's day as the year (2009-03-09, 2020-03-16). Only on cells of at most 64
# characters (longer text is not a date anyway), and each end is parsed as a date of its own.
_DAYS_THEN_MONTH = re.compile(r"^(\d{1,2})\s*[-–—]\s*(\d{1,2})\s+([A-Za-z]{3,9}\.?,?\s+\d{4})$")
_MONTH_THEN_DAYS = re.compile(r"^([A-Za-z]{3,9}\.?)\s+(\d{1,2})\s*[-–—]\s*(\d{1,2})(,?\s+\d{4})$")
_TWO_DATES = re.compile(r"^(\S.{2,29}?)\s+(?:to|until|till|through|[-–—])\s+(\S.{2,29})$", re.IGNORECASE)
# "w/c 30 Mar 2026", "Week of 30 Mar 2026": a week named by a day of it (calendar files).
_WEEK_PREFIX = re.compile(r"^(?:w\s*/\s*[cb]|w[cb]|week\s+(?:of|commencing|beginning|starting))\s*:?\s*", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# A year of two digits after a date's separator ("3/4/26 2000", "04-Mar-26 1930"): then a four-digit number is a time.
_TWO_DIGIT_YEAR = re.compile(r"[/\-.']\s?(\d{2})(?![\d:])")
# Two day numbers joined by a dash beside a month's name, with no year: a range of days ("2 - 6 March", "Mar 9-13").
_YEARLESS_RANGE = re.compile(r"(?<!\d)\d{1,2}\s*[-–—]\s*\d{1,2}(?![\d:/.\-])\s*[A-Za-z]{3,9}|[A-Za-z]{3,9}\.?\s+\d{1,2}\s*[-–—]\s*\d{1,2}(?![\d:/.\-])")
MAX_DATE_TEXT = 64


def _two_digit_year(text: str, year: int) -> bool:
    """Whether the text writes ``year`` as two digits after a date separator."""
    return any(int(found) == year % 100 for found in _TWO_DIGIT_YEAR.findall(text))


def date_range_ends(text: str) -> tuple[str, str, bool] | None:
    """The two ends of a range of days written in one cell, as date texts, and whether the first end borrowed the
    second's year ("30 Mar - 3 Apr 2026"); None when the text is not written as a range."""
    if len(text) > MAX_DATE_TEXT:
        return None
    if match := _DAYS_THEN_MONTH.match(text):
        first, last, rest = match.groups()
        return f"{first} {rest}", f"{last} {rest}", False
    if match := _MONTH_THEN_DAYS.match(text):
        month, first, last, year = match.groups()
        return f"{month} {first}{year}", f"{month} {last}{year}", False
    if match := _TWO_DATES.match(text):
        start, end = match.groups()
        year = _YEAR.search(end)
        if year and not _YEAR.search(start):
            return f"{start} {year.group(1)}", end, True
        return start, end, False
    return None


def parse_date(value: object, parser: TimeParser, *, names_week: bool = False) -> date:
    """A meeting date: the local calendar day of whatever the cell holds.

    A cell written as a range of days is refused, except where the cell names a week (``names_week``, a calendar
    file): then a range within one week, or "w/c 30 Mar 2026", gives its first day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text and len(text) <= MAX_DATE_TEXT:
        if names_week:
            text = _WEEK_PREFIX.sub("", text, count=1)
            value = text
        ends = date_range_ends(text)
        if ends is not None:
            start, end = _range_days(ends, parser)
            if start is not None and end is not None:
                if start == end:
                    return start  # a meeting's times on one day ("Mar 4, 2026 10:00 AM - Mar 4, 2026 11:00 AM")
                if not names_week:
                    raise TimeError("a range of days, not one date")
                if start > end:
                    raise TimeError("a range of days that ends before it starts")
                if week_monday(start) != week_monday(end):
                    raise TimeError("a range of days across two weeks; write one row per week")
                return start
    _utc, local = parser.parse(value)
    return local.date()


def _range_days(ends: tuple[str, str, bool], parser: TimeParser) -> tuple[date | None, date | None]:
    """Both ends of a range as days (None for an end that is not a date: then the cell is not a range). A first
    end that borrowed the year of the second is in the year before when it would come after it (29 Dec - 2 Jan)."""
    days: list[date | None] = []
    for text in ends[:2]:
        try:
            days.append(parser.parse(text)[1].date())
        except TimeError:
            days.append(None)
    start, end = days
    if ends[2] and start is not None and end is not None and start > end:
        try:
            start = start.replace(year=start.year - 1)
        except ValueError:  # 29 Feb
            start = None
    return start, end


# --- the SQL twins of TimeParser (the CSV fast path) --------------------------------------

# The time shapes SQL reads itself: each pattern proves the shape (ASCII digits, nothing
# around it), and try_strptime then rejects impossible dates and times (NULL: Python decides).
# For these texts TimeParser gives the same moment: datetime.fromisoformat for the ISO
# shapes, _SLASH_DATETIME (M/D/Y or D/M/Y) for the slash shapes.
_D = "[0-9]{1,2}"
_TIME_SHAPES = (
    (f"{_D}/{_D}/[0-9]{{4}} {_D}:[0-9]{{2}}:[0-9]{{2}}", "{a}/{b}/%Y %H:%M:%S"),
    (f"{_D}/{_D}/[0-9]{{4}} {_D}:[0-9]{{2}}", "{a}/{b}/%Y %H:%M"),
    (f"{_D}/{_D}/[0-9]{{4}}", "{a}/{b}/%Y"),
    (f"{_D}/{_D}/[0-9]{{4}} {_D}:[0-9]{{2}}:[0-9]{{2}} [AP]M", "{a}/{b}/%Y %I:%M:%S %p"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%d %H:%M:%S"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%dT%H:%M:%S"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}", "%Y-%m-%d %H:%M"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}", "%Y-%m-%dT%H:%M"),
    ("[0-9]{4}-[0-9]{2}-[0-9]{2}", "%Y-%m-%d"),
)


def moment_sql(column: str, dayfirst: bool) -> str:
    """The naive timestamp SQL reads from a time cell, or NULL (our constants only, no data)."""
    a, b = ("%d", "%m") if dayfirst else ("%m", "%d")
    branches = " ".join(
        f"WHEN regexp_full_match({column}, '{pattern}') THEN try_strptime({column}, '{fmt.format(a=a, b=b)}')"
        for pattern, fmt in _TIME_SHAPES
    )
    return f"(CASE {branches} END)"


def steady_offset_us(hour: datetime, tz: ZoneInfo, latest: datetime) -> int | None:
    """UTC offset of naive local times in this hour if one offset fits all of it, else None.

    TimeParser gives a naive time its zone as it stands (fold 0): a time repeated when clocks go
    back is read as the first, one in the gap when they go forward with the offset before the
    change, and its local time stays the text's. So one offset fits a whole hour unless a change
    falls inside it (Lord Howe's half-hour steps); such hours go to TimeParser value by value.
    """
    if hour < EARLIEST_PLAUSIBLE - timedelta(days=2) or hour > latest + timedelta(days=2):
        return None  # the Python parser gives these their reason
    offsets = set()
    for probe in (hour, hour + timedelta(minutes=59, seconds=59, microseconds=999_999)):
        utc = probe.replace(tzinfo=tz).astimezone(timezone.utc).replace(tzinfo=None)
        offsets.add(probe - utc)
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds


def plausible_utc_sql(moment: str, offset_us: str, latest: datetime) -> tuple[str, list[object]]:
    """TimeParser's local -> UTC in SQL for a naive local moment and its hour's steady offset
    (``steady_offset_us``), kept only inside the plausible range: NULL outside it, where
    TimeParser words the reason. Returns the expression and its two parameters."""
    utc = f"{moment} - to_microseconds({offset_us})"
    return f"CASE WHEN {utc} BETWEEN ? AND ? THEN {utc} END", [EARLIEST_PLAUSIBLE, latest]
