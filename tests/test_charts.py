"""Structure tests for review_pulse.charts: inspect chart.to_dict(), assert numbers."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Iterator

import altair as alt
import numpy as np
import pandas as pd
import pytest

# Make the repo root importable when pytest runs without a pythonpath setting.
sys.path.insert(0, str(Path(__file__).resolve().parents[1])) if "review_pulse" not in sys.modules else None
from review_pulse import charts as C  # noqa: E402

STATEMENTS = (
    "This meeting was a good use of my time",
    "I think we discussed the right things",
    "This meeting felt safe and constructive",
    "I learned something new in this meeting",
)
WEEKS = pd.to_datetime(["2026-04-06", "2026-04-13", "2026-04-20", "2026-04-27"])
CTX = C.ChartContext(
    quarter_label="2026-Q2",
    series_label="Incident review",
    freshness="Data to 2026-06-28",
    statements=STATEMENTS,
)


# --------------------------------------------------------------------------
# builders & spec helpers
# --------------------------------------------------------------------------


def weekly_statement_frame(suppressed_week: int | None = 2, statements=STATEMENTS) -> pd.DataFrame:
    """4 weeks x statements; one suppressed week; scores 4.0/4.6 alternate."""
    rows = []
    for wi, week in enumerate(WEEKS):
        for si, st in enumerate(statements):
            supp = wi == suppressed_week
            rows.append(
                {
                    "week_start": week,
                    "statement": st,
                    "statement_order": STATEMENTS.index(st),
                    "responses": 3 if supp else 8 + wi,
                    "mean_score": np.nan if supp else (4.0 if (wi + si) % 2 else 4.6),
                    "agree_share": np.nan if supp else (0.7 if (wi + si) % 2 else 0.9),
                    "suppressed": supp,
                }
            )
    return pd.DataFrame(rows)


def weekly_score_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "week_start": WEEKS,
            "responses": [9, 3, 10, 11],
            "mean_score": [4.4, np.nan, 4.5, 4.7],
            "suppressed": [False, True, False, False],
        }
    )


def distribution_frame(shares: dict[str, tuple[float, ...]]) -> pd.DataFrame:
    rows = []
    for st, sh in shares.items():
        for score, share in enumerate(sh, start=1):
            rows.append(
                {
                    "statement": st,
                    "statement_order": STATEMENTS.index(st),
                    "score": score,
                    "label": C.LIKERT_LABELS[score - 1],
                    "answers": int(round(share * 10)),
                    "share": share,
                }
            )
    return pd.DataFrame(rows)


def attendance_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "week_start": WEEKS,
            "attendees": [12, 14, 4, 0],
            "rolling_mean": [12.0, 13.0, 10.0, 7.5],
            "growth_pct": [np.nan, np.nan, 12.5, -37.5],
            "busy_week": [False, False, True, False],
            "responses": [9, 10, 3, 0],
            "response_rate": [0.75, 10 / 14, np.nan, np.nan],
            "suppressed": [False, False, True, False],  # the read layer's flag: 3 responses < 5
        }
    )


def units(spec: dict, _data: dict | None = None) -> Iterator[dict]:
    """Every unit (mark-bearing) spec, depth first.  Data inherited from a
    parent layer/concat (Altair hoists shared data) is copied onto the unit."""
    data = spec.get("data", _data)
    if "mark" in spec:
        yield {**spec, "data": data} if data is not None else spec
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for sub in spec.get(key, []):
            yield from units(sub, data)


def mark_type(unit: dict) -> str:
    m = unit["mark"]
    return m if isinstance(m, str) else m["type"]


def unit_data(spec: dict, unit: dict) -> list[dict]:
    data = unit.get("data")
    assert data is not None, "unit without data"
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


def walk(obj: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, v
            yield from walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk(v)


def main_line_unit(spec: dict) -> dict:
    lines = [u for u in units(spec) if mark_type(u) == "line"]
    assert lines, "no line layer"
    return lines[0]


def rule_units(spec: dict) -> list[dict]:
    return [u for u in units(spec) if mark_type(u) == "rule"]


def text_units(spec: dict) -> list[dict]:
    return [u for u in units(spec) if mark_type(u) == "text"]


def title_of(spec: dict) -> tuple[str, list[str]]:
    """(title on one line, subtitle lines); the chart writes its title on two lines."""
    t = spec["title"]
    sub = t.get("subtitle", [])
    text = " — ".join(t["text"]) if isinstance(t["text"], list) else t["text"]
    return text, sub if isinstance(sub, list) else [sub]


# --------------------------------------------------------------------------
# weekly agreement chart
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "domain", "field"),
    [("mean", [1, 5], "mean_score"), ("agree", [0, 1], "agree_share")],
)
def test_agreement_y_axis_is_fixed(metric, domain, field):
    frame = weekly_statement_frame()
    spec = C.weekly_agreement_chart(frame, CTX, metric=metric).to_dict()
    line = main_line_unit(spec)
    assert line["encoding"]["y"]["scale"]["domain"] == domain
    # Plotted values are exactly the frame's values for that metric.
    values = [r["value"] for r in unit_data(spec, line)]
    expected = frame.sort_values(["statement_order", "week_start"])[field].tolist()
    assert len(values) == len(expected) == 16
    for got, exp in zip(values, expected):
        assert (got is None and math.isnan(exp)) or got == pytest.approx(exp)


@pytest.mark.parametrize(
    ("ctx", "metric", "target", "label_part"),
    [
        (CTX, "mean", 4.5, "4.5"),
        (CTX, "agree", 0.8, "80%"),
        (C.ChartContext(statements=STATEMENTS, target=4.0), "mean", 4.0, "Target 4"),
        (C.ChartContext(statements=STATEMENTS, agree_target=0.75), "agree", 0.75, "Target 75%"),
    ],
)
def test_agreement_target_rule_and_label(ctx, metric, target, label_part):
    spec = C.weekly_agreement_chart(weekly_statement_frame(), ctx, metric=metric).to_dict()
    rules = rule_units(spec)
    assert [r["encoding"]["y"]["datum"] for r in rules] == [target]
    labels = [t for t in text_units(spec) if "datum" in t["encoding"].get("y", {})]
    # a white halo, then the label: both at the target, at the plot's left edge (2 Apr 12:00)
    assert len(labels) == 2
    assert [t["encoding"]["y"]["datum"] for t in labels] == [target, target]
    assert all(label_part in t["mark"]["text"] for t in labels)
    assert labels[0]["mark"]["stroke"] == "white" and labels[0]["mark"]["strokeWidth"] >= 4
    assert labels[1]["mark"]["color"] == C.TARGET_COLOUR
    assert all(t["encoding"]["x"]["datum"] == {"year": 2026, "month": 4, "date": 2, "hours": 12} for t in labels)
    assert all(t["mark"]["align"] == "left" for t in labels)
    # drawn after (over) the data line and points, the rule before (under) them
    scores = spec["layer"][0]["layer"]
    kinds = [mark_type(u) for u in scores]
    assert kinds.index("rule") < kinds.index("line") < kinds.index("point") < len(kinds) - 2
    assert kinds[-2:] == ["text", "text"]


def test_agreement_colour_domain_is_statements_in_order():
    spec = C.weekly_agreement_chart(weekly_statement_frame(), CTX).to_dict()
    scale = main_line_unit(spec)["encoding"]["color"]["scale"]
    assert scale["domain"] == list(STATEMENTS)
    assert scale["range"] == list(C.STATEMENT_PALETTE[:4])
    assert len(set(scale["range"])) == 4


def test_statement_keeps_its_colour_across_charts():
    full = C.weekly_agreement_chart(weekly_statement_frame(), CTX).to_dict()
    # A second chart whose rows only contain two statements, listed in reverse.
    subset = weekly_statement_frame(statements=(STATEMENTS[3], STATEMENTS[1]))
    agree = C.weekly_agreement_chart(subset, CTX, metric="agree").to_dict()

    def mapping(spec):
        sc = main_line_unit(spec)["encoding"]["color"]["scale"]
        return dict(zip(sc["domain"], sc["range"]))

    m1, m2 = mapping(full), mapping(agree)
    for st in STATEMENTS:
        assert m1[st] == m2[st] == C.statement_colours(CTX)[st]
    assert m1[STATEMENTS[0]] == "#0072B2"
    assert m1[STATEMENTS[3]] == "#CC79A7"


def test_unknown_statement_is_appended_without_shifting_colours():
    frame = weekly_statement_frame()
    frame.loc[frame["statement"] == STATEMENTS[2], "statement"] = "A brand new statement"
    spec = C.weekly_agreement_chart(frame, CTX).to_dict()
    sc = main_line_unit(spec)["encoding"]["color"]["scale"]
    assert sc["domain"] == [*STATEMENTS, "A brand new statement"]
    assert sc["range"][:4] == list(C.STATEMENT_PALETTE[:4])


@pytest.mark.parametrize("metric", ["mean", "agree"])
def test_suppressed_week_is_null_not_zero(metric):
    spec = C.weekly_agreement_chart(weekly_statement_frame(suppressed_week=2), CTX, metric=metric).to_dict()
    rows = unit_data(spec, main_line_unit(spec))
    week3 = [r for r in rows if r["week_start"].startswith("2026-04-20")]
    assert len(week3) == 4
    assert all(r["value"] is None for r in week3)
    assert all(r["suppressed"] is True for r in week3)
    # The exact (small) count never reaches the spec.
    assert all(r["responses"] is None for r in week3)
    others = [r for r in rows if not r["suppressed"]]
    assert len(others) == 12 and all(r["value"] is not None and r["value"] > 0 for r in others)
    # line breaks at invalid values (no interpolation through 0)
    assert main_line_unit(spec)["mark"]["invalid"] == "break-paths-filter-domains"


@pytest.mark.parametrize("min_group", [5, 7])
def test_responses_strip_marks_suppressed_weeks(min_group):
    ctx = C.ChartContext(statements=STATEMENTS, min_group_size=min_group)
    spec = C.weekly_agreement_chart(weekly_statement_frame(suppressed_week=2), ctx).to_dict()
    # one layered view (a concat cannot fit its container): the scores, then the strip
    assert "vconcat" not in spec and len(spec["layer"]) == 2
    scores, strip = spec["layer"]
    bars = [u for u in units(strip) if mark_type(u) == "rect"]
    assert len(bars) == 1
    data = unit_data(spec, bars[0])
    assert [r["suppressed"] for r in data] == [False, False, True, False]
    assert [r["responses"] for r in data] == [8, 9, None, 11]
    assert [r["label"] for r in data] == ["8", "9", f"<{min_group}", "11"]
    assert data[2]["note"] == f"fewer than {min_group} responses"
    assert data[2]["bar_height"] == min_group  # fixed height, not the real count
    # grey for suppressed, via a condition on the suppressed flag
    colour = bars[0]["encoding"]["color"]
    assert colour["condition"][0]["value"] == C.SUPPRESSED_COLOUR
    assert "suppressed" in colour["condition"][0]["test"]
    tooltip_fields = [t["field"] for t in bars[0]["encoding"]["tooltip"]]
    assert "note" in tooltip_fields
    # main chart: a grey band for the suppressed week with the same wording
    bands = [u for u in units(scores) if mark_type(u) == "rect"]
    assert len(bands) == 1
    band_rows = unit_data(spec, bands[0])
    assert len(band_rows) == 1 and band_rows[0]["week_start"].startswith("2026-04-20")
    assert band_rows[0]["note"].startswith(f"fewer than {min_group} responses")


def test_strip_shares_x_scale_with_main_chart():
    spec = C.weekly_agreement_chart(weekly_statement_frame(), CTX).to_dict()
    # x shared (the default); y independent: the strip's counts have their own pixel rows under the scores
    assert spec["resolve"]["scale"] == {"y": "independent"}
    strip_y = [u["encoding"]["y"]["scale"] for u in units(spec["layer"][1]) if "scale" in u["encoding"].get("y", {})]
    assert strip_y and strip_y[0]["range"] == [CTX.height + C.STRIP_GAP + C.STRIP_HEIGHT, CTX.height + C.STRIP_GAP]
    assert main_line_unit(spec)["encoding"]["y"]["scale"]["range"] == [CTX.height, 0]
    assert spec["height"] == CTX.height + C.STRIP_GAP + C.STRIP_HEIGHT
    domains = {
        str(u["encoding"]["x"]["scale"]["domain"])
        for u in units(spec)
        if "scale" in u["encoding"].get("x", {})
    }
    assert len(domains) == 1
    # domain: half a week before the first Monday .. half a week after the last
    (domain,) = [u["encoding"]["x"]["scale"]["domain"] for u in units(spec) if "scale" in u["encoding"].get("x", {})][:1]
    assert domain[0] == {"year": 2026, "month": 4, "date": 2, "hours": 12}
    assert domain[1] == {"year": 2026, "month": 4, "date": 30, "hours": 12}


@pytest.mark.parametrize(
    ("score", "target", "below"),
    [(4.4, 4.5, True), (4.5, 4.5, False), (4.9, 4.5, False), (float("nan"), 4.5, False), (3.9, 4.0, True)],
)
def test_below_target_flag(score, target, below):
    frame = weekly_statement_frame(suppressed_week=None, statements=STATEMENTS[:1]).head(1).copy()
    frame["mean_score"] = score
    ctx = C.ChartContext(statements=STATEMENTS, target=target)
    spec = C.weekly_agreement_chart(frame, ctx).to_dict()
    points = [u for u in units(spec) if mark_type(u) == "point"]
    (row,) = unit_data(spec, points[0])
    assert row["below_target"] is below
    size = points[0]["encoding"]["size"]
    assert size["condition"][0]["value"] > size["value"]  # below-target points are bigger
    assert points[0]["encoding"]["stroke"]["condition"][0]["value"] == C.BELOW_TARGET_COLOUR


def test_agreement_tooltips():
    spec = C.weekly_agreement_chart(weekly_statement_frame(), CTX).to_dict()
    points = [u for u in units(spec) if mark_type(u) == "point"]
    titles = [t["title"] for t in points[0]["encoding"]["tooltip"]]
    assert titles == ["Week", "Statement", "Mean score", "Responses"]


def test_invalid_metric_rejected():
    with pytest.raises(ValueError):
        C.weekly_agreement_chart(weekly_statement_frame(), CTX, metric="median")


# --------------------------------------------------------------------------
# score trend
# --------------------------------------------------------------------------


def test_score_trend_fixed_axis_target_and_nulls():
    spec = C.score_trend_chart(weekly_score_frame(), CTX).to_dict()
    line = main_line_unit(spec)
    assert line["encoding"]["y"]["scale"]["domain"] == [1, 5]
    assert [r["mean_score"] for r in unit_data(spec, line)] == [4.4, None, 4.5, 4.7]
    assert [r["below_target"] for r in unit_data(spec, line)] == [True, False, False, False]
    assert [r["encoding"]["y"]["datum"] for r in rule_units(spec)] == [4.5]
    assert any("4.5" in t["mark"].get("text", "") for t in text_units(spec))


# --------------------------------------------------------------------------
# diverging distribution
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shares", "left", "right", "neutral"),
    [
        # SD, D, N, A, SA -> left end = -(SD+D+N/2), right end = N/2+A+SA
        ((0.1, 0.1, 0.2, 0.3, 0.3), -0.3, 0.7, (-0.1, 0.1)),
        ((0.0, 0.0, 0.0, 0.5, 0.5), 0.0, 1.0, (0.0, 0.0)),
        ((0.2, 0.2, 0.2, 0.2, 0.2), -0.5, 0.5, (-0.1, 0.1)),
        ((0.5, 0.0, 0.0, 0.0, 0.5), -0.5, 0.5, (0.0, 0.0)),
        ((0.0, 0.25, 0.5, 0.25, 0.0), -0.5, 0.5, (-0.25, 0.25)),
        ((1.0, 0.0, 0.0, 0.0, 0.0), -1.0, 0.0, (0.0, 0.0)),
    ],
)
def test_diverging_extents_hand_computed(shares, left, right, neutral):
    frame = distribution_frame({STATEMENTS[0]: shares})
    spec = C.answer_distribution_chart(frame, CTX).to_dict()
    bars = [u for u in units(spec) if mark_type(u) == "bar"]
    assert len(bars) == 1
    rows = sorted(unit_data(spec, bars[0]), key=lambda r: r["score"])
    assert [r["label"] for r in rows] == list(C.LIKERT_LABELS)
    assert rows[0]["start"] == pytest.approx(left)
    assert rows[-1]["end"] == pytest.approx(right)
    assert (rows[2]["start"], rows[2]["end"]) == pytest.approx(neutral)
    # segments are contiguous and each is as wide as its share
    for a, b in zip(rows, rows[1:]):
        assert a["end"] == pytest.approx(b["start"])
    for r, share in zip(rows, shares):
        assert r["end"] - r["start"] == pytest.approx(share)
    assert bars[0]["encoding"]["x"]["field"] == "start"
    assert bars[0]["encoding"]["x2"]["field"] == "end"


def test_diverging_missing_scores_count_as_zero():
    # Only Agree (3 answers) and Strongly agree (1 answer) were given.
    frame = pd.DataFrame(
        {
            "statement": [STATEMENTS[1]] * 2,
            "statement_order": [1, 1],
            "score": [4, 5],
            "label": ["Agree", "Strongly agree"],
            "answers": [3, 1],
            "share": [0.75, 0.25],
        }
    )
    seg = C.diverging_segments(frame, CTX)
    assert seg["score"].tolist() == [1, 2, 3, 4, 5]
    assert seg["start"].tolist() == pytest.approx([0, 0, 0, 0, 0.75])
    assert seg["end"].tolist() == pytest.approx([0, 0, 0, 0.75, 1.0])
    assert seg["agree_share"].iloc[0] == pytest.approx(1.0)


def test_distribution_colours_order_axis_and_agree_labels():
    frame = distribution_frame(
        {
            STATEMENTS[2]: (0.0, 0.1, 0.1, 0.4, 0.4),
            STATEMENTS[0]: (0.1, 0.1, 0.2, 0.3, 0.3),
        }
    )
    ctx = C.ChartContext(statements=STATEMENTS, agree_target=0.8)
    spec = C.answer_distribution_chart(frame, ctx).to_dict()
    bar = [u for u in units(spec) if mark_type(u) == "bar"][0]
    colour = bar["encoding"]["color"]
    assert colour["scale"]["domain"] == list(C.LIKERT_LABELS)
    assert colour["scale"]["range"] == list(C.LIKERT_COLOURS)
    assert bar["encoding"]["x"]["scale"]["domain"] == [-1, 1]
    assert bar["encoding"]["x"]["axis"]["labelExpr"] == "format(abs(datum.value), '.0%')"
    # statements sorted by ctx order, not by the frame's order; labels wrapped for a phone
    assert bar["encoding"]["y"]["sort"] == [C.wrapped(STATEMENTS[0]), C.wrapped(STATEMENTS[2])]
    assert bar["encoding"]["y"]["axis"]["labelExpr"] == C.WRAPPED_LABEL_EXPR
    agree = [t for t in text_units(spec) if t["encoding"].get("text", {}).get("field") == "agree_text"][0]
    rows = {r["statement"]: r for r in unit_data(spec, agree)}
    assert rows[STATEMENTS[0]]["agree_text"] == "60% agree"
    assert rows[STATEMENTS[0]]["below_target"] is True
    assert rows[STATEMENTS[2]]["agree_text"] == "80% agree"
    assert rows[STATEMENTS[2]]["below_target"] is False
    assert rows[STATEMENTS[0]]["end"] == pytest.approx(0.7)
    # zero line
    assert [r["encoding"]["x"]["datum"] for r in rule_units(spec)] == [0]


@pytest.mark.parametrize("min_group", [5, 8])
def test_empty_distribution_states_why(min_group):
    ctx = C.ChartContext(quarter_label="2026-Q2", statements=STATEMENTS, min_group_size=min_group)
    empty = distribution_frame({STATEMENTS[0]: (0.2,) * 5}).iloc[0:0]
    spec = C.answer_distribution_chart(empty, ctx).to_dict()
    (unit,) = list(units(spec))
    assert mark_type(unit) == "text"
    assert "x" not in unit["encoding"] and "y" not in unit["encoding"]
    (row,) = unit_data(spec, unit)
    assert row["message"] == f"Fewer than {min_group} responses this quarter — hidden for anonymity"
    assert "2026-Q2" in title_of(spec)[0]


# --------------------------------------------------------------------------
# attendance & response rate
# --------------------------------------------------------------------------


def test_empty_distribution_all_time_wording():
    ctx = C.ChartContext(quarter_label="All time", statements=STATEMENTS)
    empty = distribution_frame({STATEMENTS[0]: (0.2,) * 5}).iloc[0:0]
    spec = C.answer_distribution_chart(empty, ctx).to_dict()
    (unit,) = list(units(spec))
    assert unit_data(spec, unit)[0]["message"] == "Fewer than 5 responses in this period — hidden for anonymity"


def test_attendance_marks_busy_weeks_and_growth_tooltip():
    spec = C.attendance_chart(attendance_frame(), CTX).to_dict()
    rects = [u for u in units(spec) if mark_type(u) == "rect"]
    assert len(rects) == 1
    rows = unit_data(spec, rects[0])
    assert [r["attendees"] for r in rows] == [12, 14, 4, 0]
    assert [r["busy_week"] for r in rows] == [False, False, True, False]
    assert [r["busy_note"] for r in rows] == ["", "", "attendance dip", ""]
    assert [r["growth_text"] for r in rows] == [
        "not enough weeks yet",
        "not enough weeks yet",
        "+12% vs first 4 weeks",
        "-38% vs first 4 weeks",
    ]
    colour = rects[0]["encoding"]["color"]
    assert colour["field"] == "week_type"
    assert colour["scale"]["domain"] == ["Regular week", "Attendance dip"]
    assert colour["scale"]["range"][1] == C.BUSY_COLOUR
    assert [r["week_type"] for r in rows][2] == "Attendance dip"
    tooltip_fields = [t["field"] for t in rects[0]["encoding"]["tooltip"]]
    assert "growth_text" in tooltip_fields and "rolling_mean" in tooltip_fields
    # a "dip" marker exists only for the dip rows
    busy = [t for t in text_units(spec) if t["mark"].get("text") == "dip"]
    assert len(busy) == 1
    assert [r["week_start"][:10] for r in unit_data(spec, busy[0])] == ["2026-04-20"]
    # rolling mean line
    line = main_line_unit(spec)
    assert line["encoding"]["y"]["field"] == "rolling_mean"
    assert [r["rolling_mean"] for r in unit_data(spec, line)] == [12.0, 13.0, 10.0, 7.5]


@pytest.mark.parametrize(
    ("attendees", "responses", "suppressed", "reason"),
    [
        (12, 3, True, "fewer than 5 responses — hidden for anonymity"),
        (0, 0, True, "fewer than 5 responses — hidden for anonymity"),
        (0, 0, False, "no attendance recorded"),
        (12, 0, False, "no survey responses"),
    ],
)
def test_response_rate_gap_reason_uses_suppressed_flag(attendees, responses, suppressed, reason):
    frame = pd.DataFrame(
        {
            "week_start": WEEKS[:2],
            "attendees": [10, attendees],
            "responses": [8, responses],
            "suppressed": [False, suppressed],
            "response_rate": [0.8, np.nan],
        }
    )
    spec = C.response_rate_chart(frame, CTX).to_dict()
    bands = [u for u in units(spec) if mark_type(u) == "rect"]
    assert [r["reason"] for r in unit_data(spec, bands[0])] == [reason]


def test_context_accepts_list_of_statements_and_stays_hashable():
    ctx = C.ChartContext(statements=list(STATEMENTS))
    assert ctx.statements == STATEMENTS
    assert hash(ctx) == hash(C.ChartContext(statements=STATEMENTS))


def test_response_rate_axis_nulls_and_reasons():
    ctx = C.ChartContext(statements=STATEMENTS, min_group_size=5)
    spec = C.response_rate_chart(attendance_frame(), ctx).to_dict()
    line = main_line_unit(spec)
    assert line["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert line["encoding"]["y"]["axis"]["format"] == ".0%"
    rows = unit_data(spec, line)
    assert [r["response_rate"] for r in rows][:2] == pytest.approx([0.75, 10 / 14])
    assert [r["response_rate"] for r in rows][2:] == [None, None]
    assert [r["responses"] for r in rows] == [9, 10, None, None]
    bands = [u for u in units(spec) if mark_type(u) == "rect"]
    reasons = [r["reason"] for r in unit_data(spec, bands[0])]
    assert reasons == ["fewer than 5 responses — hidden for anonymity", "no attendance recorded"]


# --------------------------------------------------------------------------
# shared: titles, fonts, empties, no global state
# --------------------------------------------------------------------------

ALL_CHARTS = [
    ("Weekly agreement per statement", lambda ctx: C.weekly_agreement_chart(weekly_statement_frame(), ctx)),
    ("Weekly % agree per statement", lambda ctx: C.weekly_agreement_chart(weekly_statement_frame(), ctx, "agree")),
    ("Average score per week", lambda ctx: C.score_trend_chart(weekly_score_frame(), ctx)),
    (
        "Answer distribution per statement",
        lambda ctx: C.answer_distribution_chart(distribution_frame({STATEMENTS[0]: (0.1, 0.1, 0.2, 0.3, 0.3)}), ctx),
    ),
    ("Attendance per week", lambda ctx: C.attendance_chart(attendance_frame(), ctx)),
    ("Survey response rate per week", lambda ctx: C.response_rate_chart(attendance_frame(), ctx)),
]


# Does the chart's data hide a week? (weekly_statement_frame and weekly_score_frame hide their third
# week, attendance_frame's response rate too; attendance itself never hides a week.)
HIDES_WEEKS = {
    "Weekly agreement per statement": True,
    "Weekly % agree per statement": True,
    "Average score per week": True,
    "Answer distribution per statement": True,
    "Attendance per week": False,
    "Survey response rate per week": True,
}


@pytest.mark.parametrize(("name", "build"), ALL_CHARTS, ids=[n for n, _ in ALL_CHARTS])
@pytest.mark.parametrize(
    ("quarter", "series"), [("2026-Q2", "Incident review"), ("All time", "Postmortem sync")]
)
def test_title_names_chart_quarter_series_and_footnote(name, build, quarter, series):
    ctx = C.ChartContext(quarter_label=quarter, series_label=series, freshness="Data to 2026-06-28", statements=STATEMENTS)
    spec = build(ctx).to_dict()
    text, subtitle = title_of(spec)
    assert text == f"{name} — {quarter} · {series}"
    assert spec["title"]["text"] == [name, f"{quarter} · {series}"]  # two lines: one is wider than a phone
    assert "Data to 2026-06-28" in subtitle[0]
    said = any("Weeks with fewer than 5 responses are hidden" in line for line in subtitle)
    assert said is HIDES_WEEKS[name]  # a chart that hides nothing does not say weeks were hidden
    assert max(len(line) for line in subtitle) <= C.TITLE_LINE_CHARS


def test_trend_without_hidden_weeks_does_not_mention_hiding():
    frame = weekly_score_frame()
    frame["suppressed"] = False
    frame["mean_score"] = frame["mean_score"].fillna(4.2)
    _, subtitle = title_of(C.score_trend_chart(frame, CTX).to_dict())
    assert not any("hidden" in line.lower() for line in subtitle)


@pytest.mark.parametrize(("name", "build"), ALL_CHARTS, ids=[n for n, _ in ALL_CHARTS])
def test_fonts_large_enough_and_labels_fit_a_phone(name, build):
    spec = build(CTX).to_dict()
    sizes = [v for k, v in walk(spec) if k.lower().endswith("fontsize")]
    assert sizes and min(sizes) >= 12
    # no axis or legend label may take more than a phone's chart can spare (about 350 px in all)
    limits = [v for k, v in walk(spec) if k == "labelLimit"]
    assert limits and max(limits) <= C.LEGEND_LABEL_LIMIT and min(limits) >= 150
    legends = [v for k, v in walk(spec) if k == "legend" and isinstance(v, dict)]
    assert all(lg["orient"] == "bottom" and lg["columns"] == 1 for lg in legends)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("This meeting was a good use of my time", ["This meeting was a", "good use of my time"]),
        ("I think we discussed the right things", ["I think we discussed", "the right things"]),
        ("short", ["short"]),
        ("", [""]),
        ("★ http://evil.example/x", ["★", "http://evil.example/x"]),  # a long word stays whole
        ("a" * 40, ["a" * 27 + "…"]),
        ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen",
         ["one two three four", "five six seven eight", "nine ten eleven…"]),
    ],
)
def test_wrapped_labels(text, lines):
    assert C.wrap_lines(text) == lines
    assert C.label_lines(C.wrapped(text)) == lines
    assert all(len(line) <= C.WRAP_CHARS or " " not in line and len(line) <= C.LONG_WORD_CHARS for line in lines)


def test_freshness_may_be_empty():
    ctx = C.ChartContext(statements=STATEMENTS, freshness="")
    _, subtitle = title_of(C.score_trend_chart(weekly_score_frame(), ctx).to_dict())
    assert " ".join(subtitle[:2]) == "Weeks with fewer than 5 responses are hidden for anonymity"


@pytest.mark.parametrize(
    "build",
    [
        lambda: C.weekly_agreement_chart(weekly_statement_frame().iloc[0:0], CTX),
        lambda: C.score_trend_chart(weekly_score_frame().iloc[0:0], CTX),
        lambda: C.attendance_chart(attendance_frame().iloc[0:0], CTX),
        lambda: C.response_rate_chart(attendance_frame().iloc[0:0], CTX),
    ],
)
def test_empty_frames_give_a_message_not_an_empty_axis(build):
    spec = build().to_dict()
    (unit,) = list(units(spec))
    assert mark_type(unit) == "text"


def test_dates_given_as_python_dates_work():
    frame = weekly_score_frame()
    frame["week_start"] = frame["week_start"].dt.date
    spec = C.score_trend_chart(frame, CTX).to_dict()
    rows = unit_data(spec, main_line_unit(spec))
    assert rows[0]["week_start"].startswith("2026-04-06")


def test_charts_do_not_touch_global_data_transformer():
    before = (alt.data_transformers.active, dict(alt.data_transformers.options))
    for _, build in ALL_CHARTS:
        build(CTX).to_dict()
    assert (alt.data_transformers.active, dict(alt.data_transformers.options)) == before
    assert alt.data_transformers.active == "default"


def test_context_is_frozen_with_defaults():
    ctx = C.ChartContext()
    assert (ctx.target, ctx.agree_target, ctx.min_group_size) == (4.5, 0.8, 5)
    assert ctx.width >= 600 and ctx.height >= 250
    with pytest.raises(Exception):
        ctx.target = 4.0  # type: ignore[misc]
