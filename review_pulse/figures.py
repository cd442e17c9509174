"""The figures a viewer reads, each defined once (no Streamlit here).

Pages, chart CSVs, ``summary_<q>.md``, the PDF report, the slides and anything added later
render these definitions; none recomputes a figure from another figure's rows. What is
defined here:

* **Agreement** and the answer spread's labels on any scale live in ``core.agreement`` (the
  schema's public views use them too); this module words them.
* **Rounding and the verdict**: scores are shown with two decimals, and whether a score meets
  the target, and by how much it misses, is decided on the score *as shown* (``shown_score``,
  ``meets_target``, ``verdict``), so no surface can say "4.50 is 0.00 below the target".
* **The headline** (``Headline`` / ``headline``): average score, change, latest week, weeks at
  target, attendance growth, response rate, responses.
* The words of the figures that every surface repeats (``AGREE_RULE``, ``shown_of``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from core.words import count_text  # noqa: F401  (the figures' name for it; one definition)

DASH = "—"
SCORE_DECIMALS = 2

# --- agreement: the rule is core.agreement's (the file's public views use it too); its words -----

AGREE_RULE = "% agree: answers above the middle of the scale (4–5 on 1–5, 5–7 on 1–7, 6–10 on 1–10)"
AGREE_AXIS_TITLE = "% agree (above the middle of the scale)"


# --- rounding, the target and its verdict ------------------------------------------------------


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def score_text(value: float | None, none: str = DASH) -> str:
    """A score as every surface shows it: two decimals."""
    return none if is_missing(value) else f"{float(value):.{SCORE_DECIMALS}f}"


def shown_score(value: float) -> float:
    """The score as displayed, as a number: what every comparison with the target is made on."""
    return float(score_text(value))


def meets_target(value: float | None, target: float) -> bool:
    """Whether a score, as displayed, is at or above the target (False when there is no score)."""
    return not is_missing(value) and shown_score(value) >= target


# Showing a score with two decimals moves it by at most 0.005: a score further than this from the target is
# on the same side of it shown as it is, so only scores this close need to be shown to be compared.
ROUNDING_REACH = 0.006


def meets_target_array(scores: np.ndarray, target: float) -> np.ndarray:
    """``meets_target`` of each score of a float array (NaN: False), without formatting every one: a score
    clear of the target by more than rounding can move it is compared as it is, the rest by ``meets_target``
    itself (tests/test_figures.py runs both on the same values, the near ones included)."""
    flags = scores >= target  # NaN compares False, as meets_target says of a missing score
    for index in np.flatnonzero(np.abs(scores - target) <= ROUNDING_REACH):
        flags[index] = meets_target(float(scores[index]), target)
    return flags


def meets_target_flags(values: pd.Series, target: float) -> pd.Series:
    """``meets_target`` over a column (missing values: False)."""
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values.map(lambda v: meets_target(v, target)).astype(bool)
    return pd.Series(meets_target_array(values.to_numpy(dtype="float64", na_value=np.nan), target), index=values.index)


def meets_share_target(share: float | None, target: float) -> bool:
    """Whether a share, as displayed (a whole percent), is at or above a share target (0.8 = 80%)."""
    return not is_missing(share) and float(percent_text(share).rstrip("%")) >= round(target * 100)


def change_text(current: float | None, previous: float | None, none: str = DASH) -> str:
    """The difference of the two scores as shown ("+0.12"), so it adds up on the page."""
    if is_missing(current) or is_missing(previous):
        return none
    return f"{shown_score(current) - shown_score(previous):+.{SCORE_DECIMALS}f}"


def target_gap(value: float | None, target: float) -> float | None:
    """The score as shown minus the target ("-0.32": 0.32 below it); None when there is no score.
    What the Series page sorts by, worst first."""
    if is_missing(value):
        return None
    return round(shown_score(value) - target, SCORE_DECIMALS + 2)


def lagging_statement(scores: pd.DataFrame, column: str = "mean_score") -> pd.Series | None:
    """The statement with the lowest mean as shown (ties: the first in survey order), from per-statement
    scores over a period; None when no statement has a score."""
    label = lowest_shown(scores[column]) if len(scores) else None
    return None if label is None else scores.loc[label]


def change_value(current: float | None, previous: float | None) -> float | None:
    text = change_text(current, previous, none="")
    return float(text) if text else None


@dataclass(frozen=True)
class Verdict:
    meets: bool
    shown: str  # the score as displayed, "4.50"
    gap: str  # how far below the target, as displayed ("0.04"); "" when it meets it
    target: float

    @property
    def sentence(self) -> str:
        """"The average score 4.50 meets the 4.5 target." / "… is 0.04 below the 4.5 target.\""""
        if self.meets:
            return f"The average score {self.shown} meets the {self.target:g} target."
        return f"The average score {self.shown} is {self.gap} below the {self.target:g} target."

    @property
    def short(self) -> str:
        """"meets the target" / "0.04 below the target"."""
        return "meets the target" if self.meets else f"{self.gap} below the target"


def verdict(value: float | None, target: float) -> Verdict | None:
    """The score against the target, decided on the score as displayed (None: no score to judge)."""
    if is_missing(value):
        return None
    shown = shown_score(value)
    if shown >= target:
        return Verdict(True, score_text(value), "", target)
    # A target with more decimals than are shown (4.505) can miss by less than 0.01: never "0.00 below".
    gap = max(target - shown, 10 ** -SCORE_DECIMALS)
    return Verdict(False, score_text(value), f"{gap:.{SCORE_DECIMALS}f}", target)


def percent_text(share: float | None, none: str = DASH) -> str:
    """A share (0..1) as shown: "83%"."""
    return none if is_missing(share) else f"{float(share):.0%}"


def shown_whole(value: float | None) -> float:
    """A percentage (or any figure shown as a whole number) rounded exactly as its text is
    ("62.5" -> 62, half to even like f"{v:.0f}" and percent_text), for a table column whose
    browser-side format would otherwise round it again its own way (half up: "63%")."""
    return np.nan if is_missing(value) else float(f"{float(value):.0f}")


def shown_of(shown: int, total: int, noun: str, where: str) -> str:
    """What a truncated list says under it: "10 of 15 open actions shown; all in open-actions_2026-Q2.csv"."""
    return f"{shown:,} of {total:,} {noun} shown; all in {where}"


# --- the headline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    target: float
    average_score: float | None  # mean of every answer in the period's visible weeks
    previous_average: float | None
    latest_week: date | None
    latest_week_score: float | None
    latest_week_suppressed: bool
    attendance_growth_pct: float | None  # last 4 review weeks vs first 4
    growth_weeks: int  # review weeks with attendance behind that figure
    response_rate: float | None  # counted responses / counted attendees (response_rate_parts)
    weeks_at_target: int  # visible weeks whose score, as shown, meets the target
    weeks_scored: int  # weeks with visible scores
    weeks_hidden: int  # weeks suppressed for anonymity
    responses: int  # responses in visible weeks

    @property
    def verdict(self) -> Verdict | None:
        return verdict(self.average_score, self.target)

    @property
    def latest_week_meets_target(self) -> bool:
        return meets_target(self.latest_week_score, self.target)

    @property
    def change(self) -> str:
        """Change of the average against the previous period, as shown ("+0.12"; "—" when none)."""
        return change_text(self.average_score, self.previous_average)


@dataclass(frozen=True)
class Summary:
    """What the retro summary (Markdown), the report's headline and the slides' title say."""

    quarter: str
    series: str
    headline: Headline
    freshness: str
    min_group_size: int


def average_score(weekly_scores: pd.DataFrame) -> float | None:
    # On the columns' arrays: the Series page computes 80 of these per run, and pandas' per-call
    # overhead was most of it. score_sum and answers hold whole numbers, so the sums are exact.
    visible = ~weekly_scores["suppressed"].to_numpy(dtype=bool)
    answers = int(weekly_scores["answers"].to_numpy()[visible].sum())
    return float(weekly_scores["score_sum"].to_numpy(dtype="float64")[visible].sum()) / answers if answers else None


def average_scores(weekly_scores: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``average_score`` for each group of weeks (``keys``: series, quarter…) at once: the same sums of the
    visible weeks' score_sum over their answers; ``average_score`` is NaN where a group has no answer shown.
    Also the group's responses in visible weeks. (tests/test_series.py holds each group to the Overview's.)"""
    visible = ~weekly_scores["suppressed"]
    sums = weekly_scores.assign(
        score_sum=weekly_scores["score_sum"].where(visible, 0.0), answers=weekly_scores["answers"].where(visible, 0),
        responses=weekly_scores["responses"].where(visible, 0),
    ).groupby(keys, sort=True)[["score_sum", "answers", "responses"]].sum().reset_index()
    sums["average_score"] = (sums["score_sum"] / sums["answers"].where(sums["answers"] > 0)).astype("float64")
    return sums[[*keys, "responses", "average_score"]]


def missing_average(h: "Headline", min_group_size: int) -> str:
    """Why a period shows no average, for every surface that says so: its weeks with responses are all
    hidden for anonymity, or it has no scored responses at all (an empty quarter is not "hidden")."""
    return f"hidden, {hidden_every_week(min_group_size)}" if h.weeks_hidden else "no responses in this period"


def hidden_every_week(min_group_size: int) -> str:
    """Why a period has no score: each of its weeks hidden, by its responses or by every statement's answers
    (a week of 8 responses whose statements were each answered by 2 is hidden too). Every surface says this."""
    from core import anonymity

    return f"{anonymity.fewer_than(min_group_size)} (or answers to each statement) in every week"


def target_status(h: "Headline") -> str:
    """The period's average against the target, as every surface words it: the verdict's short form ("meets the
    target", "0.04 below"), or why it cannot be told (its weeks hidden, or no average at all)."""
    if h.verdict is not None:
        return h.verdict.short
    return "cannot tell (average hidden)" if h.weeks_hidden else "cannot tell (no average)"


# What every surface that shows attendance growth says it is (the Overview's, Attendance's and Series' help).
GROWTH_RULE = ("Mean attendance of the period's last 4 review weeks against its first 4 (with fewer than 8 weeks: "
               "last half against first half)")


def growth_window(weeks: int) -> int:
    """Review weeks at each end that attendance growth compares: 4, or half the weeks when there are
    fewer than 8, so the two windows never overlap (overlapping windows would report growth towards 0)."""
    return min(4, weeks // 2)


def growth_basis(weeks: int) -> str:
    """What the growth of a period with ``weeks`` review weeks (with attendance) compares, in words: every
    surface that shows the figure says this, so none describes a window the figure did not use."""
    window = growth_window(weeks)
    return f"last {window} review week{'' if window == 1 else 's'} against the first {window}"


def attendance_growth(weekly_attendance: pd.DataFrame) -> float | None:
    """Mean attendance of the last ``growth_window`` review weeks against the first, in %."""
    attendees = weekly_attendance["attendees"]
    window = growth_window(len(attendees))
    if window == 0:
        return None
    first, last = attendees.head(window).mean(), attendees.tail(window).mean()
    return None if first == 0 else float((last / first - 1) * 100)


# What every surface that shows the response rate says it is (the Overview's help, the retro pack's definitions).
RESPONSE_RATE_RULE = ("survey responses ÷ attendees, over the review weeks (of each series) that have attendance "
                      "and whose responses are shown; a week hidden for anonymity leaves out its attendees with its "
                      "responses")


def response_rate_parts(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """THE response-rate rule, on attendance cells (one review week of one series: attendees, meetings, the
    cell's visible responses and whether it is ``suppressed``), summed per ``keys``.

    A cell counts towards the rate when its responses are shown and it has attendance: its responses over its
    attendees. A hidden cell leaves out its attendees with its responses, so "All series" is not lowered by
    people whose responses it does not show (the series' own rates are not either); a week with attendance and
    no survey responses counts as 0. Returns ``keys``, attendees and meetings (every cell), responses_counted and
    attendees_counted."""
    counted = ~cells["suppressed"].astype(bool).to_numpy() & (cells["attendees"].to_numpy() > 0)
    parts = cells[keys].assign(
        attendees=cells["attendees"].astype("int64"), meetings=cells["meetings"].astype("int64"),
        responses_counted=cells["responses"].where(counted, 0).astype("int64"),
        attendees_counted=cells["attendees"].where(counted, 0).astype("int64"))
    return parts.groupby(keys, sort=True)[["attendees", "meetings", "responses_counted", "attendees_counted"]] \
        .sum().reset_index()


def weekly_response_rate(weeks: pd.DataFrame) -> pd.Series:
    """Each week's response rate from ``response_rate_parts``: missing when none of its responses is counted."""
    counted = weeks["responses_counted"] > 0
    return (weeks["responses_counted"] / weeks["attendees_counted"].where(counted)).astype("float64")


def response_rate(weeks: pd.DataFrame) -> float | None:
    """A period's response rate: its counted responses over its counted attendees (``response_rate_parts``)."""
    attendees = int(weeks["attendees_counted"].to_numpy().sum())
    return float(weeks["responses_counted"].to_numpy().sum()) / attendees if attendees else None


def headline(
    weekly_scores: pd.DataFrame,
    previous_weekly_scores: pd.DataFrame | None,
    weekly_attendance: pd.DataFrame,
    target: float,
) -> Headline:
    # Column arrays, not filtered frames: the same sums and counts without pandas' per-call overhead.
    suppressed = weekly_scores["suppressed"].to_numpy(dtype=bool)
    scored = ~suppressed & (weekly_scores["answers"].to_numpy() > 0)
    visible_means = weekly_scores["mean_score"].to_numpy(dtype="float64")[scored]
    latest = weekly_scores.iloc[-1] if len(weekly_scores) else None
    return Headline(
        target=target,
        average_score=average_score(weekly_scores),
        previous_average=average_score(previous_weekly_scores) if previous_weekly_scores is not None else None,
        latest_week=latest["week_start"].date() if latest is not None else None,
        latest_week_score=None if latest is None or latest["suppressed"] or pd.isna(latest["mean_score"])
        else float(latest["mean_score"]),
        latest_week_suppressed=bool(latest is not None and latest["suppressed"]),
        attendance_growth_pct=attendance_growth(weekly_attendance),
        growth_weeks=len(weekly_attendance),
        response_rate=response_rate(weekly_attendance),
        weeks_at_target=int(meets_target_array(visible_means, target).sum()),
        weeks_scored=int(scored.sum()),
        weeks_hidden=int(suppressed.sum()),
        responses=int(weekly_scores["responses"].to_numpy()[~suppressed].sum()),
    )


# --- one review week (the weekly Slack digest; the pages show the same rows) ---------------------


def lowest_shown(means: pd.Series) -> object | None:
    """The index label of the lowest mean as shown (ties: the first, i.e. survey order); None when none."""
    # A loop over the values, not dropna/map/idxmin: the Series page asks this of 40 series of a few rows.
    lowest_label, lowest = None, None
    for label, value in zip(means.index, means.tolist()):
        if is_missing(value):
            continue
        shown = shown_score(value)
        if lowest is None or shown < lowest:
            lowest_label, lowest = label, shown
    return lowest_label


@dataclass(frozen=True)
class WeekStatement:
    """A week's lagging statement: the lowest mean as shown among its visible statements, and the same
    statement in the review week before (None when there was none, or it was hidden there)."""

    statement: str
    score: float
    previous_week: date | None
    previous_score: float | None

    @property
    def change(self) -> str:
        """Against the week before, as shown ("-0.12"; "—" when there is nothing to compare)."""
        return change_text(self.score, self.previous_score)


def week_lagging_statement(weekly_statement_scores: pd.DataFrame, week: date) -> WeekStatement | None:
    """``weekly_statement_scores``: the read layer's rows (one per week and statement, in survey order)."""
    frame = weekly_statement_scores
    weeks = frame["week_start"].dt.date
    shown = frame[(weeks == week) & ~frame["suppressed"] & frame["mean_score"].notna()]
    label = lowest_shown(shown["mean_score"])
    if label is None:
        return None
    row = shown.loc[label]
    earlier = sorted(w for w in set(weeks) if w < week)
    previous_week = earlier[-1] if earlier else None
    before = frame[(weeks == previous_week) & (frame["statement"] == row["statement"]) & ~frame["suppressed"]
                   & frame["mean_score"].notna()]
    return WeekStatement(str(row["statement"]), float(row["mean_score"]), previous_week,
                         float(before["mean_score"].iloc[0]) if len(before) else None)


def mean_text(value: float | None, none: str = DASH) -> str:
    """A mean of counts (attendees per week) as shown: one decimal."""
    return none if is_missing(value) else f"{float(value):.1f}"


def relative_change_pct(value: float | None, baseline: float | None) -> float | None:
    """``value`` against ``baseline`` in % (-12.5 = 12.5% below); None without a positive baseline."""
    if is_missing(value) or is_missing(baseline) or float(baseline) <= 0:
        return None
    return (float(value) / float(baseline) - 1) * 100


def against_mean_text(value: float | None, baseline: float | None) -> str:
    """"12% below the previous 4 weeks' mean (23.8)" / "5% above …" / "level with …"; "" without a mean.
    (Not the charts' 4-week rolling average, which includes the week itself.)"""
    pct = relative_change_pct(value, baseline)
    if pct is None:
        return ""
    return f"{side_of_mean_text(pct)} the previous 4 weeks' mean ({mean_text(baseline)})"


def side_of_mean_text(pct: float) -> str:
    """A change against a mean in %, as words: -38.2 -> "38% below", 5 -> "5% above", 0.3 -> "level with"
    (the digest, the Attendance page and the early warning all word it so)."""
    rounded = round(pct)
    return "level with" if rounded == 0 else f"{abs(rounded)}% {'below' if rounded < 0 else 'above'}"
