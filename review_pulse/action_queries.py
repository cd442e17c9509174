"""The read layer for follow-up actions: named SQL with bound parameters, and the figures computed from it.

Functions take a DuckDB path and plain arguments (cached by dashboard.data like every
query) and return small frames. No Streamlit here.

Definitions (shown on the page too):

* An action is in a period when its review week falls in it; an unlinked action by the week it
  was created.
* *Actions per review*: actions linked to a review of the period ÷ reviews held (meetings).
* *Done share*: done ÷ all actions of the period (dropped ones count as not done).
* *Done within target*: of the period's actions created at least ``action_target_days`` ago,
  the share done within that many days of creation. Younger actions have not had their chance.
* *Median days to close*: over done actions with a closing date.
* *Open now*, *overdue*, *oldest open*: every action of the series still open today that was
  created by the period's end (last quarter's open actions are still to revisit). Overdue: past its
  due date, or, without one, older than the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from core.links import safe_link
from review_pulse.queries import VISIBILITY, Filters, read_counted, read_frame, read_row

_ACTION_WEEK = "coalesce(a.review_week, CAST(date_trunc('week', a.created) AS DATE))"

ACTIONS_PRESENT = """
SELECT count(*) FROM information_schema.tables WHERE table_name = 'action_items'
"""

ACTION_COUNT = "SELECT count(*) FROM action_items"

# The period's actions, oldest first: the columns their figures read (headline, burn-up, time to close, the
# outlook's action load). Titles, teams and links are the open list's (OPEN_ACTIONS); reading them here cost
# most of this query over an organisation's All time (19,428 actions at 40 series).
PERIOD_ACTIONS = f"""
SELECT a.review_week, a.status, a.created, a.closed, {_ACTION_WEEK} AS action_week
FROM actions AS a
WHERE {_ACTION_WEEK} BETWEEN $week_from AND $week_to
  AND ($series IS NULL OR a.series = $series)
ORDER BY a.created, a.action_key
"""

# Everything still open that was created by the period's end: the list to revisit.
OPEN_ACTIONS = """
SELECT a.action_key, a.series, a.review_week, a.title, a.created, a.due, a.team, a.source, a.link
FROM actions AS a
WHERE a.status = 'open' AND a.created <= $period_end
  AND ($series IS NULL OR a.series = $series)
ORDER BY a.created, a.action_key
"""

REVIEWS_HELD = """
SELECT count(*) FROM meetings AS m
WHERE CAST(date_trunc('week', m.meeting_date) AS DATE) BETWEEN $week_from AND $week_to
  AND ($series IS NULL OR m.series = $series)
"""

# Per review week: its actions beside two statements' scores and the responses behind them. Responses
# and scores come from review_pulse.queries' visibility (cells of a week and series, statements
# answered by enough people, late responses left out), so no figure here can be subtracted from another.
REVIEW_HEALTH = f"""
WITH {VISIBILITY},
scores AS (
    SELECT week_start,
           (sum(score_sum) FILTER (WHERE statement = $learned)
            / sum(answers) FILTER (WHERE statement = $learned))::DOUBLE AS learned_score,
           sum(answers) FILTER (WHERE statement = $learned) AS learned_answers,
           (sum(score_sum) FILTER (WHERE statement = $good_use)
            / sum(answers) FILTER (WHERE statement = $good_use))::DOUBLE AS good_use_score,
           sum(answers) FILTER (WHERE statement = $good_use) AS good_use_answers
    FROM visible_statement_sums
    GROUP BY week_start
), held AS (
    SELECT DISTINCT CAST(date_trunc('week', m.meeting_date) AS DATE) AS week_start
    FROM meetings AS m
    WHERE CAST(date_trunc('week', m.meeting_date) AS DATE) BETWEEN $week_from AND $week_to
      AND ($series IS NULL OR m.series = $series)
), linked AS (
    SELECT a.review_week AS week_start, count(*) AS actions
    FROM actions AS a
    WHERE a.review_week BETWEEN $week_from AND $week_to AND ($series IS NULL OR a.series = $series)
    GROUP BY a.review_week
), review_weeks AS (
    SELECT week_start FROM held UNION SELECT week_start FROM weeks
)
SELECT w.week_start, coalesce(l.actions, 0) AS actions, coalesce(v.responses, 0) AS responses,
       s.learned_score, coalesce(s.learned_answers, 0) AS learned_answers,
       s.good_use_score, coalesce(s.good_use_answers, 0) AS good_use_answers,
       coalesce(v.hidden, TRUE) AS suppressed  -- the visibility relation's own verdict; no response: nothing to show
FROM review_weeks AS w
LEFT JOIN linked AS l USING (week_start)
LEFT JOIN weeks AS v USING (week_start)
LEFT JOIN scores AS s USING (week_start)
ORDER BY w.week_start
"""


def health_statements(statements: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The settings' texts of "I learned something new in this meeting" and "This meeting was a good use
    of my time" (matched on their key phrase, so reworded statements still count), or None."""
    from core.settings import normalise_header

    def find(phrase: str) -> str | None:
        return next((s for s in statements if phrase in normalise_header(s)), None)

    return find("learned something new"), find("good use of")


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def action_count(db_path: Path) -> int:
    """Stored actions; 0 for a DB made before actions existed."""
    if not read_row(db_path, ACTIONS_PRESENT)[0]:
        return 0
    return int(read_row(db_path, ACTION_COUNT)[0])


def period_actions(db_path: Path, week_from: date, week_to: date, series: str | None) -> pd.DataFrame:
    frame = read_frame(db_path, PERIOD_ACTIONS, {"week_from": week_from, "week_to": week_to, "series": series})
    return _dates(frame, "review_week", "created", "closed", "action_week")


def reviews_held(db_path: Path, week_from: date, week_to: date, series: str | None) -> int:
    return int(read_row(db_path, REVIEWS_HELD, {"week_from": week_from, "week_to": week_to, "series": series})[0])


def open_actions(db_path: Path, period_end: date, series: str | None, today: date, target_days: int) -> pd.DataFrame:
    """Open actions oldest first, with their age, effective due date and whether overdue; unsafe links blanked."""
    frame = _dates(read_frame(db_path, OPEN_ACTIONS, {"period_end": period_end, "series": series}),
                   "review_week", "created", "due")
    return open_action_figures(frame, today, target_days)[
        ["action_key", "title", "created", "age_days", "due", "due_by", "overdue", "review_week", "team", "source", "link"]]


def open_actions_by_series(open_rows: pd.DataFrame, today: date, target_days: int) -> pd.DataFrame:
    """Per series: open actions and how many are overdue, counted as ``open_actions`` counts them, from
    OPEN_ACTIONS' rows for every series (``$series`` NULL)."""
    # Only counted: the due dates and overdue flags of open_action_figures, not its links.
    frame = _ages(_dates(open_rows, "review_week", "created", "due"), today, target_days)
    return (frame.groupby("series", sort=True)
            .agg(open_now=("action_key", "size"), overdue_now=("overdue", "sum"))
            .astype("int64").reset_index())


def open_action_figures(frame: pd.DataFrame, today: date, target_days: int) -> pd.DataFrame:
    """Age, effective due date and overdue of open actions (``_ages``: the one rule, which the Series page
    counts with too); unsafe links blanked."""
    frame = _ages(frame, today, target_days)
    frame["link"] = frame["link"].map(safe_link).astype(object)
    return frame


def _ages(frame: pd.DataFrame, today: date, target_days: int) -> pd.DataFrame:
    """A copy of open actions with their age in days, effective due date (due, else created + target days)
    and whether that is past."""
    frame = frame.copy()
    now = pd.Timestamp(today)
    frame["age_days"] = (now - frame["created"]).dt.days.astype("int64")
    frame["due_by"] = frame["due"].fillna(frame["created"] + pd.Timedelta(days=target_days))
    frame["overdue"] = (frame["due_by"] < now).astype(bool)
    return frame


def review_health(db_path: Path, f: Filters, learned: str | None, good_use: str | None) -> pd.DataFrame:
    """Per review week: actions, responses, the two scores. A week with no visible response keeps its
    action count and has no responses or scores (``suppressed``)."""
    frame = read_counted(db_path, REVIEW_HEALTH, f.visible_params(learned=learned or "", good_use=good_use or ""))
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame


# --- figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionHeadline:
    actions: int
    linked: int
    reviews_held: int
    per_review: float | None
    done: int
    dropped: int
    open_in_period: int
    done_share: float | None
    target_days: int
    judged: int  # actions created at least target_days ago
    done_within_target: int
    done_within_target_share: float | None
    median_days_to_close: float | None
    open_now: int
    overdue_now: int
    oldest_open_days: int | None


def days_to_close(frame: pd.DataFrame) -> pd.Series:
    done = frame[(frame["status"] == "done") & frame["closed"].notna()]
    return (done["closed"] - done["created"]).dt.days.clip(lower=0)


def action_headline(actions: pd.DataFrame, held: int, open_now: pd.DataFrame, today: date, target_days: int) -> ActionHeadline:
    total = len(actions)
    linked = int(actions["review_week"].notna().sum())
    done = int((actions["status"] == "done").sum())
    dropped = int((actions["status"] == "dropped").sum())
    cutoff = pd.Timestamp(today - timedelta(days=target_days))
    judged = actions[actions["created"] <= cutoff]
    closed_days = (judged["closed"] - judged["created"]).dt.days
    within = int(((judged["status"] == "done") & judged["closed"].notna() & (closed_days <= target_days)).sum())
    durations = days_to_close(actions)
    return ActionHeadline(
        actions=total,
        linked=linked,
        reviews_held=held,
        per_review=linked / held if held else None,
        done=done,
        dropped=dropped,
        open_in_period=total - done - dropped,
        done_share=done / total if total else None,
        target_days=target_days,
        judged=len(judged),
        done_within_target=within,
        done_within_target_share=within / len(judged) if len(judged) else None,
        median_days_to_close=float(durations.median()) if len(durations) else None,
        open_now=len(open_now),
        overdue_now=int(open_now["overdue"].sum()) if len(open_now) else 0,
        oldest_open_days=int(open_now["age_days"].max()) if len(open_now) else None,
    )


def burnup(actions: pd.DataFrame, week_from: date, week_to: date, today: date) -> pd.DataFrame:
    """Cumulative created, done and dropped at the end of each week, from the week of the period's first
    action to the period's end (or to the latest closing of its actions, but never past today)."""
    columns = ["week_start", "measure", "actions"]
    if actions.empty:
        return pd.DataFrame(columns=columns)
    today_week = pd.Timestamp(today - timedelta(days=today.weekday()))
    last = max(pd.Timestamp(week_to), actions["closed"].max() if actions["closed"].notna().any() else pd.Timestamp(week_to))
    last = min(last, today_week)
    first = actions["created"].min()  # the period's first action (All time has no useful start)
    first = first - pd.Timedelta(days=first.weekday())
    weeks = pd.date_range(first, max(first, last), freq="7D")
    ends = weeks + pd.Timedelta(days=6)
    out = []
    for measure, dates in (("Created", actions["created"]),
                           ("Done", actions.loc[actions["status"] == "done", "closed"]),
                           ("Dropped", actions.loc[actions["status"] == "dropped", "closed"])):
        dates = dates.dropna().sort_values().to_numpy()
        counts = np.searchsorted(dates, ends.to_numpy(), side="right")
        out.append(pd.DataFrame({"week_start": weeks, "measure": measure, "actions": counts.astype("int64")}))
    return pd.concat(out, ignore_index=True)[columns]


CLOSE_BINS = ((0, 7, "0–7 days"), (8, 14, "8–14 days"), (15, 30, "15–30 days"), (31, 60, "31–60 days"),
              (61, 90, "61–90 days"), (91, None, "over 90 days"))


def time_to_close(actions: pd.DataFrame, target_days: int) -> pd.DataFrame:
    """Done actions per band of days from creation to closing; every band present, in order."""
    durations = days_to_close(actions)
    rows = []
    for order, (low, high, label) in enumerate(CLOSE_BINS):
        inside = (durations >= low) & (durations <= high if high is not None else True)
        rows.append({"band": label, "band_order": order, "actions": int(inside.sum()),
                     "within_target": high is not None and high <= target_days})
    return pd.DataFrame(rows)


def health_comparison(health: pd.DataFrame) -> pd.DataFrame:
    """Reviews with actions beside reviews without, over weeks shown (not hidden, with responses):
    the mean of their weekly scores, the number of weeks and of responses behind it."""
    visible = health[~health["suppressed"] & (health["responses"] > 0)]
    rows = []
    for group, part in (("Reviews with actions", visible[visible["actions"] > 0]),
                        ("Reviews without actions", visible[visible["actions"] == 0])):
        for statement, column, answers in (("I learned something new", "learned_score", "learned_answers"),
                                           ("Good use of my time", "good_use_score", "good_use_answers")):
            scored = part[part[column].notna()]
            rows.append({"group": group, "statement": statement, "weeks": len(scored),
                         "answers": int(scored[answers].sum()),
                         "mean_score": float(scored[column].mean()) if len(scored) else np.nan})
    return pd.DataFrame(rows, columns=["group", "statement", "weeks", "answers", "mean_score"])
