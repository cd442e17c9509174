"""What each cell counts: the responses and answers of one review week of one series that the
figures may use, before any visibility threshold (issue #23: written at publish time).

A cell is one review week of one series. Its counts leave out "late" responses: a cell freezes
at the first ingestion that started after its week closed (WEEK_CLOSES_AFTER_DAYS after the week
began), or at the run that first stored it if that came later. Responses stored by a later run
are late: they never change a closed week's figures (two snapshots cannot be subtracted), and are
listed apart. So are responses an attendance change moves into a week after it froze; one it would
move out of a frozen week stays there (the loader keeps frozen weeks, core/schema.py).

``COUNTED_CELLS`` is that rule, once, as CTEs over the raw tables (``cells``: responses per cell;
``score_counts``: answers per cell, statement and score; ``statement_cells``: those added up per
statement; ``late``: the responses left out). The read
layer's visibility relation (``review_pulse.queries.VISIBILITY``) applies the minimum group size on top
of it. Counting every cell reads every answer (1.2 million on the benchmark's 40 series), so the loader
runs the same text once per publish, inside its transaction, and stores the result in ``cell_counts``,
``cell_score_counts``, ``cell_statement_sums`` and ``cell_late_responses`` (``refresh_cell_counts``); the pages read those few
rows (``STORED_CELLS``). A file written before they existed, or by anything that changed the counted
tables without refreshing them or by another rule (``CELL_COUNTS_FRESH`` says, with RULE_FINGERPRINT), is counted from the raw tables.
"""

from __future__ import annotations

import hashlib
from datetime import date

import duckdb

from core.agreement import AGREE_SQL, LABEL_SQL
from core.schema import CELL_COUNT_TABLES, WEEK_CLOSES_AFTER_DAYS


def period_filter(alias: str) -> str:
    """The period and series condition on one table alias (a constant, never user input)."""
    return (f"{alias}.week_start BETWEEN $week_from AND $week_to "
            f"AND ($series IS NULL OR {alias}.series = $series)")


# Per cell and statement: its answers, their score sum and how many agree (from ``score_counts``). The weekly
# scores and the statements' figures add these up; the thresholds read ``answers`` (review_pulse.queries).
STATEMENT_CELLS = """
    SELECT week_start, series, statement, sum(answers)::BIGINT AS answers, sum(score * answers)::DOUBLE AS score_sum,
           sum(CASE WHEN agree THEN answers ELSE 0 END)::BIGINT AS agree_answers
    FROM score_counts GROUP BY week_start, series, statement"""

# WEEK_CLOSES_AFTER_DAYS (core/schema.py): a review week is over after 7 days, and every response
# belongs to a meeting at most 7 days before it was sent, so 14 days after its Monday nothing more can.
# Each cell's counts depend on that cell's rows and the ingestion runs only, never on the period or
# series asked for: week_closing covers every stored week (so ``candidates``' pre-filter, and with it
# "all of a cell's responses are candidates", is the same whatever the period), and the stored counts
# of every cell are the counts a query over any period would make.
COUNTED_CELLS = f"""
stored_cells AS (
    SELECT week_start, series, count(*) AS stored FROM response_weeks AS rw WHERE {period_filter("rw")}
    GROUP BY week_start, series
),
week_closing AS (  -- the first ingestion that started after each week closed
    SELECT w.week_start, min(i.run_id) AS closing_run
    FROM (SELECT DISTINCT week_start FROM response_weeks) AS w
    JOIN ingest_runs AS i ON i.started_at >= w.week_start + INTERVAL {WEEK_CLOSES_AFTER_DAYS} DAY
    GROUP BY w.week_start
),
-- entered_run: the run that put a response in its week (stored it, or moved it there while the
-- week was open). A schema 2 DB read before its first load migrates it has none: NULL, and the
-- run that stored the response stands in, as it did then.
week_entries AS (
    SELECT response_key, week_start, series, entered_run, current_week FROM (
        SELECT * FROM response_weeks
        UNION ALL BY NAME SELECT NULL::BIGINT AS entered_run, NULL::DATE AS current_week WHERE false)
),
-- Only a response that entered its week after the earliest closing run can be late. Runs append
-- in order, so this usually reads few rows (none after one load), not the whole responses table.
candidates AS (
    SELECT rw.response_key, rw.week_start, rw.series, r.run_id, coalesce(rw.entered_run, r.run_id) AS entered_run
    FROM week_entries AS rw JOIN responses AS r USING (response_key)
    WHERE {period_filter("rw")} AND (rw.entered_run > (SELECT min(closing_run) FROM week_closing) OR rw.entered_run IS NULL)
      AND coalesce(rw.entered_run, r.run_id) > (SELECT min(closing_run) FROM week_closing)
),
candidate_cells AS (
    SELECT week_start, series, count(*) AS candidates,
           -- a response moved into the week opens it like a stored one (else a later stored
           -- response could open it and escape the late rule); it never exempts itself (CASE below)
           min(entered_run) AS first_candidate_run
    FROM candidates GROUP BY week_start, series
),
late AS MATERIALIZED (
    -- A cell freezes at its week's closing run, or at the run that first stored it if that
    -- came later (all its responses are candidates then, so the first of them is known).
    -- A response moved into a week after the run that stored it never opens a cell that way.
    SELECT c.response_key, c.week_start, c.series
    FROM candidates AS c
    JOIN week_closing AS k USING (week_start)
    JOIN stored_cells AS s USING (week_start, series)
    JOIN candidate_cells AS f USING (week_start, series)
    WHERE c.entered_run > greatest(k.closing_run, CASE WHEN f.candidates = s.stored AND c.entered_run = c.run_id
                                                       THEN f.first_candidate_run ELSE 0 END)
),
cells AS (
    SELECT s.week_start, s.series, s.stored - coalesce(l.late, 0) AS responses
    FROM stored_cells AS s
    LEFT JOIN (SELECT week_start, series, count(*) AS late FROM late GROUP BY week_start, series) AS l
      USING (week_start, series)
),
score_counts AS (  -- agree and label: core.agreement, on the answer as given
    SELECT rw.week_start, rw.series, a.statement, a.score, {AGREE_SQL} AS agree, {LABEL_SQL} AS label,
           count(*) AS answers
    FROM answers AS a
    JOIN (SELECT response_key, week_start, series FROM response_weeks AS w
          WHERE {period_filter("w")} AND response_key NOT IN (SELECT response_key FROM late)) AS rw USING (response_key)
    GROUP BY ALL
),
statement_cells AS ({STATEMENT_CELLS})"""

CELL_COUNTS_SOURCE = """
SELECT (SELECT count(*) FROM responses), (SELECT count(*) FROM answers), (SELECT count(*) FROM response_weeks),
       (SELECT count(*) FROM ingest_runs), (SELECT coalesce(max(run_id), 0) FROM ingest_runs)
"""

# Every writer of responses, answers, response_weeks or ingest_runs refreshes the counts in its own
# transaction (pipeline.loader, pipeline.guards); this is the guard against one that did not.
# The counts carry the rule that made them (RULE_FINGERPRINT, bound as $rule): after a change to the rule
# (the late rule, WEEK_CLOSES_AFTER_DAYS, core.agreement) a file's stored counts are stale until its next
# load, and it is counted from the raw tables meanwhile, so no two surfaces count a week two ways.
CELL_COUNTS_FRESH = f"""
SELECT count(*) = 1 FROM cell_counts_state AS s, ({CELL_COUNTS_SOURCE}) AS now (a, b, c, d, e)
WHERE (s.responses, s.answers, s.response_weeks, s.runs, s.last_run) = (now.a, now.b, now.c, now.d, now.e)
  AND (SELECT count(*) = 1 AND bool_and(fingerprint = $rule) FROM cell_counts_rule)
"""
STORED_TABLES = frozenset({"cell_counts", "cell_score_counts", "cell_statement_sums", "cell_late_responses",
                           "cell_counts_state", "cell_counts_rule"})

# Every cell (the period filter's bounds take in any date a week can have).
EVERY_CELL = {"week_from": date(1, 1, 1), "week_to": date(9999, 12, 31), "series": None}

_REFRESH = [
    "DELETE FROM cell_counts",
    f"INSERT INTO cell_counts WITH {COUNTED_CELLS} SELECT week_start, series, responses FROM cells",
    "DELETE FROM cell_score_counts",
    f"""INSERT INTO cell_score_counts WITH {COUNTED_CELLS}
        SELECT week_start, series, statement, score, agree, label, answers FROM score_counts""",
    "DELETE FROM cell_statement_sums",
    # From the score counts just stored, by the same text as COUNTED_CELLS' statement_cells (not counted again).
    f"INSERT INTO cell_statement_sums WITH score_counts AS (SELECT * FROM cell_score_counts) {STATEMENT_CELLS}",
    "DELETE FROM cell_late_responses",
    f"INSERT INTO cell_late_responses WITH {COUNTED_CELLS} SELECT response_key, week_start, series FROM late",
    "DELETE FROM cell_counts_state",
    f"INSERT INTO cell_counts_state {CELL_COUNTS_SOURCE}",
]
RULE_FINGERPRINT = hashlib.md5("\n".join(_REFRESH).encode()).hexdigest()


def refresh_cell_counts(connection: duckdb.DuckDBPyConnection) -> None:
    """Store COUNTED_CELLS for every cell (inside the caller's transaction, after its last write
    to responses, answers, response_weeks and ingest_runs)."""
    connection.execute(CELL_COUNT_TABLES)
    for statement in _REFRESH:
        connection.execute(statement, EVERY_CELL if "$week_from" in statement else None)
    connection.execute("DELETE FROM cell_counts_rule")
    connection.execute("INSERT INTO cell_counts_rule VALUES (?)", [RULE_FINGERPRINT])


def counts_are_fresh(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file's stored counts were made from its current rows by this rule."""
    return bool(connection.execute(CELL_COUNTS_FRESH, {"rule": RULE_FINGERPRINT}).fetchall()[0][0])


# COUNTED_CELLS' ``cells``, ``score_counts`` and ``late`` read from the stored counts, for the period and
# series (a cell's late responses do not depend on the period either). The relations only the raw form has
# (``week_entries``, ``candidates``, …) are not here: a query naming them is counted from the raw tables.
STORED_CELLS = f"""
cells AS (SELECT week_start, series, responses FROM cell_counts AS c WHERE {period_filter("c")}),
score_counts AS (
    SELECT week_start, series, statement, score, agree, label, answers
    FROM cell_score_counts AS s WHERE {period_filter("s")}
),
late AS (SELECT response_key, week_start, series FROM cell_late_responses AS k WHERE {period_filter("k")}),
statement_cells AS (
    SELECT week_start, series, statement, answers, score_sum, agree_answers
    FROM cell_statement_sums AS t WHERE {period_filter("t")}
)"""
