"""The Talking points page in real headless Chromium on the demo DB: it draws, shows no error, keeps a
hostile option text as text, and leaves a full-page screenshot to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.browser_support import (
    CHROMIUM_PATH,
    StreamlitServer,
    chromium_available,
    chromium_session,
    full_page_screenshot,
    new_page,
    open_page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=f"no Chromium at {CHROMIUM_PATH} (run `make browser`)"),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

SCREENSHOT = Path(__file__).resolve().parent.parent / "test-output" / "screenshots" / "talking-points.png"
CHARTS = 5  # choices, recurring themes, timeline, balance, beside the survey


def test_talking_points_page_draws(demo_db: Path, tmp_path: Path) -> None:
    with StreamlitServer(demo_db, log_path=tmp_path / "streamlit.log", settings_path=tmp_path / "none.toml") as server:
        with chromium_session() as (_playwright, browser):
            page = new_page(browser)
            try:
                open_page(page, server.page_url("talking_points", "quarter=2026-Q3"), "Talking points", CHARTS)
                assert page.locator(".vega-embed canvas, .vega-embed svg.marks").count() >= CHARTS
                assert page.locator('[data-testid="stException"]').count() == 0, server.log_tail()
                assert page.locator('[data-testid="stMetric"]').filter(has_text="Reviews with a poll").count() == 1
                full_page_screenshot(page, SCREENSHOT)
                # The options table is built when its expander is opened (a rerun), not before.
                assert page.locator('[data-testid="stDataFrame"]').count() == 0
                page.locator('[data-testid="stExpander"] summary').filter(has_text="Every option, per review").click()
                page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
                assert page.locator('[data-testid="stException"]').count() == 0, server.log_tail()
                full_page_screenshot(page, SCREENSHOT.with_name("talking-points-table.png"))
            finally:
                page.context.close()
