"""Known busy weeks (launches, holidays, planning weeks) from a calendar file (issue 25).

One row a busy week: a date anywhere in the week (``Date``/``Week``), its kind (``Kind``/``Type``/
``Event``) and optionally its series. The rules are the ``[calendar] busy_weeks`` settings' rules
(core.settings.week_monday, busy_week_kind): a date names its Monday; a kind is 1-40 characters,
case-folded. Several rows of one week with the same kind are one busy week; two different kinds
in one week of one series are refused (every row of that week is rejected, naming the fix).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import partial

from core.settings import BUSY_WEEK_KIND_MAX_CHARS, Settings, busy_week_kind, week_monday
from pipeline.errors import SourceFileError
from pipeline.parse.cells import cell_string, raw_row, series_of
from pipeline.parse.columns import SERIES_HEADERS, below_title_rows, check_series_column, find_header
from pipeline.parse.keys import KeyMaker, make_reject
from pipeline.parse.times import TimeError, TimeParser, date_range_ends, dayfirst_decision, parse_date
from pipeline.records import BusyWeek, ParsedCalendar
from pipeline.sources.files import RawTable

CALENDAR_DATE_HEADERS = ("date", "week", "week of", "week start", "week starting", "week commencing", "day")
CALENDAR_KIND_HEADERS = ("kind", "type", "event", "event type", "kind of week", "busy because")
# A calendar is written ahead: planned weeks up to 3 years from now are fine; a later one is a typo.
YEARS_AHEAD = 3


def parse_calendar(table: RawTable, settings: Settings, series: str | None = None,
                   now: datetime | None = None) -> ParsedCalendar:
    """The busy weeks of a calendar table (a header below title rows is found too)."""
    return below_title_rows(table, lambda t: _parse_calendar(t, settings, series, now))  # type: ignore[return-value]


def _parse_calendar(table: RawTable, settings: Settings, series: str | None, now: datetime | None) -> ParsedCalendar:
    default_series = series or settings.default_series
    taken: set[int] = set()
    date_col = find_header(table.header, CALENDAR_DATE_HEADERS, taken)
    if date_col is None:
        raise SourceFileError(table.source, "no date column for the busy weeks (expected a header 'Date' or 'Week')")
    taken.add(date_col)
    kind_col = find_header(table.header, CALENDAR_KIND_HEADERS, taken)
    if kind_col is None:
        raise SourceFileError(table.source, "no kind column for the busy weeks (expected a header 'Kind', 'Type' "
                                            "or 'Event', with values such as launch, holiday, planning)")
    taken.add(kind_col)
    series_col = find_header(table.header, SERIES_HEADERS, taken)
    check_series_column(table, series_col, settings, "series header is free text")  # refused, as for surveys
    keep = sorted(i for i in (date_col, kind_col, series_col) if i is not None)
    # The survey's time rules (shapes, D/M vs M/D), with "the future" moved YEARS_AHEAD on.
    ahead = (now or datetime.now(timezone.utc)) + timedelta(days=366 * YEARS_AHEAD)
    # Both ends of a range are evidence of the date order ("02/03/2026 - 16/03/2026" settles day/month).
    cells: list[object] = []
    for row in table.rows:
        value = row[date_col] if date_col < len(row) else None
        ends = date_range_ends(value.strip()) if isinstance(value, str) else None
        cells.extend(ends[:2] if ends else (value,))
    dayfirst, guessed = dayfirst_decision(settings, cells, table.source)
    dates = TimeParser(settings.tz, dayfirst, ahead)
    reject_keys = KeyMaker("c")
    result = ParsedCalendar(table.source, date_order_guessed=guessed)

    def cell(row: list[object], index: int) -> object:
        return row[index] if index < len(row) else None

    # (series, Monday) -> [(kind, line, raw)]: every row of the week, to refuse a clash as a whole.
    by_week: dict[tuple[str, date], list[tuple[str, int, partial]]] = {}
    for row, line in zip(table.rows, table.line_numbers):
        series_name = series_of(row, series_col, default_series)
        raw = partial(raw_row, table.header, row, keep, {kind_col: _without_addresses})  # built only for a reject
        try:
            day = parse_date(cell(row, date_col), dates, names_week=True)
        except TimeError as exc:
            problem = f"more than {YEARS_AHEAD} years ahead" if str(exc) == "a time in the future" else str(exc)
            result.rejects.append(make_reject(reject_keys, table.source, line, f"bad date: {problem}", raw(), series_name))
            continue
        text = cell_string(cell(row, kind_col))
        kind = busy_week_kind(text)
        if kind is not None and "@" in text:  # a kind is stored and shown: never someone's address
            result.rejects.append(make_reject(reject_keys, table.source, line, "kind holds an e-mail address; write "
                                              "what makes the week busy (launch, holiday, planning…)", raw(), series_name))
            continue
        if kind is None:
            reason = ("no kind (write what makes the week busy: launch, holiday, planning…)" if not text.strip() else
                      f"kind longer than {BUSY_WEEK_KIND_MAX_CHARS} characters; use a short label such as launch")
            result.rejects.append(make_reject(reject_keys, table.source, line, reason, raw(), series_name))
            continue
        by_week.setdefault((series_name, week_monday(day)), []).append((kind, line, raw))
    for (series_name, monday), rows in sorted(by_week.items()):
        kinds = sorted({kind for kind, _line, _raw in rows})
        if len(kinds) > 1:
            listed = ", ".join(f"{kind!r} (line {line})" for kind, line, _raw in rows)
            reason = (f"the week of {monday.isoformat()} has two kinds: {listed}; keep one kind per week of a series "
                      "(or give the rows different series); this week was not loaded")
            for _kind, line, raw in rows:
                result.rejects.append(make_reject(reject_keys, table.source, line, reason, raw(), series_name))
            continue
        kind, line, _raw = rows[0]
        result.weeks.append(BusyWeek(series_name, monday, kind, table.source, line))
    return result


def _without_addresses(text: str) -> str:
    """A rejected kind cell as typed, unless it holds an e-mail address."""
    return "(not kept: an e-mail address)" if "@" in text else text
