"""How far a load has got (pipeline/progress.py): the steps a run reports, with counts taken from
the rows written here; the file a load's child writes them to; the words the Load data page shows.

Real ingestion into a real DuckDB file, a real child process; nothing of ours is replaced.
"""

from __future__ import annotations

import csv
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

import pipeline.feedback_analysis as feedback_analysis
from pipeline.ingest import IngestRequest, SheetRef, ingest
from pipeline.isolated_load import LoadLimits, RunningLoad
from pipeline.progress import ANALYSING, WRITING, Progress, ProgressFile, progress_text
from core.feedback_themes import DEFAULT_FEEDBACK_THEMES
from core.settings import Settings
from dashboard.loading_ui import status_label
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401  (fixture)
from tests.test_ingest_entry import HEADER, ROWS, slow_export, usable, write_export
from tests.test_sheets_ingest import SURVEY_KEY, SURVEYS

S = Settings()


class Recorder:
    """A ProgressFactory that keeps every event: (label, done, total)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []

    def __call__(self, label: str):  # noqa: ANN204
        return lambda done, total: self.events.append((label, done, total))


@pytest.mark.parametrize(("step", "names", "expected"), [
    (Progress(ANALYSING, 0, 74_593), None, "analysing comments: 0 of 74,593"),
    (Progress(ANALYSING, 30_000, 74_593), None, "analysing comments: 30,000 of 74,593"),
    (Progress(ANALYSING, 80_000, 74_593), None, "analysing comments: 74,593 of 74,593"),  # never past the total
    (Progress(WRITING, 0, 0), None, "writing to the database"),
    (Progress("export.csv", 0, 0), None, "reading export.csv"),  # DuckDB reads it in one statement
    (Progress("export.csv", 40_000, 150_000), None, "reading export.csv: 40,000 of 150,000 rows"),
    (Progress("upload_1.csv", 10_000, 20_000), {"upload_1.csv": "Q3 survey (final).csv"},
     "reading Q3 survey (final).csv: 10,000 of 20,000 rows"),  # the name its user gave it
    (Progress("x" * 80 + ".csv", 0, 0), None, "reading " + "x" * 59 + "…"),  # one line, however long the name
])
def test_each_step_in_words(step: Progress, names: dict[str, str] | None, expected: str) -> None:
    assert progress_text(step, names) == expected


@pytest.mark.parametrize(("step", "expected"), [
    (None, "Loading… 12 s"),
    # The step's words as Markdown that shows them as typed (st.status reads its label as Markdown).
    (Progress(ANALYSING, 2_500, 10_000), r"Loading… 12 s · analysing comments\: 2\,500 of 10\,000"),
    # A file's name is the user's: never bold, never a link.
    (Progress("**bold** [x](http://e.test).csv", 0, 0),
     "Loading… 12 s · reading \\*\\*bold\\*\\* \\[x\\]\\(http\\:\u2060\\/\\/e\\.test\\)\\.csv"),
])
def test_the_status_line_of_the_load_data_page(step: Progress | None, expected: str) -> None:
    assert status_label("Loading…", 12.4, step) == expected


def test_the_progress_file_keeps_each_steps_first_and_last_event(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    assert ProgressFile.read(path) is None  # before the first step
    progress = ProgressFile(path, interval=3600)  # nothing is written for the interval alone in this test
    reading = progress.factory("a.csv")
    reading(0, 100)
    assert ProgressFile.read(path) == Progress("a.csv", 0, 100)
    reading(50, 100)  # within the interval: not written
    assert ProgressFile.read(path) == Progress("a.csv", 0, 100)
    reading(100, 100)  # the step's end always is
    assert ProgressFile.read(path) == Progress("a.csv", 100, 100)
    progress.factory(ANALYSING)(0, 7)  # a new step always is
    assert ProgressFile.read(path) == Progress(ANALYSING, 0, 7)
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]  # replaced whole, nothing left beside it
    path.write_text("{not json")
    assert ProgressFile.read(path) is None


def test_progress_that_cannot_be_written_never_stops_the_load(tmp_path: Path) -> None:
    gone = ProgressFile(tmp_path / "removed" / "progress.json")  # its folder does not exist
    export = write_export(tmp_path / "r.csv")
    result = ingest(IngestRequest(tmp_path / "r.duckdb", S, surveys=(export,)), gone.factory)
    assert result.responses_added == len(usable(ROWS))
    assert ProgressFile.read(gone.path) is None


@pytest.mark.parametrize("parallel_from", [10**9, 1], ids=["one process", "worker processes"])
def test_the_analysis_reports_after_every_batch(monkeypatch: pytest.MonkeyPatch, parallel_from: int) -> None:
    if parallel_from == 1 and (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: the analysis never starts worker processes")
    monkeypatch.setattr(feedback_analysis, "BATCH", 10)
    texts = [f"The timeline ran long, case {i}" for i in range(47)] + ["The timeline ran long, case 3"] * 3
    recorder = Recorder()
    analysed = feedback_analysis.analyse_texts(DEFAULT_FEEDBACK_THEMES, texts, parallel_from, recorder("x"))
    assert recorder.events == [("x", done, 47) for done in (0, 10, 20, 30, 40, 47)]
    assert analysed == feedback_analysis.analyse_texts(DEFAULT_FEEDBACK_THEMES, texts, 10**9)


def test_workers_that_die_leave_the_rest_to_the_loader(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """The worker processes are killed (SIGKILL, as the kernel's OOM killer would) once the first batch is
    back: the loader analyses what is left itself, keeps what the workers did and keeps counting up."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: the analysis never starts worker processes")
    monkeypatch.setattr(feedback_analysis, "BATCH", 400)
    texts = [f"The timeline ran long and nobody owned the actions, case {i}" for i in range(6_000)]
    counts: list[int] = []

    def progress(done: int, total: int) -> None:
        counts.append(done)
        if done == 400:
            for worker in multiprocessing.active_children():
                os.kill(worker.pid, signal.SIGKILL)

    with caplog.at_level(logging.INFO, logger=feedback_analysis.__name__):
        analysed = feedback_analysis.analyse_texts(DEFAULT_FEEDBACK_THEMES, texts, 1, progress)
    assert "feedback analysis finished in one process" in caplog.text
    assert analysed == feedback_analysis.analyse_texts(DEFAULT_FEEDBACK_THEMES, texts, 10**9)
    assert counts[0] == 0 and counts[-1] == 6_000 and counts == sorted(counts)


def test_a_load_reports_each_step_with_its_counts(tmp_path: Path) -> None:
    # Through Python (a title line above the header) and through DuckDB (a plain CSV).
    slow = slow_export(tmp_path / "slow.csv", rows=25_000)
    fast = tmp_path / "fast.csv"
    fast_rows = [[f"2026-03-{1 + i % 28:02d} 11:{i % 60:02d}", "4", "5", "4", "3", f"Ran over, week {i % 40}"]
                 for i in range(300)]
    with open(fast, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([[h for h in HEADER if h != "Email"], *fast_rows])
    with open(slow, newline="", encoding="utf-8") as handle:
        slow_comments = [row[-1] for row in list(csv.reader(handle))[2:]]
    distinct_comments = len({c for c in slow_comments + [row[-1] for row in fast_rows] if c.strip()})
    assert distinct_comments == 25_040  # every slow comment differs; 40 fast ones

    recorder = Recorder()
    result = ingest(IngestRequest(tmp_path / "r.duckdb", S, surveys=(slow, fast)), recorder)
    assert result.responses_added == 25_300
    # Each file opened, then offered to DuckDB (which declines slow.csv for its title line), then
    # slow.csv's rows parsed in Python, counted.
    assert recorder.events[:4] == [("slow.csv", 0, 0), ("fast.csv", 0, 0), ("slow.csv", 0, 0), ("fast.csv", 0, 0)]
    assert recorder.events[4:7] == [("slow.csv", done, 25_000) for done in (10_000, 20_000, 25_000)]
    analysis = [event for event in recorder.events if event[0] == ANALYSING]
    assert analysis[0] == (ANALYSING, 0, distinct_comments) and analysis[-1] == (ANALYSING, distinct_comments, distinct_comments)
    assert [done for _label, done, _total in analysis] == sorted(done for _label, done, _total in analysis)
    assert recorder.events[-1] == (WRITING, 0, 0)
    assert recorder.events[7:-1] == analysis  # nothing else between


def test_a_sheet_is_a_step_of_its_own(sheets_api: SheetsApiServer, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", sheets_api.host)
    sheets_api.add_sheet(SURVEY_KEY, {"Form responses 1": SURVEYS}, title="Survey")
    recorder = Recorder()
    ingest(IngestRequest(tmp_path / "r.duckdb", S, sheets=(SheetRef("surveys", SURVEY_KEY, "Form responses 1"),)), recorder)
    comments = len({row[-1] for row in SURVEYS[1:] if row[-1].strip()})
    assert recorder.events == [(f"sheet {SURVEY_KEY}", 0, 0), (ANALYSING, 0, comments), (ANALYSING, comments, comments),
                               (WRITING, 0, 0)]
    assert progress_text(Progress(*recorder.events[0])) == f"reading sheet {SURVEY_KEY}"


def test_the_page_reads_the_childs_progress_while_it_runs(tmp_path: Path) -> None:
    slow = slow_export(tmp_path / "slow.csv")  # 150,000 rows through Python: seconds of work
    load = RunningLoad(IngestRequest(tmp_path / "r.duckdb", S, surveys=(slow,)), LoadLimits(seconds=300, memory_mb=4096))
    seen: list[Progress] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and load.poll() is None:
            step = load.progress()
            if step is not None and (not seen or seen[-1] != step):
                seen.append(step)
            if step is not None and step.label == "slow.csv" and step.total and step.done:
                break
            time.sleep(0.05)
    finally:
        load.cancel()
    counted = [step for step in seen if step.total]
    assert counted and counted[-1].label == "slow.csv" and counted[-1].total == 150_000, seen
    assert 0 < counted[-1].done <= 150_000 and counted[-1].done % 10_000 == 0
    assert load.progress() is None and not load.folder.exists()  # a cancelled load's progress file went with its folder
