"""Where the DuckDB file lives, how readers open it and how writers publish it.

DuckDB allows one writing process or many reading processes, never both. So the
dashboard never shares a file with a writer: an ingestion copies the live file
to a staging file beside it, writes there, checkpoints, closes and publishes it
with an atomic rename. Readers open the live path read-only per query; a reader
that opened the old file keeps a whole old snapshot, the next one gets the new.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb


class StoreLockedError(RuntimeError):
    pass


def data_version(db_path: Path) -> tuple[int, int, int] | None:
    """Changes whenever a new snapshot is published; cache keys include it."""
    try:
        stat = os.stat(db_path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def connect_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db_path), read_only=True)


@contextlib.contextmanager
def write_lock(db_path: Path, wait: bool = True) -> Iterator[None]:
    """Serialise writers (two scheduled jobs must not publish over each other)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise StoreLockedError(f"{db_path}: another ingestion is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def staged_write(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a private copy; publish it only if the block succeeds.

    On any exception the staging file is removed and the live file is untouched.
    The caller holds ``write_lock``.
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = db_path.with_name(f"{db_path.name}.next-{os.getpid()}")
    _remove(staging)
    if db_path.exists():
        shutil.copy2(db_path, staging)
    connection = duckdb.connect(str(staging))
    try:
        yield connection
        connection.execute("CHECKPOINT")
        connection.close()
        _fsync(staging)
        os.replace(staging, db_path)
        _fsync_dir(db_path.parent)
    except BaseException:
        with contextlib.suppress(Exception):
            connection.close()
        _remove(staging)
        raise


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
