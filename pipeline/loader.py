"""The one place that writes the database: one transaction, one published snapshot per run."""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline.actions import MAX_TITLE_CHARS, ParsedActions, latest_per_key
from pipeline.parse.answers import BEYOND_SCALE
from pipeline.csv_fast_path import CsvPlan, FastPathDeclined, StagedSurveys, stage
from core.errors import Worded
from core.words import count_text
from pipeline.errors import IngestError, StrictModeError, worded
from pipeline.feedback_analysis import Analysis, analyse_texts, fingerprint, refresh_feedback_analysis
from pipeline.guards import mark_demo_run, refuse_foreign_database, refuse_real_data
from pipeline.private_dirs import SCRATCH_PREFIX, private_folder
from pipeline.progress import ANALYSING, WRITING, ProgressFactory, no_progress, report_step
from pipeline.records import BusyWeek, MappingReport, ParsedAttendance, ParsedCalendar, ParsedSurveys, Reject
from core.agreement import RESCALED_SQL
from core.cell_counts import refresh_cell_counts
from core.stored_polls import refresh_stored_polls
from core.schema import ensure_schema, rebuild_response_weeks, temp_table
from core.settings import Settings, SourceMapping, normalise_header
from core.store import attached_snapshot, staged_write, staged_write_into, write_lock

if TYPE_CHECKING:  # talking points: imported only by runs that load polls (CLI start-up time)
    from pipeline.polls import ParsedPolls, Poll


@dataclass
class RunSummary:
    run_id: int
    files_read: int
    responses_added: int
    responses_present: int
    answers_added: int
    rejects_added: int
    rejects_seen: int
    meetings_loaded: int
    busy_weeks_loaded: int = 0  # calendar files (issue 25)
    dropped_columns: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    # Survey files DuckDB parsed (pipeline.csv_fast_path), and why others went to Python.
    parsed_in_duckdb: list[str] = field(default_factory=list)
    fast_path_declined: dict[str, str] = field(default_factory=dict)
    actions: ActionsLoaded | None = None  # follow-up actions (issue 13)
    # Talking points (issue 12)
    polls_loaded: int = 0
    poll_messages_ignored: int = 0
    unmatched_options: list[str] = field(default_factory=list)
    poll_dropped_columns: list[str] = field(default_factory=list)
    poll_unlisted_channels: dict[str, set[str]] = field(default_factory=dict)  # skipped: not in [poll_channels]
    poll_channels_without_folder: list[str] = field(default_factory=list)
    poll_date_order_guessed: list[str] = field(default_factory=list)  # poll tables read M/D for want of evidence
    date_order_guessed: list[str] = field(default_factory=list)  # attendance and calendar files read M/D, likewise
    attendance_read: dict[str, str] = field(default_factory=dict)  # each attendance file: how it was read
    series_look_alikes: list[list[str]] = field(default_factory=list)  # stored names one spelling apart
    # Issue #10: how each survey table was read, and workbook tabs that are not surveys.
    reports: dict[str, MappingReport] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"files read:          {self.files_read}",
            f"responses added:     {self.responses_added}",
            f"already present:     {self.responses_present}",
            f"answers added:       {self.answers_added}",
            f"meetings loaded:     {self.meetings_loaded}",
            *([f"busy weeks loaded:   {self.busy_weeks_loaded} (replacing the calendar stored for their series)"]
              if self.busy_weeks_loaded else []),
            f"rejected rows:       {self.rejects_seen} ({self.rejects_added} new; see the Data page)",
        ]
        for source, report in self.reports.items():
            lines.extend(report_lines(source, report))
        lines.extend(f"{_printable(source)}: attendance, {_printable(reading)}" for source, reading in self.attendance_read.items())
        if self.unused_columns:
            shown = self.unused_columns[:10]
            more = f" and {len(self.unused_columns) - 10} more" if len(self.unused_columns) > 10 else ""
            lines.append("columns not stored (not mapped to time, a statement, feedback or series): "
                         + ", ".join(shown) + more)
        lines.extend(self.skipped)
        lines.extend(date_order_guessed_lines(self.date_order_guessed))
        lines.extend(series_look_alike_lines(self.series_look_alikes))
        if self.actions is not None:
            lines.extend(self.actions.lines())
        lines.extend(self._poll_lines())
        return lines

    def _poll_lines(self) -> list[str]:
        from pipeline.polls import unlisted_channels_text

        if not (self.polls_loaded or self.poll_messages_ignored or self.poll_unlisted_channels):
            return []
        lines = [f"polls loaded:        {self.polls_loaded} ({self.poll_messages_ignored} other Slack messages ignored)"]
        if self.poll_unlisted_channels:
            lines.append("polls skipped, their channel is not in [poll_channels]: "
                         + _printable(unlisted_channels_text(self.poll_unlisted_channels))
                         + "; add the channel to [poll_channels] in review_pulse.toml to load them")
        if self.poll_channels_without_folder:
            shown = [_printable(c) for c in self.poll_channels_without_folder[:10]]
            more = f" and {len(self.poll_channels_without_folder) - 10} more" if len(self.poll_channels_without_folder) > 10 else ""
            lines.append("channels in channels.json without day files in the export (nothing read from them): "
                         + ", ".join(shown) + more)
        lines.extend(date_order_guessed_lines(self.poll_date_order_guessed))
        if self.poll_dropped_columns:
            lines.append("voter columns dropped (never stored): " + ", ".join(map(_printable, self.poll_dropped_columns)))
        if self.unmatched_options:
            shown = [_printable(o) for o in self.unmatched_options[:10]]
            more = f" and {len(self.unmatched_options) - 10} more" if len(self.unmatched_options) > 10 else ""
            lines.append("options matching no theme (add [[themes]] to review_pulse.toml if they recur): "
                         + "; ".join(shown) + more)
        return lines


def _merged_unlisted(polls: Sequence[ParsedPolls]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for parsed in polls:
        for channel, ids in parsed.unlisted_channels.items():
            merged.setdefault(channel, set()).update(ids)
    return merged


def _most_repeated(points: list[str]) -> list[str]:
    """Each point once, those in the most polls first ("Alert noise (3 polls)"), then by name."""
    counts: dict[str, int] = {}
    for point in points:
        counts[point] = counts.get(point, 0) + 1
    ordered = sorted(counts, key=lambda p: (-counts[p], p.casefold()))
    return [f"{p} ({counts[p]} polls)" if counts[p] > 1 else p for p in ordered]


def _printable(text: str) -> str:
    """CLI output: control and other invisible characters escaped, so an option text, a status or a
    header cannot move the cursor or rewrite the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def prefixed(before: str, text: str) -> str:
    """``before + text``, keeping the page wording of a Worded message."""
    return text.joined(before) if isinstance(text, Worded) else before + text


# Every stored table a series name is written to by a load.
SERIES_TABLES = ("responses", "meetings", "action_items", "busy_weeks", "polls")


def series_look_alikes(con: duckdb.DuckDBPyConnection) -> list[list[str]]:
    """Stored series names that differ only in case, spacing or punctuation ("Incident Review", "incident review"),
    across every kind of file: they are two series (two sidebar entries; a survey's responses never meet the
    other's meetings). Said in the summary, never merged: which spelling is right is the team's to say."""
    present = {name for (name,) in con.execute(
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'series' AND schema_name = 'main'"
        " AND database_name = current_database()").fetchall()}
    names: set[str] = set()
    for table in SERIES_TABLES:
        if table in present:
            names.update(name for (name,) in con.execute(f"SELECT DISTINCT series FROM {table}").fetchall())
    spellings: dict[str, list[str]] = {}
    for name in names:
        spellings.setdefault(normalise_header(name), []).append(name)
    return sorted(sorted(group) for group in spellings.values() if len(group) > 1)


def series_look_alike_lines(groups: Sequence[Sequence[str]]) -> list[str]:
    return [f"note: series {', '.join(repr(_printable(n)) for n in group)} differ only in case, spacing or punctuation: "
            "they are separate series (a survey's responses only meet the attendance of the same spelling); write one "
            "spelling in the files to make them one" for group in groups]


def date_order_guessed_lines(sources: Sequence[str]) -> list[Worded]:
    """The surveys' "date order guessed" note, for each actions or poll file read M/D for want of evidence."""
    return [worded("date order guessed").joined(f"{_printable(source)}: note: ") for source in sources]


def report_lines(source: str, report: MappingReport) -> list[str]:
    """How one survey table was read, for the run summary, `inspect` and `--dry-run`."""
    tool = report.tool or "generic export"
    rows = f", {report.header_rows} header rows" if report.header_rows > 1 else ""
    lines = [f"{source}: {tool} ({report.layout}{rows}); time column {report.time_column!r}"]
    for statement, column, how in report.statement_columns:
        lines.append(f"  {statement!r} <- {column!r} ({how})")
    if report.feedback_column:
        lines.append(f"  feedback <- {report.feedback_column!r}")
    if report.series_column:
        lines.append(f"  series <- {report.series_column!r}")
    if report.answer_shift:
        lines.append(f"  answers on 0-{report.scale_max - 1}, stored one step up (1-{report.scale_max}) and "
                     "rescaled onto 1-5")
    elif report.scale_max != 5:
        lines.append(f"  answers on 1-{report.scale_max}, rescaled onto 1-5 (the answers as given are kept)")
    lines.extend(prefixed("  suggestion: ", text) for text in report.suggestions)
    lines.extend(prefixed("  note: ", text) for text in report.notes)
    return lines


def unusable_message(source: str, rejects: list[Reject], report: MappingReport | None = None,
                     what: str = "response") -> str:
    reason, count = Counter(r.reason for r in rejects).most_common(1)[0]
    note = next((note for note in (report.notes if report else []) if "scale_max" in note), "")
    start = (f"{source}: no usable {what}; {count_text(len(rejects), 'row')} rejected, most often "
             f"({count:,}x): {reason[:200]}")
    if not note or f"{BEYOND_SCALE} 1 to 5" not in reason:
        return start
    return note.joined(f"{start} (", ")") if isinstance(note, Worded) else f"{start} ({note})"


def check_usable(source: str, responses: int, rejects: list[Reject], report: MappingReport | None = None) -> None:
    """A survey file with rejected rows and not one usable response fails the run (issue #10)."""
    if responses or not rejects:
        return
    message = unusable_message(source, rejects, report)
    raise IngestError(message.joined(after="; nothing was loaded") if isinstance(message, Worded)
                      else message + "; nothing was loaded")


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CsvSurveyInput:
    """A survey CSV for the DuckDB fast path, with the Python path to fall back on."""

    plan: CsvPlan
    series: str | None
    parse_in_python: Callable[[], ParsedSurveys]
    declared: SourceMapping | None = None  # [[sources]] entry and CLI flags for this file


def load(
    db_path: Path,
    settings: Settings,
    surveys: list[ParsedSurveys],
    attendance: list[ParsedAttendance],
    sources: list[str],
    strict: bool = False,
    csv_surveys: Sequence[CsvSurveyInput] = (),
    now: datetime | None = None,
    actions: Sequence[ParsedActions] = (),
    polls: Sequence[ParsedPolls] = (),
    force: bool = False,
    demo: bool = False,
    calendars: Sequence[ParsedCalendar] = (),
    progress: ProgressFactory = no_progress,
) -> RunSummary:
    """Write everything parsed in this run, or nothing.

    ``force`` writes into another program's DuckDB file; ``demo`` marks the run as the
    demo's (pipeline.guards), refusing a DB that holds real data.

    ``csv_surveys`` are staged in DuckDB by ``pipeline.csv_fast_path``; a file the fast path
    declines is parsed by Python instead. Staging, the run's checks and the feedback analysis
    of the incoming comments happen in a private scratch DuckDB before the write lock is taken
    (other writers wait only for the copy, the writes and the publish). ``progress`` hears each
    step (pipeline.progress).
    """
    surveys = list(surveys)
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    scratch_folder = private_folder(SCRATCH_PREFIX)
    con = None
    try:
        con = scratch_connection(scratch_folder)
        incoming = _stage_incoming(con, settings, surveys, csv_surveys, attendance, polls, actions,
                                   strict, now, db_path, calendars, progress)
        report_step(progress, WRITING)
        # The staged responses stay in this connection's TEMP tables; the private copy of the
        # live DB is attached to it, so they are read where they are (no copy between files).
        with write_lock(db_path), staged_write_into(db_path, con):
            refuse_foreign_database(con, db_path, force)
            if demo:
                refuse_real_data(con, db_path)
            ensure_schema(con)
            summary = write_run(con, settings, incoming, sources, started, polls=polls, actions=actions,
                             calendars=calendars)
            if demo:
                mark_demo_run(con, summary.run_id)  # in the same published snapshot as the rows
    finally:
        if con is not None:
            con.close()
        shutil.rmtree(scratch_folder, ignore_errors=True)
    summary.parsed_in_duckdb = [s.source for s in incoming.staged]
    summary.fast_path_declined = incoming.declined
    summary.reports = {p.source: p.report for p in [*incoming.surveys, *incoming.staged] if p.report is not None}
    return summary


def scratch_connection(scratch_folder: Path) -> duckdb.DuckDBPyConnection:
    """The run's own connection: its TEMP tables hold what is staged, and the private copy of the
    live DB is attached to it for the write. Spills of a large file stay in the private folder,
    removed with it. (One function, so the benchmark can time each statement run on it.)"""
    return duckdb.connect(str(scratch_folder / "incoming.duckdb"),
                          config={"temp_directory": str(scratch_folder / "spill")})


@dataclass
class IncomingRun:
    """What one run brings, staged and checked before the write lock is taken."""

    surveys: list[ParsedSurveys]  # parsed in Python (rows already drained into ``python_responses``)
    python_counts: list[int]  # responses per Python-parsed input, in order
    staged: list[StagedSurveys]  # parsed by the DuckDB fast path
    declined: dict[str, str]  # file -> why the fast path left it to Python
    attendance: list[ParsedAttendance]
    rejects: list[tuple[str, Reject]]  # (kind, reject) of every input
    feedback: dict[str, Analysis]  # comment text -> its analysis, computed off the lock

    @property
    def response_tables(self) -> list[str]:
        """The TEMP tables of the loader's connection that hold the staged responses."""
        return ["python_responses", *(s.responses_table for s in self.staged)]


def _stage_incoming(con: duckdb.DuckDBPyConnection, settings: Settings, surveys: list[ParsedSurveys],
                    csv_surveys: Sequence[CsvSurveyInput], attendance: list[ParsedAttendance],
                    polls: Sequence[ParsedPolls], actions: Sequence[ParsedActions], strict: bool,
                    now: datetime | None, db_path: Path, calendars: Sequence[ParsedCalendar] = (),
                    progress: ProgressFactory = no_progress) -> IncomingRun:
    """Stage every response in TEMP tables of the loader's private connection, run the checks
    that fail a run, analyse the comments (all before the write lock is taken)."""
    staged: list[StagedSurveys] = []
    declined: dict[str, str] = {}
    for tag, item in enumerate(csv_surveys):
        report_step(progress, Path(item.plan.source).name)  # one DuckDB statement: no count
        try:
            staged.append(stage(con, item.plan, settings, item.series, tag, now=now, declared=item.declared))
        except FastPathDeclined as reason:
            log.info("%s: parsed in Python (%s)", item.plan.source, reason)
            declined[item.plan.source] = str(reason)
            surveys.append(item.parse_in_python())
    # Rows parsed in Python go to a table a batch at a time, before the checks below:
    # a lazily parsed file's rejects are known only once its rows are drained.
    python_counts = _stage_python_responses(con, settings, surveys)
    rejects = [("survey", r) for p in surveys for r in p.rejects] + [
        ("survey", r) for s in staged for r in s.rejects
    ] + [("attendance", r) for p in attendance for r in p.rejects] + [
        ("poll", r) for p in polls for r in p.rejects
    ] + [("action", r) for p in actions for r in p.rejects] + [
        ("calendar", r) for p in calendars for r in p.rejects
    ]
    if strict and rejects:
        first = rejects[0][1]
        raise StrictModeError(
            f"--strict: {count_text(len(rejects), 'row')} rejected, nothing loaded "
            f"(first: {first.source_file} line {first.line}: {first.reason})"
        )
    if strict:
        guessed = next((r.source for r in [*surveys, *staged] if r.report is not None and r.report.date_order_guessed),
                       next((p.source for p in [*actions, *polls, *attendance, *calendars] if p.date_order_guessed), None))
        if guessed is not None:
            raise StrictModeError(f"--strict: {guessed}: the dates could be month/day or day/month and "
                                  'nothing in the file says which; set date_order = "MDY" or "DMY" in '
                                  "review_pulse.toml; nothing loaded")
    for parsed, count in zip(surveys, python_counts):
        check_usable(parsed.source, count, parsed.rejects, parsed.report)
    for staged_file in staged:
        check_usable(staged_file.source, staged_file.response_count, staged_file.rejects, staged_file.report)
    for sheet in attendance:  # rows, none of them a meeting: a failed run, as for surveys
        if sheet.rejects and not sheet.meetings:
            raise IngestError(unusable_message(sheet.source, sheet.rejects, what="meeting") + "; nothing was loaded")
    incoming = IncomingRun(surveys, python_counts, staged, declined, attendance, rejects, {})
    if settings.analyse_feedback:
        incoming.feedback = analyse_texts(settings.feedback_themes,
                                          _comments_to_analyse(con, incoming, settings, db_path),
                                          progress=progress(ANALYSING))
    return incoming


def _comments_to_analyse(con: duckdb.DuckDBPyConnection, incoming: IncomingRun, settings: Settings,
                         db_path: Path) -> list[str]:
    """The comments the write will need analysed, as far as the live snapshot tells: incoming ones
    not analysed yet, and every stored one when the theme settings changed. What changes between
    this look and the lock (another run publishing) is analysed under the lock instead."""
    incoming_comments = " UNION ".join(
        f"SELECT response_key::UUID AS response_key, feedback FROM temp.{name} "  # our own names
        "WHERE feedback IS NOT NULL AND trim(feedback) <> ''" for name in incoming.response_tables)
    with attached_snapshot(con, db_path, "live") as attached:
        tables = set() if not attached else {name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'live'").fetchall()}
        if not {"responses", "feedback_analysis", "feedback_analysis_state"} <= tables:
            return [text for (text,) in con.execute(f"SELECT DISTINCT feedback FROM ({incoming_comments})").fetchall()]
        stored = con.execute("SELECT fingerprint FROM live.feedback_analysis_state").fetchall()
        if not stored or stored[0][0] != fingerprint(settings.feedback_themes):
            query = f"""SELECT feedback FROM ({incoming_comments})
                        UNION SELECT feedback FROM live.responses WHERE feedback IS NOT NULL AND trim(feedback) <> ''"""
        else:
            query = f"""SELECT DISTINCT feedback FROM ({incoming_comments}) AS i
                        WHERE NOT EXISTS (SELECT 1 FROM live.feedback_analysis AS a WHERE a.response_key = i.response_key)"""
        return [text for (text,) in con.execute(query).fetchall()]


# Rows of the Python path per INSERT: bounds its records in memory (issue 16; `python -m
# bench.python_path_memory` measures the peak). Below schema.ARROW_FROM_ROWS on purpose: Arrow's
# memory pool keeps what each batch freed.
PYTHON_BATCH_ROWS = 20_000


def _stage_python_responses(con: duckdb.DuckDBPyConnection, settings: Settings,
                            surveys: list[ParsedSurveys]) -> list[int]:
    """TEMP table ``python_responses`` with every response parsed in Python, in the columns the
    CSV fast path stages too (one score column per statement); the count per input, in order."""
    statement_texts = settings.statement_texts
    position = {text: i for i, text in enumerate(statement_texts)}
    score_columns = [f"score_{i:d}" for i in range(len(statement_texts))]
    con.execute("CREATE TEMP TABLE python_responses (response_key VARCHAR, series VARCHAR, submitted_utc TIMESTAMP, "
                "submitted_local TIMESTAMP, feedback VARCHAR, source_file VARCHAR, source_line BIGINT, "
                "scale_max TINYINT" + "".join(f", {c} TINYINT" for c in score_columns) + ")")
    counts: list[int] = []
    for parsed in surveys:
        counts.append(0)
        for batch in parsed.batches(PYTHON_BATCH_ROWS):
            # Column lists, not row tuples: each becomes one typed LIST parameter (see schema.temp_table).
            scores: list[list[int | None]] = [[None] * len(batch) for _ in statement_texts]  # as given: 1..scale_max
            for row, r in enumerate(batch):
                for statement, score in r.answers:
                    scores[position[statement]][row] = score
            temp_table(con, "python_responses", {
                "response_key": ("VARCHAR", [r.response_key for r in batch]),
                "series": ("VARCHAR", [r.series for r in batch]),
                "submitted_utc": ("TIMESTAMP", [r.submitted_utc for r in batch]),
                "submitted_local": ("TIMESTAMP", [r.submitted_local for r in batch]),
                "feedback": ("VARCHAR", [r.feedback for r in batch]),
                "source_file": ("VARCHAR", [r.source_file for r in batch]),
                "source_line": ("BIGINT", [r.source_line for r in batch]),
                "scale_max": ("TINYINT", [r.scale_max for r in batch]),
                **{name: ("TINYINT", column) for name, column in zip(score_columns, scores)},
            }, append=True)
            counts[-1] += len(batch)
    return counts


def write_run(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    incoming: IncomingRun,
    sources: list[str],
    started: datetime,
    actions: Sequence[ParsedActions] = (),
    polls: Sequence[ParsedPolls] = (),
    calendars: Sequence[ParsedCalendar] = (),
) -> RunSummary:
    """The run's one transaction, step by step: everything below is written, or nothing."""
    statement_texts = settings.statement_texts
    # A later attendance file in the same run wins for the same meeting.
    meetings = list({(m.series, m.meeting_date): m for p in incoming.attendance for m in p.meetings}.values())
    con.execute("BEGIN TRANSACTION")
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchall()[0][0]
    _stage_incoming_rows(con, statement_texts, incoming.rejects, meetings)
    _create_incoming_responses_view(con, incoming, len(statement_texts))
    con.execute(
        """INSERT INTO statements SELECT statement, statement_order FROM incoming_statements
           ON CONFLICT (statement) DO UPDATE SET statement_order = excluded.statement_order"""
    )
    _create_new_responses(con, incoming)
    answers_added = _insert_answers(con, statement_texts)  # first, while `responses` is still as it was
    responses_added = con.execute(
        """INSERT INTO responses
           SELECT response_key, series, submitted_utc, submitted_local, feedback, source_file, source_line, ?
           FROM new_responses""",
        [run_id],
    ).fetchall()[0][0]
    rejects_added = _insert_rejects(con, run_id)
    _replace_meetings(con, run_id)
    actions_loaded = write_actions(con, actions, run_id) if actions else None
    rebuild_response_weeks(con, run_id, started)  # weeks that closed keep their responses
    polls_loaded = _write_polls(con, polls, run_id)
    busy_weeks_loaded = replace_busy_weeks(con, calendars, run_id)
    # Issue 15: sentiment and themes of new comments (of all, when the theme settings changed);
    # analysed before the lock, so only what another run published meanwhile is analysed here.
    if settings.analyse_feedback:
        refresh_feedback_analysis(con, settings.feedback_themes, analysed=incoming.feedback)
    incoming_count = sum(incoming.python_counts) + sum(s.response_count for s in incoming.staged)
    parsed = [*incoming.surveys, *incoming.staged]
    summary = RunSummary(
        run_id=run_id,
        files_read=len(sources),
        responses_added=responses_added,
        responses_present=incoming_count - responses_added,
        answers_added=answers_added,
        rejects_added=rejects_added,
        rejects_seen=len(incoming.rejects),
        meetings_loaded=len(meetings),
        busy_weeks_loaded=busy_weeks_loaded,
        dropped_columns=sorted({c for p in parsed for c in p.dropped_columns}),
        unused_columns=sorted({c for p in parsed for c in p.unused_columns}),
        actions=actions_loaded,
        polls_loaded=polls_loaded,
        poll_messages_ignored=sum(p.messages_ignored for p in polls),
        unmatched_options=_most_repeated([o for p in polls for o in p.unmatched_options]),
        poll_dropped_columns=sorted({c for p in polls for c in p.dropped_columns}),
        poll_unlisted_channels=_merged_unlisted(polls),
        poll_channels_without_folder=sorted({c for p in polls for c in p.channels_without_folder}),
        poll_date_order_guessed=[p.source for p in polls if p.date_order_guessed],
        date_order_guessed=[p.source for p in [*incoming.attendance, *calendars] if p.date_order_guessed],
        attendance_read={p.source: p.reading for p in incoming.attendance if p.reading},
        series_look_alikes=series_look_alikes(con),
    )
    _record_run(con, summary, started, sources)
    refresh_cell_counts(con)  # after the last write to the counted tables: what the pages read (issue #23)
    refresh_stored_polls(con)  # after the last write to polls and meetings: the talking-point views' rows (#23)
    con.execute("COMMIT")  # the temp tables go with the connection
    return summary


def _stage_incoming_rows(con: duckdb.DuckDBPyConnection, statement_texts: Sequence[str],
                         rejects: list[tuple[str, Reject]], meetings: list) -> None:  # noqa: ANN001
    """TEMP tables ``incoming_rejects``, ``incoming_meetings`` and ``incoming_statements``."""
    temp_table(con, "incoming_rejects", {
        "reject_key": ("VARCHAR", [r.reject_key for _kind, r in rejects]),
        "kind": ("VARCHAR", [kind for kind, _r in rejects]),
        "source_file": ("VARCHAR", [r.source_file for _kind, r in rejects]),
        "line": ("BIGINT", [r.line for _kind, r in rejects]),
        "reason": ("VARCHAR", [r.reason for _kind, r in rejects]),
        "raw": ("VARCHAR", [json.dumps(r.raw, ensure_ascii=False) for _kind, r in rejects]),
    })
    temp_table(con, "incoming_meetings", {
        "series": ("VARCHAR", [m.series for m in meetings]),
        "meeting_date": ("DATE", [m.meeting_date for m in meetings]),
        "attendees": ("BIGINT", [m.attendees for m in meetings]),
        "title": ("VARCHAR", [m.title for m in meetings]),
        "source_file": ("VARCHAR", [m.source_file for m in meetings]),
        "source_line": ("BIGINT", [m.source_line for m in meetings]),
    })
    temp_table(con, "incoming_statements", {
        "statement": ("VARCHAR", list(statement_texts)),
        "statement_order": ("BIGINT", list(range(len(statement_texts)))),
    })


def _create_incoming_responses_view(con: duckdb.DuckDBPyConnection, incoming: IncomingRun, statements: int) -> None:
    """One view over every input; each gets a number so a file given twice is told apart."""
    response_columns = ", ".join(
        ["response_key", "series", "submitted_utc", "submitted_local", "feedback", "source_file", "source_line",
         "scale_max"]
        + [f"score_{i}" for i in range(statements)]
    )
    input_selects = [f"SELECT {response_columns}, {n + 1:d} AS input_no FROM {s.responses_table}"  # our own names
                     for n, s in enumerate(incoming.staged)]
    if sum(incoming.python_counts) or not input_selects:
        input_selects.insert(0, f"SELECT {response_columns.replace('response_key', 'response_key::UUID AS response_key', 1)}, "
                                f"0 AS input_no FROM python_responses")
    con.execute("CREATE TEMP VIEW incoming_responses AS " + " UNION ALL ".join(input_selects))


def _create_new_responses(con: duckdb.DuckDBPyConnection, incoming: IncomingRun) -> None:
    """``new_responses``: the incoming responses not stored yet, each once."""
    inputs_with_responses = (sum(1 for count in incoming.python_counts if count)
                             + sum(1 for s in incoming.staged if s.response_count))
    first_load = con.execute("SELECT count(*) FROM responses").fetchall()[0][0] == 0
    if inputs_with_responses <= 1:
        # Keys are unique within one input (occurrence numbers), so only stored keys can
        # repeat: a view will do.
        con.execute(
            "CREATE TEMP VIEW new_responses AS SELECT * FROM incoming_responses"
            if first_load else
            """CREATE TEMP VIEW new_responses AS
               SELECT * FROM incoming_responses AS i
               WHERE NOT EXISTS (SELECT 1 FROM responses AS r WHERE r.response_key = i.response_key)"""
        )
    else:
        # The same response in two inputs of one run: keep the first by file and line.
        con.execute(
            """CREATE TEMP TABLE new_responses AS
               SELECT * FROM incoming_responses AS i
               WHERE NOT EXISTS (SELECT 1 FROM responses AS r WHERE r.response_key = i.response_key)
               QUALIFY row_number() OVER (PARTITION BY response_key ORDER BY source_file, source_line, input_no) = 1"""
        )


def _insert_answers(con: duckdb.DuckDBPyConnection, statement_texts: Sequence[str]) -> int:
    """One answer per non-NULL score column (UNPIVOT drops NULLs); score_<i> is statement i.
    Answers on a declared 1-scale_max scale are rescaled linearly onto 1-5 (core.agreement.RESCALED_SQL)."""
    return con.execute(
        f"""INSERT INTO answers (response_key, statement, score, raw_score, scale_max)
            SELECT response_key, (?::VARCHAR[])[column_name[7:]::INT + 1], {RESCALED_SQL}, raw_score, scale_max
            FROM (UNPIVOT (SELECT response_key, scale_max, {', '.join(f'score_{i:d}' for i in range(len(statement_texts)))}
                           FROM new_responses)
                  ON COLUMNS('^score_') INTO NAME column_name VALUE raw_score)""",
        [list(statement_texts)],
    ).fetchall()[0][0]


def _insert_rejects(con: duckdb.DuckDBPyConnection, run_id: int) -> int:
    """Rejects not stored yet (a reject's key is its file, line and content); how many were added."""
    rejects_before = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
    con.execute(
        """INSERT INTO rejects
           SELECT reject_key, ?, kind, source_file, line, reason, raw FROM incoming_rejects
           WHERE reject_key NOT IN (SELECT reject_key FROM rejects)
           QUALIFY row_number() OVER (PARTITION BY reject_key ORDER BY source_file, line) = 1""",
        [run_id],
    )
    return con.execute("SELECT count(*) FROM rejects").fetchall()[0][0] - rejects_before


def _replace_meetings(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """A meeting's attendance is replaced by its latest load: the sheet is the source of truth."""
    con.execute(
        """DELETE FROM meetings WHERE (series, meeting_date) IN
           (SELECT (series, CAST(meeting_date AS DATE)) FROM incoming_meetings)"""
    )
    con.execute(
        """INSERT INTO meetings
           SELECT series, CAST(meeting_date AS DATE), attendees, title, source_file, source_line, ?
           FROM incoming_meetings""",
        [run_id],
    )


def replace_busy_weeks(con: duckdb.DuckDBPyConnection, calendars: Sequence[ParsedCalendar], run_id: int) -> int:
    """Issue 25: the calendar files of a run replace the whole stored calendar of every series they name
    (a week taken off the file goes); a later file of the same run wins for the same week."""
    weeks: list[BusyWeek] = list({(w.series, w.week_start): w for p in calendars for w in p.weeks}.values())
    if not weeks:
        return 0
    temp_table(con, "incoming_busy_weeks", {
        "series": ("VARCHAR", [w.series for w in weeks]),
        "week_start": ("DATE", [w.week_start for w in weeks]),
        "kind": ("VARCHAR", [w.kind for w in weeks]),
        "source_file": ("VARCHAR", [w.source_file for w in weeks]),
        "source_line": ("BIGINT", [w.source_line for w in weeks]),
    })
    con.execute("DELETE FROM busy_weeks WHERE series IN (SELECT series FROM incoming_busy_weeks)")
    con.execute("""INSERT INTO busy_weeks SELECT series, CAST(week_start AS DATE), kind, source_file, source_line, ?
                   FROM incoming_busy_weeks""", [run_id])
    return len(weeks)


def _record_run(con: duckdb.DuckDBPyConnection, summary: RunSummary, started: datetime, sources: list[str]) -> None:
    con.execute(
        "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [summary.run_id, started, datetime.now(timezone.utc).replace(tzinfo=None), "\n".join(sources),
         summary.files_read, summary.responses_added, summary.responses_present, summary.answers_added,
         summary.rejects_added, summary.meetings_loaded, ", ".join(summary.dropped_columns)],
    )


def _write_polls(con: duckdb.DuckDBPyConnection, parsed: Sequence[ParsedPolls], run_id: int) -> int:
    """Talking points (issue 12): each poll replaces the stored poll with its id, unless the stored one is a
    later edit of the same Slack message (an older export loaded again); within a run the latest edit wins."""
    latest: dict[str, Poll] = {}
    for poll in (p for item in parsed for p in item.polls):
        if poll.poll_id not in latest or poll.version >= latest[poll.poll_id].version:
            latest[poll.poll_id] = poll
    polls = list(latest.values())
    if not polls:
        return 0
    temp_table(con, "incoming_polls", {
        "poll_id": ("VARCHAR", [p.poll_id for p in polls]),
        "series": ("VARCHAR", [p.series for p in polls]),
        "held_utc": ("TIMESTAMP", [p.held_utc for p in polls]),
        "held_local": ("TIMESTAMP", [p.held_local for p in polls]),
        "title": ("VARCHAR", [p.title for p in polls]),
        "app": ("VARCHAR", [p.app for p in polls]),
        "edited_ts": ("DOUBLE", [p.version for p in polls]),
        "source_file": ("VARCHAR", [p.source_file for p in polls]),
    })
    options = [(p.poll_id, order, o) for p in polls for order, o in enumerate(p.options)]
    temp_table(con, "incoming_poll_options", {
        "poll_id": ("VARCHAR", [poll_id for poll_id, _order, _o in options]),
        "option_order": ("BIGINT", [order for _p, order, _o in options]),
        "point": ("VARCHAR", [o.point for _p, _order, o in options]),
        "kind": ("VARCHAR", [o.kind for _p, _order, o in options]),
        "theme": ("VARCHAR", [o.theme for _p, _order, o in options]),
        "votes": ("BIGINT", [o.votes for _p, _order, o in options]),
        "discussed": ("VARCHAR", [None if o.discussed is None else str(o.discussed).lower() for _p, _order, o in options]),
    })
    con.execute("""CREATE TEMP TABLE replacing_polls AS
                   SELECT i.poll_id FROM incoming_polls AS i LEFT JOIN polls AS p USING (poll_id)
                   WHERE p.poll_id IS NULL OR i.edited_ts >= p.edited_ts""")
    con.execute("DELETE FROM poll_options WHERE poll_id IN (SELECT poll_id FROM replacing_polls)")
    con.execute("DELETE FROM polls WHERE poll_id IN (SELECT poll_id FROM replacing_polls)")
    con.execute("""INSERT INTO polls SELECT poll_id, series, held_utc, held_local, title, app, edited_ts, source_file, ?
                   FROM incoming_polls WHERE poll_id IN (SELECT poll_id FROM replacing_polls)""", [run_id])
    con.execute("""INSERT INTO poll_options SELECT poll_id, option_order, point, kind, theme, votes,
                   CAST(discussed AS BOOLEAN) FROM incoming_poll_options
                   WHERE poll_id IN (SELECT poll_id FROM replacing_polls)""")
    return len(polls)


def init_empty(db_path: Path, force: bool = False) -> None:
    """Create an empty database with the schema (for `python -m pipeline init`)."""
    try:
        with write_lock(db_path), staged_write(db_path) as con:
            refuse_foreign_database(con, db_path, force)
            ensure_schema(con)
    except OSError as exc:
        raise IngestError(f"{db_path}: cannot write the database ({exc.strerror})") from None


# --- follow-up actions (issue 13) ---------------------------------------------------------


@dataclass
class ActionsLoaded:
    """What one run did to the follow-up actions, for the summary."""

    formats: dict[str, str]  # file -> jira | linear | github | incident.io | sheet
    added: int
    updated: int  # already stored: replaced by this export (the tracker is the source of truth)
    status_changed: int
    unlinked: int  # stored actions of this run with no review
    rejected: int
    unknown_statuses: dict[str, int]
    dropped_columns: list[str]
    unused_columns: list[str]
    refused_links: int
    skipped_pull_requests: int = 0
    closed_without_reason: int = 0
    duplicate_rows: int = 0
    shortened_titles: int = 0
    gained_link: int = 0  # sheet rows stored without a link that this run gave one: replaced, not added
    lost_link: int = 0  # sheet rows stored with a link that this run's sheet no longer has: replaced, not added
    date_order_guessed: list[str] = field(default_factory=list)  # files read M/D for want of evidence

    def lines(self) -> list[str]:
        # Statuses and column names come from the files; the notes keep their page wording.
        return [_printable(line) for line in self._lines()] + date_order_guessed_lines(self.date_order_guessed)

    def _lines(self) -> list[str]:
        lines = [
            "actions read:        " + ", ".join(f"{source} ({fmt})" for source, fmt in self.formats.items()),
            f"actions added:       {self.added}",
            f"actions updated:     {self.updated} ({self.status_changed} changed status)",
            f"actions unlinked:    {self.unlinked} (no review date, review label or review within 7 days before creation)",
        ]
        if self.gained_link:
            lines.append(f"actions given a link:  {self.gained_link} (the row stored without one replaced, not added again)")
        if self.lost_link:
            lines.append(f"actions whose link was removed: {self.lost_link} (the row stored with it replaced, not added again)")
        if self.rejected:
            lines.append(f"action rows rejected: {self.rejected} (see the Data page)")
        if self.unknown_statuses:
            lines.append("unknown statuses (kept open; add them to action_statuses in settings): " + ", ".join(
                f"{name} ({count})" for name, count in sorted(self.unknown_statuses.items())))
        if self.refused_links:
            lines.append(f"links refused (not http/https, or with a user name or password): {self.refused_links}")
        if self.duplicate_rows:
            lines.append(f"duplicate rows stored once (the same action repeated exactly in a sheet): {self.duplicate_rows}")
        if self.shortened_titles:
            lines.append(f"titles shortened to {MAX_TITLE_CHARS} characters (ending in …): {self.shortened_titles}")
        if self.skipped_pull_requests:
            lines.append(f"pull requests skipped (not actions): {self.skipped_pull_requests}")
        if self.closed_without_reason:
            lines.append(f"closed issues without stateReason: {self.closed_without_reason}, counted as done: "
                         "\"not planned\" cannot be told from \"done\" (add stateReason to `gh issue list --json`)")
        if self.dropped_columns:
            lines.append("people columns dropped (never stored): " + ", ".join(self.dropped_columns))
        if self.unused_columns:
            shown = self.unused_columns[:12]
            more = f" and {len(self.unused_columns) - 12} more" if len(self.unused_columns) > 12 else ""
            lines.append("action columns not used: " + ", ".join(shown) + more)
        return lines


def write_actions(con: duckdb.DuckDBPyConnection, parsed: Sequence[ParsedActions], run_id: int) -> ActionsLoaded:
    """Inside the run's transaction: replace each action by its latest export."""
    items = latest_per_key(list(parsed))
    temp_table(con, "incoming_actions", {
        "action_key": ("VARCHAR", [a.action_key for a in items]),
        "series": ("VARCHAR", [a.series for a in items]),
        "title": ("VARCHAR", [a.title for a in items]),
        "status": ("VARCHAR", [a.status for a in items]),
        "tracker_status": ("VARCHAR", [a.tracker_status for a in items]),
        "created": ("DATE", [a.created for a in items]),
        "due": ("DATE", [a.due for a in items]),
        "closed": ("DATE", [a.closed for a in items]),
        "team": ("VARCHAR", [a.team for a in items]),
        "source": ("VARCHAR", [a.source for a in items]),
        "link": ("VARCHAR", [a.link for a in items]),
        "review_date": ("DATE", [a.review_date for a in items]),
        "link_method": ("VARCHAR", [a.link_method for a in items]),
        "source_file": ("VARCHAR", [a.source_file for a in items]),
        "source_line": ("BIGINT", [a.source_line for a in items]),
    })
    updated, status_changed = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE s.status <> i.status)
           FROM incoming_actions AS i JOIN action_items AS s USING (action_key)"""
    ).fetchall()[0]
    # A sheet row stored without a link, which this run's sheet gives one, or stored with a link this run's
    # sheet no longer has (the same series, review date and title; exactly one each way): the same action,
    # so its old row goes rather than staying as a second.
    relinked = con.execute(
        """SELECT s.action_key, s.action_key LIKE 'sheet:%' AS gained,
                  i.action_key IN (SELECT action_key FROM action_items) AS new_key_stored
           FROM action_items AS s JOIN incoming_actions AS i
             ON s.series = i.series AND s.title = i.title AND s.review_date IS NOT DISTINCT FROM i.review_date
           WHERE s.source = 'sheet' AND i.source = 'sheet'
             AND (s.action_key LIKE 'sheet:%') <> (i.action_key LIKE 'sheet:%')
             AND s.action_key NOT IN (SELECT action_key FROM incoming_actions)
           QUALIFY count(*) OVER (PARTITION BY i.action_key) = 1 AND count(*) OVER (PARTITION BY s.action_key) = 1"""
    ).fetchall()
    gained_link = sum(1 for _key, gained, _stored in relinked if gained)
    # (The new form may be stored already, beside the old row, by a version before this rule: an update.)
    relinked_new = sum(1 for _key, _gained, stored in relinked if not stored)
    con.execute("DELETE FROM action_items WHERE list_contains(?::VARCHAR[], action_key)",
                [[key for key, _gained, _stored in relinked]])
    con.execute("DELETE FROM action_items WHERE action_key IN (SELECT action_key FROM incoming_actions)")
    con.execute(
        """INSERT INTO action_items
           SELECT action_key, series, title, status, tracker_status, created, due, closed, team, source, link,
                  review_date, link_method, source_file, source_line, ? FROM incoming_actions""",
        [run_id],
    )
    unlinked = con.execute(
        "SELECT count(*) FROM actions WHERE review_week IS NULL AND action_key IN (SELECT action_key FROM incoming_actions)"
    ).fetchall()[0][0]
    unknown: dict[str, int] = {}
    for p in parsed:
        for name, count in p.unknown_statuses.items():
            unknown[name] = unknown.get(name, 0) + count
    return ActionsLoaded(
        formats={p.source: p.format for p in parsed},
        added=len(items) - updated - relinked_new,
        updated=updated,
        gained_link=gained_link,
        lost_link=len(relinked) - gained_link,
        status_changed=status_changed,
        unlinked=unlinked,
        rejected=sum(len(p.rejects) for p in parsed),
        unknown_statuses=unknown,
        dropped_columns=sorted({c for p in parsed for c in p.dropped_columns}),
        unused_columns=sorted({c for p in parsed for c in p.unused_columns}),
        refused_links=sum(p.refused_links for p in parsed),
        skipped_pull_requests=sum(p.skipped_pull_requests for p in parsed),
        closed_without_reason=sum(p.closed_without_reason for p in parsed),
        duplicate_rows=sum(p.duplicate_rows for p in parsed),
        shortened_titles=sum(p.shortened_titles for p in parsed),
        date_order_guessed=[p.source for p in parsed if p.date_order_guessed],
    )
