"""How review_pulse.charts hands its charts to Altair (issue 23): the same spec as Altair's own
conversions, without the slow paths (from_dict, per-value datetime formatting). No timing here:
speed lives in the benchmark; these tests pin what the fast paths must equal."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from review_pulse import charts as C
from tests.test_charts import CTX, attendance_frame, distribution_frame, weekly_score_frame, weekly_statement_frame


def _iso_or_blank(value: pd.Timestamp) -> str:
    # what Vega-Lite gets for a datetime: its ISO text; a missing one is "" (Altair writes NaT as "")
    return "" if pd.isna(value) else value.isoformat()


@pytest.mark.parametrize(
    "values",
    [
        ["2026-04-06", "2026-04-13"],  # weeks (midnight)
        ["2026-04-02 12:00", "2026-04-09 12:00"],  # band edges, half a week from a Monday
        ["2026-04-06", None],  # a missing value
        [None, None],  # nothing but missing values
    ],
)
def test_vega_rows_writes_each_datetime_as_its_iso_text(values):
    frame = pd.DataFrame({"week_start": pd.to_datetime(values), "statement": ["a", "b"], "value": [4.25, None]})
    rows = C.vega_rows(frame)
    assert list(rows["week_start"]) == [_iso_or_blank(v) for v in frame["week_start"]]
    assert list(rows.columns) == list(frame.columns)
    assert rows["statement"].tolist() == ["a", "b"] and rows["value"].iloc[0] == 4.25
    # and Vega-Lite gets exactly what Altair itself would have written
    assert alt.utils.data.to_values(rows) == alt.utils.data.to_values(frame)
    assert pd.api.types.is_datetime64_dtype(frame["week_start"])  # the builder's own frame is untouched


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.to_datetime(["2026-04-06 00:00:00.250", "2026-04-13 00:00:00.000"])),  # sub-second
        pd.Series(pd.to_datetime(["2026-04-06", "2026-04-13"])).dt.tz_localize("UTC"),  # with a time zone
    ],
    ids=["sub-second", "time-zone"],
)
def test_vega_rows_leaves_other_datetimes_to_altair(column):
    frame = pd.DataFrame({"at": column})
    rows = C.vega_rows(frame)
    assert rows["at"].dtype == frame["at"].dtype
    assert alt.utils.data.to_values(rows) == alt.utils.data.to_values(frame)


@pytest.mark.parametrize(
    "channel, name, then, otherwise",
    [(alt.SizeValue, "size", 150, 50), (alt.StrokeValue, "stroke", "#B2182B", "white"),
     (alt.ColorValue, "color", "#BDBDBD", "#6C8EBF"), (alt.StrokeWidthValue, "strokeWidth", 2.5, 1)],
)
def test_when_value_is_the_spec_of_alt_when(channel, name, then, otherwise):
    frame = pd.DataFrame({"x": [1, 2], "below_target": [True, False]})
    with_when = alt.Chart(frame).mark_point().encode(
        **{name: alt.when(alt.datum.below_target).then(alt.value(then)).otherwise(alt.value(otherwise))})
    with_value = alt.Chart(frame).mark_point().encode(
        **{name: C.when_value(channel, "datum.below_target", then, otherwise)})
    assert with_value.to_dict() == with_when.to_dict()
    assert with_value.to_dict()["encoding"][name] == {"condition": [{"test": "datum.below_target", "value": then}],
                                                      "value": otherwise}


BUILDERS = {
    "weekly agreement (mean)": lambda: C.weekly_agreement_chart(weekly_statement_frame(), CTX, metric="mean"),
    "weekly agreement (% agree)": lambda: C.weekly_agreement_chart(weekly_statement_frame(), CTX, metric="agree"),
    "score trend": lambda: C.score_trend_chart(weekly_score_frame(), CTX),
    "answer distribution": lambda: C.answer_distribution_chart(
        distribution_frame({s: (0.1, 0.1, 0.2, 0.3, 0.3) for s in CTX.statements}), CTX),
    "attendance": lambda: C.attendance_chart(attendance_frame(), CTX),
    "response rate": lambda: C.response_rate_chart(attendance_frame(), CTX),
    "empty chart": lambda: C.weekly_agreement_chart(weekly_statement_frame().iloc[0:0], CTX),
}


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_chart_builders_never_go_through_from_dict(build, monkeypatch):
    """Altair turns a dict or a shorthand string given to .encode() into an object with from_dict, which
    rebuilds a table of every schema class each time (6 ms a call): the builders pass objects."""
    calls: list[str] = []
    original = alt.SchemaBase.from_dict.__func__

    def counting(cls, dct, validate=True):  # noqa: ANN001
        calls.append(cls.__name__)
        return original(cls, dct, validate)

    monkeypatch.setattr(alt.SchemaBase, "from_dict", classmethod(counting))
    chart = build()
    assert calls == []
    chart.to_dict()  # and the chart is still a valid Vega-Lite spec
