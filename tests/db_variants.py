"""Copies of the demo DB changed by a few SQL statements: the variants twin tests run a rule's two forms on;
and the file as an older release left it (without the tables a load now stores), with the comparison of
every figure read both ways."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd


def demo_variant(demo_db: Path, folder: Path, statements: list[str] | tuple[str, ...]) -> Path:
    """``demo_db`` copied into ``folder`` with ``statements`` run on the copy; the copy's path."""
    db = folder / "variant.duckdb"
    shutil.copy(demo_db, db)
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)
    return db


def without_tables(db: Path, copy: Path, tables: Iterable[str]) -> Path:
    """``db`` copied to ``copy`` without ``tables``: the file as a version from before they were stored."""
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        for table in tables:
            con.execute(f"DROP TABLE IF EXISTS {table}")  # our table names
    return copy


def assert_same_figures(left: dict[str, object], right: dict[str, object]) -> None:
    """Two reads of the same figures (name -> value) are equal: frames exactly, a (frame, more) tuple's
    frame exactly and the rest equal, anything else by its repr."""
    assert left.keys() == right.keys()
    for key, value in left.items():
        if isinstance(value, tuple) and value and isinstance(value[0], pd.DataFrame):
            pd.testing.assert_frame_equal(value[0], right[key][0], check_exact=True, obj=key)
            assert value[1:] == right[key][1:], key
        elif isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, right[key], check_exact=True, obj=key)
        else:
            assert repr(value) == repr(right[key]), key
