"""The read layer's SQL and the plain functions that run it (no Streamlit here).

Every query is a named constant with bound parameters. Functions take a DuckDB
path and plain arguments and return aggregated DataFrames ready for a chart:
the browser never receives individual responses.

Anonymity: a week with fewer responses than the minimum group size is
*suppressed*: its scores, response count and feedback are hidden, and it is left
out of every figure that aggregates weeks (quarter averages, distributions),
because otherwise the hidden week could be recovered by subtraction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from review_pulse.store import connect_read_only



def _filter(alias: str) -> str:
    """The period and series condition on one table alias (a constant, never user input)."""
    return (f"{alias}.week_start BETWEEN $week_from AND $week_to "
            f"AND ($series IS NULL OR {alias}.series = $series)")


SERIES_LIST = """
SELECT series FROM responses UNION SELECT series FROM meetings ORDER BY series
"""

WEEK_RANGE = """
SELECT min(week_start), max(week_start) FROM (
    SELECT week_start FROM response_weeks WHERE ($series IS NULL OR series = $series)
    UNION ALL
    SELECT CAST(date_trunc('week', meeting_date) AS DATE) FROM meetings WHERE ($series IS NULL OR series = $series)
)
"""

# Responses per week; drives suppression for every other query.
WEEKLY_RESPONSES = f"""
SELECT week_start, count(*) AS responses
FROM response_weeks AS rw
WHERE {_filter("rw")}
GROUP BY week_start
"""

# Each query aggregates the answers first and joins the (small) weekly counts after: that
# keeps the plan, and its memory, the same whatever DuckDB's statistics estimate.
WEEKLY_STATEMENT_SCORES = f"""
WITH weeks AS ({WEEKLY_RESPONSES}),
statement_weeks AS (
    SELECT a.week_start, a.statement, min(a.statement_order) AS statement_order, count(*) AS answers,
           avg(a.score)::DOUBLE AS mean_score,
           avg(CASE WHEN a.score >= 4 THEN 1.0 ELSE 0.0 END)::DOUBLE AS agree_share
    FROM answer_facts AS a
    WHERE {_filter("a")}
    GROUP BY a.week_start, a.statement
)
SELECT s.week_start, s.statement, s.statement_order, w.responses, s.answers, s.mean_score, s.agree_share
FROM statement_weeks AS s JOIN weeks AS w USING (week_start)
ORDER BY s.week_start, s.statement_order
"""

WEEKLY_SCORES = f"""
WITH weeks AS ({WEEKLY_RESPONSES}),
week_answers AS (
    SELECT a.week_start, count(a.score) AS answers, sum(a.score)::DOUBLE AS score_sum, avg(a.score)::DOUBLE AS mean_score
    FROM answer_facts AS a
    WHERE {_filter("a")}
    GROUP BY a.week_start
)
SELECT w.week_start, w.responses, coalesce(s.answers, 0) AS answers, s.score_sum, s.mean_score
FROM weeks AS w LEFT JOIN week_answers AS s USING (week_start)
ORDER BY w.week_start
"""

ANSWER_COUNTS = f"""
WITH weeks AS ({WEEKLY_RESPONSES}),
week_counts AS (
    -- Rescaled answers (a declared 1-7 or 1-10 scale) count under the nearest 1-5 label.
    SELECT a.week_start, a.statement, min(a.statement_order) AS statement_order, round(a.score)::INTEGER AS score,
           count(*) AS answers
    FROM answer_facts AS a
    WHERE {_filter("a")}
    GROUP BY a.week_start, a.statement, round(a.score)::INTEGER
)
SELECT c.statement, min(c.statement_order) AS statement_order, c.score, sum(c.answers)::BIGINT AS answers
FROM week_counts AS c JOIN weeks AS w USING (week_start)
WHERE w.responses >= $min_group
GROUP BY c.statement, c.score
ORDER BY statement_order, c.score
"""

WEEKLY_ATTENDANCE = f"""
SELECT week_start, sum(attendees)::BIGINT AS attendees, count(*) AS meetings
FROM weekly_attendance AS wa
WHERE {_filter("wa")}
GROUP BY week_start
ORDER BY week_start
"""

_VISIBLE_FEEDBACK = f"""
FROM responses AS r
JOIN response_weeks AS w USING (response_key)
JOIN weeks AS k ON k.week_start = w.week_start
WHERE {_filter("w")}
  AND k.responses >= $min_group
  AND r.feedback IS NOT NULL AND trim(r.feedback) <> ''
  AND ($search = '' OR contains(lower(r.feedback), lower($search)))
"""

# Newest first; $limit NULL means every row (the CSV download).
FEEDBACK = f"""
WITH weeks AS ({WEEKLY_RESPONSES})
SELECT w.week_start, r.feedback AS text
{_VISIBLE_FEEDBACK}
ORDER BY r.submitted_local DESC, r.response_key
LIMIT $limit
"""

FEEDBACK_COUNT = f"""
WITH weeks AS ({WEEKLY_RESPONSES})
SELECT count(*)
{_VISIBLE_FEEDBACK}
"""

FEEDBACK_HIDDEN_COUNT = f"""
WITH weeks AS ({WEEKLY_RESPONSES})
SELECT count(*)
FROM responses AS r
JOIN response_weeks AS w USING (response_key)
JOIN weeks AS k ON k.week_start = w.week_start
WHERE {_filter("w")} AND k.responses < $min_group
  AND r.feedback IS NOT NULL AND trim(r.feedback) <> ''
"""

FRESHNESS = """
SELECT (SELECT max(submitted_local) FROM responses WHERE ($series IS NULL OR series = $series)),
       (SELECT max(meeting_date) FROM meetings WHERE ($series IS NULL OR series = $series)),
       (SELECT max(finished_at) FROM ingest_runs)
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


def _frame(db_path: Path, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
    with connect_read_only(db_path) as con:
        return con.execute(sql, params or {}).df()


def _row(db_path: Path, sql: str, params: dict[str, object] | None = None) -> tuple:
    with connect_read_only(db_path) as con:
        return con.execute(sql, params or {}).fetchall()[0]


# --- status ------------------------------------------------------------------


@dataclass(frozen=True)
class DbStatus:
    state: str  # "missing" | "unreadable" | "empty" | "ready"
    detail: str = ""


def db_status(db_path: Path) -> DbStatus:
    if not db_path.exists():
        return DbStatus("missing")
    try:
        with connect_read_only(db_path) as con:
            tables = {row[0] for row in con.execute(TABLE_NAMES).fetchall()}
            if not {"responses", "meetings"} <= tables:
                return DbStatus("empty")
            counts = con.execute(TABLE_COUNTS).fetchall()[0]
    except duckdb.Error as exc:
        return DbStatus("unreadable", str(exc).splitlines()[0])
    if counts[0] == 0 and counts[2] == 0:
        return DbStatus("empty")
    return DbStatus("ready")


def series_list(db_path: Path) -> list[str]:
    return [row[0] for row in _frame(db_path, SERIES_LIST).itertuples(index=False)]


def week_range(db_path: Path, series: str | None) -> tuple[date | None, date | None]:
    first, last = _row(db_path, WEEK_RANGE, {"series": series})
    return _as_date(first), _as_date(last)


def _as_date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return pd.Timestamp(value).date()


# --- figures -----------------------------------------------------------------


def weekly_statement_scores(db_path: Path, f: Filters) -> pd.DataFrame:
    """Per week and statement; suppressed weeks keep their rows with NaN figures."""
    frame = _frame(db_path, WEEKLY_STATEMENT_SCORES, f.params())
    frame["suppressed"] = frame["responses"] < f.min_group_size
    frame.loc[frame["suppressed"], ["mean_score", "agree_share"]] = np.nan
    frame.loc[frame["suppressed"], ["responses", "answers"]] = 0
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "statement", "statement_order", "responses", "answers", "mean_score", "agree_share", "suppressed"]]


def weekly_responses(db_path: Path, f: Filters) -> pd.DataFrame:
    """Responses per week and whether the week is hidden: all that attendance and the
    answer spread need, without the score aggregation."""
    frame = _frame(db_path, WEEKLY_RESPONSES, f.params())
    frame["suppressed"] = frame["responses"] < f.min_group_size
    frame.loc[frame["suppressed"], "responses"] = 0
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "responses", "suppressed"]]


def weekly_scores(db_path: Path, f: Filters) -> pd.DataFrame:
    frame = _frame(db_path, WEEKLY_SCORES, f.params())
    frame["suppressed"] = frame["responses"] < f.min_group_size
    frame.loc[frame["suppressed"], ["mean_score"]] = np.nan
    frame.loc[frame["suppressed"], ["responses", "answers", "score_sum"]] = 0
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "responses", "answers", "score_sum", "mean_score", "suppressed"]]


LABELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")


def answer_distribution(db_path: Path, f: Filters, statements: tuple[str, ...]) -> pd.DataFrame:
    """Share of each answer per statement over the period (visible weeks only).

    Empty when the visible weeks hold fewer responses than the minimum group size.
    """
    counts = _frame(db_path, ANSWER_COUNTS, f.params(min_group=f.min_group_size))
    columns = ["statement", "statement_order", "score", "label", "answers", "share"]
    weeks = weekly_responses(db_path, f)
    if counts.empty or int(weeks.loc[~weeks["suppressed"], "responses"].sum()) < f.min_group_size:
        return pd.DataFrame(columns=columns)
    present = counts[["statement", "statement_order"]].drop_duplicates()
    grid = present.merge(pd.DataFrame({"score": range(1, 6)}), how="cross")
    frame = grid.merge(counts[["statement", "score", "answers"]], on=["statement", "score"], how="left")
    frame["answers"] = frame["answers"].fillna(0).astype("int64")
    totals = frame.groupby("statement")["answers"].transform("sum")
    frame["share"] = frame["answers"] / totals
    frame["label"] = frame["score"].map(lambda s: LABELS[int(s) - 1])
    return frame[columns].sort_values(["statement_order", "score"]).reset_index(drop=True)


def weekly_attendance(db_path: Path, f: Filters, busy_week_ratio: float) -> pd.DataFrame:
    """Attendance per review week with a 4-week rolling mean, growth and busy-week flags.

    ``growth_pct`` compares each week with the mean of the period's first 4 review
    weeks. A busy week is one whose attendance is below ``busy_week_ratio`` of the
    mean of the 4 weeks before it.
    """
    frame = _frame(db_path, WEEKLY_ATTENDANCE, f.params())
    scores = weekly_responses(db_path, f)
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    frame = frame.merge(scores, on="week_start", how="left")
    frame["responses"] = frame["responses"].fillna(0).astype("int64")
    frame["suppressed"] = frame["suppressed"].astype("boolean").fillna(False).astype(bool)
    frame["rolling_mean"] = frame["attendees"].rolling(4, min_periods=1).mean()
    baseline = frame["attendees"].head(4).mean() if len(frame) else np.nan
    frame["growth_pct"] = (frame["attendees"] / baseline - 1) * 100 if baseline else np.nan
    previous = frame["attendees"].shift(1).rolling(4, min_periods=2).mean()
    frame["busy_week"] = (frame["attendees"] < busy_week_ratio * previous).fillna(False).astype(bool)
    rate = frame["responses"] / frame["attendees"].where(frame["attendees"] > 0)
    frame["response_rate"] = rate.where(~frame["suppressed"] & (frame["responses"] > 0))
    return frame[["week_start", "attendees", "rolling_mean", "growth_pct", "busy_week", "responses", "suppressed", "response_rate"]]


def feedback(db_path: Path, f: Filters, search: str = "", limit: int | None = None) -> pd.DataFrame:
    """Visible feedback, newest first; ``limit`` caps what a page sends to the browser."""
    frame = _frame(db_path, FEEDBACK, f.params(min_group=f.min_group_size, search=search.strip(), limit=limit))
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame[["week_start", "text"]]


def feedback_count(db_path: Path, f: Filters, search: str = "") -> int:
    return int(_row(db_path, FEEDBACK_COUNT, f.params(min_group=f.min_group_size, search=search.strip()))[0])


def hidden_feedback_count(db_path: Path, f: Filters) -> int:
    return int(_row(db_path, FEEDBACK_HIDDEN_COUNT, f.params(min_group=f.min_group_size))[0])


@dataclass(frozen=True)
class Freshness:
    latest_response: date | None
    latest_meeting: date | None
    last_ingest: object  # a UTC timestamp or None

    @property
    def label(self) -> str:
        return f"Data to {self.latest_response:%Y-%m-%d}" if self.latest_response else ""


def freshness(db_path: Path, series: str | None) -> Freshness:
    latest_response, latest_meeting, last_ingest = _row(db_path, FRESHNESS, {"series": series})
    return Freshness(_as_date(latest_response), _as_date(latest_meeting), last_ingest)


def ingest_runs(db_path: Path, limit: int = 20) -> pd.DataFrame:
    return _frame(db_path, INGEST_RUNS, {"limit": limit})


def rejects(db_path: Path, limit: int = 1000) -> pd.DataFrame:
    frame = _frame(db_path, REJECTS, {"limit": limit})
    frame["raw"] = frame["raw"].map(lambda raw: ", ".join(f"{k}: {v}" for k, v in json.loads(raw).items()))
    return frame


def rescaled_answers(db_path: Path) -> list[tuple[int, int]]:
    """(scale_max, answers) for every scale other than 1-5 that answers were rescaled from."""
    frame = _frame(db_path, RESCALED_ANSWERS, {})
    return [(int(scale), int(count)) for scale, count in zip(frame["scale_max"], frame["answers"])]


def table_counts(db_path: Path) -> dict[str, int]:
    names = ("responses", "answers", "meetings", "rejects", "ingest runs")
    return dict(zip(names, _row(db_path, TABLE_COUNTS)))
