"""The typed entry point (pipeline/ingest.py), the child process the Load data page runs it in
(pipeline/isolated_load.py), feedback analysis off the write lock, and the sweep of upload folders.

Real DuckDB files, real processes, a real flock; expected figures are counted from the rows
written here with the csv module.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipeline.app_loading import BrowserMapping, Upload, load_outcome, saved_uploads, start_upload_load, upload_request
from pipeline.cli import main
from pipeline.ingest import IngestRequest, ingest
from pipeline.isolated_load import IsolatedLoadError, LoadLimits, RunningLoad
from pipeline.private_dirs import OWNER_FILE, SCRATCH_PREFIX, UPLOAD_PREFIX, private_folder, sweep_stale_folders
from core.run_log import failed_runs
from core.settings import Settings
from core.store import write_lock
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)

S = Settings()
STATEMENTS = list(S.statement_texts)
HEADER = ["Timestamp", "Email", *STATEMENTS, "How could we improve?"]
ROWS = [
    ["2026-03-04 16:05", "ana@example.com", "5", "4", "4", "5", "Shorter please, the timeline ran long"],
    ["2026-03-04 16:07", "ben@example.com", "4", "4", "3", "4", ""],
    ["2026-03-04 16:09", "cy@example.com", "3", "5", "4", "2", "More themes across incidents"],
    ["2026-03-04 16:12", "di@example.com", "5", "5", "5", "5", "Great facilitation"],
    ["2026-03-05 09:30", "ed@example.com", "2", "3", "4", "4", "Ran over again"],
    ["2026-03-05 09:45", "fa@example.com", "4", "", "4", "5", ""],
    ["not a time", "gi@example.com", "4", "4", "4", "4", "rejected row"],
]
# Every table the loader writes, compared row for row. The run's start and finish times differ
# between any two runs and are left out; everything else must be equal.
TABLES = {
    "responses": "SELECT response_key, series, submitted_utc, submitted_local, feedback, source_file, source_line, run_id "
                 "FROM responses ORDER BY ALL",
    "answers": "SELECT * FROM answers ORDER BY ALL",
    "rejects": "SELECT * FROM rejects ORDER BY ALL",
    "response_weeks": "SELECT * FROM response_weeks ORDER BY ALL",
    "statements": "SELECT * FROM statements ORDER BY ALL",
    "feedback_analysis": "SELECT * FROM feedback_analysis ORDER BY ALL",
    "feedback_analysis_state": "SELECT * FROM feedback_analysis_state",
    "ingest_runs": "SELECT run_id, sources, files_read, responses_added, responses_present, answers_added, "
                   "rejects_added, meetings_loaded, dropped_columns FROM ingest_runs ORDER BY ALL",
}


def write_export(path: Path, rows: list[list[str]] = ROWS, header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def contents(db: Path, source_names: dict[str, str] | None = None) -> dict[str, list[tuple]]:
    """Each table's rows; ``source_names`` replaces where a row came from by a common name."""
    with duckdb.connect(str(db), read_only=True) as con:
        found = {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}
    if not source_names:
        return found

    def renamed(value: object) -> object:
        if isinstance(value, str):
            for old, new in source_names.items():
                value = value.replace(old, new)
        return value

    return {name: sorted(tuple(renamed(v) for v in row) for row in rows) for name, rows in found.items()}


def usable(rows: list[list[str]]) -> list[list[str]]:
    return [row for row in rows if row[0][:4].isdigit()]


# --- A: the CLI, the page's path and sync store the same rows ------------------------------


def test_cli_page_and_sync_store_the_same_rows(tmp_path: Path, monkeypatch, sheets_api: SheetsApiServer) -> None:
    export = write_export(tmp_path / "after-review.csv")
    cli_db, page_db, sync_db = tmp_path / "cli.duckdb", tmp_path / "page.duckdb", tmp_path / "sync.duckdb"

    assert main(["ingest", "--db", str(cli_db), "--surveys", str(export)]) == 0
    page_load = RunningLoad(upload_request(page_db, S, "surveys", [export]), LoadLimits(120, 4096))
    page_result = load_outcome(page_load.wait(), page_db, ["upload after-review.csv"])
    assert not isinstance(page_result, Exception), page_result

    key = "1RevPulseSurveySheet0000000000000000000000Ab"
    sheets_api.add_sheet(key, {"Responses": [HEADER, *ROWS]})
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    settings_file = tmp_path / "s.toml"
    settings_file.write_text(f'[[sheets]]\nkind = "surveys"\nkey = "{key}"\nworksheet = "Responses"\n')
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
    assert main(["sync", "--db", str(sync_db)]) == 0

    cli = contents(cli_db)
    # The CLI and the page read the same file: every stored value is the same.
    assert contents(page_db) == cli
    # Sync reads the same rows from a sheet: the same, once the sheet's name stands for the file's path.
    assert contents(sync_db, {f"sheet {key} / Responses": str(export)}) == contents(cli_db, {})

    good = usable(ROWS)
    assert len(cli["responses"]) == len(good)
    assert len(cli["answers"]) == sum(1 for row in good for v in row[2:6] if v)
    assert len(cli["rejects"]) == len(ROWS) - len(good)
    assert len(cli["feedback_analysis"]) == sum(1 for row in good if row[6].strip())
    assert page_result.run_id == 1 and page_result.responses_added == len(good)


def test_the_typed_request_is_what_the_cli_runs(tmp_path: Path) -> None:
    export = write_export(tmp_path / "r.csv")
    typed_db, cli_db = tmp_path / "typed.duckdb", tmp_path / "cli.duckdb"
    result = ingest(IngestRequest(typed_db, S, surveys=(export,)))
    assert main(["ingest", "--db", str(cli_db), "--surveys", str(export)]) == 0
    assert contents(typed_db) == contents(cli_db)
    assert result.lines()[:2] == ["files read:          1", f"responses added:     {len(usable(ROWS))}"]


# --- C: feedback analysis runs before the write lock is taken -------------------------------


class LockProbe:
    """Watches calls of pipeline.feedback_analysis.analyse_texts (sys.setprofile, nothing replaced)
    and, at each, asks the kernel whether the DB folder's flock is free: a second open file
    description conflicts with the writer's lock even within one process."""

    def __init__(self, db_path: Path) -> None:
        self.folder = db_path.parent
        self.seen: list[bool] = []  # lock held, per call

    def lock_held(self) -> bool:
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def __call__(self, frame, event, arg) -> None:  # noqa: ANN001
        if event == "call" and frame.f_code.co_name == "analyse_texts" \
                and frame.f_code.co_filename.endswith(os.path.join("pipeline", "feedback_analysis.py")):
            self.seen.append(self.lock_held())


def test_feedback_analysis_runs_while_the_write_lock_is_free(tmp_path: Path, db_path: Path) -> None:
    probe = LockProbe(db_path)
    with write_lock(db_path):
        assert probe.lock_held()  # the probe sees a real holder
    assert not probe.lock_held()

    first = write_export(tmp_path / "first.csv")
    later_rows = [[f"2026-03-11 16:{i:02d}", "x", "4", "4", "4", "4", f"new comment {i}"] for i in range(30)]
    later = write_export(tmp_path / "later.csv", later_rows)
    themed = replace(S, feedback_themes=S.feedback_themes[:2])  # a theme change re-analyses every comment
    sys.setprofile(probe)
    try:
        ingest(IngestRequest(db_path, S, surveys=(first,)))
        ingest(IngestRequest(db_path, S, surveys=(later,)))
        ingest(IngestRequest(db_path, themed, surveys=(later,)))
    finally:
        sys.setprofile(None)
    assert len(probe.seen) == 3 and not any(probe.seen), probe.seen
    with duckdb.connect(str(db_path), read_only=True) as con:
        analysed = con.execute("SELECT count(*) FROM feedback_analysis").fetchone()[0]
    assert analysed == sum(1 for row in usable(ROWS) + later_rows if row[6].strip())


# --- B: the child process ---------------------------------------------------------------------


def slow_export(path: Path, rows: int = 150_000) -> Path:
    """A title line above the header sends the file through the Python parser: seconds of work."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write("Weekly survey export\n")
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", *STATEMENTS, "How could we improve?"])
        for i in range(rows):
            writer.writerow([f"2026-03-{1 + i % 28:02d} 10:{i % 60:02d}:{(i // 60) % 60:02d}",
                             1 + i % 5, 1 + (i + 1) % 5, 1 + (i + 2) % 5, 1 + (i + 3) % 5, f"comment {i} on the timeline"])
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(db_path: Path) -> list[str]:
    return sorted(p.name for p in db_path.parent.iterdir() if p.name.startswith(db_path.name + "."))


def test_a_child_past_its_time_limit_is_killed_and_changes_nothing(tmp_path: Path, db_path: Path) -> None:
    assert main(["ingest", "--db", str(db_path), "--surveys", str(write_export(tmp_path / "first.csv"))]) == 0
    before, files_before = digest(db_path), leftovers(db_path)
    slow = slow_export(tmp_path / "slow.csv")
    load = RunningLoad(IngestRequest(db_path, S, surveys=(slow,)), LoadLimits(seconds=2, memory_mb=4096))
    pid = load.process.pid
    outcome = load.wait()
    assert isinstance(outcome, IsolatedLoadError)
    assert str(outcome) == ("the load was stopped after its time limit of 2 s (browser_load_time_limit_seconds); "
                            "nothing was changed")
    assert 2 <= load.elapsed < 40
    assert load.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # its whole process group is gone
    assert digest(db_path) == before
    assert leftovers(db_path) == files_before  # no staging copy, WAL or spill folder
    assert not [f for f in Path(os.environ.get("TMPDIR", "/tmp")).glob(SCRATCH_PREFIX + "*")
                if (f / OWNER_FILE).exists() and (f / OWNER_FILE).read_text() == str(pid)]
    with write_lock(db_path, wait=False):  # and no lock
        pass


def test_a_child_past_its_memory_limit_fails_in_one_line(tmp_path: Path, db_path: Path) -> None:
    slow = slow_export(tmp_path / "slow.csv", rows=60_000)
    load = RunningLoad(IngestRequest(db_path, S, surveys=(slow,)), LoadLimits(seconds=120, memory_mb=512))
    outcome = load.wait()
    assert isinstance(outcome, IsolatedLoadError), outcome
    message = str(outcome)
    assert "\n" not in message and "nothing was changed" in message
    assert "memory" in message, message
    assert not db_path.exists() or leftovers(db_path) == []


def test_cancel_stops_the_load_and_is_logged(tmp_path: Path, db_path: Path) -> None:
    slow = slow_export(tmp_path / "slow.csv")
    with saved_uploads([Upload("slow.csv", slow.read_bytes())]) as paths:
        load = start_upload_load(db_path, S, "surveys", paths, BrowserMapping())
        time.sleep(1.5)
        load.cancel()
        outcome = load_outcome(load.poll(), db_path, ["upload slow.csv"])
    assert str(outcome) == "the load was cancelled; nothing was changed"
    assert not db_path.exists()
    assert failed_runs(db_path).iloc[0]["message"] == "the load was cancelled; nothing was changed"


# --- D: upload folders never outlive their load -----------------------------------------------


def test_stale_upload_folders_are_swept(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    root.mkdir()
    import subprocess

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)  # a process that has exited

    def folder(prefix: str, owner: int | None, age_seconds: float) -> Path:
        made = private_folder(prefix, root)
        if owner is None:
            (made / OWNER_FILE).unlink()
        else:
            (made / OWNER_FILE).write_text(str(owner))
        (made / "export.csv").write_text("x")
        stamp = time.time() - age_seconds
        os.utime(made, (stamp, stamp))
        return made

    stale_upload = folder(UPLOAD_PREFIX, dead_pid, 700)
    stale_scratch = folder(SCRATCH_PREFIX, dead_pid, 700)
    unmarked_old = folder(UPLOAD_PREFIX, None, 700)  # made before folders were marked
    running = folder(UPLOAD_PREFIX, os.getpid(), 700)  # its owner still runs
    recent = folder(UPLOAD_PREFIX, dead_pid, 10)  # younger than a load may run
    other = root / "someone-else"
    other.mkdir()
    os.utime(other, (time.time() - 7000, time.time() - 7000))

    removed = sweep_stale_folders(600, root)
    assert sorted(removed) == sorted([stale_upload, stale_scratch, unmarked_old])
    assert [p.exists() for p in (running, recent, other)] == [True, True, True]
