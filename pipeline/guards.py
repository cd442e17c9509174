"""Checks a run makes on the database it is about to write, and the demo's own rows.

* A DuckDB file of another program is refused (unless ``--force``): our tables and views
  would otherwise be added silently beside its own.
* The demo never mixes synthetic rows into real data: it refuses a DB holding rows of
  non-demo runs, marks its runs in ``demo_runs`` and can remove them again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipeline.errors import IngestError
from core.cell_counts import refresh_cell_counts
from core.stored_polls import SOURCE_TABLES as POLL_SOURCE_TABLES
from core.stored_polls import refresh_stored_polls
from core.schema import rebuild_response_weeks

# Our marker: every DB this project wrote has it (core.schema.TABLES).
OUR_MARKER_TABLE = "schema_info"
# Tables whose rows carry the run that wrote them.
RUN_TABLES = ("responses", "meetings", "rejects", "busy_weeks")

DEMO_TABLES = """
CREATE TABLE IF NOT EXISTS demo_runs (run_id BIGINT PRIMARY KEY);  -- runs of `python -m pipeline demo`
"""


class ForeignDatabaseError(IngestError):
    """The file is a DuckDB database, but not one of ours."""


class DemoRefusedError(IngestError):
    """The demo was pointed at a DB holding real data."""


def _table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()").fetchall()}


def refuse_foreign_database(con: duckdb.DuckDBPyConnection, db_path: Path, force: bool) -> None:
    """A non-empty DB without our marker is another program's: refuse it unless forced."""
    names = _table_names(con)
    if force or not names or OUR_MARKER_TABLE in names:
        return
    shown = ", ".join(sorted(names)[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise ForeignDatabaseError(
        f"{db_path}: not a Review Pulse database (it holds {shown}); nothing was changed. "
        "Give a new --db path, or --force to add our tables beside its own"
    )


def ensure_demo_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DEMO_TABLES)


def refuse_real_data(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """The demo only writes into a new DB or one that holds demo rows alone."""
    ensure_demo_table(con)
    names = _table_names(con)
    for table in RUN_TABLES:
        if table not in names:
            continue
        (real_rows,) = con.execute(
            f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT run_id FROM demo_runs)"  # our table names
        ).fetchall()[0]
        if real_rows:
            raise DemoRefusedError(
                f"{db_path}: holds data that is not the demo's ({real_rows:,} {table} rows); the demo was not loaded. "
                "Give the demo its own --db, e.g. data/demo.duckdb"
            )


def mark_demo_run(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    ensure_demo_table(con)
    con.execute("INSERT INTO demo_runs VALUES (?) ON CONFLICT DO NOTHING", [run_id])


def remove_demo_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete every row the demo's runs wrote, in one transaction; real rows stay."""
    ensure_demo_table(con)
    names = _table_names(con)
    removed: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    demo = "SELECT run_id FROM demo_runs"
    if "answers" in names:
        removed["answers"] = con.execute(
            f"DELETE FROM answers WHERE response_key IN (SELECT response_key FROM responses WHERE run_id IN ({demo}))"
        ).fetchall()[0][0]
    for table in (*RUN_TABLES, "ingest_runs"):
        if table in names:
            removed[table] = con.execute(f"DELETE FROM {table} WHERE run_id IN ({demo})").fetchall()[0][0]
    con.execute("DELETE FROM demo_runs")
    if "response_weeks" in names:
        # Real responses left keep their frozen weeks; one the demo's meetings had placed moves
        # as if by the next run (a closed week it now falls in counts it as late).
        next_run = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchall()[0][0]
        rebuild_response_weeks(con, next_run, datetime.now(timezone.utc).replace(tzinfo=None))
    if "cell_counts_state" in names:  # the pages' counts, of what is left (core.cell_counts)
        refresh_cell_counts(con)
    if POLL_SOURCE_TABLES <= names:  # the talking-point views' rows, of what is left
        refresh_stored_polls(con)
    con.execute("COMMIT")
    return removed
