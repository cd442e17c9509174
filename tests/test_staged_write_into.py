"""core.store.staged_write_into: the loader's connection, holding its TEMP tables, writes into a
private copy of the live DB attached to it; the copy is published whole, or removed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.store import staged_write_into, staging_files


class Boom(Exception):
    pass


def _live_db(path: Path, rows: list[int]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE numbers (n INTEGER)")
        con.executemany("INSERT INTO numbers VALUES (?)", [[n] for n in rows])


def _stored(path: Path) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [n for (n,) in con.execute("SELECT n FROM numbers ORDER BY n").fetchall()]


@pytest.mark.parametrize("live_rows", [None, [1, 2]], ids=["first load", "existing DB"])
@pytest.mark.parametrize("fails", [False, True], ids=["published", "failed mid-transaction"])
def test_temp_rows_reach_the_published_copy_or_nothing_changes(tmp_path: Path, live_rows, fails) -> None:
    db = tmp_path / "live.duckdb"
    if live_rows is not None:
        _live_db(db, live_rows)
    before = db.read_bytes() if db.exists() else None
    con = duckdb.connect(str(tmp_path / "scratch.duckdb"))
    con.execute("CREATE TEMP TABLE incoming AS SELECT * FROM range(10, 13) AS t(n)")
    try:
        with staged_write_into(db, con):
            con.execute("BEGIN TRANSACTION")
            con.execute("CREATE TABLE IF NOT EXISTS numbers (n INTEGER)")
            con.execute("INSERT INTO numbers SELECT n FROM incoming")
            if fails:
                raise Boom()
            con.execute("COMMIT")
    except Boom:
        pass
    # The connection is back on its own database, its TEMP tables intact, the copy detached.
    assert con.execute("SELECT current_database()").fetchall() == [("scratch",)]
    assert con.execute("SELECT count(*) FROM incoming").fetchall() == [(3,)]
    assert "staged_write" not in {name for (name,) in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    con.close()
    assert staging_files(db) == []
    if fails:
        assert (db.read_bytes() if db.exists() else None) == before
    else:
        assert _stored(db) == sorted([*(live_rows or []), 10, 11, 12])
