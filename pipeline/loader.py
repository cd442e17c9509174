"""The one place that writes the database: one transaction, one published snapshot per run."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline.csv_fast_path import CsvPlan, FastPathDeclined, StagedSurveys, stage
from pipeline.errors import IngestError, StrictModeError
from pipeline.guards import mark_demo_run, refuse_foreign_database, refuse_real_data
from pipeline.records import MappingReport, ParsedAttendance, ParsedSurveys, Reject
from pipeline.schema import REBUILD_RESPONSE_WEEKS, ensure_schema, temp_table
from review_pulse.settings import Settings, SourceMapping
from review_pulse.store import staged_write, write_lock


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
    dropped_columns: list[str] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    # Survey files DuckDB parsed (pipeline.csv_fast_path), and why others went to Python.
    parsed_in_duckdb: list[str] = field(default_factory=list)
    fast_path_declined: dict[str, str] = field(default_factory=dict)
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
            f"rejected rows:       {self.rejects_seen} ({self.rejects_added} new; see the Data page)",
        ]
        for source, report in self.reports.items():
            lines.extend(report_lines(source, report))
        if self.unused_columns:
            shown = self.unused_columns[:10]
            more = f" and {len(self.unused_columns) - 10} more" if len(self.unused_columns) > 10 else ""
            lines.append("columns not stored (not mapped to time, a statement, feedback or series): "
                         + ", ".join(shown) + more)
        lines.extend(self.skipped)
        return lines


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
    if report.scale_max != 5:
        lines.append(f"  answers on 1-{report.scale_max}, rescaled onto 1-5 (the answers as given are kept)")
    lines.extend(f"  suggestion: {text}" for text in report.suggestions)
    lines.extend(f"  note: {text}" for text in report.notes)
    return lines


def check_usable(source: str, responses: int, rejects: list[Reject]) -> None:
    """A survey file with rejected rows and not one usable response fails the run (issue #10)."""
    if responses or not rejects:
        return
    reasons = Counter(r.reason for r in rejects)
    reason, count = reasons.most_common(1)[0]
    raise IngestError(f"{source}: no usable response; {len(rejects):,} row(s) rejected, most often "
                      f"({count:,}x): {reason[:200]}; nothing was loaded")


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
    force: bool = False,
    demo: bool = False,
) -> RunSummary:
    """Write everything parsed in this run, or nothing.

    ``force`` writes into another program's DuckDB file; ``demo`` marks the run as the
    demo's (pipeline.guards), refusing a DB that holds real data.

    ``csv_surveys`` are staged in DuckDB by ``pipeline.csv_fast_path`` inside this
    run's staging copy; a file the fast path declines is parsed by Python instead.
    """
    surveys = list(surveys)
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    with write_lock(db_path), staged_write(db_path) as con:
        refuse_foreign_database(con, db_path, force)
        if demo:
            refuse_real_data(con, db_path)
        ensure_schema(con)
        staged: list[StagedSurveys] = []
        declined: dict[str, str] = {}
        for tag, item in enumerate(csv_surveys):
            try:
                staged.append(stage(con, item.plan, settings, item.series, tag, now=now, declared=item.declared))
            except FastPathDeclined as reason:
                log.info("%s: parsed in Python (%s)", item.plan.source, reason)
                declined[item.plan.source] = str(reason)
                surveys.append(item.parse_in_python())
        for parsed in surveys:
            check_usable(parsed.source, len(parsed.responses), parsed.rejects)
        for staged_file in staged:
            check_usable(staged_file.source, staged_file.response_count, staged_file.rejects)
        rejects = [("survey", r) for p in surveys for r in p.rejects] + [
            ("survey", r) for s in staged for r in s.rejects
        ] + [("attendance", r) for p in attendance for r in p.rejects]
        if strict and rejects:
            first = rejects[0][1]
            raise StrictModeError(
                f"--strict: {len(rejects)} row(s) rejected, nothing loaded "
                f"(first: {first.source_file} line {first.line}: {first.reason})"
            )
        summary = _write(con, settings, surveys, staged, attendance, rejects, sources, started)
        if demo:
            mark_demo_run(con, summary.run_id)  # in the same published snapshot as the rows
    summary.parsed_in_duckdb = [s.source for s in staged]
    summary.fast_path_declined = declined
    summary.reports = {p.source: p.report for p in [*surveys, *staged] if p.report is not None}
    return summary


def _write(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    surveys: list[ParsedSurveys],
    staged: list[StagedSurveys],
    attendance: list[ParsedAttendance],
    rejects: list[tuple[str, Reject]],
    sources: list[str],
    started: datetime,
) -> RunSummary:
    statement_texts = settings.statement_texts
    position = {text: i for i, text in enumerate(statement_texts)}
    responses = [r for p in surveys for r in p.responses]
    # Column lists, not row tuples: each becomes one typed LIST parameter (see schema.temp_table).
    # Scores go one column per statement, the shape the CSV fast path stages them in too.
    scores: list[list[int | None]] = [[None] * len(responses) for _ in statement_texts]  # as given: 1..scale_max
    for row, r in enumerate(responses):
        for statement, score in r.answers:
            scores[position[statement]][row] = score
    response_columns = {
        "response_key": ("VARCHAR", [r.response_key for r in responses]),
        "series": ("VARCHAR", [r.series for r in responses]),
        "submitted_utc": ("TIMESTAMP", [r.submitted_utc for r in responses]),
        "submitted_local": ("TIMESTAMP", [r.submitted_local for r in responses]),
        "feedback": ("VARCHAR", [r.feedback for r in responses]),
        "source_file": ("VARCHAR", [r.source_file for r in responses]),
        "source_line": ("BIGINT", [r.source_line for r in responses]),
        "scale_max": ("TINYINT", [r.scale_max for r in responses]),
        **{f"score_{i}": ("TINYINT", column) for i, column in enumerate(scores)},
    }
    reject_columns = {
        "reject_key": ("VARCHAR", [r.reject_key for _kind, r in rejects]),
        "kind": ("VARCHAR", [kind for kind, _r in rejects]),
        "source_file": ("VARCHAR", [r.source_file for _kind, r in rejects]),
        "line": ("BIGINT", [r.line for _kind, r in rejects]),
        "reason": ("VARCHAR", [r.reason for _kind, r in rejects]),
        "raw": ("VARCHAR", [json.dumps(r.raw, ensure_ascii=False) for _kind, r in rejects]),
    }
    # A later attendance file in the same run wins for the same meeting.
    meetings = list({(m.series, m.meeting_date): m for p in attendance for m in p.meetings}.values())
    meeting_columns = {
        "series": ("VARCHAR", [m.series for m in meetings]),
        "meeting_date": ("DATE", [m.meeting_date for m in meetings]),
        "attendees": ("BIGINT", [m.attendees for m in meetings]),
        "title": ("VARCHAR", [m.title for m in meetings]),
        "source_file": ("VARCHAR", [m.source_file for m in meetings]),
        "source_line": ("BIGINT", [m.source_line for m in meetings]),
    }
    statement_columns = {
        "statement": ("VARCHAR", list(statement_texts)),
        "statement_order": ("BIGINT", list(range(len(statement_texts)))),
    }
    dropped = sorted({c for p in [*surveys, *staged] for c in p.dropped_columns})
    unused = sorted({c for p in [*surveys, *staged] for c in p.unused_columns})
    incoming_count = len(responses) + sum(s.response_count for s in staged)

    # One transaction: everything below is written, or nothing.
    con.execute("BEGIN TRANSACTION")
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchall()[0][0]
    for name, columns in (
        ("python_responses", response_columns),
        ("incoming_rejects", reject_columns),
        ("incoming_meetings", meeting_columns),
        ("incoming_statements", statement_columns),
    ):
        temp_table(con, name, columns)
    # One view over every input; each gets a number so a file given twice is told apart.
    response_columns = ", ".join(
        ["response_key", "series", "submitted_utc", "submitted_local", "feedback", "source_file", "source_line",
         "scale_max"]
        + [f"score_{i}" for i in range(len(statement_texts))]
    )
    input_selects = [f"SELECT {response_columns}, {n + 1:d} AS input_no FROM {s.responses_table}"  # our own names
                     for n, s in enumerate(staged)]
    if responses or not input_selects:
        input_selects.insert(0, f"SELECT {response_columns.replace('response_key', 'response_key::UUID AS response_key', 1)}, "
                                f"0 AS input_no FROM python_responses")
    con.execute("CREATE TEMP VIEW incoming_responses AS " + " UNION ALL ".join(input_selects))
    con.execute(
        """INSERT INTO statements SELECT statement, statement_order FROM incoming_statements
           ON CONFLICT (statement) DO UPDATE SET statement_order = excluded.statement_order"""
    )
    inputs_with_responses = sum(1 for p in surveys if p.responses) + sum(1 for s in staged if s.response_count)
    first_load = con.execute("SELECT count(*) FROM responses").fetchall()[0][0] == 0
    if inputs_with_responses <= 1:
        # Keys are unique within one input (occurrence numbers), so only stored keys can
        # repeat: a view will do. Answers go first, while `responses` is still as it was.
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
    # One answer per non-NULL score column (UNPIVOT drops NULLs); score_<i> is statement i.
    # Answers on a declared 1-scale_max scale are rescaled linearly onto 1-5 (parse.rescale).
    answers_added = con.execute(
        f"""INSERT INTO answers (response_key, statement, score, raw_score, scale_max)
            SELECT response_key, (?::VARCHAR[])[column_name[7:]::INT + 1],
                   CASE WHEN scale_max = 5 THEN score::DOUBLE ELSE 1 + (score - 1) * 4 / (scale_max - 1)::DOUBLE END,
                   score, scale_max
            FROM (UNPIVOT (SELECT response_key, scale_max, {', '.join(f'score_{i:d}' for i in range(len(statement_texts)))}
                           FROM new_responses)
                  ON COLUMNS('^score_') INTO NAME column_name VALUE score)""",
        [statement_texts],
    ).fetchall()[0][0]
    responses_added = con.execute(
        """INSERT INTO responses
           SELECT response_key, series, submitted_utc, submitted_local, feedback, source_file, source_line, ?
           FROM new_responses""",
        [run_id],
    ).fetchall()[0][0]
    rejects_before = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
    con.execute(
        """INSERT INTO rejects
           SELECT reject_key, ?, kind, source_file, line, reason, raw FROM incoming_rejects
           WHERE reject_key NOT IN (SELECT reject_key FROM rejects)
           QUALIFY row_number() OVER (PARTITION BY reject_key ORDER BY source_file, line) = 1""",
        [run_id],
    )
    rejects_added = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0] - rejects_before
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
    con.execute(REBUILD_RESPONSE_WEEKS)
    summary = RunSummary(
        run_id=run_id,
        files_read=len(sources),
        responses_added=responses_added,
        responses_present=incoming_count - responses_added,
        answers_added=answers_added,
        rejects_added=rejects_added,
        rejects_seen=len(rejects),
        meetings_loaded=len(meetings),
        dropped_columns=dropped,
        unused_columns=unused,
    )
    con.execute(
        "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, started, datetime.now(timezone.utc).replace(tzinfo=None), "\n".join(sources),
         summary.files_read, summary.responses_added, summary.responses_present, summary.answers_added,
         summary.rejects_added, summary.meetings_loaded, ", ".join(dropped)],
    )
    con.execute("COMMIT")  # the temp tables go with the connection
    return summary


def init_empty(db_path: Path, force: bool = False) -> None:
    """Create an empty database with the schema (for `python -m pipeline init`)."""
    try:
        with write_lock(db_path), staged_write(db_path) as con:
            refuse_foreign_database(con, db_path, force)
            ensure_schema(con)
    except OSError as exc:
        raise IngestError(f"{db_path}: cannot write the database ({exc.strerror})") from None
