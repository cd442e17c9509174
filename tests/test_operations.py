"""Issue 16, operations (items 11, 12, 14, 15, 17): real processes, real files, real DuckDB.

Staging leftovers of a run killed with SIGKILL, a run that fails during the copy (file
size limit, the disk-full of one process) or on a corrupt DB, a deleted lock file, a
symlinked --db, another program's DuckDB file, and the demo pointed at real data.
"""

from __future__ import annotations

import csv
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REVIEW_PULSE_SETTINGS": str(tmp_path / "none.toml"),
            "PYTHONPATH": str(ROOT)}


def cli(tmp_path: Path, *args: object, **popen: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "pipeline", *map(str, args)], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=180, **popen)


def write_survey(path: Path, rows: int, day: int = 4) -> int:
    """A wide export with ``rows`` responses in one week; returns how many."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "Good use of my time", "Felt safe"])
        for i in range(rows):
            writer.writerow([f"2026-03-{day:02d} {10 + i // 60:02d}:{i % 60:02d}", str(1 + i % 5), str(5 - i % 5)])
    return rows


def count(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".next-" in p.name)


# A real writer that stops inside staged_write, after the copy and with a .wal, until killed.
_STAGED_WRITER = """
import sys, time
from pathlib import Path
from core.store import staged_write, write_lock
db = Path(sys.argv[1])
with write_lock(db), staged_write(db) as con:
    con.execute("CREATE TABLE half_written (n INTEGER)")
    con.execute("INSERT INTO half_written VALUES (1), (2), (3)")  # committed to the staging copy's .wal
    print("staged", flush=True)
    time.sleep(600)
"""


def _start_staged_writer(db: Path, tmp_path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([PYTHON, "-c", _STAGED_WRITER, str(db)], cwd=ROOT, env=_env(tmp_path),
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "staged"
    return child


def test_the_next_run_removes_staging_files_of_a_run_killed_with_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "reviews.duckdb"
    survey = tmp_path / "s.csv"
    first = write_survey(survey, 7)
    assert cli(tmp_path, "ingest", "--db", db, "--surveys", survey).returncode == 0
    seen = []
    for _ in range(2):  # two killed runs, as a cron job killed now and then leaves them
        child = _start_staged_writer(db, tmp_path)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        seen.append(leftovers(tmp_path))
    # each killed run left a copy and its .wal; the second run, under the lock, removed the first's
    assert seen == [[f"reviews.duckdb.next-{pid}{ext}" for ext in ("", ".wal")] for pid in _pids(seen)]

    second = tmp_path / "s2.csv"
    added = write_survey(second, 6, day=11)
    result = cli(tmp_path, "ingest", "--db", db, "--surveys", second)
    assert result.returncode == 0, result.stderr
    assert leftovers(tmp_path) == []
    assert count(db, "responses") == first + added


def _pids(seen: list[list[str]]) -> list[str]:
    return [names[0].rsplit("-", 1)[1] if names else "?" for names in seen]


def test_a_run_failing_on_a_corrupt_db_removes_its_staging_copy(tmp_path: Path) -> None:
    db = tmp_path / "reviews.duckdb"
    db.write_bytes(b"DUCK" + os.urandom(64 * 1024))
    before = db.read_bytes()
    survey = tmp_path / "s.csv"
    write_survey(survey, 5)
    result = cli(tmp_path, "ingest", "--db", db, "--surveys", survey)
    assert result.returncode == 2 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert leftovers(tmp_path) == []
    assert db.read_bytes() == before


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # Python ignores SIGXFSZ: writes fail, EFBIG
    return apply


def test_a_run_failing_during_the_copy_removes_its_partial_copy(tmp_path: Path) -> None:
    db = tmp_path / "reviews.duckdb"
    survey = tmp_path / "s.csv"
    write_survey(survey, 2000)
    assert cli(tmp_path, "ingest", "--db", db, "--surveys", survey).returncode == 0
    before = db.read_bytes()
    more = tmp_path / "more.csv"
    write_survey(more, 5, day=18)
    # This process may write no file larger than half the DB: the copy fails part-way, like a full disk.
    result = cli(tmp_path, "ingest", "--db", db, "--surveys", more, preexec_fn=_limit_file_size(len(before) // 2))
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert leftovers(tmp_path) == []
    assert db.read_bytes() == before


_LOCK_HOLDER = """
import sys, time
from pathlib import Path
from core.store import write_lock
with write_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_deleting_lock_files_does_not_let_a_second_writer_in(tmp_path: Path) -> None:
    from core.store import StoreLockedError, write_lock

    db = tmp_path / "reviews.duckdb"
    holder = subprocess.Popen([PYTHON, "-c", _LOCK_HOLDER, str(db)], cwd=ROOT, env=_env(tmp_path),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        for debris in tmp_path.glob("*.lock"):  # an operator tidying up what looks like debris
            debris.unlink()
        with pytest.raises(StoreLockedError):
            with write_lock(db, wait=False):
                pass
    finally:
        holder.kill()
        holder.wait()
    with write_lock(db, wait=False):  # free again once the holder is gone
        pass


def test_a_second_cli_ingest_waits_for_the_first_even_without_a_lock_file(tmp_path: Path) -> None:
    db = tmp_path / "reviews.duckdb"
    survey = tmp_path / "s.csv"
    rows = write_survey(survey, 5)
    holder = subprocess.Popen([PYTHON, "-c", _LOCK_HOLDER, str(db)], cwd=ROOT, env=_env(tmp_path),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        for debris in tmp_path.glob("*.lock"):
            debris.unlink()
        waiting = subprocess.Popen([PYTHON, "-m", "pipeline", "ingest", "--db", str(db), "--surveys", str(survey)],
                                   cwd=ROOT, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(3)
        assert waiting.poll() is None and not db.exists()  # still waiting for the lock
    finally:
        holder.kill()
        holder.wait()
    assert waiting.wait(timeout=120) == 0
    assert count(db, "responses") == rows


def test_a_symlinked_db_is_published_at_its_target_and_stays_a_link(tmp_path: Path) -> None:
    target_dir, link_dir = tmp_path / "volume", tmp_path / "app"
    target_dir.mkdir()
    link_dir.mkdir()
    target, link = target_dir / "reviews.duckdb", link_dir / "reviews.duckdb"
    survey, more = tmp_path / "s.csv", tmp_path / "more.csv"
    first, second = write_survey(survey, 5), write_survey(more, 6, day=11)
    assert cli(tmp_path, "ingest", "--db", target, "--surveys", survey).returncode == 0
    link.symlink_to(target)
    result = cli(tmp_path, "ingest", "--db", link, "--surveys", more)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert count(target, "responses") == first + second  # readers of the target see the new snapshot
    assert leftovers(target_dir) == [] and sorted(p.name for p in link_dir.iterdir()) == ["reviews.duckdb"]


def test_a_dangling_symlink_is_created_at_its_target(tmp_path: Path) -> None:
    target, link = tmp_path / "real.duckdb", tmp_path / "link.duckdb"
    link.symlink_to(target)
    survey = tmp_path / "s.csv"
    rows = write_survey(survey, 5)
    assert cli(tmp_path, "ingest", "--db", link, "--surveys", survey).returncode == 0
    assert link.is_symlink() and count(target, "responses") == rows


def _foreign_db(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE customers (id INTEGER, name VARCHAR)")
        con.execute("INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')")


@pytest.mark.parametrize("command", ["ingest", "init", "demo"])
def test_another_programs_duckdb_file_is_refused(tmp_path: Path, command: str) -> None:
    db = tmp_path / "theirs.duckdb"
    _foreign_db(db)
    before = db.read_bytes()
    survey = tmp_path / "s.csv"
    write_survey(survey, 5)
    extra = ["--surveys", survey] if command == "ingest" else ["--source-dir", tmp_path / "demo"] if command == "demo" else []
    result = cli(tmp_path, command, "--db", db, *extra)
    assert result.returncode == 2
    assert result.stderr == (f"error: {db}: not a Review Pulse database (it holds customers); nothing was changed. "
                             "Give a new --db path, or --force to add our tables beside its own\n")
    assert db.read_bytes() == before and leftovers(tmp_path) == []


def test_force_writes_beside_another_programs_tables(tmp_path: Path) -> None:
    db = tmp_path / "theirs.duckdb"
    _foreign_db(db)
    survey = tmp_path / "s.csv"
    rows = write_survey(survey, 5)
    assert cli(tmp_path, "ingest", "--db", db, "--surveys", survey, "--force").returncode == 0
    assert count(db, "customers") == 2 and count(db, "responses") == rows
    # ours from now on: no --force needed again
    assert cli(tmp_path, "ingest", "--db", db, "--surveys", survey).returncode == 0


def test_an_empty_duckdb_file_is_not_foreign(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    assert cli(tmp_path, "init", "--db", db).returncode == 0


def _demo_counts(source_dir: Path) -> tuple[int, int]:
    """Responses and meetings the demo's own CSVs hold, counted with csv (rejects excluded by hand: 2 rows)."""
    with open(source_dir / "survey_responses.csv", newline="", encoding="utf-8") as handle:
        survey_rows = sum(1 for _ in csv.reader(handle)) - 1
    with open(source_dir / "attendance.csv", newline="", encoding="utf-8") as handle:
        meetings = sum(1 for _ in csv.reader(handle)) - 1
    return survey_rows - 2, meetings


def test_the_demo_refuses_a_db_with_real_data(tmp_path: Path) -> None:
    db = tmp_path / "reviews.duckdb"
    survey = tmp_path / "s.csv"
    rows = write_survey(survey, 5)
    assert cli(tmp_path, "ingest", "--db", db, "--surveys", survey).returncode == 0
    before = db.read_bytes()
    result = cli(tmp_path, "demo", "--db", db, "--source-dir", tmp_path / "demo")
    assert result.returncode == 2
    assert result.stderr == (f"error: {db}: holds data that is not the demo's ({rows} responses rows); the demo was "
                             "not loaded. Give the demo its own --db, e.g. data/demo.duckdb\n")
    assert db.read_bytes() == before


def test_demo_rows_are_marked_and_removable_leaving_real_data(tmp_path: Path) -> None:
    db = tmp_path / "reviews.duckdb"
    assert cli(tmp_path, "demo", "--db", db, "--source-dir", tmp_path / "demo").returncode == 0
    demo_responses, demo_meetings = _demo_counts(tmp_path / "demo")
    assert (count(db, "responses"), count(db, "meetings")) == (demo_responses, demo_meetings)
    # the demo again into its own DB is fine (nothing new)
    assert cli(tmp_path, "demo", "--db", db, "--source-dir", tmp_path / "demo").returncode == 0
    # then real data in the same DB, in a week the demo does not use
    survey = tmp_path / "s.csv"
    real = write_survey(survey, 6)
    assert cli(tmp_path, "ingest", "--db", db, "--surveys", survey).returncode == 0
    assert count(db, "responses") == demo_responses + real

    result = cli(tmp_path, "demo", "--remove", "--db", db)
    assert result.returncode == 0, result.stderr
    assert f"{demo_responses:,} responses" in result.stdout and f"{demo_meetings:,} meetings" in result.stdout
    assert (count(db, "responses"), count(db, "meetings"), count(db, "rejects")) == (real, 0, 0)
    assert count(db, "answers") == 2 * real and count(db, "response_weeks") == real
    assert count(db, "ingest_runs") == 1
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT DISTINCT source_file FROM responses").fetchall() == [(str(survey),)]
