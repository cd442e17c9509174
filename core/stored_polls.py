"""The talking-point views' rows, stored at publish time (issue #23: the Talking points page cold).

``talking_points`` (each option with its week, share and rank: windows over every option) and
``weekly_topics`` (each week's top pick) are views in core/schema.py: the rule, defined once. Every
talking-points figure reads one of them, so a cold Talking points page over All time evaluated them
six times (about 0.05 s each over the benchmark's 52,200 options). The loader now stores each view's
rows in its transaction, after its last write to their inputs (``refresh_stored_polls``):
``stored_talking_points`` and ``stored_weekly_topics``, made by ``SELECT * FROM`` the view, so they
are the view's rows and types by construction. A query reads them (``on_stored_polls``) only while
``stored_polls_state`` says they were made from the file's current polls, options and meetings by
this rule; otherwise (a file from before them, a writer that did not refresh them, another rule) it
reads the views, as before. ``tests/test_stored_polls.py`` runs every talking-points query both ways.
"""

from __future__ import annotations

import hashlib

import duckdb

from core.schema import POLL_VIEWS

STORED_RELATIONS = {"talking_points": "stored_talking_points", "weekly_topics": "stored_weekly_topics"}

# What the views are made from: poll_weeks reads polls and meetings, talking_points and weekly_topics
# poll_options too. Counts and a sum of row hashes, so a tally replaced with the same number of
# options (votes moved from one option to another) is a change as well. (DuckDB's hash may change
# between versions: that reads as a change, and the views are read until the next load.)
POLLS_SOURCE = """
SELECT (SELECT count(*) FROM polls),
       (SELECT coalesce(sum(hash(poll_id, series, held_utc, held_local)), 0) FROM polls),
       (SELECT count(*) FROM poll_options),
       (SELECT coalesce(sum(hash(poll_id, option_order, point, kind, theme, votes)), 0) FROM poll_options),
       (SELECT count(*) FROM meetings),
       (SELECT coalesce(sum(hash(series, meeting_date)), 0) FROM meetings)
"""

_REFRESH = [
    *(f"CREATE OR REPLACE TABLE {stored} AS SELECT * FROM {view}" for view, stored in STORED_RELATIONS.items()),
    f"CREATE OR REPLACE TABLE stored_polls_state AS SELECT * FROM ({POLLS_SOURCE}) AS s (polls, polls_hash, options, "
    "options_hash, meetings, meetings_hash)",
]
# The rule the stored rows were made by: the views' text and these statements. A change to either makes a
# file's stored rows stale until its next load.
RULE_FINGERPRINT = hashlib.md5("\n".join([POLL_VIEWS, *_REFRESH]).encode()).hexdigest()
STORED_TABLES = frozenset({*STORED_RELATIONS.values(), "stored_polls_state", "stored_polls_rule"})
SOURCE_TABLES = frozenset({"polls", "poll_options", "meetings"})  # what POLLS_SOURCE reads

POLLS_FRESH = f"""
SELECT count(*) = 1 FROM stored_polls_state AS s, ({POLLS_SOURCE}) AS now (a, b, c, d, e, f)
WHERE (s.polls, s.polls_hash, s.options, s.options_hash, s.meetings, s.meetings_hash)
    = (now.a, now.b, now.c, now.d, now.e, now.f)
  AND (SELECT count(*) = 1 AND bool_and(fingerprint = $rule) FROM stored_polls_rule)
"""


def refresh_stored_polls(connection: duckdb.DuckDBPyConnection) -> None:
    """Store the two views' rows (inside the caller's transaction, after its last write to polls,
    poll_options and meetings). About 0.16 s for the benchmark's 10,440 polls; nothing when the stored
    rows are current already (a load that brought no polls and no attendance change)."""
    tables = {name for (name,) in connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = current_schema()").fetchall()}
    if STORED_TABLES | SOURCE_TABLES <= tables and polls_are_fresh(connection):
        return
    for statement in _REFRESH:
        connection.execute(statement)
    connection.execute("CREATE OR REPLACE TABLE stored_polls_rule AS SELECT ? AS fingerprint", [RULE_FINGERPRINT])


def polls_are_fresh(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file's stored rows were made from its current polls, options and meetings by this rule."""
    return bool(connection.execute(POLLS_FRESH, {"rule": RULE_FINGERPRINT}).fetchall()[0][0])


# A view as every read-layer query names it: after FROM or JOIN, with an alias ("FROM talking_points AS tp").
# tests/test_stored_polls.py checks that this finds every use of the views in the read layer's queries.
_REWRITES = tuple((f"{word} {view} AS ", f"{word} {stored} AS ")
                  for view, stored in STORED_RELATIONS.items() for word in ("FROM", "JOIN"))
_ON_STORED: dict[str, str] = {}


def on_stored_polls(sql: str) -> str:
    """A query of ours with ``talking_points`` and ``weekly_topics`` read from their stored rows."""
    stored = _ON_STORED.get(sql)
    if stored is None:
        stored = sql
        for view_form, stored_form in _REWRITES:
            stored = stored.replace(view_form, stored_form)
        _ON_STORED[sql] = stored
    return stored
