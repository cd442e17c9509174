"""Read and parse the poll inputs of one run (`ingest --polls`, `--polls-sheet`, the demo): files in, records out.

A Slack export (ZIP or folder) goes to the Polly / Simple Poll parser; any other file
(CSV/xlsx) is a talking-points sheet or a long poll export. A file that yields no usable
poll fails the run with one line naming it and the fix, as a survey file does.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline.errors import SourceFileError
from pipeline.polls import ParsedPolls, parse_poll_table, parse_slack_export
from pipeline.sources.files import RawTable, expand_inputs, read_table
from pipeline.sources.slack_export import is_slack_export, read_slack_export
from core.settings import Settings


def poll_sources(paths: list[Path]) -> list[Path]:
    """Slack exports as given; other folders contribute their .csv/.xlsx files."""
    found: list[Path] = []
    for path in paths:
        if is_slack_export(path):
            found.append(path)
        else:
            found.extend(expand_inputs([path]))
    return found


def read_poll_file(path: Path, settings: Settings, series: str | None = None,
                   now: datetime | None = None) -> ParsedPolls:
    if is_slack_export(path):
        export = read_slack_export(path)
        parsed = parse_slack_export(export, settings, series, now=now)
        if not parsed.polls:
            first = f"; first problem: {parsed.rejects[0].source_file} line {parsed.rejects[0].line}: " \
                    f"{parsed.rejects[0].reason}" if parsed.rejects else ""
            raise SourceFileError(
                str(path), f"no usable poll: no Polly or Simple Poll poll among {parsed.messages_read:,} messages "
                           f"in {len(export.channels)} channel(s); export the review channel with the poll app "
                           f"installed{first}")
        return parsed
    if path.suffix.lower() == ".zip":
        raise SourceFileError(str(path), "not a Slack workspace export (no channels.json), or a damaged ZIP; "
                                         "re-download the export from Slack's admin page")
    return checked_table(read_table(path), settings, series, now=now)


def checked_table(table: RawTable, settings: Settings, series: str | None = None,
                  now: datetime | None = None) -> ParsedPolls:
    parsed = parse_poll_table(table, settings, series, now=now)
    if not parsed.polls:
        first = f" (first: line {parsed.rejects[0].line}: {parsed.rejects[0].reason})" if parsed.rejects else ""
        raise SourceFileError(table.source, "no usable poll: no row has a date, a talking point and a vote count"
                                            f"{first}; fix the rows or see README 'Talking points'")
    return parsed
