"""Read and parse the poll inputs of one run (`ingest --polls`, `--polls-sheet`, the demo): files in, records out.

A Slack export (ZIP or folder) goes to the Polly / Simple Poll parser, and so does one day
file of it (JSON); any other file (CSV/xlsx) is a talking-points sheet or a long poll export.
JSON is never read as CSV: a JSON that is not a Slack day file is refused without quoting it
(its first line would be a Slack id, a name and a message). A file that yields no usable poll
fails the run with one line naming it and the fix, as a survey file does.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline.errors import SourceFileError
from core.words import count_text
from pipeline.polls import ParsedPolls, parse_poll_table, parse_slack_export, unlisted_channels_text
from pipeline.sources.files import RawTable, expand_inputs, read_table
from pipeline.sources.json_files import looks_like_json, read_json
from pipeline.sources.slack_export import DayFile, SlackExport, is_slack_export, read_slack_export
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


NOT_A_DAY_FILE = ("not a Slack day file (a JSON list of messages); upload the whole Slack export ZIP, "
                  "or the talking points as a CSV or .xlsx sheet")


def is_slack_day(data: object) -> bool:
    """A Slack export's day file: a list of message objects, each with a ts or of type message."""
    return isinstance(data, list) and bool(data) and all(
        isinstance(m, dict) and ("ts" in m or m.get("type") == "message") for m in data)


def read_slack_day(path: Path) -> SlackExport:
    """One day file of a Slack export as an export of one unnamed channel (series: --series or the default)."""
    document = read_json(path, expected="a Slack day file")
    if not is_slack_day(document.data):
        raise SourceFileError(str(path), NOT_A_DAY_FILE)
    return SlackExport(str(path), [], [DayFile("", path.name, document.data)])


def read_poll_file(path: Path, settings: Settings, series: str | None = None,
                   now: datetime | None = None) -> ParsedPolls:
    day_file = not path.is_dir() and looks_like_json(path)
    if day_file or is_slack_export(path):
        export = read_slack_day(path) if day_file else read_slack_export(path)
        parsed = parse_slack_export(export, settings, series, now=now)
        if not parsed.polls and parsed.unlisted_channels:
            raise SourceFileError(
                str(path), "no usable poll: its polls are all in channels not in [poll_channels] ("
                           f"{unlisted_channels_text(parsed.unlisted_channels)}); add the channel to "
                           "[poll_channels] in review_pulse.toml")
        if not parsed.polls:
            first = f"; first problem: {parsed.rejects[0].source_file} line {parsed.rejects[0].line}: " \
                    f"{parsed.rejects[0].reason}" if parsed.rejects else ""
            where = "in the day file" if day_file else f"in {count_text(len(export.channels), 'channel')}"
            raise SourceFileError(
                str(path), f"no usable poll: no Polly or Simple Poll poll among {parsed.messages_read:,} messages "
                           f"{where}; export the review channel with the poll app installed{first}")
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
