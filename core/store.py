"""Where the DuckDB file lives, how readers open it and how writers publish it.

DuckDB allows one writing process or many reading processes, never both. So the
dashboard never shares a file with a writer: an ingestion copies the live file
to a staging file beside it, writes there, checkpoints, closes and publishes it
with an atomic rename. Readers open the live path read-only per query, through a
private hard link (see connect_read_only): a reader that opened the old file keeps
a whole old snapshot, the next one gets the new.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import itertools
import os
import shutil
import threading
import time
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


_read_links = itertools.count()
STALE_READ_LINK_SECONDS = 3600


def open_snapshot(db_path: Path) -> tuple[duckdb.DuckDBPyConnection, os.stat_result]:
    """A read-only connection to one whole snapshot, and the stat of the file it holds (its identity).

    DuckDB opens the path more than once while connecting, so a publish in between
    could mix two snapshots. A private hard link taken first pins the snapshot's
    inode: the link never changes, whatever is renamed onto the live path.
    """
    link = db_path.with_name(f"{db_path.name}.read-{os.getpid()}-{threading.get_ident()}-{next(_read_links)}")
    try:
        os.link(db_path, link)
        target = link
    except FileNotFoundError:
        raise
    except OSError:
        target = db_path  # read-only folder or no hard links: fall back to the live path
    try:
        stat = os.stat(target)
        connection = duckdb.connect(str(target), read_only=True)
    finally:
        if target is link:
            link.unlink(missing_ok=True)
    return connection, stat


@contextlib.contextmanager
def connect_read_only(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to one whole snapshot (``open_snapshot``), closed after use."""
    connection, _stat = open_snapshot(db_path)
    with connection:
        yield connection


@contextlib.contextmanager
def attached_snapshot(con: duckdb.DuckDBPyConnection, db_path: Path, alias: str) -> Iterator[bool]:
    """ATTACH the live snapshot read-only to ``con`` as ``alias`` (pinned like connect_read_only);
    yields False, attaching nothing, when there is no readable DuckDB file there yet."""
    link = db_path.with_name(f"{db_path.name}.read-{os.getpid()}-{threading.get_ident()}-{next(_read_links)}")
    try:
        os.link(db_path, link)
        target = link
    except FileNotFoundError:
        yield False
        return
    except OSError:
        target = db_path
    try:
        con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(target)])  # alias: our own name
        attached = True
    except duckdb.Error:
        attached = False  # not a DuckDB file, or damaged: the writer reports it under the lock
    finally:
        if target is link:
            link.unlink(missing_ok=True)
    try:
        yield attached
    finally:
        if attached:
            con.execute(f"DETACH {alias}")


def remove_stale_read_links(db_path: Path) -> None:
    """Links left by a reader that died mid-connect would keep old snapshots on disk."""
    cutoff = time.time() - STALE_READ_LINK_SECONDS
    for stale in db_path.parent.glob(f"{db_path.name}.read-*"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()


def write_target(db_path: Path) -> Path:
    """The file a writer replaces: a symlinked --db is resolved once, so the new snapshot is
    published at the link's target and the link stays a link (readers of either see it)."""
    return Path(os.path.realpath(db_path))


@contextlib.contextmanager
def write_lock(db_path: Path, wait: bool = True) -> Iterator[None]:
    """Serialise writers (two scheduled jobs must not publish over each other).

    The lock is taken on the DB's folder, not on a lock file: an operator can delete a
    0-byte ``.lock`` that looks like debris while a run holds it, and the next run would
    then lock a new file and write at the same time. A folder holding the DB cannot be
    deleted from under a run. (Writers of two DBs in one folder therefore take turns.)
    """
    folder = write_target(db_path).parent
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise StoreLockedError(f"{db_path}: another ingestion is running") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_write(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to a private copy; publish it only if the block succeeds.

    On any failure (the copy itself included: disk full, an unreadable or corrupt DB) the
    staging file is removed and the live file is untouched. The caller holds ``write_lock``,
    so staging files of other runs are leftovers of killed runs: they are removed first.
    """
    db_path = write_target(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = db_path.with_name(f"{db_path.name}.next-{os.getpid()}")
    remove_staging_leftovers(db_path)
    connection = None
    try:
        if db_path.exists():
            shutil.copy2(db_path, staging)
        connection = duckdb.connect(str(staging))
        yield connection
        connection.execute("CHECKPOINT")
        connection.close()
        _fsync(staging)
        os.replace(staging, db_path)
        _fsync_dir(db_path.parent)
        remove_stale_read_links(db_path)
    except BaseException:
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
        _remove(staging)
        raise


@contextlib.contextmanager
def staged_write_into(db_path: Path, connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """``staged_write`` for a connection that already holds what the block writes (a loader's
    TEMP tables): the private copy is attached to it as its default database while the block
    runs, then published exactly as ``staged_write`` publishes it, or removed.

    Nothing is copied between connections: the block reads the TEMP tables where they are.
    """
    db_path = write_target(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = db_path.with_name(f"{db_path.name}.next-{os.getpid()}")
    remove_staging_leftovers(db_path)
    home = connection.execute("SELECT current_database()").fetchall()[0][0]
    quoted_home = home.replace("\"", "\"\"")  # a name as an SQL identifier
    attached = False
    try:
        if db_path.exists():
            shutil.copy2(db_path, staging)
        connection.execute("ATTACH ? AS staged_write", [str(staging)])
        attached = True
        connection.execute("USE staged_write")
        yield
        connection.execute("CHECKPOINT staged_write")
        connection.execute(f'USE "{quoted_home}"')  # DuckDB's own name of the connection's database
        connection.execute("DETACH staged_write")
        attached = False
        _fsync(staging)
        os.replace(staging, db_path)
        _fsync_dir(db_path.parent)
        remove_stale_read_links(db_path)
    except BaseException:
        if attached:
            with contextlib.suppress(Exception):
                connection.execute("ROLLBACK")
            with contextlib.suppress(Exception):
                connection.execute(f'USE "{quoted_home}"')
                connection.execute("DETACH staged_write")
        _remove(staging)
        raise


def staging_files(db_path: Path) -> list[Path]:
    """``<db>.next-<pid>`` copies and their ``.wal``, whoever made them."""
    return sorted(db_path.parent.glob(f"{glob.escape(db_path.name)}.next-*"))


def remove_staging_leftovers(db_path: Path) -> list[Path]:
    """Remove staging files of runs that are gone (kill -9, power loss).

    Only called under ``write_lock``: no other run of this DB is writing, so a staging file
    whose process is gone, or belongs to another process now (a reused PID), is debris.
    Each is a whole copy of the DB, so a cron job killed now and then would fill the disk.
    """
    own = f"{db_path.name}.next-{os.getpid()}"
    removed = []
    for leftover in staging_files(db_path):
        if leftover.name in (own, own + ".wal", own + ".tmp"):
            continue
        with contextlib.suppress(FileNotFoundError):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)  # DuckDB's spill folder <staging>.tmp of a killed run
            else:
                leftover.unlink()
            removed.append(leftover)
    return removed


def remove_leftovers_of_killed_writer(db_path: Path) -> list[Path]:
    """After this process killed a writer of ``db_path``: take the lock (its lock went with it)
    and remove its staging files. A writer that holds the lock now removes them itself."""
    try:
        with write_lock(db_path, wait=False):
            return remove_staging_leftovers(write_target(db_path))
    except StoreLockedError:
        return []


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
