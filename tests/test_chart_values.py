"""Charts hand Altair their top-level rows as values made a column at a time (review_pulse.chart_values,
applied by ExportItem to every chart): the specs must be the ones Altair makes from the frames."""

from __future__ import annotations

import contextlib
import io
import math
from datetime import date
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from core.quarters import ALL_TIME_PERIOD, parse_period
from core.settings import Settings
from review_pulse import action_report, chart_values, feedback_report, report, series_report, talking_points_report
from review_pulse.export import chart_spec
from review_pulse.view import DataView
from tests.series_db import build_series_db


@pytest.fixture(scope="module")
def series_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):
        return build_series_db(tmp_path_factory.mktemp("series"))

# Columns of every type the charts' rows hold, with the values Altair's own conversion treats apart:
# NaN and infinities (null), NaT (""), None in text, noon (half a week off a Monday).
_STAMPS = pd.to_datetime(["2026-04-06 00:00", "2026-04-02 12:00", None])
CHART_DATA_CASES = {
    "every handled type": pd.DataFrame({
        "series": pd.Series(["Alpha", None, "Γ ünïcode"], dtype="str"),
        "week_start": _STAMPS, "band_start": _STAMPS.astype("datetime64[s]"),
        "responses": [12.0, math.nan, math.inf], "mean_score": [4.25, -math.inf, None],
        "suppressed": [False, True, False], "count": [1, 2, 3], "note": ["4.25", "fewer than 5 responses", None],
    }),
    "no rows": pd.DataFrame({"series": pd.Series([], dtype="str"), "week_start": pd.to_datetime([])}),
}
# Frames left to Altair: a type not handled here, and a time with a fraction of a second.
CHART_DATA_LEFT_TO_ALTAIR = {
    "categorical": pd.DataFrame({"series": pd.Categorical(["Alpha", "Beta"])}),
    "fraction of a second": pd.DataFrame({"week_start": pd.to_datetime(["2026-04-06 00:00:00.5"])}),
    "object that is not text": pd.DataFrame({"value": pd.Series([1, "a"], dtype=object)}),
}


@pytest.mark.parametrize("name", list(CHART_DATA_CASES))
def test_chart_data_is_what_altair_makes_of_the_frame(name: str) -> None:
    """The series charts hand Altair their rows as values (chart_values.chart_data); the spec must be the
    one Altair makes from the frame itself: same values, so the same dataset name (a hash of them)."""
    import altair as alt

    from review_pulse import chart_values

    frame = CHART_DATA_CASES[name]
    values = chart_values.chart_data(frame)
    assert isinstance(values, dict)
    assert chart_spec(alt.Chart(values).mark_point()) == chart_spec(alt.Chart(frame).mark_point())


@pytest.mark.parametrize("name", list(CHART_DATA_LEFT_TO_ALTAIR))
def test_chart_data_leaves_other_frames_to_altair(name: str) -> None:
    from review_pulse import chart_values

    frame = CHART_DATA_LEFT_TO_ALTAIR[name]
    assert chart_values.chart_data(frame) is frame


def every_item(db: Path, period, series: str | None) -> list:  # noqa: ANN001
    """Every chart the pages and exports draw for the view (ExportItems)."""
    view = DataView(db, period, series, Settings())
    items = [*report.all_items(view), *feedback_report.feedback_items(view), *action_report.all_action_items(view),
             *talking_points_report.talking_point_items(view)]
    if len(view.series_options()) >= 2:
        items += [series_report.small_multiples(view, date(2026, 12, 6)), series_report.heat_strip(view, date(2026, 12, 6))]
    return items


def every_chart(db: Path, period, series: str | None) -> dict[str, dict]:  # noqa: ANN001
    """Every chart the pages and exports draw for the view, as its spec."""
    return {item.slug: chart_spec(item.chart) for item in every_item(db, period, series)}


def chart_nodes(chart: object) -> list:
    """The chart and every chart nested in it (layers, concatenated and faceted views)."""
    nodes, pending = [], [chart]
    while pending:
        node = pending.pop()
        if isinstance(node, alt.SchemaBase):
            nodes.append(node)
            for key in ("layer", "vconcat", "hconcat", "concat"):
                value = node._get(key)
                pending += value if isinstance(value, list) else []
            pending.append(node._get("spec"))
    return nodes


def test_every_layers_rows_are_values_and_shared_rows_stay_shared(demo_db: Path, series_db: Path) -> None:
    """use_chart_values reaches each layer, not only the top (most charts are layered: a line, its points,
    the target rule), and a frame two layers share becomes one values object they share."""
    layered = shared = 0
    for db in (demo_db, series_db):
        for item in every_item(db, ALL_TIME_PERIOD, None):
            nodes = chart_nodes(item.chart)
            data = [node._get("data") for node in nodes]
            assert not any(isinstance(d, pd.DataFrame) for d in data), item.slug
            values = [d for d in data if isinstance(d, dict) and "values" in d]
            assert all(isinstance(d["values"], tuple) for d in values), item.slug
            layered += len(nodes) > 1 and bool(values)
            shared += len({id(d) for d in values}) < len(values)
    assert layered >= 10 and shared >= 1
    # one frame in two layers: one values object, as the frame was one object
    frame = pd.DataFrame({"a": [1, 2]})
    base = alt.Chart(frame).encode(x=alt.X("a:Q"))
    chart = alt.layer(base.mark_line(), base.mark_point(), alt.Chart(frame.copy()).mark_rule())
    chart_values.use_chart_values(chart)
    first, second, third = (layer.data for layer in chart.layer)
    assert first is second and first is not third and first == third == {"values": ({"a": 1}, {"a": 2})}


@pytest.mark.parametrize("period", ["all", "2026-Q3"])
def test_every_charts_spec_is_the_one_altair_makes_from_its_frame(demo_db: Path, period: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chart of the demo built twice: with its rows made into values here, and with the frame left to
    Altair (chart_data returning it as it is). Same specs, validated, for every chart."""
    chosen = ALL_TIME_PERIOD if period == "all" else parse_period(period)
    ours = every_chart(demo_db, chosen, None)
    with monkeypatch.context() as patch:
        patch.setattr(chart_values, "chart_data", lambda frame: frame)
        altairs = every_chart(demo_db, chosen, None)
    assert ours.keys() == altairs.keys() and len(ours) >= 15
    for slug, spec in ours.items():
        assert spec == altairs[slug], slug
    # the conversion did happen: a chart with rows holds them as values of its dataset
    assert any(spec.get("datasets") for spec in ours.values())


def test_a_series_charts_spec_is_the_one_altair_makes_from_its_frame(series_db: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for period in (ALL_TIME_PERIOD, parse_period("2026-Q3")):
        ours = every_chart(series_db, period, None)
        with monkeypatch.context() as patch:
            patch.setattr(chart_values, "chart_data", lambda frame: frame)
            altairs = every_chart(series_db, period, None)
        assert {"series-small-multiples", "series-heat-strip"} <= ours.keys()
        assert ours == altairs


def test_a_frame_is_left_to_another_data_transformer() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    with alt.data_transformers.enable("json"):
        assert chart_values.chart_data(frame) is frame
    assert chart_values.chart_data(frame) == {"values": ({"a": 1}, {"a": 2})}


def test_no_chart_is_built_from_dicts_or_shorthand(demo_db: Path, series_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """review_pulse.charts.when_value's rule: encoding channels are Altair objects, never dicts, shorthand
    strings or alt.condition / alt.datum / alt.value, which Altair turns into objects with ``from_dict``,
    rebuilding a table of every schema class each time (~5 ms a channel). No chart of any page calls it."""
    calls: list[str] = []
    original = alt.SchemaBase.from_dict.__func__

    def counted(cls, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(cls.__name__)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(alt.SchemaBase, "from_dict", classmethod(counted))
    for db in (demo_db, series_db):
        for period in (ALL_TIME_PERIOD, parse_period("2026-Q3")):
            assert every_chart(db, period, None)
    assert calls == []
    alt.Chart().mark_point().encode(x="a:Q")  # the check sees a shorthand
    assert calls == ["X"]
