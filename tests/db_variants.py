"""Copies of the demo DB changed by a few SQL statements: the variants twin tests run a rule's two forms on."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb


def demo_variant(demo_db: Path, folder: Path, statements: list[str] | tuple[str, ...]) -> Path:
    """``demo_db`` copied into ``folder`` with ``statements`` run on the copy; the copy's path."""
    db = folder / "variant.duckdb"
    shutil.copy(demo_db, db)
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)
    return db
