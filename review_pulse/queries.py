"""The read layer's SQL and the plain functions that run it (no Streamlit here).

Every query is a named constant with bound parameters. Functions take a DuckDB
path and plain arguments and return aggregated DataFrames ready for a chart:
the browser never receives individual responses.

Anonymity is decided here, once, in SQL: see VISIBILITY below. A week of a series
with fewer responses than the minimum group size, or a statement answered by fewer
people, is hidden and left out of every figure that contains it ("All series",
quarter averages, distributions), because otherwise it could be recovered by
subtraction. The frames carry a ``suppressed`` flag; nothing downstream re-decides it.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from core.cell_counts import COUNTED_CELLS, counts_are_fresh, STORED_CELLS, STORED_TABLES, period_filter
from core.stored_polls import SOURCE_TABLES as POLL_SOURCE_TABLES
from core.stored_polls import STORED_TABLES as STORED_POLL_TABLES
from core.stored_polls import on_stored_polls, polls_are_fresh
from core.schema import WEEK_CLOSES_AFTER_DAYS  # noqa: F401  (the Data page words the late rule with it)
from core.store import data_version, open_snapshot
from review_pulse import figures


SERIES_LIST = """
SELECT series FROM responses UNION SELECT series FROM meetings ORDER BY series
"""
# The same names from the stored cell counts (one row per week and series, not per response): every
# stored response has its week and series there (core.cell_counts).
SERIES_LIST_STORED = """
SELECT series FROM cell_counts UNION SELECT series FROM meetings ORDER BY series
"""

# --- what a viewer may see -----------------------------------------------------
#
# ONE relation decides it: ``visible_statement_sums`` (a statement of a cell, added up), and
# ``visible_scores`` is its answers per score. Every figure query below starts from VISIBILITY and
# reads answers only through those two and responses only through ``visible_cells``; no pandas or
# chart code re-applies the rule.
#
# * A cell is one review week of one series. Its responses count when it holds at least
#   $min_group of them (``visible_cells``). "All series" and every quarter figure are sums
#   of visible cells only, so no visible figure minus another isolates a hidden cell
#   (6 x All - 5 x Alpha would otherwise give Beta's one respondent).
# * A statement in a visible cell counts when at least $min_group people answered it
#   (``visible_statement_sums``). A statement answered by fewer is left out of that week's overall
#   score and of every aggregate too, for the same reason.
# * Late responses (core.cell_counts.COUNTED_CELLS: ``cells`` and ``score_counts``) count nowhere.
#
# Each query aggregates answers to (week, series, statement, score) counts first, a small
# relation, and applies visibility to that: the plan and its memory stay the same
# whatever DuckDB's statistics estimate.

# The thresholds, on COUNTED_CELLS' ``cells`` and ``score_counts``: one text for both ways of counting.
_THRESHOLDS = """
visible_cells AS (
    SELECT week_start, series, responses FROM cells WHERE responses >= $min_group
),
visible_statement_sums AS (  -- the statements of visible cells answered by at least $min_group, added up
    SELECT t.week_start, t.series, t.statement, t.answers, t.score_sum, t.agree_answers
    FROM statement_cells AS t
    JOIN visible_cells AS v USING (week_start, series)
    WHERE t.answers >= $min_group
),
visible_scores AS (  -- their answers per score (the same answers as visible_statement_sums)
    SELECT s.week_start, s.series, s.statement, s.score, s.agree, s.label, s.answers
    FROM score_counts AS s
    SEMI JOIN visible_statement_sums AS t USING (week_start, series, statement)
),
weeks AS (
    -- Every week with a counted response; responses = those in visible cells (0 if none).
    SELECT c.week_start, coalesce(sum(v.responses), 0)::BIGINT AS responses, count(v.series) = 0 AS hidden
    FROM (SELECT DISTINCT week_start FROM cells WHERE responses > 0) AS c LEFT JOIN visible_cells AS v USING (week_start)
    GROUP BY c.week_start
)"""

# Counting from the raw tables (``late`` and ``week_entries`` too, for the queries that list them) ...
VISIBILITY = f"{COUNTED_CELLS},{_THRESHOLDS}"
# ... or from the counts the loader stored at publish time (core.cell_counts): the same relations,
# the same figures, without reading every answer. ``counted`` picks one per snapshot.
VISIBILITY_STORED = f"{STORED_CELLS},{_THRESHOLDS}"


WEEKLY_RESPONSES = f"""
WITH {VISIBILITY}
SELECT week_start, responses, hidden AS suppressed FROM weeks ORDER BY week_start
"""

# A week whose every answer is hidden (its cells, or each statement in them) is suppressed
# as a whole: no score, no response count.
WEEKLY_SCORES = f"""
WITH {VISIBILITY},
week_answers AS (SELECT week_start, sum(answers) AS answers FROM statement_cells GROUP BY week_start),
week_visible AS (
    SELECT week_start, sum(answers) AS answers, sum(score_sum) AS score_sum
    FROM visible_statement_sums GROUP BY week_start
),
figures AS (
    SELECT w.week_start, w.responses, coalesce(v.answers, 0)::BIGINT AS answers,
           coalesce(v.score_sum, 0)::DOUBLE AS score_sum, (v.score_sum / v.answers)::DOUBLE AS mean_score,
           w.hidden OR (v.answers IS NULL AND coalesce(a.answers, 0) > 0) AS suppressed
    FROM weeks AS w LEFT JOIN week_visible AS v USING (week_start) LEFT JOIN week_answers AS a USING (week_start)
)
SELECT week_start, CASE WHEN suppressed THEN 0 ELSE responses END AS responses, answers, score_sum, mean_score, suppressed
FROM figures ORDER BY week_start
"""

# The figures of a group of visible answers, one definition for every grouping: answers, the mean
# of the (rescaled) scores, and the share that agree (above the middle of their scale). Over rows of
# ``visible_statement_sums`` (each cell's statement already added up: core.cell_counts.STATEMENT_CELLS).
STATEMENT_FIGURES = """sum(answers)::BIGINT AS answers,
           (sum(score_sum) / sum(answers))::DOUBLE AS mean_score,
           (sum(agree_answers) / sum(answers))::DOUBLE AS agree_share"""

# One row per week and statement answered that week; a hidden statement-week keeps its row
# (so charts can mark it) with no figures.
WEEKLY_STATEMENT_SCORES = f"""
WITH {VISIBILITY},
statement_weeks AS (SELECT DISTINCT week_start, statement FROM statement_cells),
visible_statements AS (
    SELECT week_start, statement, {STATEMENT_FIGURES}
    FROM visible_statement_sums GROUP BY week_start, statement
)
SELECT s.week_start, s.statement, coalesce(o.statement_order, 999) AS statement_order,
       CASE WHEN v.answers IS NULL THEN 0 ELSE w.responses END::BIGINT AS responses,
       coalesce(v.answers, 0)::BIGINT AS answers, v.mean_score, v.agree_share, v.answers IS NULL AS suppressed
FROM statement_weeks AS s
JOIN weeks AS w USING (week_start)
LEFT JOIN visible_statements AS v USING (week_start, statement)
LEFT JOIN statements AS o USING (statement)
ORDER BY s.week_start, statement_order, s.statement
"""

# Per statement over the period: the scorecard's figures (report, slides, the spread's "% agree").
STATEMENT_SCORES = f"""
WITH {VISIBILITY}
SELECT v.statement, min(coalesce(o.statement_order, 999)) AS statement_order, {STATEMENT_FIGURES}
FROM visible_statement_sums AS v LEFT JOIN statements AS o USING (statement)
GROUP BY v.statement
ORDER BY statement_order, v.statement
"""

# Answers on any scale count under their label (core.agreement.LABEL_SQL): agreeing answers
# are Agree or Strongly agree, so the spread and "% agree" never disagree.
ANSWER_COUNTS = f"""
WITH {VISIBILITY},
labelled AS (
    SELECT v.statement, min(coalesce(o.statement_order, 999)) AS statement_order, v.label AS score,
           sum(v.answers)::BIGINT AS answers, sum(CASE WHEN v.agree THEN v.answers ELSE 0 END) AS agreeing
    FROM visible_scores AS v LEFT JOIN statements AS o USING (statement)
    GROUP BY v.statement, v.label
)
SELECT statement, statement_order, score, answers,
       (sum(agreeing) OVER (PARTITION BY statement) / sum(answers) OVER (PARTITION BY statement))::DOUBLE AS agree_share
FROM labelled
ORDER BY statement_order, statement, score
"""

# Per week: responses counted nowhere (late), and responses the current attendance puts in the
# week after their own had frozen: those stay counted in their frozen week (counted_elsewhere).
LATE_RESPONSES = f"""
WITH {VISIBILITY},
listed AS (
    SELECT week_start, false AS counted_elsewhere FROM late
    UNION ALL
    SELECT w.current_week, true FROM week_entries AS w
    WHERE w.current_week <> w.week_start AND w.current_week BETWEEN $week_from AND $week_to
      AND ($series IS NULL OR w.series = $series) AND w.response_key NOT IN (SELECT response_key FROM late)
)
SELECT week_start, count(*) AS late_responses, count(*) FILTER (WHERE counted_elsewhere) AS counted_elsewhere
FROM listed GROUP BY week_start ORDER BY week_start
"""

# Attendance per cell (one review week of one series): attendees and meetings, beside the cell's visible
# responses and whether it is hidden (its responses fewer than $min_group), so the response rate can leave a
# hidden cell's attendees out together with its responses (figures.response_rate_parts). In the same read, the
# weeks of WEEKLY_RESPONSES (part 'week'): one connection and one evaluation of the visibility relation for
# weekly_attendance, and no series names converted to pandas (a cold Overview spent 40 ms on them).
ATTENDANCE_CELLS = f"""
WITH {VISIBILITY},
attended_cells AS (
    SELECT wa.week_start, wa.series, sum(wa.attendees)::BIGINT AS attendees, count(*) AS meetings
    FROM weekly_attendance AS wa
    WHERE {period_filter("wa")}
    GROUP BY wa.week_start, wa.series
)
-- no series name in the result: the rule needs each cell's numbers, and names cost their conversion to pandas
SELECT 'cell' AS part, a.week_start, a.attendees, a.meetings, coalesce(v.responses, 0)::BIGINT AS responses,
       coalesce(c.responses > 0 AND v.series IS NULL, false) AS suppressed
FROM attended_cells AS a
LEFT JOIN cells AS c USING (week_start, series)
LEFT JOIN visible_cells AS v USING (week_start, series)
UNION ALL BY NAME
-- and WEEKLY_RESPONSES' weeks, in the same read (one evaluation of the visibility relation, one snapshot)
SELECT 'week' AS part, week_start, responses, hidden AS suppressed FROM weeks
ORDER BY part, week_start
"""

# Issue 25: the day each review week's (first) meeting was held, for the early warning's
# "what changed" (the attendance sheet has dates, no times).
REVIEW_DAYS = """
SELECT CAST(date_trunc('week', m.meeting_date) AS DATE) AS week_start, min(m.meeting_date) AS meeting_date
FROM meetings AS m
WHERE CAST(date_trunc('week', m.meeting_date) AS DATE) BETWEEN $week_from AND $week_to
  AND ($series IS NULL OR m.series = $series)
GROUP BY 1 ORDER BY 1
"""

# Comments and their cells, for queries WITH VISIBILITY: v.series IS NULL marks a hidden cell.
# The feedback read layer (review_pulse.feedback_queries) joins its analysis between the two parts.
FEEDBACK_JOINS = """
FROM responses AS r
JOIN response_weeks AS c USING (response_key)
ANTI JOIN late AS l ON l.response_key = r.response_key
LEFT JOIN visible_cells AS v ON v.week_start = c.week_start AND v.series = c.series
"""
# ltrim(x) <> '' is trim(x) <> '' (the same spaces, from one end): it stops at the first letter,
# where trim also scans each text to its end (a third of a feedback query on 100,000 comments).
FEEDBACK_CONDITION = f"""
WHERE {period_filter("c")} AND r.feedback IS NOT NULL AND ltrim(r.feedback) <> ''
"""
_FEEDBACK_ROWS = FEEDBACK_JOINS + FEEDBACK_CONDITION

VISIBLE_AND_SEARCHED = """
  AND v.series IS NOT NULL
  AND ($search = '' OR contains(lower(r.feedback), lower($search)))
"""
_VISIBLE_FEEDBACK = _FEEDBACK_ROWS + VISIBLE_AND_SEARCHED

# Newest first; $limit NULL means every row (the CSV download).
FEEDBACK = f"""
WITH {VISIBILITY}
SELECT c.week_start, r.feedback AS text
{_VISIBLE_FEEDBACK}
ORDER BY r.submitted_local DESC, r.response_key
LIMIT $limit
"""

FEEDBACK_COUNT = f"""
WITH {VISIBILITY}
SELECT count(*)
{_VISIBLE_FEEDBACK}
"""

FRESHNESS = """
SELECT (SELECT max(submitted_local) FROM responses WHERE ($series IS NULL OR series = $series)),
       (SELECT max(meeting_date) FROM meetings WHERE ($series IS NULL OR series = $series))
"""

TABLE_COUNTS = """
SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM answers),
       (SELECT count(*) FROM meetings), (SELECT count(*) FROM rejects),
       (SELECT count(*) FROM ingest_runs)
"""

INGEST_RUNS = """
SELECT run_id, started_at, finished_at, sources, files_read, responses_added, responses_present,
       answers_added, rejects_added, meetings_loaded, dropped_columns
FROM ingest_runs ORDER BY run_id DESC LIMIT $limit
"""

REJECTS = """
SELECT r.run_id, i.finished_at AS loaded_at, r.kind, r.source_file, r.line, r.reason, r.raw
FROM rejects AS r LEFT JOIN ingest_runs AS i USING (run_id)
ORDER BY r.run_id DESC, r.source_file, r.line
LIMIT $limit
"""

# Issue #10: answers given on a declared 1-7 or 1-10 scale, rescaled onto 1-5 (the Data page says so).
RESCALED_ANSWERS = """
SELECT scale_max, count(*) AS answers FROM answers WHERE scale_max <> 5 GROUP BY scale_max ORDER BY scale_max
"""

TABLE_NAMES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"


@dataclass(frozen=True)
class Filters:
    week_from: date
    week_to: date
    series: str | None
    min_group_size: int

    def params(self, **extra: object) -> dict[str, object]:
        return {"week_from": self.week_from, "week_to": self.week_to, "series": self.series, **extra}

    def visible_params(self, **extra: object) -> dict[str, object]:
        """For the queries built on VISIBILITY."""
        return self.params(min_group=self.min_group_size, **extra)


# --- connections ----------------------------------------------------------------
#
# Opening a DuckDB file costs 10-20 ms (more on a busy machine) and a page runs a dozen queries,
# so the read layer keeps ONE read-only connection per snapshot of a file in this process and hands
# each query a cursor on it (a cursor is DuckDB's per-thread handle on an open database). The
# connection is opened as core.store.connect_read_only opens one, through a private hard link, so it
# pins one whole snapshot; it is keyed on that snapshot's identity (inode, mtime, size). When a new
# snapshot is published the live path's identity changes, the next query opens the new one, and the
# old connection is dropped (its cursors still in use keep it open until they finish). A writer never
# touches a published file (it writes a copy and renames it), so a held reader blocks no ingestion.

@dataclass
class _Snapshot:
    identity: tuple[int, int, int]
    connection: duckdb.DuckDBPyConnection
    tables: frozenset[str] | None = None  # its table and view names, read once
    counts_stored: bool | None = None  # it holds cell counts made from its own rows (core.cell_counts), checked once
    polls_stored: bool | None = None  # it holds the talking-point views' rows made from its own (core.stored_polls)


_shared: dict[str, _Snapshot] = {}
MAX_SHARED_FILES = 8  # files with a connection held open; a dropped one closes when its last cursor ends
_shared_lock = threading.Lock()


def _open_snapshot(db_path: Path) -> _Snapshot:
    connection, stat = open_snapshot(db_path)  # as connect_read_only opens one: a private hard link first
    return _Snapshot((stat.st_ino, stat.st_mtime_ns, stat.st_size), connection)


def _current_snapshot(db_path: Path) -> _Snapshot:
    key = str(db_path)
    with _shared_lock:
        held = _shared.get(key)
        if held is None or held.identity != data_version(db_path):
            held = _open_snapshot(db_path)
            _shared.pop(key, None)
            _shared[key] = held  # newest last
            while len(_shared) > MAX_SHARED_FILES:  # a process reading many files (tests) keeps the latest
                del _shared[next(iter(_shared))]
        return held


class _ReadCursor:
    """A cursor whose ``execute`` reads the talking-point views' stored rows when the snapshot holds
    current ones (core.stored_polls): every query of the read layer goes through here, so none can
    read one form while its neighbour reads the other. Whether they are current is checked once per
    snapshot, by the first query that names a view (a page that reads none never pays the ~10 ms check).
    Everything else is the cursor's own."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, snapshot: _Snapshot) -> None:
        self._cursor, self._snapshot = cursor, snapshot

    def execute(self, sql: str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        stored = on_stored_polls(sql)
        if stored != sql and _polls_stored(self._snapshot):
            sql = stored
        return self._cursor.execute(sql, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@contextlib.contextmanager
def _raw_cursor(snapshot: _Snapshot) -> Iterator[duckdb.DuckDBPyConnection]:
    with _shared_lock:
        cursor = snapshot.connection.cursor()
    with cursor:
        yield cursor


@contextlib.contextmanager
def _cursor(snapshot: _Snapshot) -> Iterator[duckdb.DuckDBPyConnection]:
    with _raw_cursor(snapshot) as cursor:
        yield _ReadCursor(cursor, snapshot)  # type: ignore[misc]  (a cursor in all but its execute)


def read_connection(db_path: Path) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A cursor on this process's read-only connection to the file's current snapshot (one snapshot,
    like core.store.connect_read_only, without opening the file per query)."""
    return _cursor(_current_snapshot(db_path))


def table_names(db_path: Path) -> frozenset[str]:
    """The tables and views of the file's current snapshot, read once per snapshot (a page asked
    "is there a polls table / a feedback_analysis view" before several of its queries)."""
    return _tables_of(_current_snapshot(db_path))


def _tables_of(snapshot: _Snapshot) -> frozenset[str]:
    if snapshot.tables is None:
        with _raw_cursor(snapshot) as con:
            snapshot.tables = frozenset(row[0] for row in con.execute(TABLE_NAMES).fetchall())
    return snapshot.tables


def _counts_stored(snapshot: _Snapshot) -> bool:
    if snapshot.counts_stored is None:
        stored = STORED_TABLES <= _tables_of(snapshot)
        if stored:
            with _raw_cursor(snapshot) as con:
                stored = counts_are_fresh(con)
        snapshot.counts_stored = stored
    return snapshot.counts_stored


def _polls_stored(snapshot: _Snapshot) -> bool:
    if snapshot.polls_stored is None:
        stored = STORED_POLL_TABLES | POLL_SOURCE_TABLES <= _tables_of(snapshot)  # and what they are checked against
        if stored:
            with _raw_cursor(snapshot) as con:
                stored = polls_are_fresh(con)
        snapshot.polls_stored = stored
    return snapshot.polls_stored


_ON_STORED_COUNTS: dict[str, str] = {}


def on_stored_counts(sql: str) -> str:
    """A query WITH VISIBILITY, reading the counts stored at publish time instead (VISIBILITY_STORED)."""
    stored = _ON_STORED_COUNTS.get(sql)
    if stored is None:
        if VISIBILITY not in sql:
            raise ValueError("not a query on VISIBILITY")
        stored = _ON_STORED_COUNTS[sql] = sql.replace(VISIBILITY, VISIBILITY_STORED)
    return stored


def _as_given(sql: str) -> str:
    return sql


@contextlib.contextmanager
def counting_connection(db_path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, Callable[[str], str]]]:
    """A cursor as ``read_connection`` gives one, and the form of a query WITH VISIBILITY for its
    snapshot: on the stored cell counts when it holds current ones, else as written (raw tables).
    Only for queries that read ``cells``, ``score_counts`` and the thresholds' relations, not ``late``."""
    snapshot = _current_snapshot(db_path)
    form = on_stored_counts if _counts_stored(snapshot) else _as_given
    with _cursor(snapshot) as con:
        yield con, form


def read_counted(db_path: Path, sql: str, params: dict[str, object]) -> pd.DataFrame:
    """``read_frame`` for a figure query WITH VISIBILITY (see ``counting_connection``)."""
    with counting_connection(db_path) as (con, form):
        return con.execute(form(sql), params).df()


def read_counted_row(db_path: Path, sql: str, params: dict[str, object]) -> tuple:
    """``read_row`` for a figure query WITH VISIBILITY (see ``counting_connection``)."""
    with counting_connection(db_path) as (con, form):
        return con.execute(form(sql), params).fetchall()[0]


def read_frame(db_path: Path, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
    with read_connection(db_path) as con:
        return con.execute(sql, params or {}).df()


def read_frames(db_path: Path, *queries: tuple[str, dict[str, object]]) -> list[pd.DataFrame]:
    """Several queries on one connection (one snapshot): for a page that needs them all."""
    with read_connection(db_path) as con:
        return [con.execute(sql, params).df() for sql, params in queries]


def read_row(db_path: Path, sql: str, params: dict[str, object] | None = None) -> tuple:
    with read_connection(db_path) as con:
        return con.execute(sql, params or {}).fetchall()[0]


# --- status ------------------------------------------------------------------


@dataclass(frozen=True)
class DbStatus:
    state: str  # "missing" | "unreadable" | "empty" | "ready"
    detail: str = ""  # unreadable: the error; empty: what it does hold (polls, actions), if anything


# Talking points and actions alone do not make a DB "ready": the quarters and series come from
# survey responses and meetings. What they hold is still said, so a load of them is not lost.
_HELD_WITHOUT_SURVEYS = (("polls", "talking-point poll"), ("action_items", "follow-up action"))


def db_status(db_path: Path) -> DbStatus:
    if not db_path.exists():
        return DbStatus("missing")
    try:
        snapshot = _current_snapshot(db_path)  # the tables and the counts of one snapshot
        tables = _tables_of(snapshot)
        with _cursor(snapshot) as con:
            counts = con.execute(TABLE_COUNTS).fetchall()[0] if {"responses", "meetings"} <= tables else (0, 0, 0)
            if counts[0] or counts[2]:
                return DbStatus("ready")
            held = [(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0], noun)  # our own table names
                    for table, noun in _HELD_WITHOUT_SURVEYS if table in tables]
    except duckdb.Error as exc:
        return DbStatus("unreadable", str(exc).splitlines()[0])
    return DbStatus("empty", " and ".join(f"{n:,} {noun}{'' if n == 1 else 's'}" for n, noun in held if n))


def _read_rows(db_path: Path, raw_sql: str, stored_sql: str, params: dict[str, object]) -> list[tuple]:
    """A query on the raw tables, or its twin on the stored cell counts when the snapshot holds current ones."""
    snapshot = _current_snapshot(db_path)
    sql = stored_sql if _counts_stored(snapshot) else raw_sql
    with _cursor(snapshot) as con:
        return con.execute(sql, params).fetchall()


def series_list(db_path: Path) -> list[str]:
    return [row[0] for row in _read_rows(db_path, SERIES_LIST, SERIES_LIST_STORED, {})]


DATA_WEEKS = """
SELECT DISTINCT week_start FROM (
    SELECT week_start FROM response_weeks WHERE ($series IS NULL OR series = $series)
    UNION ALL
    SELECT CAST(date_trunc('week', meeting_date) AS DATE) FROM meetings WHERE ($series IS NULL OR series = $series)
) ORDER BY week_start
"""
DATA_WEEKS_STORED = DATA_WEEKS.replace("FROM response_weeks", "FROM cell_counts")  # its weeks and series, once each

# The days a run's rows landed on: responses by their local submission day, meetings by their date.
# Days only, never counts: a day of one response is as safe to name as a day of fifty.
RUN_DAYS = """
SELECT DISTINCT day FROM (
    SELECT CAST(submitted_local AS DATE) AS day FROM responses WHERE run_id = $run
    UNION ALL
    SELECT meeting_date FROM meetings WHERE run_id = $run
) ORDER BY day
"""


def data_weeks(db_path: Path, series: str | None) -> list[date]:
    """Every week (its Monday) holding a response or a meeting, oldest first."""
    return [_as_date(week) for (week,) in _read_rows(db_path, DATA_WEEKS, DATA_WEEKS_STORED, {"series": series})]


def run_days(db_path: Path, run_id: int) -> list[date]:
    """The days that run's responses and meetings are on, oldest first."""
    frame = read_frame(db_path, RUN_DAYS, {"run": run_id})
    return [_as_date(value) for value in frame["day"]]


def _as_date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return pd.Timestamp(value).date()


# --- figures -----------------------------------------------------------------


def weekly_statement_scores(db_path: Path, f: Filters) -> pd.DataFrame:
    """Per week and statement; a hidden statement-week keeps its row with no figures."""
    frame = read_counted(db_path, WEEKLY_STATEMENT_SCORES, f.visible_params())
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "statement", "statement_order", "responses", "answers", "mean_score", "agree_share", "suppressed"]]


def weekly_responses(db_path: Path, f: Filters) -> pd.DataFrame:
    """Responses per week (in visible cells) and whether the week is hidden: all that
    attendance and the answer spread need, without the score aggregation."""
    frame = read_counted(db_path, WEEKLY_RESPONSES, f.visible_params())
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "responses", "suppressed"]]


def weekly_scores(db_path: Path, f: Filters) -> pd.DataFrame:
    frame = read_counted(db_path, WEEKLY_SCORES, f.visible_params())
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "responses", "answers", "score_sum", "mean_score", "suppressed"]]


def late_responses(db_path: Path, f: Filters) -> pd.DataFrame:
    """Responses that reached a week after its figures froze, per week: counted nowhere, except
    ``counted_elsewhere`` of them, which the attendance moved out of a week frozen before."""
    frame = read_frame(db_path, LATE_RESPONSES, f.visible_params())
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "late_responses", "counted_elsewhere"]]


LABELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")


def answer_distribution(db_path: Path, f: Filters, statements: tuple[str, ...]) -> pd.DataFrame:
    """Share of each answer per statement over the period, from visible statement-weeks only
    (empty when there are none)."""
    counts = read_counted(db_path, ANSWER_COUNTS, f.visible_params())
    columns = ["statement", "statement_order", "score", "label", "answers", "share", "agree_share"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    present = counts[["statement", "statement_order", "agree_share"]].drop_duplicates("statement")
    grid = present.merge(pd.DataFrame({"score": range(1, 6)}), how="cross")
    frame = grid.merge(counts[["statement", "score", "answers"]], on=["statement", "score"], how="left")
    frame["answers"] = frame["answers"].fillna(0).astype("int64")
    totals = frame.groupby("statement")["answers"].transform("sum")
    frame["share"] = frame["answers"] / totals
    frame["label"] = frame["score"].map(lambda s: LABELS[int(s) - 1])
    return frame[columns].sort_values(["statement_order", "score"]).reset_index(drop=True)


def statement_scores(db_path: Path, f: Filters) -> pd.DataFrame:
    """Per statement over the period's visible answers: answers, mean score, share that agree."""
    return read_counted(db_path, STATEMENT_SCORES, f.visible_params())[["statement", "statement_order", "answers",
                                                                   "mean_score", "agree_share"]]


DIP_BASELINE_WEEKS = 4  # the sharp-dip rule compares a week with the mean of this many review weeks before it


def dip_baseline(attendees: pd.Series) -> pd.Series:
    """Per review week, the mean attendance of the 4 review weeks before it (NaN with fewer than 2):
    the yardstick of the sharp-dip rule, and of every "% below the 4-week mean" figure."""
    return attendees.astype("float64").shift(1).rolling(DIP_BASELINE_WEEKS, min_periods=2).mean()


def sharp_dips(attendees: pd.Series, busy_week_ratio: float) -> pd.Series:
    """THE sharp-dip rule ("Attendance dip"): attendance below ``busy_week_ratio`` of
    ``dip_baseline``. The Attendance page, the early warning and its backtest all use this one."""
    return (attendees < busy_week_ratio * dip_baseline(attendees)).fillna(False).astype(bool)


def weekly_attendance(db_path: Path, f: Filters, busy_week_ratio: float) -> pd.DataFrame:
    """Attendance per review week with a 4-week rolling mean, growth and busy-week flags.

    ``growth_pct`` compares each week with the mean of the period's first 4 review
    weeks. ``previous_mean`` is the mean of the (up to) 4 review weeks before a week in
    the period, from the second week before it on (else missing): what the week is
    judged against. An attendance dip is a week whose attendance is below ``busy_week_ratio``
    of it. ``response_rate`` is ``responses_counted`` over ``attendees_counted``
    (figures.response_rate_parts).
    """
    both = read_counted(db_path, ATTENDANCE_CELLS, f.visible_params())
    cells, weeks = both[both["part"] == "cell"], both[both["part"] == "week"]
    responses = pd.DataFrame({"week_start": pd.to_datetime(weeks["week_start"]),
                              "responses": weeks["responses"].astype("int64"), "suppressed": weeks["suppressed"].astype(bool)})
    return attendance_figures(cells.drop(columns="part"), responses, busy_week_ratio)


def attendance_figures(cells: pd.DataFrame, responses: pd.DataFrame, busy_week_ratio: float) -> pd.DataFrame:
    """``weekly_attendance``'s figures from its two reads: the attendance cells (``ATTENDANCE_CELLS``) and
    the weeks' visible responses (``weekly_responses``)."""
    frame = attendance_weeks(cells, responses)
    frame["rolling_mean"] = frame["attendees"].rolling(4, min_periods=1).mean()
    baseline = frame["attendees"].head(4).mean() if len(frame) else np.nan
    frame["growth_pct"] = (frame["attendees"] / baseline - 1) * 100 if baseline else np.nan
    # The 4-week mean a week is judged against, and THE sharp-dip rule on it.
    frame["previous_mean"] = dip_baseline(frame["attendees"])
    frame["busy_week"] = sharp_dips(frame["attendees"], busy_week_ratio)
    frame["response_rate"] = figures.weekly_response_rate(frame)
    return frame[["week_start", "attendees", "rolling_mean", "growth_pct", "busy_week", "responses", "suppressed",
                  "responses_counted", "attendees_counted", "response_rate", "previous_mean"]]


# Issue 25: known busy weeks loaded as data (`ingest --calendar`; the table core.schema.CALENDAR_TABLES).
# Under "All series" a week counts when the series' calendars agree on its kind; two kinds for one
# week across series name no kind (it is not guessed).
BUSY_WEEKS_STORED = """
SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'busy_weeks'
"""
BUSY_WEEKS = """
SELECT week_start, min(kind) AS kind
FROM busy_weeks
WHERE ($series IS NULL OR series = $series)
GROUP BY week_start
HAVING count(DISTINCT kind) = 1
ORDER BY week_start
"""


def busy_weeks(db_path: Path, series: str | None) -> pd.DataFrame:
    """The loaded calendar of a series (None: all series): week_start (a Monday, as a date) and kind.
    Empty for a database written before calendars could be loaded."""
    with read_connection(db_path) as con:
        if not con.execute(BUSY_WEEKS_STORED).fetchall()[0][0]:
            return pd.DataFrame({"week_start": pd.Series(dtype="object"), "kind": pd.Series(dtype="object")})
        return con.execute(BUSY_WEEKS, {"series": series}).df()


def review_days(db_path: Path, f: Filters) -> pd.DataFrame:
    """Per review week: the date of its first meeting (issue 25)."""
    frame = read_frame(db_path, REVIEW_DAYS, f.params())
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    frame["meeting_date"] = pd.to_datetime(frame["meeting_date"])
    return frame[["week_start", "meeting_date"]]


def attendance_weeks(cells: pd.DataFrame, responses: pd.DataFrame, keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """Attendees and meetings per review week (per ``keys`` and week: ``series`` tells series apart) from its
    attendance cells (week, series, attendees, meetings, the cell's visible responses and ``suppressed``), with
    the response rate's counted parts (figures.response_rate_parts), beside the week's visible responses and
    whether it is hidden (a week without survey responses: 0, shown)."""
    on = [*keys, "week_start"]
    frame = figures.response_rate_parts(cells.assign(week_start=pd.to_datetime(cells["week_start"])), on)
    frame = frame.merge(responses[[*on, "responses", "suppressed"]], on=on, how="left")
    frame["responses"] = frame["responses"].fillna(0).astype("int64")
    frame["suppressed"] = frame["suppressed"].astype("boolean").fillna(False).astype(bool)
    return frame


def feedback(db_path: Path, f: Filters, search: str = "", limit: int | None = None) -> pd.DataFrame:
    """Visible feedback, newest first; ``limit`` caps what a page sends to the browser."""
    frame = read_counted(db_path, FEEDBACK, f.visible_params(search=search.strip(), limit=limit))
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "text"]]


def feedback_count(db_path: Path, f: Filters, search: str = "") -> int:
    return int(read_counted_row(db_path, FEEDBACK_COUNT, f.visible_params(search=search.strip()))[0])


@dataclass(frozen=True)
class Freshness:
    latest_response: date | None
    latest_meeting: date | None

    @property
    def label(self) -> str:
        return f"Data to {self.latest_response:%Y-%m-%d}" if self.latest_response else ""


def freshness(db_path: Path, series: str | None) -> Freshness:
    latest_response, latest_meeting = read_row(db_path, FRESHNESS, {"series": series})
    return Freshness(_as_date(latest_response), _as_date(latest_meeting))


def ingest_runs(db_path: Path, limit: int = 20) -> pd.DataFrame:
    return read_frame(db_path, INGEST_RUNS, {"limit": limit})


def rejects(db_path: Path, limit: int = 1000) -> pd.DataFrame:
    """Rejected rows for the Data page: the reason and the columns involved, never the values.

    A stored row holds a person's answers, feedback and exact time, possibly from a week too
    small to show, so its values do not leave the read layer. The columns involved are those
    the reason names; when it names none, the row's non-blank columns.
    """
    frame = read_frame(db_path, REJECTS, {"limit": limit})
    frame["columns"] = [_columns_involved(reason, raw) for reason, raw in zip(frame["reason"], frame["raw"])]
    return frame.drop(columns=["raw"])


def _columns_involved(reason: str, raw: str) -> str:
    try:
        row = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(row, dict):
        return ""
    named = [str(column) for column in row if str(column) and str(column) in reason]
    if not named:
        named = [str(column) for column, value in row.items() if str(value if value is not None else "").strip()]
    return ", ".join(named)


def rescaled_answers(db_path: Path) -> list[tuple[int, int]]:
    """(scale_max, answers) for every scale other than 1-5 that answers were rescaled from."""
    frame = read_frame(db_path, RESCALED_ANSWERS, {})
    return [(int(scale), int(count)) for scale, count in zip(frame["scale_max"], frame["answers"])]


def table_counts(db_path: Path) -> dict[str, int]:
    names = ("responses", "answers", "meetings", "rejects", "ingest runs")
    return dict(zip(names, read_row(db_path, TABLE_COUNTS)))
