"""Tests for review_pulse.export: CSV safety, PNG/SVG rendering, ZIP, summary."""

from __future__ import annotations

import datetime as dt
import io
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Make the repo root importable when pytest runs without a pythonpath setting.
sys.path.insert(0, str(Path(__file__).resolve().parents[1])) if "review_pulse" not in sys.modules else None
from review_pulse import charts as C  # noqa: E402
from review_pulse import export as E  # noqa: E402
from review_pulse.figures import Headline, Summary  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STATEMENTS = (
    "This meeting was a good use of my time",
    "I think we discussed the right things",
    "This meeting felt safe and constructive",
    "I learned something new in this meeting",
)
CTX = C.ChartContext(
    quarter_label="2026-Q2",
    series_label="Incident review",
    freshness="Data to 2026-06-28",
    statements=STATEMENTS,
)
WEEKS = pd.to_datetime(["2026-04-06", "2026-04-13", "2026-04-20"])


def weekly_scores(statements=STATEMENTS) -> pd.DataFrame:
    rows = []
    for wi, week in enumerate(WEEKS):
        for si, st in enumerate(statements):
            supp = wi == 1
            rows.append(
                {
                    "week_start": week,
                    "statement": st,
                    "statement_order": si,
                    "responses": 2 if supp else 9,
                    "mean_score": np.nan if supp else 4.0 + 0.2 * si,
                    "agree_share": np.nan if supp else 0.6 + 0.1 * si,
                    "suppressed": supp,
                }
            )
    return pd.DataFrame(rows)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    length, chunk = struct.unpack(">I4s", png[8:16])
    assert chunk == b"IHDR" and length == 13
    return struct.unpack(">II", png[16:24])


def svg_root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def svg_text(svg: str) -> str:
    return " ".join("".join(el.itertext()) for el in svg_root(svg).iter() if el.tag.endswith("text"))


# --------------------------------------------------------------------------
# neutralise_cell / CSV
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        ("a=b", "a=b"),
        ("Café ☕", "Café ☕"),
        (-5, -5),
        (-2.5, -2.5),
        (0, 0),
        (None, None),
        (True, True),
    ],
)
def test_neutralise_cell(value, expected):
    got = E.neutralise_cell(value)
    assert got == expected
    assert type(got) is type(expected)


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype=str)


def test_csv_has_bom_and_round_trips_rows():
    frame = pd.DataFrame(
        {
            "week_start": pd.to_datetime(["2026-04-06", "2026-04-13"]),
            "statement": ["Café déjà vu 🎉", "Ça va? ✅"],
            "responses": [9, -3],
            "mean_score": [4.25, np.nan],
            "suppressed": [False, True],
        }
    )
    data = E.frame_to_csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    assert not data.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    back = read_csv(data)
    assert list(back.columns) == list(frame.columns)
    assert len(back) == len(frame)
    assert back["week_start"].tolist() == ["2026-04-06", "2026-04-13"]
    assert back["statement"].tolist() == ["Café déjà vu 🎉", "Ça va? ✅"]
    assert back["responses"].tolist() == ["9", "-3"]  # negative ints untouched
    assert back["mean_score"].tolist() == ["4.25", ""]
    assert back["suppressed"].tolist() == ["False", "True"]
    # read back with types: numbers are still numbers
    typed = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert typed["responses"].tolist() == [9, -3]


@pytest.mark.parametrize("hostile", ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"])
def test_csv_neutralises_hostile_cells_and_headers(hostile):
    frame = pd.DataFrame({hostile: [hostile, "ok"], "n": [-7, 3]})
    back = read_csv(E.frame_to_csv_bytes(frame))
    assert back.columns[0] == "'" + hostile
    assert back.iloc[0, 0] == "'" + hostile
    assert back.iloc[1, 0] == "ok"
    assert back["n"].tolist() == ["-7", "3"]


def test_csv_dates_iso_and_python_dates():
    frame = pd.DataFrame(
        {
            "week": [dt.date(2026, 4, 6), dt.date(2026, 4, 13)],
            "at": pd.to_datetime(["2026-04-06 09:30", "2026-04-13 10:00"]),
        }
    )
    back = read_csv(E.frame_to_csv_bytes(frame))
    assert back["week"].tolist() == ["2026-04-06", "2026-04-13"]
    assert back["at"].tolist() == ["2026-04-06T09:30:00", "2026-04-13T10:00:00"]


def test_csv_no_index_and_empty_frame():
    data = E.frame_to_csv_bytes(pd.DataFrame({"a": [1]}, index=[42]))
    assert data.decode("utf-8-sig").splitlines() == ["a", "1"]
    assert E.frame_to_csv_bytes(pd.DataFrame()).startswith(b"\xef\xbb\xbf")


# --------------------------------------------------------------------------
# PNG / SVG
# --------------------------------------------------------------------------

CHARTS = {
    "agreement": lambda: C.weekly_agreement_chart(weekly_scores(), CTX),
    "distribution-empty": lambda: C.answer_distribution_chart(
        pd.DataFrame(columns=["statement", "statement_order", "score", "label", "answers", "share"]), CTX
    ),
    "score-trend": lambda: C.score_trend_chart(
        pd.DataFrame({"week_start": WEEKS, "responses": [9, 2, 8], "mean_score": [4.6, np.nan, 4.2], "suppressed": [False, True, False]}),
        CTX,
    ),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_png_is_twice_the_svg_size(name):
    chart = CHARTS[name]()
    png = E.chart_to_png(chart, scale=2)
    svg = E.chart_to_svg(chart)
    root = svg_root(svg)
    w, h = float(root.get("width")), float(root.get("height"))
    assert w > 300 and h > 100
    assert png_size(png) == (round(2 * w), round(2 * h))
    assert png_size(E.chart_to_png(chart, scale=1)) == (round(w), round(h))


def test_svg_contains_title_target_label_and_hidden_marker():
    svg = E.chart_to_svg(CHARTS["agreement"]())
    text = svg_text(svg)
    # the title on two lines: the chart's name, then quarter and series
    assert "Weekly agreement per statement" in text and "2026-Q2 · Incident review" in text
    assert "Target 4.5" in text
    assert "Data to 2026-06-28" in text
    assert "<5" in text  # the suppressed week in the responses strip
    for st in STATEMENTS:  # legend labels are not truncated
        assert st in text


def test_svg_empty_distribution_message():
    text = svg_text(E.chart_to_svg(CHARTS["distribution-empty"]()))
    assert "Fewer than 5 responses this quarter — hidden for anonymity" in text


def test_emoji_and_accents_render():
    statements = ("Ça s'est bien passé 🎉", "Très utile — ✅ oui")
    ctx = C.ChartContext(quarter_label="2026-Q2", series_label="Revue d'incident ☕", statements=statements)
    chart = C.weekly_agreement_chart(weekly_scores(statements), ctx)
    svg = E.chart_to_svg(chart)
    text = svg_text(svg)
    assert "Ça s'est bien passé 🎉" in text
    assert "Revue d'incident ☕" in text
    assert png_size(E.chart_to_png(chart))[0] > 0


def test_renderer_accepts_spec_dict():
    spec = CHARTS["score-trend"]().to_dict()
    assert E.chart_to_png(spec)[:8] == PNG_SIGNATURE
    assert E.VL_VERSION == "v6_4" or E.VL_VERSION.startswith("v")


# --------------------------------------------------------------------------
# file names & ZIP
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "quarter", "ext", "expected"),
    [
        ("weekly-agreement", "2026-Q2", "png", "weekly-agreement_2026-Q2.png"),
        ("weekly-agreement", "All time", "svg", "weekly-agreement_all-time.svg"),
        ("Answer distribution", "2026-Q4", ".CSV", "answer-distribution_2026-Q4.csv"),
        ("../../etc/passwd", "2026-Q1", "png", "etc-passwd_2026-Q1.png"),
        ("a/b\\c", "x/../y", "md", "a-b-c_x-y.md"),
        ("Réponses ☕", "Été 2026", "png", "reponses_ete-2026.png"),
        ("", "", "png", "chart_all-time.png"),
        ("summary", "2026-Q3", "md", "summary_2026-Q3.md"),
    ],
)
def test_export_filename(slug, quarter, ext, expected):
    name = E.export_filename(slug, quarter, ext)
    assert name == expected
    assert "/" not in name and "\\" not in name and " " not in name and ".." not in name


def _items() -> list[E.ExportItem]:
    rows = weekly_scores()
    trend_rows = pd.DataFrame({"week_start": WEEKS, "responses": [9, 2, 8], "mean_score": [4.6, np.nan, 4.2], "suppressed": [False, True, False]})
    return [
        E.ExportItem("weekly-agreement", "Weekly agreement", C.weekly_agreement_chart(rows, CTX), rows),
        E.ExportItem("score-trend", "Average score", C.score_trend_chart(trend_rows, CTX), trend_rows),
    ]


def test_build_zip_names_order_contents_and_determinism():
    items = _items()
    summary = b"# Review Pulse\n"
    extra = {"summary_2026-Q2.md": summary, "notes_2026-Q2.txt": "Café ✅"}
    data = E.build_zip(items, "2026-Q2", extra)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [
            "weekly-agreement_2026-Q2.png",
            "weekly-agreement_2026-Q2.svg",
            "weekly-agreement_2026-Q2.csv",
            "score-trend_2026-Q2.png",
            "score-trend_2026-Q2.svg",
            "score-trend_2026-Q2.csv",
            "notes_2026-Q2.txt",
            "summary_2026-Q2.md",
        ]
        svg = zf.read("weekly-agreement_2026-Q2.svg").decode("utf-8")
        root = svg_root(svg)
        png = zf.read("weekly-agreement_2026-Q2.png")
        assert png_size(png) == (round(2 * float(root.get("width"))), round(2 * float(root.get("height"))))
        back = read_csv(zf.read("weekly-agreement_2026-Q2.csv"))
        assert len(back) == len(items[0].rows) == 12
        assert list(back.columns) == list(items[0].rows.columns)
        assert zf.read("summary_2026-Q2.md") == summary
        assert zf.read("notes_2026-Q2.txt").decode("utf-8") == "Café ✅"
        made = dt.datetime.now(dt.timezone.utc).date()  # the export's day, at midnight (#24 item 14)
        assert {i.date_time for i in zf.infolist()} == {(made.year, made.month, made.day, 0, 0, 0)}
    assert E.build_zip(items, "2026-Q2", extra) == data  # byte-identical


def test_build_zip_all_time_and_unsafe_extra_names():
    item = _items()[1]
    data = E.build_zip([item], "All time", {"../../evil.md": b"x", "dir/sub/summary.md": b"y"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == [
            "score-trend_all-time.png",
            "score-trend_all-time.svg",
            "score-trend_all-time.csv",
            "evil.md",
            "summary.md",
        ]


def test_build_zip_rejects_duplicates():
    item = _items()[1]
    with pytest.raises(ValueError):
        E.build_zip([item, item], "2026-Q2", {})


# --------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------

BASE = dict(
    quarter="2026-Q2",
    series="Incident review",
    average_score=4.6,
    target=4.5,
    previous_average=4.5,
    latest_week=dt.date(2026, 6, 22),
    latest_week_score=4.4,
    attendance_growth_pct=12.4,
    response_rate=0.634,
    weeks_at_target=7,
    weeks_scored=12,
    responses=118,
    freshness="Data to 2026-06-28",
    min_group_size=5,
)


def summary_of(numbers: dict) -> Summary:
    """A Summary as the read layer builds it, from the flat numbers above."""
    headline_fields = {k: v for k, v in numbers.items() if k in Headline.__dataclass_fields__
                       and k not in ("growth_weeks", "weeks_hidden")}
    headline = Headline(**headline_fields, latest_week_suppressed=numbers["latest_week_score"] is None,
                        growth_weeks=numbers.get("growth_weeks", 8), weeks_hidden=numbers.get("weeks_hidden", 0))
    return Summary(numbers["quarter"], numbers["series"], headline, numbers["freshness"], numbers["min_group_size"])


@pytest.mark.parametrize(
    ("changes", "must_contain", "must_not_contain"),
    [
        ({}, ["4.60 / 5", "meets the target", "change +0.10", "2026-06-22: 4.40 / 5 (below target)", "7 of 12 weeks with scores shown", "+12% (last 4 review weeks against the first 4)", "63%", "| Responses | 118 |"], ["below the target"]),
        ({"average_score": 4.2}, ["4.20 / 5", "0.30 below the target", "change -0.30"], ["meets the target"]),
        ({"average_score": 4.499}, ["4.50 / 5", "meets the target"], []),
        ({"average_score": None, "weeks_hidden": 3},
         ["| Average score | — (hidden, fewer than 5 responses (or answers to each statement) in every week) |", "cannot tell (average hidden)"],
         ["meets the target", "below the target"]),
        ({"average_score": None, "weeks_hidden": 3, "min_group_size": 8}, ["fewer than 8 responses"], []),
        # An empty quarter hides nothing: it has no responses, and the previous quarter's figure still shows.
        ({"average_score": None, "previous_average": 4.2273},
         ["| Average score | — (no responses in this period) |", "cannot tell (no average)", "| Previous period | 4.23 / 5 |"],
         ["hidden, fewer", "average hidden"]),
        ({"previous_average": None}, ["| Previous period | — (no comparable data) |"], ["change"]),
        ({"latest_week_score": None}, ["2026-06-22: — (hidden: fewer than 5 responses)"], []),
        ({"latest_week": None, "latest_week_score": None}, ["| Latest week | — (no review held yet) |"], []),
        ({"attendance_growth_pct": None}, ["| Attendance growth | — (not enough weeks yet) |"], []),
        ({"attendance_growth_pct": -20.0}, ["-20% (last 4 review weeks against the first 4)"], []),
        # With fewer than 8 weeks the figure compares halves, and the summary says so (as the Overview's help).
        ({"attendance_growth_pct": 15.0, "growth_weeks": 5}, ["+15% (last 2 review weeks against the first 2)"],
         ["first 4"]),
        ({"attendance_growth_pct": 10.0, "growth_weeks": 3}, ["+10% (last 1 review week against the first 1)"], []),
        ({"response_rate": None}, ["| Response rate | — (hidden or no attendance recorded) |"], []),
        ({"average_score": float("nan"), "weeks_hidden": 1}, ["— (hidden, fewer than 5 responses (or answers to each statement) in every week)"], ["nan"]),
        ({"freshness": ""}, ["_Weeks with fewer than 5 responses are hidden for anonymity"], []),
        ({"quarter": "All time"}, ["# Review Pulse — All time · Incident review"], []),
        # change is the difference of the numbers shown: 4.31 - 3.99 = +0.32
        ({"average_score": 4.3148, "previous_average": 3.9851}, ["4.31 / 5", "3.99 / 5 (change +0.32)"], ["+0.33"]),
    ],
)
def test_summary_markdown(changes, must_contain, must_not_contain):
    md = E.summary_markdown(summary_of({**BASE, **changes}))
    assert md.startswith("# Review Pulse — ")
    for s in must_contain:
        assert s in md, s
    for s in must_not_contain:
        assert s not in md, s
    assert "Data to 2026-06-28" in md or changes.get("freshness") == ""


@pytest.mark.parametrize(("attendees", "basis"), [
    ([12, 8, 10, 14, 9], "last 2 review weeks against the first 2"),  # the coherence check's Alpha: +15%
    ([10, 12, 11, 13, 9, 15, 16, 14], "last 4 review weeks against the first 4"),
    ([10, 20, 30], "last 1 review week against the first 1"),
])
def test_growth_basis_names_the_weeks_the_growth_figure_compares(attendees: list[int], basis: str) -> None:
    from review_pulse import figures

    window = int(basis.split()[1])
    expected = (sum(attendees[-window:]) / window) / (sum(attendees[:window]) / window) * 100 - 100
    growth = figures.attendance_growth(pd.DataFrame({"attendees": attendees}))
    assert growth == pytest.approx(expected)
    assert figures.growth_basis(len(attendees)) == basis


@pytest.mark.parametrize(("changes", "lines"), [
    # An empty quarter after a scored one: nothing hidden, and the previous quarter's figure as in the summary.
    ({"average_score": None, "previous_average": 4.2273},
     ["Average score: no responses in this period.", "Previous quarter: 4.23 / 5; no average this period to compare it with."]),
    ({"average_score": None, "previous_average": None, "weeks_hidden": 2},
     ["Average score: hidden, fewer than 5 responses (or answers to each statement) in every week.", "Change against the previous quarter: no comparable data."]),
    ({}, ["Average score 4.60 / 5 against a target of 4.5: meets the target.",
          "Change against the previous quarter: +0.10 (was 4.50)."]),
])
def test_report_headline_says_what_the_summary_says(changes: dict, lines: list[str]) -> None:
    from review_pulse.retro_report import headline_text

    summary = summary_of({**BASE, **changes})
    text = headline_text(summary.headline, summary.min_group_size)
    assert text[:2] == lines
    md = E.summary_markdown(summary)
    assert ("hidden" in text[0]) == ("hidden" in md.split("| Average score |")[1].split("\n")[0])


@pytest.mark.parametrize("changes", [
    {}, {"average_score": 4.2}, {"average_score": 4.496},
    {"average_score": None, "weeks_hidden": 3}, {"average_score": None, "previous_average": 4.2273},
])
def test_the_target_and_a_missing_average_read_the_same_on_summary_report_and_takeaway(changes) -> None:
    """One wording for the average against the target (figures.target_status) and for why there is none
    (figures.missing_average): the summary's rows, the report's sentences and the score-trend takeaway."""
    from dataclasses import fields

    from review_pulse import figures, retro_report

    summary = summary_of({**BASE, **changes})
    h = summary.headline
    rows = dict(E.summary_lines(summary))
    report = " ".join(retro_report.headline_text(h, summary.min_group_size))
    content = retro_report.ReportContent(**{f.name: None for f in fields(retro_report.ReportContent)
                                            if f.name not in ("summary", "today")}, summary=summary)
    takeaway = retro_report.chart_takeaway("score-trend", content)
    assert rows["Target"].endswith(figures.target_status(h))
    if h.verdict is None:
        missing = figures.missing_average(h, summary.min_group_size)
        assert rows["Average score"] == f"— ({missing})"
        assert f"Average score: {missing}." in report and takeaway == f"Average score: {missing}."
    else:
        assert h.verdict.short in report and h.verdict.short in takeaway and h.verdict.shown in rows["Average score"]


def test_a_week_hidden_by_its_statements_alone_is_worded_as_such(tmp_path: Path) -> None:
    """8 responses, each statement answered by 2: the week is hidden though 8 ≥ 5, and the summary's reason
    covers it (it said 'fewer than 5 responses in every week', which was not so)."""
    from core.quarters import parse_period
    from core.settings import Settings
    from pipeline.cli import main
    from review_pulse.view import DataView

    statements = Settings().statement_texts
    survey = tmp_path / "s.csv"
    rows = [["Timestamp", *statements]] + [[f"2026-03-04 16:{i:02d}", *("4" if j == i % 4 else "" for j in range(4))]
                                           for i in range(8)]
    survey.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    db = tmp_path / "h.duckdb"
    assert main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    view = DataView(db, parse_period("2026-Q1"), None, Settings())
    h = view.headline()
    assert h.average_score is None and h.weeks_hidden == 1
    assert "| Average score | — (hidden, fewer than 5 responses (or answers to each statement) in every week) |" in \
        E.summary_markdown(view.summary())
