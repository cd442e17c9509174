"""One figure, one home (issue #21): every surface shows the same number.

The rules of ``review_pulse.figures`` are checked against their SQL twins, the verdict at the
target's boundary, and then whole datasets are loaded through the pipeline and read back from
every surface a viewer sees: the Overview (AppTest), every chart CSV of the retro pack,
``summary_<q>.md``, the PDF report (pypdf) and the slides (python-pptx). The expected numbers
are computed here from the input rows, independently of the read layer.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings as hsettings, strategies as st
from pptx import Presentation
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from core import agreement
from core.quarters import parse_period
from core.settings import load_settings
from pipeline.cli import main as pipeline_main
from review_pulse import figures
from review_pulse.retro_pack import build_retro_pack
from review_pulse.view import DataView

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
STATEMENTS = ("This meeting was a good use of my time", "I think we discussed the right things")
MIN_GROUP = 5
TARGET = 4.5
QUARTER = "2026-Q2"
FIRST_WEDNESDAY = date(2026, 4, 8)

pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


# --- the rules and their SQL twins ----------------------------------------------------------------

SCALE_ANSWERS = [(k, raw) for k in range(3, 12) for raw in range(1, k + 1)]


def test_agree_label_and_rescale_sql_twins_agree_on_every_answer_of_every_scale() -> None:
    values = ", ".join(f"({k}, {raw})" for k, raw in SCALE_ANSWERS)
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT scale_max, raw_score, {agreement.AGREE_SQL}, {agreement.LABEL_SQL}, "
                           f"{agreement.RESCALED_SQL} FROM (VALUES {values}) AS t(scale_max, raw_score)").fetchall()
    assert [(k, raw, agree, int(label), round(score, 12)) for k, raw, agree, label, score in rows] == [
        (k, raw, agreement.is_agree(raw, k), agreement.answer_label(raw, k), round(agreement.rescaled(raw, k), 12))
        for k, raw in SCALE_ANSWERS]
    # rescaled: the ends of every scale land on the ends of 1-5, and 5-point answers are unchanged
    assert {(agreement.rescaled(1, k), agreement.rescaled(k, k)) for k in range(3, 12)} == {(1.0, 5.0)}
    assert [agreement.rescaled(raw, 5) for raw in range(1, 6)] == [1.0, 2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize(("scale_max", "agreeing", "labels"), [
    (5, [4, 5], [1, 2, 3, 4, 5]),
    (7, [5, 6, 7], [1, 2, 2, 3, 4, 4, 5]),
    (10, [6, 7, 8, 9, 10], [1, 1, 2, 2, 2, 4, 4, 4, 5, 5]),
    (4, [3, 4], [1, 2, 4, 5]),
])
def test_agree_is_above_the_middle_of_the_scale_as_given(scale_max: int, agreeing: list[int], labels: list[int]) -> None:
    answers = range(1, scale_max + 1)
    assert [raw for raw in answers if agreement.is_agree(raw, scale_max)] == agreeing
    assert [agreement.answer_label(raw, scale_max) for raw in answers] == labels
    # Every agreeing answer is labelled Agree or Strongly agree, and no other: the spread adds up to "% agree".
    assert all((agreement.answer_label(raw, scale_max) >= 4) == agreement.is_agree(raw, scale_max) for raw in answers)


@pytest.mark.parametrize(("mean", "meets", "sentence"), [
    (TARGET - 0.006, False, "The average score 4.49 is 0.01 below the 4.5 target."),
    (TARGET - 0.005, True, "The average score 4.50 meets the 4.5 target."),  # 4.495 is 4.49500000000000010658…
    (TARGET - 0.004, True, "The average score 4.50 meets the 4.5 target."),
    (TARGET, True, "The average score 4.50 meets the 4.5 target."),
    (TARGET + 0.001, True, "The average score 4.50 meets the 4.5 target."),
    (4.2, False, "The average score 4.20 is 0.30 below the 4.5 target."),
])
def test_the_verdict_is_decided_on_the_score_as_shown(mean: float, meets: bool, sentence: str) -> None:
    verdict = figures.verdict(mean, TARGET)
    assert (verdict.meets, verdict.sentence) == (meets, sentence)
    assert verdict.meets == (float(f"{mean:.2f}") >= TARGET) == figures.meets_target(mean, TARGET)
    assert "0.00 below" not in verdict.sentence


_NEAR_TARGETS = [4.5, 4.0, 4.25, 4.505, 3.333, 4.4949999999999999, 0.0]


def _around(target: float) -> list[float]:
    """Scores at and around every place rounding to two decimals decides: the target, the half-hundredths
    next to it, the edges of ROUNDING_REACH, and specials."""
    points = [target, target - 0.005, target + 0.005, target - 0.0049999, target - 0.0050001,
              target - figures.ROUNDING_REACH, target + figures.ROUNDING_REACH, target - 0.0061, target + 0.0061,
              math.nextafter(target - 0.005, 0.0), math.nextafter(target - 0.005, 9.0), 1.0, 5.0,
              math.nan, math.inf, -math.inf]
    return points + [target + k / 10_000 for k in range(-80, 81)]


@pytest.mark.parametrize("target", _NEAR_TARGETS)
def test_meets_target_over_an_array_is_meets_target_on_each(target: float) -> None:
    """The array form compares scores clear of the target as they are and leaves the near ones to the
    rule itself: it must agree with meets_target on every score, the ones rounding decides above all."""
    scores = _around(target)
    expected = [figures.meets_target(score, target) for score in scores]
    assert figures.meets_target_array(np.array(scores, dtype="float64"), target).tolist() == expected
    column = pd.Series(scores, index=range(10, 10 + len(scores)))
    assert figures.meets_target_flags(column, target).tolist() == expected
    assert figures.meets_target_flags(column.astype(object).where(column.notna(), None), target).tolist() == expected


@given(st.lists(st.floats(min_value=0.0, max_value=10.0) | st.just(math.nan)
                | st.sampled_from(_NEAR_TARGETS).flatmap(lambda t: st.floats(t - 0.01, t + 0.01)), max_size=40),
       st.sampled_from(_NEAR_TARGETS))
@hsettings(max_examples=200, deadline=None)
def test_meets_target_array_agrees_on_any_scores(scores: list[float], target: float) -> None:
    expected = [figures.meets_target(score, target) for score in scores]
    assert figures.meets_target_array(np.array(scores, dtype="float64"), target).tolist() == expected


@pytest.mark.parametrize(("means", "expected"), [
    ({"a": 4.2, "b": 3.9, "c": 4.0}, "b"),
    ({"a": 4.494, "b": 4.4949, "c": 4.6}, "a"),  # both show 4.49: the first in survey order
    ({"a": 4.4951, "b": 4.494}, "b"),  # 4.50 against 4.49 as shown
    ({"a": math.nan, "b": 4.1, "c": 4.1}, "b"),
    ({"a": None, "b": pd.NA, "c": 3.0}, "c"),
    ({"a": math.nan, "b": None}, None),
    ({}, None),
])
def test_the_lowest_mean_is_the_lowest_as_shown_first_in_order(means: dict, expected: str | None) -> None:
    column = pd.Series(list(means.values()), index=list(means), dtype=object if any(
        v is None or v is pd.NA for v in means.values()) else "float64")
    assert figures.lowest_shown(column) == expected


def test_a_target_with_more_decimals_than_shown_never_reads_zero_below() -> None:
    assert figures.verdict(4.5, 4.505).sentence == "The average score 4.50 is 0.01 below the 4.505 target."
    assert figures.verdict(None, TARGET) is None and figures.verdict(float("nan"), TARGET) is None


# --- a dataset, its independent recount, and every surface ----------------------------------------


@dataclass(frozen=True)
class Dataset:
    scale_max: int
    weeks: tuple[tuple[tuple[int, int | None], ...], ...]  # per week: per response (answer 1, answer 2 or blank)


def rescaled(raw: int, scale_max: int) -> float:
    return 1 + (raw - 1) * 4 / (scale_max - 1)


@dataclass(frozen=True)
class Expected:
    mean: float | None
    weeks_at_target: int
    weeks_scored: int
    responses: int
    statements: dict[str, tuple[float, float, int]]  # statement -> (mean, share agreeing, answers)


def recount(data: Dataset) -> Expected:
    """The figures from the rows alone: a week counts with at least MIN_GROUP responses, a statement in it
    with at least MIN_GROUP answers; agree = above the middle of the scale as given."""
    kept: list[tuple[int, int]] = []  # (statement index, raw answer)
    weeks_at_target = weeks_scored = responses = 0
    for week in data.weeks:
        if len(week) < MIN_GROUP:
            continue
        week_answers = []
        for index in range(len(STATEMENTS)):
            answers = [response[index] for response in week if response[index] is not None]
            if len(answers) >= MIN_GROUP:
                week_answers += [(index, raw) for raw in answers]
        responses += len(week)
        if week_answers:
            weeks_scored += 1
            mean = math.fsum(rescaled(raw, data.scale_max) for _, raw in week_answers) / len(week_answers)
            weeks_at_target += float(f"{mean:.2f}") >= TARGET
            kept += week_answers
    statements = {}
    for index, text in enumerate(STATEMENTS):
        answers = [raw for i, raw in kept if i == index]
        if answers:
            statements[text] = (math.fsum(rescaled(raw, data.scale_max) for raw in answers) / len(answers),
                                sum(2 * raw > data.scale_max + 1 for raw in answers) / len(answers), len(answers))
    mean = math.fsum(rescaled(raw, data.scale_max) for _, raw in kept) / len(kept) if kept else None
    return Expected(mean, weeks_at_target, weeks_scored, responses, statements)


def near_a_rounding_edge(value: float | None) -> bool:
    """A mean within float noise of x.xx5 can round either way in two correct sums: not a disagreement."""
    return value is not None and abs(value * 100 - math.floor(value * 100) - 0.5) < 1e-6


def load(data: Dataset, folder: Path) -> tuple[Path, Path]:
    survey, settings_file, db = folder / "survey.csv", folder / "review_pulse.toml", folder / "reviews.duckdb"
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Timestamp", *STATEMENTS])
        for w, week in enumerate(data.weeks):
            day = FIRST_WEDNESDAY + timedelta(days=7 * w)
            for r, (first, second) in enumerate(week):
                writer.writerow([f"{day} {10 + r // 60:02d}:{r % 60:02d}", first, "" if second is None else second])
    settings_file.write_text(f'[[sources]]\nfiles = ["survey.csv"]\nscale_max = {data.scale_max}\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
        assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    return db, settings_file


def overview_on_the_page(db: Path, settings_file: Path) -> tuple[dict[str, str], list[str]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVIEW_PULSE_DB", str(db))
        patch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
        at = AppTest.from_file(APP, default_timeout=90)
        at.query_params["quarter"] = QUARTER
        at.run()
        assert not at.exception, at.exception
        return {m.label: m.value for m in at.metric}, [e.value for e in [*at.success, *at.warning]]


def pack_of(db: Path, settings_file: Path) -> dict[str, bytes]:
    view = DataView(db, parse_period(QUARTER), None, load_settings(settings_file))
    archive = zipfile.ZipFile(io.BytesIO(build_retro_pack(view)))
    return {name: archive.read(name) for name in archive.namelist()}


def csv_of(pack: dict[str, bytes], slug: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(pack[f"{slug}_{QUARTER}.csv"]), encoding="utf-8-sig")


def slide_tables(pptx: bytes) -> list[list[list[str]]]:
    deck = Presentation(io.BytesIO(pptx))
    return [[[cell.text for cell in row.cells] for row in shape.table.rows]
            for slide in deck.slides for shape in slide.shapes if shape.has_table]


def assert_every_surface_agrees(data: Dataset, folder: Path) -> None:
    expected = recount(data)
    db, settings_file = load(data, folder)
    mean_text = "—" if expected.mean is None else f"{expected.mean:.2f}"
    verdict = figures.verdict(expected.mean, TARGET)

    # The Overview, as the browser receives it.
    metrics, messages = overview_on_the_page(db, settings_file)
    assert metrics["Average score"] == ("—" if expected.mean is None else f"{mean_text} / 5")
    assert metrics["Weeks at target"] == f"{expected.weeks_at_target} of {expected.weeks_scored}"
    assert messages == ([] if verdict is None else [verdict.sentence])

    pack = pack_of(db, settings_file)
    # Every chart CSV that holds a figure.
    trend = csv_of(pack, "score-trend")
    shown = trend[trend["suppressed"].astype(str) != "True"]  # an empty CSV has no typed columns
    assert int(pd.to_numeric(shown["responses"]).sum()) == expected.responses
    week_means = pd.to_numeric(shown["mean_score"], errors="coerce").dropna()
    assert sum(float(f"{m:.2f}") >= TARGET for m in week_means) == expected.weeks_at_target
    spread = csv_of(pack, "answer-distribution")
    for slug in ("weekly-agreement", "weekly-agreement-percent"):
        weekly = csv_of(pack, slug)
        for statement, (mean, agree, n) in expected.statements.items():
            rows = weekly[(weekly["statement"] == statement) & ~weekly["suppressed"]]
            # Hidden rows say "fewer than 5 responses" in place of their figures: read the shown ones as numbers.
            answers, shares = pd.to_numeric(rows["answers"]), pd.to_numeric(rows["agree_share"])
            assert int(answers.sum()) == n
            assert math.fsum(shares * answers) / n == pytest.approx(agree)
    for statement, (mean, agree, n) in expected.statements.items():
        rows = spread[spread["statement"] == statement]
        assert int(rows["answers"].sum()) == n
        assert rows["agree_share"].iloc[0] == pytest.approx(agree)
        assert int(rows.loc[rows["score"] >= 4, "answers"].sum()) == round(agree * n)  # the labels add up to it
    assert set(spread["statement"]) == set(expected.statements)

    # summary_<q>.md
    summary = pack[f"summary_{QUARTER}.md"].decode("utf-8")
    if verdict is None:
        assert "| Average score | — (hidden, fewer than 5 responses (or answers to each statement) in every week) |" in summary
    else:
        assert f"| Average score | {mean_text} / 5 |" in summary
        assert f"| Target | 4.5 / 5 — {verdict.short} |" in summary
    assert f"| Weeks at target | {expected.weeks_at_target} of {expected.weeks_scored} weeks" in summary
    assert f"| Responses | {expected.responses} |" in summary

    # The PDF report and the slides: the headline and the scorecard.
    pdf = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pack[f"summary_{QUARTER}.pdf"])).pages)
    pdf = " ".join(pdf.split())
    if verdict is not None:
        assert f"Average score {mean_text} / 5 against a target of 4.5: {verdict.short}." in pdf
    assert f"Weeks at target: {expected.weeks_at_target} of {expected.weeks_scored} weeks" in pdf
    card = [row for table in slide_tables(pack[f"retro_{QUARTER}.pptx"]) if table[0][0] == "Statement" for row in table[1:]]
    assert {row[0]: row[1:4] for row in card} == {
        statement: [f"{mean:.2f}", f"{agree:.0%}", str(n)] for statement, (mean, agree, n) in expected.statements.items()}
    for statement, (mean, agree, n) in expected.statements.items():
        assert f"{statement} {mean:.2f} {agree:.0%} {n}" in pdf


def test_a_seven_point_scale_is_100_percent_agree_and_4_07_everywhere(tmp_path: Path) -> None:
    """The issue's case: answers 5, 5, 5, 6, 7 on a declared 1-7 scale."""
    data = Dataset(7, (((5, None), (5, None), (5, None), (6, None), (7, None)),))
    expected = recount(data)
    assert f"{expected.mean:.2f}" == "4.07" and expected.statements[STATEMENTS[0]][1] == 1.0
    assert_every_surface_agrees(data, tmp_path)


def test_a_mean_of_4_496_meets_the_target_on_every_surface(tmp_path: Path) -> None:
    """125 answers, 63 fours and 62 fives: 562 / 125 = 4.496, shown 4.50, at the 4.5 target everywhere."""
    week = tuple((4, None) for _ in range(63)) + tuple((5, None) for _ in range(62))
    data = Dataset(5, (week,))
    assert recount(data).mean == pytest.approx(4.496)
    assert_every_surface_agrees(data, tmp_path)


ANSWER = st.sampled_from([5, 7, 10]).flatmap(lambda k: st.tuples(st.just(k), st.integers(1, k)))


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    scale_max = draw(st.sampled_from([5, 7, 10]))
    # High answers are likelier, so means land near the 4.5 target.
    answer = st.integers(max(1, scale_max - 3), scale_max) | st.integers(1, scale_max)
    week = st.lists(st.tuples(answer, st.none() | answer), min_size=MIN_GROUP - 2, max_size=MIN_GROUP + 2)
    return Dataset(scale_max, tuple(draw(st.lists(week, min_size=1, max_size=3))))


@hsettings(max_examples=3, deadline=None, derandomize=True,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=datasets())
@example(data=Dataset(10, (((6, 6), (6, 5), (7, 10), (10, 10), (8, 9), (6, None)), ((10, 10),) * 4)))
def test_every_surface_shows_the_same_numbers(data: Dataset, tmp_path_factory: pytest.TempPathFactory) -> None:
    expected = recount(data)
    assume(not near_a_rounding_edge(expected.mean))
    assume(not any(near_a_rounding_edge(m) for m, _, _ in expected.statements.values()))
    assert_every_surface_agrees(data, tmp_path_factory.mktemp("figures"))


@pytest.mark.parametrize("denominator", [8, 16, 40, 200])
def test_a_table_column_shows_the_percent_the_text_shows(denominator: int) -> None:
    """The Series table formats numbers in the browser (half up); shown_whole rounds them first as
    percent_text does (62.5% reads 62% on the Overview and in the table alike)."""
    from review_pulse.figures import percent_text, shown_whole

    for k in range(denominator + 1):
        share = k / denominator
        assert f"{shown_whole(share * 100):.0f}%" == percent_text(share)
    assert shown_whole(62.5) == 62.0 and shown_whole(-12.5) == -12.0 and math.isnan(shown_whole(None))
