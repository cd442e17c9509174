"""Columns: which column is which (with pipeline.mapping), and a header below title rows."""

from __future__ import annotations

import re
from collections.abc import Callable

from core.settings import Settings, SourceMapping, normalise_header
from pipeline import mapping
from pipeline.errors import HeaderFound, SeriesColumnRefused, SourceFileError
from pipeline.parse.cells import series_column_problem, series_stats
from pipeline.sources.files import RawTable, promote_header

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


def find_header(headers: list[str], candidates: tuple[str, ...], taken: set[int]) -> int | None:
    keys = [normalise_header(h) for h in headers]
    for candidate in candidates:
        for index, key in enumerate(keys):
            if index not in taken and key == candidate:
                return index
    return None


def identity_columns(table: RawTable, skip: set[int]) -> list[int]:
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


HEADER_SEARCH_ROWS = mapping.HEADER_SEARCH_ROWS


def below_title_rows(table: RawTable, parse: Callable[[RawTable], object]) -> object:
    """Parse with the first row as header; failing that, with one of the next rows.

    Sheets often carry a title or notes above the real header. The first header that
    parses wins; if none does, the error about the first row is the one reported.
    """
    try:
        return parse(table)
    except HeaderFound:
        raise
    except SourceFileError as first_problem:
        for index in range(min(HEADER_SEARCH_ROWS, len(table.rows) - 1)):
            try:
                return parse(promote_header(table, index))
            except HeaderFound:
                raise  # the header below the title, and what is wrong under it
            except SourceFileError:
                continue
        raise first_problem


def check_series_column(table: RawTable, series: int | None, settings: Settings,
                        wording: str = "series is free text") -> None:
    """A series column of free text (feedback mapped as the series) is refused, in every kind of file that has
    one (surveys, attendance, calendars): see ``series_column_problem``."""
    if series is None:
        return
    distinct, longest = series_stats(row[series] for row in table.rows if series < len(row))
    problem = series_column_problem(table.header[series], distinct, longest, settings.max_series_values, wording)
    if problem:
        raise SeriesColumnRefused(table.source, problem)
