"""Attendance early warning (issue 25, items 9-11): the risk of a low turnout at the next review.

Streamlit-free. ``assess`` is pure: it takes one row per review week (the history) and the
calendar of known busy weeks, and returns an ``AttendanceRisk`` with the reasons, each with its
numbers, and what helped before. ``next_review_risk(view)`` feeds it from the read layer
(``DataView``); the Overview and the Slack digest both call that, so they never disagree.

What a "dip" is comes from ONE place: ``review_pulse.queries.sharp_dips`` (the Attendance
page's "Attendance dip": attendance below ``busy_week_ratio`` of the mean of the 4 review
weeks before). Every "% below the 4-week mean" here is against that same mean
(``queries.dip_baseline``).

The rule, in words. Each signal that applies to the next review is scored by how often the
same situation was followed by a dip in this series' own history:

* calendar: the next review's week is a known busy week of kind K (``known_busy_weeks``: the
  calendar loaded as data, and ``[calendar] busy_weeks`` over it) -> the earlier
  weeks of kind K: how many dipped, and how far below their 4-week mean they were;
* incident load: the latest week's load (follow-up actions created + incidents put to the
  talking-points poll) is at least ``HIGH_LOAD_FACTOR`` times its usual (median of the 8 weeks
  before) -> earlier reviews that followed such a week;
* after a dip: the latest review dipped -> earlier reviews that followed a dip.

A signal's chance is its dips over its cases, shrunk toward the series' overall dip rate by one
imaginary case, so one lucky week is not certainty. The highest chance sets the level: "high"
(at risk) from ``AT_RISK``, "watch" from ``WATCH`` or when a signal has no history yet, else "low".
Survey answers play no part, so the group-size rule has nothing to hide here: attendance counts,
actions and poll tallies are shown for every week on their own pages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from core.settings import week_monday
from review_pulse import action_queries, figures, talking_points_queries
from review_pulse.queries import Filters, dip_baseline, read_frames, sharp_dips, table_names
from review_pulse.view import DataView

MIN_HISTORY_WEEKS = 6  # review weeks with attendance before the warning says anything
RECENT_WEEKS = 6  # "attendance dipped 2 of the last 6 weeks"
KIND_HISTORY = 3  # a busy week is compared with the last 3 weeks of its kind
LOAD_USUAL_WEEKS = 8  # the usual load: median of the 8 review weeks before (at least 4)
HIGH_LOAD_FACTOR = 2.0
# "At risk" from a 35% chance of a dip: about 3x the usual dip rate. Chosen for F1 on generated
# calendars of seeds 25-29 (0.30-0.50 tried); the README reports other seeds (bench/attendance_risk_backtest.py).
AT_RISK = 0.35
WATCH = 0.2
MAX_SUGGESTIONS = 3

LEVELS = ("low", "watch", "high")


@dataclass(frozen=True)
class Signal:
    name: str  # calendar | load | after_dip
    reason: str
    cases: int  # earlier weeks in the same situation (with a 4-week mean to compare)
    dips: int  # of which dipped
    chance: float | None  # None: no earlier case


@dataclass(frozen=True)
class AttendanceRisk:
    review_date: date  # the next review's day (the latest review's day + 7, or the week's Monday)
    level: str  # low | watch | high
    sentence: str
    reasons: tuple[str, ...]
    suggestions: tuple[str, ...]
    chance: float | None  # the highest signal's estimated chance of a dip
    history_weeks: int

    @property
    def at_risk(self) -> bool:
        return self.level == "high"


@dataclass(frozen=True)
class TooLittleHistory:
    weeks: int
    needed: int = MIN_HISTORY_WEEKS

    @property
    def sentence(self) -> str:
        have = f"{self.weeks} review week{'' if self.weeks == 1 else 's'}"
        return (f"The attendance early warning needs {self.needed} review weeks of attendance; this series has {have}. "
                "Load more of the attendance sheet to see it.")


def day_text(day: date) -> str:
    return f"{day.day} {day:%b}"


def _below(shortfall: float) -> str:
    """0.38 -> "38% below"; -0.1 -> "10% above"; 0.002 -> "level with" (figures' wording)."""
    return figures.side_of_mean_text(-shortfall * 100)


def _times(ratio: float) -> str:
    return f"{ratio:.1f}".rstrip("0").rstrip(".") + "×"


def prepare(history: pd.DataFrame, busy_week_ratio: float) -> pd.DataFrame:
    """The history sorted, with the dip rule's 4-week mean, dips, each week's shortfall against that
    mean, and the usual load and whether a week's load was high. Optional columns: load,
    top_kind, meeting_date."""
    frame = history.sort_values("week_start").reset_index(drop=True).copy()
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    for column, empty in (("load", np.nan), ("top_kind", None), ("meeting_date", pd.NaT)):
        if column not in frame.columns:
            frame[column] = empty
    frame["baseline"] = dip_baseline(frame["attendees"])
    frame["dip"] = sharp_dips(frame["attendees"], busy_week_ratio)
    frame["shortfall"] = 1 - frame["attendees"] / frame["baseline"]
    load = frame["load"].astype("float64")
    frame["usual_load"] = load.shift(1).rolling(LOAD_USUAL_WEEKS, min_periods=4).median()
    frame["high_load"] = (load >= HIGH_LOAD_FACTOR * frame["usual_load"].clip(lower=1)).fillna(False).astype(bool)
    return frame


def _chance(dips: int, cases: int, base_rate: float) -> float | None:
    return (dips + base_rate) / (cases + 1) if cases else None


def _calendar_signal(frame: pd.DataFrame, kinds: Mapping[date, str], kind: str, base_rate: float) -> Signal:
    of_kind = pd.Series([kinds.get(w.date()) == kind for w in frame["week_start"]], index=frame.index)
    weeks = frame[of_kind & frame["baseline"].notna()]
    cases, dips = len(weeks), int(weeks["dip"].sum())
    if not cases:
        return Signal("calendar", f"it is a {kind} week, the first on record, so there is nothing to compare yet", 0, 0, None)
    last = weeks.tail(KIND_HISTORY)
    shortfall = float(last["shortfall"].mean())
    if len(last) == 1:
        week = last.iloc[0]
        reason = f"the last {kind} week ({day_text(week['week_start'].date())}) was {_below(shortfall)} its 4-week mean"
    else:
        reason = f"last {len(last)} {kind} weeks averaged {_below(shortfall)} the 4-week mean"
    reason += f" ({dips} of {cases} {kind} week{'' if cases == 1 else 's'} dipped)"
    return Signal("calendar", reason, cases, dips, _chance(dips, cases, base_rate))


def _followed_by_dips(frame: pd.DataFrame, flag: str) -> tuple[int, int]:
    """Reviews right after a week with ``flag`` (and a 4-week mean to judge them by), and how many dipped."""
    after = frame[flag].shift(1, fill_value=False).astype(bool) & frame["baseline"].notna()
    return int(after.sum()), int((after & frame["dip"]).sum())


def _load_signal(frame: pd.DataFrame, base_rate: float) -> Signal | None:
    latest = frame.iloc[-1]
    if not latest["high_load"]:
        return None
    cases, dips = _followed_by_dips(frame, "high_load")
    usual = float(latest["usual_load"])
    reason = (f"incident load this week is {_times(latest['load'] / max(usual, 1.0))} the usual "
              f"({latest['load']:.0f} against a median of {usual:g})")
    reason += (f"; {dips} of {cases} reviews after such a week dipped" if cases
               else "; no earlier week was this busy, so there is nothing to compare yet")
    return Signal("load", reason, cases, dips, _chance(dips, cases, base_rate))


def _after_dip_signal(frame: pd.DataFrame, base_rate: float) -> Signal | None:
    latest = frame.iloc[-1]
    if not latest["dip"]:
        return None
    cases, dips = _followed_by_dips(frame, "dip")
    reason = f"the last review ({day_text(latest['week_start'].date())}) dipped"
    reason += (f"; {dips} of {cases} reviews right after a dip dipped too" if cases
               else "; it is the first dip on record")
    return Signal("after_dip", reason, cases, dips, _chance(dips, cases, base_rate))


def recent_dips_text(frame: pd.DataFrame) -> str:
    recent = frame.tail(RECENT_WEEKS)
    return f"attendance dipped {int(recent['dip'].sum())} of the last {len(recent)} weeks"


def _top_kind_text(kind: object) -> str | None:
    return {"incident": "the incident", "theme": "a theme", "other": "\"Other\""}.get(kind) if isinstance(kind, str) else None


def suggestions(frame: pd.DataFrame) -> tuple[str, ...]:
    """Dips the next review recovered from (back to at least the 4-week mean before the dip),
    most recent first, with what was different in the recovering week."""
    found = []
    # Rows as dicts, read once: two iloc lookups per week cost most of the Overview's cold run at five years.
    rows = frame[["dip", "attendees", "baseline", "top_kind", "meeting_date", "load", "week_start"]].to_dict("records")
    for dip, after in zip(rows, rows[1:]):
        if not dip["dip"] or after["attendees"] < dip["baseline"]:
            continue
        changed, same = [], []
        before_kind, after_kind = _top_kind_text(dip["top_kind"]), _top_kind_text(after["top_kind"])
        if after_kind and before_kind:
            if after_kind != before_kind:
                changed.append(f"the room chose {after_kind} (in the dip week: {before_kind})")
            else:
                same.append(f"the room chose {after_kind} both weeks")
        if pd.notna(dip["meeting_date"]) and pd.notna(after["meeting_date"]):
            dip_day, after_day = f"{dip['meeting_date']:%A}", f"{after['meeting_date']:%A}"
            (changed if after_day != dip_day else same).append(
                f"held on {after_day} instead of {dip_day}" if after_day != dip_day else f"held on {after_day} both weeks")
        if pd.notna(dip["load"]) and pd.notna(after["load"]):
            (changed if after["load"] != dip["load"] else same).append(
                f"incident load {after['load']:.0f} (dip week: {dip['load']:.0f})")
        text = (f"After the dip of {day_text(dip['week_start'].date())} ({dip['attendees']:.0f} attendees against a "
                f"4-week mean of {dip['baseline']:.1f}), {day_text(after['week_start'].date())} was back to "
                f"{after['attendees']:.0f}")
        if changed:
            text += ": " + "; ".join(changed) + ("; unchanged: " + ", ".join(same) if same else "")
        elif same:
            text += "; nothing recorded changed (" + "; ".join(same) + "), so the dip looks tied to its week"
        found.append(text + ".")
    return tuple(reversed(found))[:MAX_SUGGESTIONS]


def assess(history: pd.DataFrame, busy_weeks: Mapping[date, str], busy_week_ratio: float,
           next_review: date | None = None) -> AttendanceRisk | TooLittleHistory:
    """The risk of a dip at the review after ``history`` (one row per review week: week_start,
    attendees; optional load, top_kind, meeting_date). ``next_review`` defaults to a week after
    the latest review. Uses nothing later than the history, so a backtest can walk it forward."""
    if len(history) < MIN_HISTORY_WEEKS:
        return TooLittleHistory(len(history))
    frame = prepare(history, busy_week_ratio)
    latest = frame.iloc[-1]
    if next_review is None:
        last_day = latest["meeting_date"] if pd.notna(latest["meeting_date"]) else latest["week_start"]
        next_review = (last_day + pd.Timedelta(days=7)).date()
    comparable = frame["baseline"].notna()
    base_rate = float(frame.loc[comparable, "dip"].mean()) if comparable.any() else 0.0
    signals: list[Signal] = []
    kind = busy_weeks.get(week_monday(next_review))
    if kind:
        signals.append(_calendar_signal(frame, busy_weeks, kind, base_rate))
    signals += [s for s in (_load_signal(frame, base_rate), _after_dip_signal(frame, base_rate)) if s is not None]
    known = [s for s in signals if s.chance is not None]
    chance = max((s.chance for s in known), default=None)
    if chance is not None and chance >= AT_RISK:
        level = "high"
    elif (chance is not None and chance >= WATCH) or any(s.chance is None for s in signals):
        level = "watch"
    else:
        level = "low"
    # The reason that set the level leads: the likeliest signal, or, for "watch" without one, a signal
    # with no history yet.
    by_chance = sorted(known, key=lambda s: s.chance, reverse=True)
    unknown = [s for s in signals if s.chance is None]
    ordered = unknown + by_chance if level == "watch" and (chance is None or chance < WATCH) else by_chance + unknown
    context = recent_dips_text(frame)
    reasons = tuple(s.reason for s in ordered) + (context,)
    when = f"Next review ({day_text(next_review)})"
    if level == "high":
        sentence = f"{when} is at risk: {ordered[0].reason}."
    elif level == "watch":
        sentence = f"{when} may see a lower turnout: {ordered[0].reason}."
    else:
        sentence = f"{when}: no sign of a low turnout; {context}."
    return AttendanceRisk(next_review, level, sentence, reasons, suggestions(frame), chance, len(frame))


# --- from the read layer -----------------------------------------------------------


# The incident load's parts per week, counted in SQL over the pages' own queries rather than from their
# rows: over all time those are thousands of actions (titles, links) and week x series topics, read only
# to be counted (most of the Overview's cold run). Each wraps its page's query, so no rule is copied.
ACTION_LOAD = f"""
SELECT a.action_week, count(*)::BIGINT AS actions
FROM ({action_queries.PERIOD_ACTIONS}) AS a
GROUP BY a.action_week
ORDER BY a.action_week
"""

# The week's top pick kind: of its first series by name (WEEKLY_TOPICS is one row per week and series).
WEEK_TOP_KIND = f"""
SELECT wt.week_start, wt.top_kind
FROM ({talking_points_queries.WEEKLY_TOPICS}) AS wt
QUALIFY row_number() OVER (PARTITION BY wt.week_start ORDER BY wt.series) = 1
ORDER BY wt.week_start
"""


@dataclass(frozen=True)
class LoadParts:
    """What ``review_history`` adds to attendance, per week; None where the DB has none of it."""

    actions: pd.Series | None  # actions by the Actions page's week of an action; None: no action stored at all
    incidents: pd.Series | None  # distinct incident points on the week's polls; None: no poll in the view
    top_kinds: pd.DataFrame | None  # week_start, top_kind; None: no poll in the view


def load_parts(db_path: Path, f: Filters) -> LoadParts:
    """Actions, incident points and top pick kinds per week, on one connection (one snapshot).

    Actions count when the DB stores any (``action_queries.action_count``, whatever the series);
    polls when the view has one (the talking points' ``poll_count`` > 0: a poll with options, which
    is a week with a row in WEEKLY_TOPICS)."""
    with_actions = action_queries.action_count(db_path) > 0
    with_polls = "polls" in table_names(db_path)
    statements = ([(ACTION_LOAD, f.params())] if with_actions else []) + (
        [(WEEK_TOP_KIND, f.params()), (talking_points_queries.INCIDENT_POINTS, f.params())] if with_polls else [])
    frames = read_frames(db_path, *statements)
    actions = frames.pop(0) if with_actions else None
    tops, incidents = (frames[0], frames[1]) if with_polls else (None, None)
    if tops is not None and tops.empty:
        tops, incidents = None, None
    return LoadParts(
        None if actions is None else pd.Series(actions["actions"].to_numpy(), pd.to_datetime(actions["action_week"]),
                                               name="load"),
        None if incidents is None else pd.Series(incidents["incidents"].to_numpy(),
                                                 pd.to_datetime(incidents["week_start"]), name="load"),
        None if tops is None else tops.assign(week_start=pd.to_datetime(tops["week_start"])))


def review_history(view: DataView) -> pd.DataFrame:
    """One row per review week of the view's series, over all time: attendees, incident load
    (actions created that week + distinct incidents on that week's polls), the poll's top pick
    kind, and the first meeting's date. Load is NaN when neither actions nor polls are loaded."""
    everything = view.all_time()
    return history_from(everything, lambda: everything.call(load_parts, everything.filters()))


def history_from(everything: DataView, read_parts: Callable[[], LoadParts]) -> pd.DataFrame:
    """``review_history``'s rows from the all-time view's attendance and review days and the load's parts
    (``read_parts``, read only when there is attendance)."""
    attendance = everything.weekly_attendance()[["week_start", "attendees"]]
    if attendance.empty:
        return attendance.assign(load=pd.Series(dtype="float64"), top_kind=pd.Series(dtype="object"),
                                 meeting_date=pd.Series(dtype="datetime64[ns]"))
    frame = attendance.merge(everything.review_days(), on="week_start", how="left")
    parts = read_parts()
    loads = [load for load in (parts.actions, parts.incidents) if load is not None]
    if parts.top_kinds is not None:
        frame = frame.merge(parts.top_kinds, on="week_start", how="left")
    if "top_kind" not in frame.columns:
        frame["top_kind"] = None
    if loads:
        load = pd.concat(loads, axis=1, sort=True).fillna(0).sum(axis=1)
        frame["load"] = frame["week_start"].map(load).fillna(0).astype("float64")
    else:
        frame["load"] = np.nan
    return frame[["week_start", "attendees", "load", "top_kind", "meeting_date"]]


def known_busy_weeks(view: DataView) -> dict[date, str]:
    """The calendar the warning reads: the busy weeks loaded as data for the view's series
    (`ingest --calendar`), with the settings' ``[calendar] busy_weeks`` over them: the settings
    file is written by hand for this dashboard, so it wins where both name a week."""
    loaded = view.busy_weeks()
    calendar = {pd.Timestamp(week).date(): str(kind) for week, kind in zip(loaded["week_start"], loaded["kind"])}
    calendar.update(view.settings.calendar.kinds_by_week)
    return calendar


def outlook(view: DataView) -> AttendanceRisk | TooLittleHistory:
    """The next review's risk for the view's series (or too little history, with how much is needed)."""
    return assess(review_history(view), known_busy_weeks(view), view.settings.busy_week_ratio)


def next_review_risk(view: DataView) -> AttendanceRisk | None:
    """For the Slack digest and the Overview: the risk, or None with too little history."""
    result = outlook(view)
    return result if isinstance(result, AttendanceRisk) else None
