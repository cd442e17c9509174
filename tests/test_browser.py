"""The real app in headless Chromium: every page draws, filters work, downloads are right.

One Streamlit server (against the session's demo DB) and one browser serve the
whole module; each test gets a fresh browser context. Screenshots of every page
land in test-output/screenshots/ (git-ignored) for a human to look at; when a
test fails, the page it was on and the server log go to test-output/failures/.

Expected numbers are computed here with SQL over the demo DB's tables, not with
the app's read layer, so a bug there cannot hide itself.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from devtools.browser_support import (
    CHART_SELECTOR,
    CHROMIUM_PATH,
    PAGES,
    ROOT,
    StreamlitServer,
    chromium_available,
    chromium_session,
    full_page_screenshot,
    new_page,
    open_page,
    page_slug,
    wait_for_app_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=f"no Chromium at {CHROMIUM_PATH} (run `make browser`)"),
]

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

OUTPUT = ROOT / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
DOWNLOADS = OUTPUT / "downloads"
FAILURES = OUTPUT / "failures"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UTF8_BOM = b"\xef\xbb\xbf"

# The demo's two quarters: calendar quarters, a week belongs to the one holding its Thursday.
QUARTER_DAYS = {"2026-Q2": (date(2026, 4, 1), date(2026, 6, 30)), "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30))}


# --- expected values, straight from the DB -----------------------------------------


def _sql(db_path: Path, sql: str, params: dict) -> tuple:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params).fetchone()


def expected_average_score(db_path: Path, quarter: str) -> float:
    """Mean of every answer of the quarter's weeks, leaving out weeks with too few responses."""
    first, last = QUARTER_DAYS[quarter]
    (value,) = _sql(
        db_path,
        """
        WITH in_quarter AS (
            SELECT response_key, week_start FROM response_weeks
            WHERE week_start + INTERVAL 3 DAY BETWEEN $first AND $last
        ),
        shown_weeks AS (
            SELECT week_start FROM in_quarter GROUP BY week_start HAVING count(*) >= $min_group
        )
        SELECT avg(a.score)::DOUBLE
        FROM answers AS a JOIN in_quarter AS q USING (response_key)
        WHERE q.week_start IN (SELECT week_start FROM shown_weeks)
        """,
        {"first": first, "last": last, "min_group": Settings().min_group_size},
    )
    assert value is not None, f"the demo DB has no scored week in {quarter}"
    return value


def expected_agreement_rows(db_path: Path, quarter: str) -> int:
    """Rows of the weekly-agreement CSV: one per (week, statement), hidden weeks included."""
    first, last = QUARTER_DAYS[quarter]
    (count,) = _sql(
        db_path,
        """
        SELECT count(*) FROM (
            SELECT DISTINCT week_start, statement FROM weekly_statement_scores
            WHERE week_start + INTERVAL 3 DAY BETWEEN $first AND $last
        )
        """,
        {"first": first, "last": last},
    )
    return count


# --- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("browser-server")
    app = StreamlitServer(demo_db, log_path=logs / "streamlit.log", settings_path=logs / "no-settings.toml")
    with app:
        yield app


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as (_playwright, chromium):
        yield chromium


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    tab = new_page(browser)
    failed_before = request.session.testsfailed
    try:
        yield tab
    finally:
        if request.session.testsfailed > failed_before:  # the test's call phase failed
            _save_failure(tab, request)
        tab.context.close()


def _save_failure(tab, request: pytest.FixtureRequest) -> None:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    FAILURES.mkdir(parents=True, exist_ok=True)
    try:
        tab.screenshot(path=str(FAILURES / f"{name}.png"), full_page=True)
    except Exception:  # the page may be what broke
        pass
    server_fixture = request.node.funcargs.get("server") or request.node.funcargs.get("empty_server")
    if server_fixture is not None:
        (FAILURES / f"{name}.server.log").write_text(server_fixture.log_tail(400), encoding="utf-8")


# --- shared checks --------------------------------------------------------------


def assert_no_errors(tab, server: StreamlitServer, where: str) -> None:
    exceptions = tab.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, (
        f"{where}: the app shows an exception:\n{exceptions.first.inner_text()}\n--- server log ---\n{server.log_tail()}"
    )
    errors = tab.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, f"{where}: the app shows an error: {errors.all_inner_texts()}"
    alerts = [text for text in tab.locator('[data-testid="stAlertContainer"]').all_inner_texts() if re.search(r"\berror\b", text, re.I)]
    assert not alerts, f"{where}: an alert mentions an error: {alerts}"


def metric_value(tab, label: str):
    return tab.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def quarter_select(tab):
    return tab.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Quarter").get_by_role("combobox")


# --- tests ----------------------------------------------------------------------


@pytest.mark.parametrize(("title", "url_path", "heading", "charts"), PAGES, ids=[page_slug(p[1]) for p in PAGES])
def test_every_page_draws(server, page, title: str, url_path: str, heading: str, charts: int) -> None:
    open_page(page, server.page_url(url_path), heading, charts)

    drawn = page.locator(CHART_SELECTOR).count()
    assert drawn >= charts, f"{title}: {drawn} chart(s) drawn, expected at least {charts}"
    assert_no_errors(page, server, title)
    # The default quarter is the latest one, and the app writes it to the URL.
    expect(page).to_have_url(re.compile(r"[?&]quarter=2026-Q3\b"))
    full_page_screenshot(page, SCREENSHOTS / f"{page_slug(url_path)}.png")


def test_changing_the_quarter_updates_url_and_metrics(server, page, demo_db: Path) -> None:
    q3 = f"{expected_average_score(demo_db, '2026-Q3'):.2f} / 5"
    q2 = f"{expected_average_score(demo_db, '2026-Q2'):.2f} / 5"
    assert q2 != q3, "the demo's quarters should differ for this test to mean anything"

    open_page(page, server.page_url("", "quarter=2026-Q3"), "Incident review health", 1)
    score = metric_value(page, "Average score")
    expect(score).to_have_text(q3)

    quarter_select(page).click()
    page.get_by_role("option", name="2026-Q2", exact=True).click()

    expect(page).to_have_url(re.compile(r"[?&]quarter=2026-Q2\b"))
    expect(score).to_have_text(q2)
    wait_for_app_idle(page)
    expect(quarter_select(page)).to_have_value("2026-Q2")
    assert_no_errors(page, server, "Overview after changing the quarter")


def test_quarter_survives_page_change(server, page) -> None:
    open_page(page, server.page_url("", "quarter=2026-Q2"), "Incident review health", 1)
    expect(quarter_select(page)).to_have_value("2026-Q2")

    page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').filter(has_text="Attendance").click()

    expect(page).to_have_url(re.compile(r"/attendance\?(.*&)?quarter=2026-Q2\b"))
    wait_for_app_idle(page)
    page.get_by_role("heading", name="Attendance", exact=True).first.wait_for(state="visible")
    expect(page).to_have_url(re.compile(r"/attendance\?(.*&)?quarter=2026-Q2\b"))
    expect(quarter_select(page)).to_have_value("2026-Q2")
    assert_no_errors(page, server, "Attendance after navigating from Overview")


def test_agreement_downloads(server, page, demo_db: Path) -> None:
    open_page(page, server.page_url("agreement", "quarter=2026-Q2"), "Survey agreement", 2)
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    buttons = page.locator('[data-testid="stDownloadButton"]')

    with page.expect_download() as csv_info:
        buttons.filter(has_text="CSV").first.get_by_role("button").click()
    csv_download = csv_info.value
    assert csv_download.failure() is None, csv_download.failure()
    assert csv_download.suggested_filename == "weekly-agreement_2026-Q2.csv"
    csv_path = DOWNLOADS / csv_download.suggested_filename
    csv_download.save_as(csv_path)
    data = csv_path.read_bytes()
    assert data.startswith(UTF8_BOM), f"CSV should start with a UTF-8 BOM for Excel, starts with {data[:8]!r}"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert {"week_start", "statement", "mean_score"} <= set(header), header
    assert len(body) == expected_agreement_rows(demo_db, "2026-Q2")

    with page.expect_download() as png_info:
        buttons.filter(has_text="PNG").first.get_by_role("button").click()
    png_download = png_info.value
    assert png_download.failure() is None, png_download.failure()
    png_path = DOWNLOADS / png_download.suggested_filename
    png_download.save_as(png_path)
    assert png_path.read_bytes()[:8] == PNG_SIGNATURE
    assert png_path.name == "weekly-agreement_2026-Q2.png"
    assert_no_errors(page, server, "Survey agreement after downloads")


# Per drawn chart: its column, the SVG, the tallest plot area (Vega's view background) and the
# title's top relative to the SVG (a negative value means the title is drawn outside, clipped).
CHART_LAYOUT_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(chart => {
    const svg = chart.querySelector('svg.marks');
    if (!svg) return null;
    const box = chart.getBoundingClientRect(), s = svg.getBoundingClientRect();
    const plots = [...svg.querySelectorAll(
            'g.mark-group.role-scope > g > path.background, g.mark-group.role-frame > g > path.background')]
        .map(p => p.getBoundingClientRect().height);
    const title = svg.querySelector('g.role-title');
    return {
        title: title ? title.querySelector('text').textContent : '(no title)',
        overflow: Math.round(s.right - box.right),
        plot: Math.round(Math.max(0, ...plots)),
        titleTop: title ? Math.round(title.getBoundingClientRect().top - s.top) : 0,
    };
}).filter(Boolean)"""
MIN_PLOT_HEIGHT = 130  # px; the specs ask for 140-300


def test_charts_fit_their_column(server, page) -> None:
    """Without an explicit autosize, st.altair_chart squashes plots into the spec height together with
    title, legend and axes (and lets the vconcat agreement chart overflow); ui.show_chart sets fit-x."""
    problems = []
    for title, url_path, heading, charts in PAGES:
        if not charts:
            continue
        open_page(page, server.page_url(url_path), heading, charts)
        page.wait_for_timeout(500)
        for chart in page.evaluate(CHART_LAYOUT_JS):
            where = f"{title} / {chart['title']!r}"
            if chart["overflow"] > 1:
                problems.append(f"{where}: {chart['overflow']} px wider than its column")
            if chart["plot"] < MIN_PLOT_HEIGHT:
                problems.append(f"{where}: plot area only {chart['plot']} px tall")
            if chart["titleTop"] < -8:
                problems.append(f"{where}: title drawn {-chart['titleTop']} px above the chart (clipped)")
    assert not problems, "\n".join(problems)


def test_deep_link_on_a_fresh_server(demo_db: Path, page, tmp_path: Path) -> None:
    """A bookmarked /attendance?quarter=... must work as the first request after a restart."""
    with StreamlitServer(demo_db, log_path=tmp_path / "streamlit.log", settings_path=tmp_path / "no-settings.toml") as fresh:
        page.goto(fresh.page_url("attendance", "quarter=2026-Q2"), wait_until="domcontentloaded")
        wait_for_app_idle(page)
        assert_no_errors(page, fresh, "Attendance opened by a deep link on a fresh server")
        page.get_by_role("heading", name="Attendance", exact=True).first.wait_for(state="visible", timeout=15_000)
        links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        assert any(text.strip().endswith("Survey agreement") for text in links), links
        expect(quarter_select(page)).to_have_value("2026-Q2")


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("no-db")
    app = StreamlitServer(folder / "reviews.duckdb", log_path=folder / "streamlit.log", settings_path=folder / "no-settings.toml")
    with app:
        yield app


def test_empty_state_shows_ingest_command(empty_server, page) -> None:
    assert not empty_server.db_path.exists()
    open_page(page, empty_server.page_url(), "Incident review health", 0)

    expect(page.locator('[data-testid="stCode"]').first).to_contain_text("python -m pipeline ingest")
    expect(page.locator('[data-testid="stAlertContainer"]').first).to_contain_text("No database yet")
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert_no_errors(page, empty_server, "Overview without a database")
    full_page_screenshot(page, SCREENSHOTS / "empty-overview.png")
    assert not empty_server.db_path.exists(), "opening the app must not create the database"


def test_hostile_feedback_renders_as_plain_text(page, tmp_path: Path) -> None:
    """Markdown images/links and HTML in feedback show as typed: nothing fetched, nothing run."""
    from pipeline.cli import main as pipeline_main

    payloads = [
        "![pixel](http://127.0.0.1:9/tracker.png)",
        "[click me](http://127.0.0.1:9/phish)",
        "<img src=x onerror=\"window.__pwned=1\">",
        "<script>window.__pwned=2</script>",
        "**not bold** and $x^2$ and :smile: and www.example.com",
        "مرحبا — right-to-left 👋 emoji",
    ]
    survey = tmp_path / "s.csv"
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", Settings().statement_texts[0], "How could we improve?"])
        for i, text in enumerate(payloads):
            writer.writerow([f"2026-03-04 16:0{i}", "4", text])
    db = tmp_path / "hostile.duckdb"
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    with StreamlitServer(db, log_path=tmp_path / "streamlit.log", settings_path=tmp_path / "no-settings.toml") as app:
        open_page(page, app.page_url("feedback", "quarter=2026-Q1"), "Feedback", 0)
        main = page.locator('[data-testid="stMain"]')
        for text in payloads:
            expect(main).to_contain_text(text.replace("**", "**"))
        assert main.locator("img").count() == 0
        links = main.locator("a[href*='127.0.0.1:9'], a[href*='example.com']")
        assert links.count() == 0, [links.nth(i).evaluate("e => e.outerHTML") for i in range(links.count())]
        assert main.locator("script").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert not [u for u in requests if "127.0.0.1:9/" in u]
        full_page_screenshot(page, SCREENSHOTS / "feedback-hostile.png")
