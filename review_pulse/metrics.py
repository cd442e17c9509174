"""Headline numbers for the Overview and the retro summary, from the read layer's frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd


@dataclass(frozen=True)
class Headline:
    average_score: float | None  # mean of every answer in the period's visible weeks
    previous_average: float | None
    latest_week: date | None
    latest_week_score: float | None
    latest_week_suppressed: bool
    attendance_growth_pct: float | None  # last 4 review weeks vs first 4
    growth_weeks: int  # review weeks with attendance behind that figure
    response_rate: float | None  # responses / attendees over visible weeks with attendance
    weeks_at_target: int
    weeks_scored: int  # weeks with visible scores
    weeks_held: int  # weeks with a meeting or any response
    weeks_hidden: int  # weeks suppressed for anonymity
    responses: int  # responses in visible weeks


def average_score(weekly_scores: pd.DataFrame) -> float | None:
    visible = weekly_scores[~weekly_scores["suppressed"]]
    answers = int(visible["answers"].sum())
    return float(visible["score_sum"].sum()) / answers if answers else None


def attendance_growth(weekly_attendance: pd.DataFrame) -> float | None:
    """Mean attendance of the last 4 review weeks against the first 4, in %.

    With fewer than 8 weeks the windows shrink to half the weeks each, so they never
    overlap (overlapping windows would report growth towards 0).
    """
    attendees = weekly_attendance["attendees"]
    window = min(4, len(attendees) // 2)
    if window == 0:
        return None
    first, last = attendees.head(window).mean(), attendees.tail(window).mean()
    return None if first == 0 else float((last / first - 1) * 100)


def headline(
    weekly_scores: pd.DataFrame,
    previous_weekly_scores: pd.DataFrame | None,
    weekly_attendance: pd.DataFrame,
    target: float,
) -> Headline:
    visible = weekly_scores[~weekly_scores["suppressed"] & (weekly_scores["answers"] > 0)]
    latest = weekly_scores.iloc[-1] if len(weekly_scores) else None
    with_attendance = weekly_attendance[~weekly_attendance["suppressed"] & (weekly_attendance["attendees"] > 0)]
    attendees = int(with_attendance["attendees"].sum())
    weeks_held = len(set(weekly_scores["week_start"]) | set(weekly_attendance["week_start"]))
    return Headline(
        average_score=average_score(weekly_scores),
        previous_average=average_score(previous_weekly_scores) if previous_weekly_scores is not None else None,
        latest_week=latest["week_start"].date() if latest is not None else None,
        latest_week_score=None if latest is None or latest["suppressed"] or pd.isna(latest["mean_score"])
        else float(latest["mean_score"]),
        latest_week_suppressed=bool(latest is not None and latest["suppressed"]),
        attendance_growth_pct=attendance_growth(weekly_attendance),
        growth_weeks=len(weekly_attendance),
        response_rate=float(with_attendance["responses"].sum()) / attendees if attendees else None,
        weeks_at_target=int((visible["mean_score"] >= target).sum()),
        weeks_scored=len(visible),
        weeks_held=weeks_held,
        weeks_hidden=int(weekly_scores["suppressed"].sum()),
        responses=int(weekly_scores.loc[~weekly_scores["suppressed"], "responses"].sum()),
    )
