"""Typed records that flow from the parsers to the loader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    """One anonymous survey submission. No field can identify the respondent."""

    response_key: str  # content hash + occurrence: makes re-ingesting idempotent
    series: str
    submitted_utc: datetime  # naive, UTC
    submitted_local: datetime  # naive, in the settings' timezone
    answers: tuple[tuple[str, int], ...]  # (statement text, answer 1..scale_max as given)
    feedback: str | None
    source_file: str
    source_line: int
    scale_max: int = 5  # answers are on 1..scale_max; the loader rescales them onto 1-5


@dataclass(frozen=True, slots=True)
class Meeting:
    series: str
    meeting_date: date
    attendees: int
    title: str | None
    source_file: str
    source_line: int


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that could not be used, kept with the reason and only its mapped cells."""

    reject_key: str
    source_file: str
    line: int
    reason: str
    raw: dict[str, str]


@dataclass
class MappingReport:
    """How one table was read: named in the run summary, `inspect` and `ingest --dry-run`."""

    tool: str | None  # detected survey tool (pipeline.tools), None for a generic export
    layout: str
    header_rows: int
    time_column: str
    statement_columns: list[tuple[str, str, str]]  # (statement, column, how: exact/alias/grid row/declared)
    feedback_column: str | None
    series_column: str | None
    scale_max: int = 5  # as stored
    suggestions: list[str] = field(default_factory=list)  # "column 'X' looks like statement 'Y'; …"
    notes: list[str] = field(default_factory=list)  # e.g. answers past 5 without a declared scale
    date_order_guessed: bool = False  # M/D by default, no date settling it: noted, and --strict refuses it
    answer_shift: int = 0  # 1 on a declared 0-based scale: answers stored one up


@dataclass
class ParsedSurveys:
    source: str
    layout: str  # "wide" or "long"
    responses: list[SurveyResponse] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)  # unmapped columns: never stored
    unused_columns: list[str] = field(default_factory=list)  # neither statement, time, feedback nor series
    report: MappingReport | None = None
    # Rows still to parse (pipeline.parse with lazy=True): the loader takes them a batch at a
    # time, so a large file's records are never all in memory at once (issue 16). Rejects and
    # report notes are complete only once they are drained.
    pending: Iterator[SurveyResponse] | None = field(default=None, repr=False)

    def batches(self, size: int) -> Iterator[list[SurveyResponse]]:
        """Every response, at most ``size`` at a time: ``responses``, then the pending rows."""
        for start in range(0, len(self.responses), size):
            yield self.responses[start:start + size]
        pending, self.pending = self.pending, None
        while pending is not None and (batch := list(islice(pending, size))):
            yield batch


@dataclass
class ParsedAttendance:
    source: str
    layout: str  # "per-meeting" or "per-attendee"
    meetings: list[Meeting] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    date_order_guessed: bool = False  # slash dates, none settling D/M vs M/D: read M/D, noted, --strict refuses it
    reading: str = ""  # how it was read ("one row per meeting, attendees from 'Participants'"), for the run summary


@dataclass(frozen=True, slots=True)
class BusyWeek:
    """A known busy week of a series from a calendar file (issue 25): its Monday and kind."""

    series: str
    week_start: date  # the Monday
    kind: str  # case-folded (core.settings.busy_week_kind)
    source_file: str
    source_line: int


@dataclass
class ParsedCalendar:
    source: str
    weeks: list[BusyWeek] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    date_order_guessed: bool = False  # as ParsedAttendance's
