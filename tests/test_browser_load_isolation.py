"""A long load from the Load data page runs in a child process: in real headless Chromium,
another user's Overview answers while it runs, Cancel stops it, and a load past its time limit
is killed with one line on the page and the database unchanged."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from devtools.browser_support import StreamlitServer, chromium_available, chromium_session, new_page, open_page
from tests.test_ingest_entry import leftovers, slow_export, write_export

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium (make browser)")]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_slow_load(page, server: StreamlitServer, slow: Path) -> None:
    open_page(page, server.page_url("load_data"), "Load data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(slow))
    load = page.get_by_role("button", name="Load 1 file")
    load.wait_for(timeout=120_000)
    page.wait_for_function("() => [...document.querySelectorAll('button')].some("
                           "b => b.innerText.includes('Load 1 file') && !b.disabled)", timeout=120_000)
    load.click()
    page.get_by_role("button", name="Cancel").wait_for()


def loaded_db_and_slow_export(tmp_path: Path, time_limit_seconds: int) -> tuple[Path, str, Path, Path]:
    """A DB with one export loaded, its digest, a slow export to load next, and settings with the time limit."""
    db_path = tmp_path / "reviews.duckdb"
    assert main(["ingest", "--db", str(db_path), "--surveys", str(write_export(tmp_path / "first.csv"))]) == 0
    settings = tmp_path / "s.toml"
    settings.write_text(f"browser_load_time_limit_seconds = {time_limit_seconds}\n")
    return db_path, digest(db_path), slow_export(tmp_path / "slow.csv"), settings


def test_other_users_pages_answer_during_a_long_load_and_cancel_stops_it(tmp_path: Path) -> None:
    db_path, before, slow, settings = loaded_db_and_slow_export(tmp_path, 300)
    with StreamlitServer(db_path, settings_path=settings) as server, chromium_session() as (_playwright, browser):
        loader_page = new_page(browser)
        start_slow_load(loader_page, server, slow)
        # The status line names the step and its count, as plain text (the file's name escaped, shown as typed).
        step = loader_page.get_by_text(re.compile(r"^Loading… \d+ s · reading slow\.csv: [\d,]+ of 150,000 rows$"))
        step.wait_for(timeout=60_000)

        reader = new_page(browser)  # another user, another browser context
        asked = time.monotonic()
        open_page(reader, server.page_url("", "quarter=2026-Q1"), None)
        reader.locator('[data-testid="stMetric"]').filter(has_text="Average score").wait_for(timeout=10_000)
        answered = time.monotonic() - asked
        assert loader_page.get_by_role("button", name="Cancel").is_visible()  # the load was still running
        assert answered < 10, answered

        loader_page.get_by_role("button", name="Cancel").click()
        loader_page.get_by_text("Nothing was loaded: the load was cancelled; nothing was changed").wait_for()
        reader.context.close()
        loader_page.context.close()
    assert digest(db_path) == before
    assert leftovers(db_path) == ["reviews.duckdb.failed-runs.jsonl"]  # the cancelled run, listed on the Data page


def test_a_load_past_its_time_limit_is_stopped_in_one_line(tmp_path: Path) -> None:
    db_path, before, slow, settings = loaded_db_and_slow_export(tmp_path, 2)
    with StreamlitServer(db_path, settings_path=settings) as server, chromium_session() as (_playwright, browser):
        page = new_page(browser)
        start_slow_load(page, server, slow)
        shown = page.locator('[data-testid="stAlertContentError"]').filter(has_text="time limit")
        shown.wait_for()
        assert shown.inner_text().strip() == ("Nothing was loaded: the load was stopped after its time limit of 2 s "
                                              "(browser_load_time_limit_seconds); nothing was changed")
        page.context.close()
    assert digest(db_path) == before
    assert [name for name in leftovers(db_path) if ".next-" in name or ".read-" in name] == []
