"""Typed records that flow from the parsers to the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    """One anonymous survey submission. No field can identify the respondent."""

    response_key: str  # content hash + occurrence: makes re-ingesting idempotent
    series: str
    submitted_utc: datetime  # naive, UTC
    submitted_local: datetime  # naive, in the settings' timezone
    answers: tuple[tuple[str, int], ...]  # (statement text, score 1-5)
    feedback: str | None
    source_file: str
    source_line: int


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
    """A row that could not be used, kept with the reason (identity columns removed)."""

    reject_key: str
    source_file: str
    line: int
    reason: str
    raw: dict[str, str]


@dataclass
class ParsedSurveys:
    source: str
    layout: str  # "wide" or "long"
    responses: list[SurveyResponse] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)  # identity columns never stored
    unused_columns: list[str] = field(default_factory=list)  # neither statement, time, feedback nor series


@dataclass
class ParsedAttendance:
    source: str
    layout: str  # "per-meeting" or "per-attendee"
    meetings: list[Meeting] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
