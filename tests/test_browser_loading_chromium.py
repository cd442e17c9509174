"""The Load data page in real headless Chromium: upload a real-shaped export, fix its time
column in the select box, load it, and see the Overview change."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from core.settings import Settings
from devtools.browser_support import (
    StreamlitServer, chromium_available, chromium_session, full_page_screenshot, new_page, open_page, wait_for_app_idle,
)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium (make browser)")]

SHOTS = Path(os.environ.get("REVIEW_PULSE_SHOTS", Path(__file__).resolve().parent.parent / "test-output" / "load-data"))
STATEMENTS = Settings().statement_texts


def write_export(path: Path) -> list[list[str]]:
    """A Microsoft-Forms-like export whose time column ("Logged") no tool uses: 6 responses."""
    rows = [
        ["1", "2026-03-04 16:05", "ana@example.com", "5", "4", "4", "5", "Shorter please"],
        ["2", "2026-03-04 16:07", "ben@example.com", "4", "4", "3", "4", ""],
        ["3", "2026-03-04 16:09", "cy@example.com", "3", "5", "4", "2", "More themes"],
        ["4", "2026-03-04 16:12", "di@example.com", "5", "5", "5", "5", ""],
        ["5", "2026-03-05 09:30", "ed@example.com", "2", "3", "4", "4", "Ran over"],
        ["6", "2026-03-05 09:45", "fa@example.com", "4", "4", "4", "5", ""],
    ]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["ID", "Logged", "Email", *STATEMENTS, "How could we improve?"], *rows])
    return rows


def test_upload_fix_the_time_column_load_and_see_the_overview(tmp_path: Path) -> None:
    export = tmp_path / "Incident review survey.csv"
    rows = write_export(export)
    expected_mean = sum(int(v) for row in rows for v in row[3:7]) / 24
    db_path = tmp_path / "reviews.duckdb"
    with StreamlitServer(db_path) as server, chromium_session() as (_playwright, browser):
        page = new_page(browser, width=1400, height=1000)
        open_page(page, server.page_url(), None)
        assert page.get_by_text("No database yet").count() >= 1  # the Overview is empty
        open_page(page, server.page_url("load_data"), "Load data")
        full_page_screenshot(page, SHOTS / "1-empty.png")

        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
        wait_for_app_idle(page)
        page.get_by_text("no submission-time column").first.wait_for()
        full_page_screenshot(page, SHOTS / "2-refused.png")

        time_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Submission time").get_by_role("combobox")
        time_box.click()
        page.get_by_role("option", name="Logged", exact=True).click()
        wait_for_app_idle(page)
        page.get_by_text("Usable rows").first.wait_for()
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        full_page_screenshot(page, SHOTS / "3-mapped.png")

        page.get_by_role("button", name="Load 1 file").click()
        page.get_by_text("Loaded: run 1").wait_for()
        wait_for_app_idle(page)
        full_page_screenshot(page, SHOTS / "4-loaded.png")

        open_page(page, server.page_url("", "quarter=2026-Q1"), None, charts=1)
        average = page.locator('[data-testid="stMetric"]').filter(has_text="Average score")
        assert average.locator('[data-testid="stMetricValue"]').inner_text() == f"{expected_mean:.2f} / 5"
        full_page_screenshot(page, SHOTS / "5-overview.png")
        page.context.close()


CLI_WORDS = ("--", "[[", "scale_max", "_column", "max_series_values", "date_order")
TITLE_ROW_EXPORT = Path(__file__).resolve().parent / "realworld" / "typeform_title_row.csv"


def pick(page, label: str, option: str) -> None:  # noqa: ANN001
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).get_by_role("combobox")
    box.click()
    page.keyboard.type(option[:20])  # typing opens the list even when the click landed during a rerun
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app_idle(page)


@pytest.mark.parametrize("width", [1440, 390])
def test_a_title_row_export_is_mapped_from_its_real_header_and_the_link_opens_its_quarter(tmp_path: Path,
                                                                                          width: int) -> None:
    """Issue #24 items 3 and 5, at a desktop and a phone width: the boxes offer the header below the
    title row (typing "Submit" finds "Submit Date (UTC)"), Load becomes enabled once mapped, the page
    says where the rows went and its link opens that quarter."""
    with open(TITLE_ROW_EXPORT, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, data = rows[1], rows[2:]
    questions = header[1:5]
    first_day = min(r[header.index("Submit Date (UTC)")][:10] for r in data)
    quarter = f"{first_day[:4]}-Q{(int(first_day[5:7]) - 1) // 3 + 1}"
    db_path = tmp_path / "reviews.duckdb"
    shots = SHOTS / f"title-row-{width}"
    with StreamlitServer(db_path) as server, chromium_session() as (_playwright, browser):
        page = new_page(browser, width=width, height=844 if width < 500 else 1000)
        open_page(page, server.page_url(), None)
        open_page(page, server.page_url("load_data"), "Load data")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(TITLE_ROW_EXPORT))
        wait_for_app_idle(page)
        assert page.get_by_role("button", name="Load 1 file").is_disabled()
        shown = page.locator('[data-testid="stMain"]').inner_text()
        assert "pick each statement's column in its box" in shown
        assert not [word for word in CLI_WORDS if word in shown], shown  # item 6: the page's words, not the CLI's
        # The time column, proposed before any statement matched.
        assert page.get_by_role("combobox", name="Submission time").input_value() == "(as detected: Submit Date (UTC))"
        full_page_screenshot(page, shots / "1-preview.png")

        time_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Submission time").get_by_role("combobox")
        time_box.click()
        page.keyboard.type("Submit")
        page.get_by_role("option", name="Submit Date (UTC)", exact=True).click()
        wait_for_app_idle(page)
        for statement, question in zip(STATEMENTS, questions):
            pick(page, statement, question)
        page.get_by_text("Usable rows").first.wait_for()
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        assert page.get_by_text("shares no words with the statement").count() == 2
        full_page_screenshot(page, shots / "2-mapped.png")

        page.get_by_role("button", name="Load 1 file").click()
        page.get_by_text("Loaded: run 1").wait_for()
        wait_for_app_idle(page)
        page.get_by_text("Rows went to").first.wait_for()
        full_page_screenshot(page, shots / "3-loaded.png")

        page.get_by_role("link", name=f"Open {quarter}").click()
        page.get_by_role("heading", name="Incident review health").first.wait_for()
        wait_for_app_idle(page)
        assert f"quarter={quarter}" in page.url
        full_page_screenshot(page, shots / "4-opened.png")

        # Item 11: surveys but no attendance yet: the Attendance page links to Load data.
        open_page(page, server.page_url("attendance", f"quarter={quarter}"), "Attendance")
        page.get_by_text("No attendance in this period").first.wait_for()
        full_page_screenshot(page, shots / "5-attendance-empty.png")
        page.get_by_role("link", name="Load attendance").click()
        page.get_by_role("heading", name="Load data").first.wait_for()
        wait_for_app_idle(page)
        page.get_by_text("Attendance: drop one or several files").first.wait_for()  # the kind the link asked for
        page.context.close()


def test_an_editor_adds_the_survey_s_own_statement_on_a_phone(tmp_path: Path) -> None:
    """Issue #24 item 4 at 390 px: a question no statement matches is added as a statement from the
    page, written to the settings file, and the export then loads onto it."""
    export = tmp_path / "pandas.csv"
    answers = [4, 5, 2, 5, 3]
    with open(export, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Timestamp", "How satisfied are you with pandas?"],
                                      *[[f"2026-03-04 16:0{i}", str(a)] for i, a in enumerate(answers)]])
    settings_file = tmp_path / "review_pulse.toml"
    settings_file.write_text("# ours\n")
    db_path = tmp_path / "reviews.duckdb"
    with StreamlitServer(db_path, settings_path=settings_file) as server, \
            chromium_session() as (_playwright, browser):
        page = new_page(browser, width=390, height=844)
        open_page(page, server.page_url(), None)
        open_page(page, server.page_url("load_data"), "Load data")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
        wait_for_app_idle(page)
        page.locator("summary").filter(has_text="Your statements").click()
        page.get_by_label("New statement").fill("How satisfied are you with pandas?")
        page.get_by_role("button", name="Add statement").click()
        page.get_by_text("Added the statement").first.wait_for()
        wait_for_app_idle(page)
        full_page_screenshot(page, SHOTS / "statement-added-390.png")
        assert "How satisfied are you with pandas?" in settings_file.read_text()
        page.get_by_role("button", name="Load 1 file").click()
        page.get_by_text("Loaded: run 1").wait_for()
        page.context.close()
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*), avg(score) FROM answers WHERE statement = ?",
                           ["How satisfied are you with pandas?"]).fetchone() == (len(answers), sum(answers) / len(answers))


@pytest.mark.parametrize("width", [1440, 390])
def test_a_zero_to_ten_export_is_loaded_by_picking_its_scale(tmp_path: Path, width: int) -> None:
    """Answers of 0 name the 0–10 scale; picking it in the Answer scale box loads every answer, and the Overview's
    average is the linear rescale of the answers as written (1 + a × 4 / 10), recounted from the rows."""
    export = tmp_path / "nps-style review.csv"
    answers = [[0, 7, 10, 5], [3, 9, 8, 6], [10, 10, 9, 2], [6, 5, 0, 8], [7, 8, 9, 10]]
    with open(export, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Timestamp", *STATEMENTS],
                                      *([f"2026-03-04 16:{i:02d}", *row] for i, row in enumerate(answers))])
    expected_mean = sum(1 + a * 4 / 10 for row in answers for a in row) / 20
    db_path = tmp_path / "reviews.duckdb"
    with StreamlitServer(db_path) as server, chromium_session() as (_playwright, browser):
        page = new_page(browser, width=width, height=1000)
        open_page(page, server.page_url("load_data"), "Load data")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
        wait_for_app_idle(page)
        page.get_by_text("load it again with the Answer scale 0–10").first.wait_for()
        full_page_screenshot(page, SHOTS / f"scale-1-answers-of-zero-{width}.png")
        if not page.get_by_text("Answer scale").first.is_visible():
            page.get_by_text("Columns", exact=False).first.click()  # the mapping boxes' expander
            wait_for_app_idle(page)
        pick(page, "Answer scale", "0–10")
        page.get_by_text("answers 0–10").first.wait_for()
        full_page_screenshot(page, SHOTS / f"scale-2-picked-{width}.png")
        page.get_by_role("button", name="Load 1 file").click()
        page.get_by_text("Loaded: run 1").wait_for()
        wait_for_app_idle(page)
        open_page(page, server.page_url("", "quarter=2026-Q1"), None, charts=1)
        average = page.locator('[data-testid="stMetric"]').filter(has_text="Average score")
        assert average.locator('[data-testid="stMetricValue"]').inner_text() == f"{expected_mean:.2f} / 5"
        page.context.close()
