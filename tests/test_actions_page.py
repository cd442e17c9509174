"""The Actions page and its figures on real DuckDB files: read-layer figures and AppTest numbers checked against
plain-Python arithmetic on the export rows (csv module, strptime), titles shown as text, the retro pack's part."""

from __future__ import annotations

import csv
import io
import statistics
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.cli import main
from review_pulse import action_report
from review_pulse.view import DataView
from core.quarters import parse_period
from core.settings import Settings
from tests import action_exports as ex

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TARGET = 30

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


@pytest.fixture
def fixture_db(tmp_path: Path) -> Path:
    files = ex.write_all(tmp_path / "exports")
    db = tmp_path / "actions.duckdb"
    paths = [str(files[k]) for k in ("jira", "linear", "github", "incident.io", "sheet")]
    assert main(["ingest", "--db", str(db), "--attendance", str(ex.write_attendance(tmp_path / "a.csv")),
                 "--actions", *paths]) == 0
    return db


def _expected_rows() -> list[tuple[str, date, date | None, date | None, date | None]]:
    """(status, created, closed, review week, due) of every fixture action, from the hand-written expectations."""
    d = lambda s: date.fromisoformat(s) if s else None  # noqa: E731
    out = []
    for table in (ex.JIRA_EXPECTED, ex.LINEAR_EXPECTED, ex.GH_EXPECTED, ex.INCIDENT_EXPECTED, ex.SHEET_EXPECTED_TITLES):
        for status, created, closed, week, due in table.values():
            out.append((status, d(created), d(closed), d(week), d(due)))
    return out


def _figures(actions, held: int, open_actions, today: date) -> dict[str, object]:
    """The page's figures by plain arithmetic. actions/open_actions: (status, created, closed, week, due)."""
    done = [a for a in actions if a[0] == "done"]
    judged = [a for a in actions if a[1] <= today - timedelta(days=TARGET)]
    within = [a for a in judged if a[0] == "done" and a[2] is not None and (a[2] - a[1]).days <= TARGET]
    durations = [(a[2] - a[1]).days for a in done if a[2] is not None]
    due_by = [a[4] or a[1] + timedelta(days=TARGET) for a in open_actions]
    return {
        "per_review": sum(1 for a in actions if a[3] is not None) / held if held else None,
        "done_share": len(done) / len(actions),
        "within": len(within) / len(judged) if judged else None,
        "median": statistics.median(durations) if durations else None,
        "open": len(open_actions),
        "overdue": sum(1 for d in due_by if d < today),
        "oldest": max((today - a[1]).days for a in open_actions) if open_actions else None,
    }


def test_headline_figures_match_the_fixture_rows(fixture_db: Path) -> None:
    today = date(2026, 4, 20)
    view = DataView(fixture_db, parse_period("2026-Q1"), None, Settings())
    h = action_report.headline(view, today)
    rows = _expected_rows()
    want = _figures(rows, len(ex.MEETINGS), [r for r in rows if r[0] == "open"], today)
    assert h.actions == len(rows) == 21
    assert h.per_review == pytest.approx(want["per_review"])
    assert h.done_share == pytest.approx(want["done_share"])
    assert h.done_within_target_share == pytest.approx(want["within"])
    assert h.median_days_to_close == pytest.approx(want["median"])
    assert (h.open_now, h.overdue_now, h.oldest_open_days) == (want["open"], want["overdue"], want["oldest"])


def test_burnup_and_time_to_close_count_the_fixture_rows(fixture_db: Path) -> None:
    today = date(2026, 6, 1)
    view = DataView(fixture_db, parse_period("2026-Q1"), None, Settings())
    week_from, week_to = view.period.week_bounds
    rows = _expected_rows()
    burnup = action_report.action_queries.burnup(view.period_actions(), week_from, week_to, today)
    last = burnup[burnup["week_start"] == burnup["week_start"].max()].set_index("measure")["actions"]
    assert last["Created"] == len(rows)
    assert last["Done"] == sum(1 for r in rows if r[0] == "done" and r[2] is not None)
    assert last["Dropped"] == sum(1 for r in rows if r[0] == "dropped")
    bands = action_report.action_queries.time_to_close(view.period_actions(), TARGET).set_index("band")["actions"]
    durations = [(r[2] - r[1]).days for r in rows if r[0] == "done" and r[2] is not None]
    assert bands["0–7 days"] == sum(1 for d in durations if d <= 7)
    assert bands["15–30 days"] == sum(1 for d in durations if 15 <= d <= 30)
    assert bands.sum() == len(durations)


# --- the page on the demo, figures from the demo's own CSVs -----------------------------


def _demo_expected(sources: Path, quarter_start: date, quarter_end: date, today: date) -> dict[str, str]:
    with open(sources / "attendance.csv", newline="", encoding="utf-8") as handle:
        meetings = sorted(date.fromisoformat(r["Date"]) for r in csv.DictReader(handle))
    with open(sources / "jira_actions.csv", newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records = [dict(zip(header, r)) | {"labels": [r[i] for i, h in enumerate(header) if h == "Labels" and r[i]]}
                   for r in reader]
    when = lambda s: datetime.strptime(s, "%d/%b/%y %I:%M %p").date()  # noqa: E731
    monday = lambda d: d - timedelta(days=d.weekday())  # noqa: E731
    actions = []
    for r in records:
        created = when(r["Created"])
        status = {"Done": "done"}.get(r["Status"], "open")
        if r["Status"] == "Closed":
            status = "dropped" if r["Resolution"] == "Won't Do" else "done"
        review = next((date.fromisoformat(l[len("review-"):]) for l in r["labels"] if l.startswith("review-")), None)
        if review is None:
            held = [m for m in meetings if m <= created]
            review = held[-1] if held and held[-1] >= created - timedelta(days=7) else None
        week = monday(review) if review else None
        closed = when(r["Resolved"]) if r["Resolved"] and status != "open" else None
        due = datetime.strptime(r["Due date"], "%d/%b/%y").date() if r["Due date"] else None
        actions.append((status, created, closed, week, due))
    in_quarter = lambda w: quarter_start <= w + timedelta(days=3) <= quarter_end  # noqa: E731
    period = [a for a in actions if in_quarter(a[3] or monday(a[1]))]
    held = sum(1 for m in meetings if in_quarter(monday(m)))
    open_now = [a for a in actions if a[0] == "open" and a[1] <= quarter_end]
    f = _figures(period, held, open_now, today)
    return {
        "Actions per review": f"{f['per_review']:.1f}",
        "Done share": f"{f['done_share'] * 100:.0f}%",
        f"Done within {TARGET} days": "—" if f["within"] is None else f"{f['within'] * 100:.0f}%",
        "Median days to close": f"{f['median']:.0f}",
        "Open now": str(f["open"]),
        "Overdue": str(f["overdue"]),
        "Oldest open": f"{f['oldest']} days",
    }


def open_action_items(at: AppTest) -> list[str]:
    """The list to revisit, one item per open action (one Markdown element, a paragraph each)."""
    return [item for m in at.markdown for item in m.value.split("\n\n") if "days old" in item]


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch, quarter: str) -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["quarter"] = quarter
    at.run()
    at.switch_page("pages/actions.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_numbers_on_the_demo(demo_db: Path, demo_sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = datetime.now(timezone.utc).date()
    at = open_page(demo_db, monkeypatch, "2026-Q3")
    shown = {m.label: m.value for m in at.metric}
    assert shown == _demo_expected(demo_sources, date(2026, 7, 1), date(2026, 9, 30), today)
    # The list to revisit: one line per open action, oldest first, overdue marked.
    items = open_action_items(at)
    assert len(items) == int(shown["Open now"])
    assert sum(1 for v in items if v.startswith(":red-badge[Overdue]")) == int(shown["Overdue"])
    ages = [int(v.split(":gray[")[1].split(" days old")[0]) for v in items]
    assert ages == sorted(ages, reverse=True)
    assert all("](<https://jira.example.com/browse/OPS-" in v for v in items)
    assert any("not causation" in c.value for c in at.caption)


def test_titles_are_text_and_unsafe_links_are_never_links(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(fixture_db, monkeypatch, "2026-Q1")
    items = open_action_items(at)
    hostile = next(v for v in items if "Fix" in v)
    assert "<img" not in hostile.replace("\\<img", "") and "\\<img src" in hostile
    assert "\\*\\*Fix\\*\\*" in hostile and "\\$x^2\\$" in hostile.replace("\\^", "^")
    assert hostile.removeprefix(":red-badge[Overdue] ").startswith("[")
    assert "](<https://github.com/acme/platform/issues/43>)" in hostile
    assert not any("](javascript" in v or "](<javascript" in v for v in items)
    dns = next(v for v in items if "DNS change checklist" in v)
    assert "](" not in dns  # its javascript: link was refused at load: shown as plain text


def test_a_quarter_without_actions_still_lists_older_open_ones(fixture_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(fixture_db, monkeypatch, "2026-Q2")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Done share"] == "—" and shown["Actions per review"] == "—"
    assert shown["Open now"] == str(sum(1 for r in _expected_rows() if r[0] == "open"))
    assert "No follow-up actions from the reviews of 2026-Q2" in at.info[0].value


def test_empty_state_says_how_to_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "no-actions.duckdb"
    assert main(["ingest", "--db", str(db), "--attendance", str(ex.write_attendance(tmp_path / "a.csv"))]) == 0
    at = open_page(db, monkeypatch, "2026-Q1")
    assert "No follow-up actions loaded yet" in at.info[0].value
    assert "--actions" in at.code[0].value
    # The way to Load data with its kind picked (#24 item 11: empty pages link to Load data, not only the CLI).
    assert [link.proto.label for link in at.get("page_link")] == ["Load follow-up actions"]
    assert not at.metric


def test_retro_pack_gains_the_actions_summary_and_open_list(fixture_db: Path) -> None:
    from review_pulse.retro_pack import build_retro_pack

    view = DataView(fixture_db, parse_period("2026-Q1"), None, Settings())
    with zipfile.ZipFile(io.BytesIO(build_retro_pack(view))) as pack:
        names = pack.namelist()
        assert {"actions-summary_2026-Q1.md", "open-actions_2026-Q1.csv", "actions-burnup_2026-Q1.png",
                "actions-time-to-close_2026-Q1.svg", "actions-review-health_2026-Q1.csv"} <= set(names)
        open_rows = list(csv.DictReader(io.StringIO(pack.read("open-actions_2026-Q1.csv").decode("utf-8-sig"))))
        everything = b"".join(pack.read(n) for n in names if not n.endswith(".png")).decode("utf-8", "replace")
    assert len(open_rows) == sum(1 for r in _expected_rows() if r[0] == "open")
    for person in ex.PEOPLE:
        assert person not in everything
