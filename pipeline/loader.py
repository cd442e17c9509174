"""The one place that writes the database: one transaction, one published snapshot per run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import IngestError, StrictModeError
from pipeline.records import ParsedAttendance, ParsedSurveys
from pipeline.schema import REBUILD_RESPONSE_WEEKS, ensure_schema
from review_pulse.settings import Settings
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

    def lines(self) -> list[str]:
        lines = [
            f"files read:          {self.files_read}",
            f"responses added:     {self.responses_added}",
            f"already present:     {self.responses_present}",
            f"answers added:       {self.answers_added}",
            f"meetings loaded:     {self.meetings_loaded}",
            f"rejected rows:       {self.rejects_seen} ({self.rejects_added} new; see the Data page)",
        ]
        if self.dropped_columns:
            lines.append("identity columns dropped (never stored): " + ", ".join(self.dropped_columns))
        if self.unused_columns:
            shown = self.unused_columns[:10]
            more = f" and {len(self.unused_columns) - 10} more" if len(self.unused_columns) > 10 else ""
            lines.append("columns not used (not a statement, time, feedback or series): " + ", ".join(shown) + more)
        return lines


_RESPONSE_COLUMNS = ["response_key", "series", "submitted_utc", "submitted_local", "feedback", "source_file", "source_line"]


def load(
    db_path: Path,
    settings: Settings,
    surveys: list[ParsedSurveys],
    attendance: list[ParsedAttendance],
    sources: list[str],
    strict: bool = False,
) -> RunSummary:
    """Write everything parsed in this run, or nothing."""
    rejects = [("survey", r) for p in surveys for r in p.rejects] + [
        ("attendance", r) for p in attendance for r in p.rejects
    ]
    if strict and rejects:
        first = rejects[0][1]
        raise StrictModeError(
            f"--strict: {len(rejects)} row(s) rejected, nothing loaded "
            f"(first: {first.source_file} line {first.line}: {first.reason})"
        )
    responses = [r for p in surveys for r in p.responses]
    # Column lists, not row tuples: pandas builds typed columns without inferring per cell.
    response_frame = pd.DataFrame({
        "response_key": [r.response_key for r in responses],
        "series": [r.series for r in responses],
        "submitted_utc": pd.to_datetime([r.submitted_utc for r in responses]).astype("datetime64[us]"),
        "submitted_local": pd.to_datetime([r.submitted_local for r in responses]).astype("datetime64[us]"),
        "feedback": [r.feedback for r in responses],
        "source_file": [r.source_file for r in responses],
        "source_line": np.fromiter((r.source_line for r in responses), dtype="int64", count=len(responses)),
    }, columns=_RESPONSE_COLUMNS)
    answer_keys: list[str] = []
    answer_statements: list[str] = []
    answer_scores: list[int] = []
    for r in responses:
        for statement, score in r.answers:
            answer_keys.append(r.response_key)
            answer_statements.append(statement)
            answer_scores.append(score)
    answer_frame = pd.DataFrame({
        "response_key": answer_keys,
        "statement": answer_statements,
        "score": np.asarray(answer_scores, dtype="int8"),
    })
    reject_frame = pd.DataFrame(
        [(r.reject_key, kind, r.source_file, r.line, r.reason, json.dumps(r.raw, ensure_ascii=False))
         for kind, r in rejects],
        columns=["reject_key", "kind", "source_file", "line", "reason", "raw"],
    ).astype({"line": "int64"})
    # A later attendance file in the same run wins for the same meeting.
    latest_meetings = {(m.series, m.meeting_date): m for p in attendance for m in p.meetings}
    meeting_frame = pd.DataFrame(
        [(m.series, m.meeting_date, m.attendees, m.title, m.source_file, m.source_line)
         for m in latest_meetings.values()],
        columns=["series", "meeting_date", "attendees", "title", "source_file", "source_line"],
    ).astype({"meeting_date": "datetime64[s]", "attendees": "int64", "source_line": "int64"})
    statement_frame = pd.DataFrame(
        [(text, order) for order, text in enumerate(settings.statement_texts)],
        columns=["statement", "statement_order"],
    )
    dropped = sorted({c for p in surveys for c in p.dropped_columns})
    unused = sorted({c for p in surveys for c in p.unused_columns})
    started = datetime.now(timezone.utc).replace(tzinfo=None)

    with write_lock(db_path), staged_write(db_path) as con:
        ensure_schema(con)
        con.execute("BEGIN TRANSACTION")
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchall()[0][0]
        for name, frame in (
            ("incoming_responses", response_frame),
            ("incoming_answers", answer_frame),
            ("incoming_rejects", reject_frame),
            ("incoming_meetings", meeting_frame),
            ("incoming_statements", statement_frame),
        ):
            con.register(name, frame)
        con.execute(
            """INSERT INTO statements SELECT statement, statement_order FROM incoming_statements
               ON CONFLICT (statement) DO UPDATE SET statement_order = excluded.statement_order"""
        )
        con.execute(
            """CREATE TEMP TABLE new_responses AS
               SELECT * FROM incoming_responses AS i
               WHERE NOT EXISTS (SELECT 1 FROM responses AS r WHERE r.response_key = i.response_key)
               QUALIFY row_number() OVER (PARTITION BY response_key ORDER BY source_file, source_line) = 1"""
        )
        responses_added = con.execute("SELECT count(*) FROM new_responses").fetchall()[0][0]
        con.execute(
            """INSERT INTO responses
               SELECT response_key, series, submitted_utc, submitted_local, feedback, source_file, source_line, ?
               FROM new_responses""",
            [run_id],
        )
        con.execute(
            """INSERT INTO answers
               SELECT DISTINCT a.response_key, a.statement, a.score
               FROM incoming_answers AS a SEMI JOIN new_responses AS n USING (response_key)"""
        )
        answers_added = con.execute(
            "SELECT count(*) FROM answers SEMI JOIN new_responses USING (response_key)"
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
            responses_present=len(responses) - responses_added,
            answers_added=answers_added,
            rejects_added=rejects_added,
            rejects_seen=len(rejects),
            meetings_loaded=len(meeting_frame),
            dropped_columns=dropped,
            unused_columns=unused,
        )
        con.execute(
            "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, started, datetime.now(timezone.utc).replace(tzinfo=None), "\n".join(sources),
             summary.files_read, summary.responses_added, summary.responses_present, summary.answers_added,
             summary.rejects_added, summary.meetings_loaded, ", ".join(dropped)],
        )
        con.execute("COMMIT")  # registered frames and the temp table go with the connection
    return summary


def init_empty(db_path: Path) -> None:
    """Create an empty database with the schema (for `python -m pipeline init`)."""
    try:
        with write_lock(db_path), staged_write(db_path) as con:
            ensure_schema(con)
    except OSError as exc:
        raise IngestError(f"{db_path}: cannot write the database ({exc.strerror})") from None
