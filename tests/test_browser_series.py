"""The Series page (issue 26) in headless Chromium on tests/series_db.py's three series: a click on a
row opens that series' Overview with ``?series=`` in the URL, and the page fits a phone (390 px).

The expected Overview figure is recounted with SQL over the stored rows, not with the read layer.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import duckdb
import pytest

from devtools.browser_support import (
    CHROMIUM_PATH,
    ROOT,
    SERIES_PAGE,
    StreamlitServer,
    chromium_available,
    chromium_session,
    full_page_screenshot,
    new_page,
    open_page,
    wait_for_app_idle,
)
from tests.series_db import SERIES, build_series_db

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=f"no Chromium at {CHROMIUM_PATH} (run `make browser`)"),
]

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

SCREENSHOTS = ROOT / "test-output" / "screenshots"
_TITLE, URL_PATH, HEADING, CHARTS = SERIES_PAGE
ROW_HEIGHT = 36  # the table's row_height (dashboard/ui.series_table); the header is as tall


@pytest.fixture(scope="module")
def series_server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("series-browser")
    with contextlib.redirect_stdout(io.StringIO()):
        db = build_series_db(folder)
    with StreamlitServer(db, log_path=folder / "streamlit.log", settings_path=folder / "no-settings.toml") as app:
        yield app


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as (_playwright, chromium):
        yield chromium


def expected_average(db: Path, series: str) -> str:
    """The series' 2026-Q3 average over its weeks with 5 or more responses, as the Overview shows it."""
    with duckdb.connect(str(db), read_only=True) as con:
        (value,) = con.execute("""
            WITH cells AS (SELECT week_start, count(*) AS n FROM response_weeks WHERE series = $s
                           AND week_start + INTERVAL 3 DAY BETWEEN DATE '2026-07-01' AND DATE '2026-09-30' GROUP BY 1)
            SELECT avg(a.score) FROM answers a JOIN response_weeks w USING (response_key)
            WHERE w.series = $s AND w.week_start IN (SELECT week_start FROM cells WHERE n >= 5)""", {"s": series}).fetchone()
    return f"{value:.2f} / 5"


@pytest.mark.parametrize("row", [0, 1])
def test_a_click_on_a_row_opens_that_series_overview(series_server, browser, row: int) -> None:
    page = new_page(browser, width=1440, height=1000)
    try:
        # Sorted by name (kept in the URL), so the test knows which series each row is.
        open_page(page, series_server.page_url(URL_PATH, "quarter=2026-Q3&sort=series"), HEADING, CHARTS)
        expect(page).to_have_url(re.compile(r"[?&]sort=series\b"))
        series = sorted(SERIES)[row]
        table = page.locator('[data-testid="stDataFrame"]').first
        box = table.bounding_box()
        # The row's selection box, in the table's first column (the grid is drawn on a canvas).
        page.mouse.click(box["x"] + 18, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)
        page.get_by_role("heading", name="Incident review health", exact=True).wait_for(state="visible")
        wait_for_app_idle(page)
        expect(page).to_have_url(re.compile(r"[?&]series=" + re.escape(series.replace(" ", "+")) + r"(&|$)"))
        expect(page).to_have_url(re.compile(r"[?&]quarter=2026-Q3\b"))
        score = page.locator('[data-testid="stMetric"]').filter(has_text="Average score").locator(
            '[data-testid="stMetricValue"]')
        expect(score).to_have_text(expected_average(series_server.db_path, series))
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [1440, 390])
def test_the_page_fits_the_screen(series_server, browser, width: int) -> None:
    page = new_page(browser, width=width, height=900)
    try:
        open_page(page, series_server.page_url(URL_PATH, "quarter=2026-Q3"), HEADING, CHARTS)
        assert page.locator('[data-testid="stException"]').count() == 0
        overflow = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMainBlockContainer"]');
                                            return m.scrollWidth - m.clientWidth; }""")
        assert overflow <= 1, f"the page is {overflow}px wider than a {width}px screen"
        full_page_screenshot(page, SCREENSHOTS / f"series-{width}.png")
    finally:
        page.context.close()
