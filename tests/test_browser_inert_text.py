"""Text from files is never a link in the browser: Streamlit's Markdown auto-links bare URLs,
`www.` addresses and e-mail addresses even when every punctuation mark is escaped.

Real exports loaded through the pipeline whose series name, action title, team and talking
point are such strings; every page of the running app in headless Chromium; no <a> element
may point at them. The app's own links (an action's http(s) tracker link) still are links.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from devtools.browser_support import (
    CHROMIUM_PATH,
    PAGES,
    StreamlitServer,
    chromium_available,
    chromium_session,
    new_page,
    open_page,
)
from pipeline.cli import main
from core.settings import Settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=f"no Chromium at {CHROMIUM_PATH} (run `make browser`)"),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

SERIES = "www.evil.example"
TITLE = "http://evil.example/x"
TEAM = "boss@evil.example"
TRACKER_LINK = "https://tracker.example.com/browse/OPS-1"  # a link the app builds: stays a link
WEEKS = ["2026-10-07", "2026-10-14"]  # Wednesdays of 2026-Q4
STATEMENTS = Settings().statement_texts
PAGES_CHECKED = ("Overview", "Survey agreement", "Attendance", "Feedback", "Follow-up actions", "Talking points", "Data")


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inert-text")
    surveys = _write(folder / "survey.csv", [["Timestamp", *STATEMENTS, "How could we improve?", "Series"]] + [
        [f"{week} 16:{n:02d}", "4", "5", "4", "3", f"Mail {TEAM} or see {SERIES} and {TITLE}", SERIES]
        for week in WEEKS for n in range(6)])
    attendance = _write(folder / "attendance.csv", [["Date", "Attendees", "Series"]] + [[w, "12", SERIES] for w in WEEKS])
    actions = _write(folder / "actions.csv", [
        ["Review date", "Action", "Status", "Due", "Done", "Link", "Series", "Team"],
        [WEEKS[0], TITLE, "Open", "", "", "", SERIES, TEAM],
        [WEEKS[1], "Rotate the keys", "Open", "", "", TRACKER_LINK, SERIES, TEAM],
    ])
    polls = _write(folder / "points.csv", [["Date", "Talking point", "Votes", "Series"],
                                           [WEEKS[0], TITLE, "5", SERIES], [WEEKS[0], SERIES, "3", SERIES]])
    db = folder / "reviews.duckdb"
    assert main(["ingest", "--db", str(db), "--surveys", str(surveys), "--attendance", str(attendance),
                 "--actions", str(actions), "--polls", str(polls)]) == 0
    return db


def test_no_text_from_the_data_becomes_a_link_on_any_page(evil_db: Path, tmp_path: Path) -> None:
    by_title = {title: (path, heading) for title, path, heading, _charts in PAGES}
    with StreamlitServer(evil_db, log_path=tmp_path / "streamlit.log") as server, chromium_session() as (_pw, browser):
        page = new_page(browser)
        try:
            for title in PAGES_CHECKED:
                path, heading = by_title[title]
                open_page(page, server.page_url(path, "quarter=2026-Q4"), heading)
                hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
                evil = [h for h in hrefs if "evil.example" in h]
                assert evil == [], f"{title}: {evil}"
                shown = page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")
                if title != "Data":  # the Data page names no series
                    assert SERIES in shown, title  # shown as text, not dropped
                if title == "Follow-up actions":
                    assert TRACKER_LINK in hrefs  # the app's own link is still a link
                    assert TITLE in shown and TEAM in shown
                if title == "Talking points":
                    assert TITLE in shown
        finally:
            page.context.close()
