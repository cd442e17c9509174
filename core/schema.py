"""Tables and the public views. The views are the contract every page and export reads."""

from __future__ import annotations

from datetime import datetime

import duckdb

from core.agreement import AGREE_SQL
from core.keys import md5_key_sql

SCHEMA_VERSION = 3  # 2: MD5 response keys as UUIDs, no index on responses (see _MIGRATE_V1_KEYS);
                    # 3: response_weeks keeps each response's week once it closed (see _MIGRATE_V2_FREEZE)

# A review week is over after 7 days, and every response belongs to a meeting at most
# 7 days before it was sent: 14 days after its Monday nothing more can belong to it.
WEEK_CLOSES_AFTER_DAYS = 14

TABLES = """
CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id            BIGINT PRIMARY KEY,
    started_at        TIMESTAMP NOT NULL,   -- UTC
    finished_at       TIMESTAMP NOT NULL,   -- UTC
    sources           VARCHAR NOT NULL,     -- files / sheets read, one per line
    files_read        INTEGER NOT NULL,
    responses_added   INTEGER NOT NULL,
    responses_present INTEGER NOT NULL,     -- already stored by an earlier run
    answers_added     INTEGER NOT NULL,
    rejects_added     INTEGER NOT NULL,
    meetings_loaded   INTEGER NOT NULL,
    dropped_columns   VARCHAR NOT NULL      -- identity column names dropped on read
);

CREATE TABLE IF NOT EXISTS statements (
    statement       VARCHAR PRIMARY KEY,
    statement_order INTEGER NOT NULL
);

-- One row per survey submission. Deliberately no respondent column of any kind.
-- response_key is unique (the loader inserts only keys not yet stored); no index, which
-- would cost more than the whole insert of a large export. Keys are MD5 digests held as
-- UUIDs (md5_number()::UUID): 16 bytes, not 32 hex characters, in every table joining on them.
CREATE TABLE IF NOT EXISTS responses (
    response_key    UUID NOT NULL,
    series          VARCHAR NOT NULL,
    submitted_utc   TIMESTAMP NOT NULL,
    submitted_local TIMESTAMP NOT NULL,     -- in the settings' timezone at ingest
    feedback        VARCHAR,
    source_file     VARCHAR NOT NULL,
    source_line     INTEGER NOT NULL,
    run_id          BIGINT NOT NULL
);

-- One row per (response, statement): the loader inserts answers only with their new
-- response, de-duplicated. No index: maintaining one costs more than the whole insert.
-- score is on 1-5 for every figure; an answer on a declared 1-7 or 1-10 scale (issue #10) is
-- rescaled linearly, and the answer as given is kept in raw_score with its scale_max.
CREATE TABLE IF NOT EXISTS answers (
    response_key UUID NOT NULL,
    statement    VARCHAR NOT NULL,
    score        DOUBLE NOT NULL CHECK (score BETWEEN 1 AND 5),
    raw_score    SMALLINT NOT NULL,
    scale_max    SMALLINT NOT NULL DEFAULT 5
);

-- The attendance sheet is the source of truth: a later load replaces a meeting's row.
CREATE TABLE IF NOT EXISTS meetings (
    series       VARCHAR NOT NULL,
    meeting_date DATE NOT NULL,
    attendees    INTEGER NOT NULL,
    title        VARCHAR,
    source_file  VARCHAR NOT NULL,
    source_line  INTEGER NOT NULL,
    run_id       BIGINT NOT NULL,
    PRIMARY KEY (series, meeting_date)
);

-- Which review week each response belongs to. Derived from responses and meetings,
-- rebuilt by every load (see rebuild_response_weeks) so readers never pay for the join,
-- except that a response's week is fixed once that week closed (schema 3, issue #22 item 5):
-- a later attendance change never moves a response out of a closed week.
CREATE TABLE IF NOT EXISTS response_weeks (
    response_key    UUID NOT NULL,
    series          VARCHAR NOT NULL,
    submitted_local TIMESTAMP NOT NULL,
    meeting_date    DATE,
    week_start      DATE NOT NULL,     -- the week it is counted in (its frozen week once frozen)
    entered_run     BIGINT,            -- the run that put it in week_start: the run that stored it, or moved it there
    frozen_run      BIGINT,            -- the run from which week_start is fixed (its week had closed); NULL: still open
    current_week    DATE               -- the week the current attendance gives; differs from week_start only when frozen
);

CREATE TABLE IF NOT EXISTS rejects (
    reject_key  VARCHAR PRIMARY KEY,
    run_id      BIGINT NOT NULL,
    kind        VARCHAR NOT NULL,          -- survey | attendance
    source_file VARCHAR NOT NULL,
    line        INTEGER NOT NULL,
    reason      VARCHAR NOT NULL,
    raw         VARCHAR NOT NULL           -- JSON of the row, identity columns removed
);
"""

# --- feedback themes and sentiment (issue 15) ---------------------------------------------
# One row per response with feedback, computed at load time (pipeline/feedback_analysis.py);
# the state's fingerprint (theme settings + lexicon) tells the loader when to recompute all.
FEEDBACK_ANALYSIS_TABLES = """
CREATE TABLE IF NOT EXISTS feedback_analysis (
    response_key    UUID NOT NULL,
    sentiment       VARCHAR NOT NULL,        -- positive | neutral | negative
    sentiment_score DOUBLE NOT NULL,         -- VADER compound, -1 to 1
    themes          VARCHAR[] NOT NULL       -- theme ids from settings.feedback_themes
);
CREATE TABLE IF NOT EXISTS feedback_analysis_state (fingerprint VARCHAR NOT NULL);
"""
# --- end of issue 15 tables ------------------------------------------------------------------

def review_week_sql(day: str) -> str:
    """The review week of something sent on ``day`` (an SQL DATE expression of ours), with the
    latest review of its series held on or before it joined as ``m``: that review's week when it
    was held at most 7 days before, else the day's own week. Responses and polls share it."""
    return f"""CAST(date_trunc('week',
        CASE WHEN m.meeting_date IS NOT NULL AND m.meeting_date >= {day} - INTERVAL 7 DAY
             THEN m.meeting_date ELSE {day} END) AS DATE)"""


# A response belongs to the latest review of its series held on or before the day it was
# submitted (at most 7 days before); otherwise to its own week. Once that week has closed
# (WEEK_CLOSES_AFTER_DAYS after its Monday, as of the run's start or an earlier run's), the
# week is frozen for the response: later runs keep it whatever the attendance says, and only
# note the week it would now get in current_week. The read layer (review_pulse/queries.py,
# ``late``) counts a response that entered a closed week after it froze nowhere.
_REBUILD_RESPONSE_WEEKS = [
    f"""CREATE OR REPLACE TEMP TABLE rebuilt_weeks AS
    WITH assigned AS (
        SELECT r.response_key, r.series, r.submitted_local, r.run_id, m.meeting_date,
               {review_week_sql("CAST(r.submitted_local AS DATE)")} AS week_start
        FROM responses AS r
        ASOF LEFT JOIN meetings AS m
          ON r.series = m.series AND CAST(r.submitted_local AS DATE) >= m.meeting_date
    )
    SELECT a.response_key, a.series, a.submitted_local,
           CASE WHEN o.frozen_run IS NULL THEN a.meeting_date ELSE o.meeting_date END AS meeting_date,
           CASE WHEN o.frozen_run IS NULL THEN a.week_start ELSE o.week_start END AS week_start,
           CASE WHEN o.frozen_run IS NOT NULL OR o.week_start = a.week_start THEN coalesce(o.entered_run, a.run_id)
                WHEN o.response_key IS NULL THEN a.run_id
                ELSE $run END AS entered_run,
           coalesce(o.frozen_run,
                    CASE WHEN a.week_start + INTERVAL {WEEK_CLOSES_AFTER_DAYS} DAY
                              <= greatest($started::TIMESTAMP, (SELECT max(started_at) FROM ingest_runs))
                         THEN $run END) AS frozen_run,
           a.week_start AS current_week
    FROM assigned AS a
    LEFT JOIN response_weeks AS o USING (response_key)""",
    "DELETE FROM response_weeks",
    """INSERT INTO response_weeks (response_key, series, submitted_local, meeting_date, week_start,
                                   entered_run, frozen_run, current_week)
       SELECT response_key, series, submitted_local, meeting_date, week_start, entered_run, frozen_run, current_week
       FROM rebuilt_weeks""",
    "DROP TABLE rebuilt_weeks",
]


def rebuild_response_weeks(connection: duckdb.DuckDBPyConnection, run_id: int, started: datetime) -> None:
    """Assign every response its review week as of run ``run_id`` (started at ``started``, UTC),
    keeping frozen weeks, and freeze the weeks that have closed. Inside the caller's transaction."""
    for statement in _REBUILD_RESPONSE_WEEKS:
        connection.execute(statement, {"run": run_id, "started": started} if "$run" in statement else None)


VIEWS = f"""
CREATE OR REPLACE VIEW answer_facts AS
SELECT w.week_start, w.series, a.response_key, a.statement,
       COALESCE(s.statement_order, 999) AS statement_order, a.score, a.raw_score, a.scale_max
FROM answers AS a
JOIN response_weeks AS w USING (response_key)
LEFT JOIN statements AS s USING (statement);

CREATE OR REPLACE VIEW weekly_statement_scores AS
SELECT week_start,
       statement,
       count(*)                                        AS answers,
       avg(score)::DOUBLE                              AS mean_score,
       avg(CASE WHEN {AGREE_SQL} THEN 1.0 ELSE 0.0 END)::DOUBLE AS agree_share,  -- core.agreement
       series
FROM answer_facts
GROUP BY week_start, statement, series;

CREATE OR REPLACE VIEW weekly_scores AS
SELECT w.week_start,
       count(DISTINCT w.response_key)  AS responses,
       avg(a.score)::DOUBLE            AS mean_score,
       w.series
FROM response_weeks AS w
LEFT JOIN answers AS a USING (response_key)
GROUP BY w.week_start, w.series;

CREATE OR REPLACE VIEW weekly_attendance AS
SELECT CAST(date_trunc('week', meeting_date) AS DATE) AS week_start,
       sum(attendees)::BIGINT                         AS attendees,
       series
FROM meetings
GROUP BY 1, series;

CREATE OR REPLACE VIEW feedback AS
SELECT w.week_start, r.feedback AS text, r.series,
       fa.sentiment, fa.sentiment_score, coalesce(fa.themes, []::VARCHAR[]) AS themes  -- issue 15
FROM responses AS r
JOIN response_weeks AS w USING (response_key)
LEFT JOIN feedback_analysis AS fa USING (response_key)
WHERE r.feedback IS NOT NULL AND trim(r.feedback) <> '';
"""

# --- follow-up actions (issue 13) -------------------------------------------------------
# One row per action; a later export replaces it (the tracker is the source of truth).
# Deliberately no assignee, reporter, creator or watcher column.
ACTION_TABLES = """
CREATE TABLE IF NOT EXISTS action_items (
    action_key     VARCHAR PRIMARY KEY,  -- tracker key (OPS-12) or URL; sheet rows without a link: sheet:<md5>
    series         VARCHAR NOT NULL,
    title          VARCHAR NOT NULL,
    status         VARCHAR NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    tracker_status VARCHAR NOT NULL,     -- as the tracker wrote it (Done, Won't Do, not planned…)
    created        DATE,
    due            DATE,
    closed         DATE,
    team           VARCHAR,
    source         VARCHAR NOT NULL,     -- jira | linear | github | incident.io | sheet
    link           VARCHAR,              -- http(s) only
    review_date    DATE,                 -- from a review-date column or a review label
    link_method    VARCHAR,              -- how review_date was found; NULL: by creation date, below
    source_file    VARCHAR NOT NULL,
    source_line    INTEGER NOT NULL,
    run_id         BIGINT NOT NULL
);
"""

# An action belongs to the review named by its review-date column or label; otherwise to the
# latest review of its series held on or before the day it was created, at most 7 days before
# (as responses do); otherwise to none (review_week NULL: unlinked, still counted).
ACTION_VIEWS = """
CREATE OR REPLACE VIEW actions AS
SELECT a.action_key, a.series,
       CAST(date_trunc('week', coalesce(a.review_date,
            CASE WHEN m.meeting_date >= a.created - INTERVAL 7 DAY THEN m.meeting_date END)) AS DATE) AS review_week,
       a.title, a.status, a.created, a.due, a.closed, a.team, a.source, a.link
FROM action_items AS a
ASOF LEFT JOIN meetings AS m ON a.series = m.series AND a.created >= m.meeting_date;
"""
# --- end of follow-up actions -----------------------------------------------------------


# --- Talking points (issue 12): the opening poll of each review -------------------------------
# Additive tables only (no SCHEMA_VERSION bump). A poll is keyed by its app's own id, so a
# re-load replaces its tally. Option texts are what the room voted on; voters are never stored.
POLL_TABLES = """
CREATE TABLE IF NOT EXISTS polls (
    poll_id     VARCHAR PRIMARY KEY,
    series      VARCHAR NOT NULL,
    held_utc    TIMESTAMP NOT NULL,
    held_local  TIMESTAMP NOT NULL,
    title       VARCHAR,
    app         VARCHAR NOT NULL,          -- polly | simple-poll | sheet
    edited_ts   DOUBLE NOT NULL,           -- the Slack message's latest edit (0 for sheets): an older one never replaces it
    source_file VARCHAR NOT NULL,
    run_id      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS poll_options (
    poll_id      VARCHAR NOT NULL,
    option_order INTEGER NOT NULL,
    point        VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL CHECK (kind IN ('incident', 'theme', 'other')),
    theme        VARCHAR,
    votes        BIGINT NOT NULL CHECK (votes >= 0),
    discussed    BOOLEAN,
    PRIMARY KEY (poll_id, option_order)
);
"""

# Week assignment is the survey responses' rule (rebuild_response_weeks, without the freeze): a poll belongs to the
# latest review of its series held on or before its day (at most 7 days before), else its own week.
POLL_VIEWS = f"""
CREATE OR REPLACE VIEW poll_weeks AS
SELECT p.poll_id, p.series, p.held_local, m.meeting_date,
       {review_week_sql("CAST(p.held_local AS DATE)")} AS week_start
FROM polls AS p
ASOF LEFT JOIN meetings AS m
  ON p.series = m.series AND CAST(p.held_local AS DATE) >= m.meeting_date;

-- share: votes / the poll's total (NULL when nobody voted); rank 1 = most votes, ties share a rank.
CREATE OR REPLACE VIEW talking_points AS
SELECT w.week_start, w.series, o.poll_id, o.point, o.kind, o.theme, o.votes,
       (o.votes / nullif(sum(o.votes) OVER (PARTITION BY o.poll_id), 0))::DOUBLE AS share,
       rank() OVER (PARTITION BY o.poll_id ORDER BY o.votes DESC)::INTEGER AS rank
FROM poll_options AS o
JOIN poll_weeks AS w USING (poll_id);

-- The week's top pick: the most-voted option over its polls; on a tie, the one listed first (the earliest
-- poll, then the poll's id, then the option's place). NULL when nobody voted. One grouping with min_by
-- on that order, not a window over every option (a third less time over 52,200 options);
-- tests/test_polls.py keeps the window form and runs both.
CREATE OR REPLACE VIEW weekly_topics AS
WITH options AS (
    SELECT w.week_start, w.series, o.poll_id, o.option_order, o.point, o.kind, o.theme, o.votes, p.held_utc
    FROM poll_options AS o JOIN poll_weeks AS w USING (poll_id) JOIN polls AS p USING (poll_id)
), weeks AS (
    SELECT week_start, series, count(DISTINCT poll_id)::BIGINT AS polls, sum(votes)::BIGINT AS total_votes,
           min_by({{'votes': votes, 'point': point, 'kind': kind, 'theme': theme}},
                  {{'votes': -votes, 'held_utc': held_utc, 'poll_id': poll_id, 'option_order': option_order}}) AS top
    FROM options GROUP BY week_start, series
)
SELECT week_start, series, polls, total_votes,
       CASE WHEN top.votes > 0 THEN top.point END AS top_point,
       CASE WHEN top.votes > 0 THEN top.kind END AS top_kind,
       CASE WHEN top.votes > 0 THEN top.theme END AS top_theme
FROM weeks;
"""

# --- the weekly Slack digest (issue 25) --------------------------------------------------------
# One row per digest posted: a week already posted for a series is not posted again unless forced.
# Additive (CREATE IF NOT EXISTS, no SCHEMA_VERSION bump): an older file gains it on its next write.
# Where it went is only its kind (webhook | bot) and the channel setting: never a URL or a token.
DIGEST_TABLES = """
CREATE TABLE IF NOT EXISTS digest_posts (
    series     VARCHAR NOT NULL,
    week_start DATE NOT NULL,
    posted_at  TIMESTAMP NOT NULL,          -- UTC
    via        VARCHAR NOT NULL CHECK (via IN ('webhook', 'bot')),
    channel    VARCHAR                      -- [digest] channel for the bot; NULL for a webhook (its channel is in the URL)
);
"""

# Known busy weeks loaded as data (`ingest --calendar`): one kind per week of a series. A load replaces
# the whole calendar of each series it names (the file is the source of truth). Additive, like
# digest_posts. The early warning reads these beside `[calendar] busy_weeks` (settings win on a clash).
CALENDAR_TABLES = """
CREATE TABLE IF NOT EXISTS busy_weeks (
    series      VARCHAR NOT NULL,
    week_start  DATE NOT NULL,             -- the Monday of the week
    kind        VARCHAR NOT NULL,          -- case-folded, 1-40 characters (core.settings.busy_week_kind)
    source_file VARCHAR NOT NULL,
    source_line BIGINT NOT NULL,
    run_id      BIGINT NOT NULL,
    PRIMARY KEY (series, week_start)
);
"""
# --- end of issue 25 tables --------------------------------------------------------------------

# --- what each week of a series counts (issue #23) ---------------------------------------------
# core.cell_counts.COUNTED_CELLS' two results as stored by the last load (refresh_cell_counts), with the
# same columns and types; the pages read them instead of every answer. Additive, like digest_posts: empty
# until a load fills them, and a reader uses them only while cell_counts_state matches the file's rows.
CELL_COUNT_TABLES = """
CREATE TABLE IF NOT EXISTS cell_counts (
    week_start DATE NOT NULL,
    series     VARCHAR NOT NULL,
    responses  BIGINT NOT NULL      -- stored responses of the cell that are not late
);
CREATE TABLE IF NOT EXISTS cell_score_counts (
    week_start DATE NOT NULL,
    series     VARCHAR NOT NULL,
    statement  VARCHAR NOT NULL,
    score      DOUBLE NOT NULL,
    agree      BOOLEAN NOT NULL,
    label      INTEGER NOT NULL,
    answers    BIGINT NOT NULL      -- answers of the cell's counted responses with this statement and score
);
-- Per cell and statement, from cell_score_counts (COUNTED_CELLS' ``statement_cells``): what the weekly
-- scores add up, a fifth of the rows.
CREATE TABLE IF NOT EXISTS cell_statement_sums (
    week_start    DATE NOT NULL,
    series        VARCHAR NOT NULL,
    statement     VARCHAR NOT NULL,
    answers       BIGINT NOT NULL,
    score_sum     DOUBLE NOT NULL,     -- sum of score x answers
    agree_answers BIGINT NOT NULL
);
-- The responses the counts leave out (COUNTED_CELLS' ``late``): what the feedback queries skip.
CREATE TABLE IF NOT EXISTS cell_late_responses (
    response_key UUID NOT NULL,
    week_start   DATE NOT NULL,
    series       VARCHAR NOT NULL
);
-- What the counts were made from (CELL_COUNTS_SOURCE): a reader uses them only while it still matches.
CREATE TABLE IF NOT EXISTS cell_counts_state (
    responses BIGINT NOT NULL, answers BIGINT NOT NULL, response_weeks BIGINT NOT NULL,
    runs BIGINT NOT NULL, last_run BIGINT NOT NULL
);
-- Which rule made them (core.cell_counts.RULE_FINGERPRINT).
CREATE TABLE IF NOT EXISTS cell_counts_rule (fingerprint VARCHAR NOT NULL);
"""
# --- end of the cell counts ---------------------------------------------------------------------


def temp_table(connection: duckdb.DuckDBPyConnection, name: str, columns: dict[str, tuple[str, list]],
               append: bool = False) -> None:
    """A TEMP table from Python lists, one per column: {column: (SQL type, values)}; with
    ``append``, the rows are added to the existing table ``name`` instead (same columns, same order).

    The lists are bound as typed LIST parameters and unnested side by side, so a CLI run need
    not import pyarrow and numpy (the benchmark report has the cost).
    ``name`` and the column names and types are ours, never data.
    """
    rows = len(next(iter(columns.values()))[1]) if columns else 0
    into = f"INSERT INTO {name}" if append else f"CREATE TEMP TABLE {name} AS"
    if rows > ARROW_FROM_ROWS:
        # Many rows (the Python path on a large file): Arrow converts them about 3x faster.
        import pyarrow as pa

        arrow_types = {"VARCHAR": pa.string(), "TIMESTAMP": pa.timestamp("us"), "BIGINT": pa.int64(),
                       "TINYINT": pa.int8(), "SMALLINT": pa.int16(), "DATE": pa.date32(), "DOUBLE": pa.float64(),
                       "VARCHAR[]": pa.list_(pa.string())}
        table = pa.table({column: pa.array(values, arrow_types[sql_type])
                          for column, (sql_type, values) in columns.items()})
        connection.register(f"{name}_arrow", table)
        connection.execute(f"{into} SELECT * FROM {name}_arrow")
        connection.unregister(f"{name}_arrow")
        return
    select = ", ".join(f"unnest(?::{sql_type}[]) AS {column}" for column, (sql_type, _values) in columns.items())
    connection.execute(f"{into} SELECT {select}", [values for _type, values in columns.values()])


ARROW_FROM_ROWS = 50_000


def isoformat_sql(column: str) -> str:
    """SQL giving what Python's datetime.isoformat() gives for a naive TIMESTAMP from year 1000 on."""
    # %f is always six digits; isoformat() leaves the fraction out when it is zero.
    return f"replace(strftime({column}, '%Y-%m-%dT%H:%M:%S.%f'), '.000000', '')"


# Version 1 keyed responses with BLAKE2b hex text and indexed the key. Version 2 keys are MD5 of
# the same content (pipeline.parse.keys.response_key_maker), which DuckDB can compute too, so
# the CSV fast path keys rows in SQL. The content is all stored, so old keys are recomputed
# here; re-loading an export that was loaded before the upgrade then adds nothing.
_MIGRATE_V1_KEYS = [f"""
CREATE TEMP TABLE key_migration AS
WITH answer_text AS (
    SELECT a.response_key,
           string_agg(a.statement || '=' || a.score::VARCHAR, chr(31)
                      ORDER BY coalesce(s.statement_order, 999), a.statement) AS answers
    FROM answers AS a LEFT JOIN statements AS s USING (statement)
    GROUP BY a.response_key
), content AS (
    SELECT r.response_key AS old_key, r.source_file, r.source_line,
           concat_ws(chr(31), r.series, {isoformat_sql('r.submitted_utc')}, t.answers, coalesce(r.feedback, '')) AS content
    FROM responses AS r LEFT JOIN answer_text AS t USING (response_key)
)
SELECT old_key, {md5_key_sql("content", "occurrence")} AS new_key
FROM (SELECT *, row_number() OVER (PARTITION BY content ORDER BY source_file, source_line) - 1 AS occurrence
      FROM content)""",
    """CREATE TEMP TABLE responses_v2 AS
       SELECT k.new_key AS response_key, r.* EXCLUDE (response_key)
       FROM responses AS r JOIN key_migration AS k ON k.old_key = r.response_key""",
    """CREATE TEMP TABLE answers_v2 AS
       SELECT k.new_key AS response_key, a.* EXCLUDE (response_key)
       FROM answers AS a JOIN key_migration AS k ON k.old_key = a.response_key""",
    "DROP TABLE responses",
    "DROP TABLE answers",
    "DROP TABLE response_weeks",  # rebuilt by the load that runs this migration
]  # then TABLES creates the three anew with UUID keys and the saved rows go back in


# Version 2 rebuilt every response's week on every load. Version 3 keeps a response's week once
# that week closed. What version 2 readers saw is what is frozen now: each response counts as
# having entered its week with the run that stored it (version 2's late rule), and is frozen from
# its week's closing run (the first run that started after the week closed), or from the run that
# stored it if that came later. Weeks not closed yet are left to the load that runs this.
_MIGRATE_V2_FREEZE = [
    "ALTER TABLE response_weeks ADD COLUMN entered_run BIGINT",
    "ALTER TABLE response_weeks ADD COLUMN frozen_run BIGINT",
    "ALTER TABLE response_weeks ADD COLUMN current_week DATE",
    """UPDATE response_weeks AS w SET entered_run = r.run_id, current_week = w.week_start
       FROM responses AS r WHERE r.response_key = w.response_key""",
    f"""UPDATE response_weeks AS w SET frozen_run = greatest(k.closing_run, w.entered_run)
        FROM (SELECT d.week_start, min(i.run_id) AS closing_run
              FROM (SELECT DISTINCT week_start FROM response_weeks) AS d
              JOIN ingest_runs AS i ON i.started_at >= d.week_start + INTERVAL {WEEK_CLOSES_AFTER_DAYS} DAY
              GROUP BY d.week_start) AS k
        WHERE k.week_start = w.week_start""",
]


def ensure_schema(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(TABLES)
    connection.execute(ACTION_TABLES)  # follow-up actions (issue 13)
    versions = connection.execute("SELECT version FROM schema_info").fetchall()
    if not versions:
        connection.execute("INSERT INTO schema_info VALUES (?)", [SCHEMA_VERSION])
    elif versions[0][0] == 2:
        for statement in _MIGRATE_V2_FREEZE:
            connection.execute(statement)
        connection.execute("UPDATE schema_info SET version = ?", [SCHEMA_VERSION])
    elif versions[0][0] < 2:
        for statement in _MIGRATE_V1_KEYS:
            connection.execute(statement)
        connection.execute(TABLES)  # responses, answers and response_weeks in their current form
        connection.execute("INSERT INTO responses SELECT * FROM responses_v2")
        connection.execute("INSERT INTO answers (response_key, statement, score, raw_score, scale_max) "
                           "SELECT response_key, statement, score, score, 5 FROM answers_v2")
        connection.execute("DROP TABLE responses_v2; DROP TABLE answers_v2; DROP TABLE key_migration")
        connection.execute("UPDATE schema_info SET version = ?", [SCHEMA_VERSION])
    connection.execute(FEEDBACK_ANALYSIS_TABLES)  # issue 15
    _add_answer_scales(connection)
    connection.execute(VIEWS)
    connection.execute(ACTION_VIEWS)  # follow-up actions (issue 13)
    connection.execute(POLL_TABLES)  # talking points (issue 12)
    connection.execute(POLL_VIEWS)
    connection.execute(DIGEST_TABLES)  # the weekly Slack digest (issue 25)
    connection.execute(CALENDAR_TABLES)  # known busy weeks loaded as data (issue 25)
    connection.execute(CELL_COUNT_TABLES)  # what each week of a series counts, filled by every load (issue #23)


# --- issue #10: answers on declared scales ---


def _add_answer_scales(connection: duckdb.DuckDBPyConnection) -> None:
    """A database from before issue #10 has TINYINT scores and no raw_score: rebuild answers
    in the new shape (the views are dropped and recreated by the caller)."""
    columns = {name for (name,) in connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'answers' "
        # The loader's connection has other databases attached: only this one's answers count.
        "AND table_catalog = current_database() AND table_schema = current_schema()").fetchall()}
    if "raw_score" in columns:
        return
    connection.execute("DROP VIEW IF EXISTS weekly_statement_scores; DROP VIEW IF EXISTS weekly_scores; "
                       "DROP VIEW IF EXISTS feedback; DROP VIEW IF EXISTS answer_facts")
    connection.execute("CREATE TEMP TABLE answers_before_scales AS SELECT * FROM answers")
    connection.execute("DROP TABLE answers")
    connection.execute(TABLES)
    connection.execute("INSERT INTO answers (response_key, statement, score, raw_score, scale_max) "
                       "SELECT response_key, statement, score, score, 5 FROM answers_before_scales")
    connection.execute("DROP TABLE answers_before_scales")
