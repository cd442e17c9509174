"""Read layer for the talking points (issue 12): named SQL with bound parameters over the
``talking_points`` and ``weekly_topics`` views. No Streamlit here; cached through ``dashboard.data``.

Poll figures are vote counts on options; no voter is stored, so they need no suppression.
The survey comparison ("Beside the survey") does: a week with fewer survey responses than
the minimum group size is left out, and a group with fewer responses in all shows no mean.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from review_pulse.queries import VISIBILITY, Filters, period_filter, read_counted, read_frame, read_row, table_names

TREND_MIN_REVIEWS = 3  # a theme in this many reviews of the quarter is a trend
KIND_ORDER = ("theme", "incident", "other")

# The polls with an option in the period: talking_points' polls (its stored rows, core.stored_polls).
POLL_COUNT = f"""
SELECT count(DISTINCT tp.poll_id) FROM talking_points AS tp WHERE {period_filter("tp")}
"""

# An option's discussed flag and list position, per (poll, point): one grouped join, not two lookups per row
# (those correlated subqueries cost most of the query over all time).
_PERIOD_OPTIONS = f"""
options AS (
    SELECT o.poll_id, o.point, bool_or(o.discussed) AS discussed, min(o.option_order) AS option_order
    FROM poll_options AS o GROUP BY o.poll_id, o.point
),
period_options AS (
    SELECT tp.week_start, tp.series, tp.poll_id, p.title, tp.point, tp.kind, tp.theme, tp.votes, tp.share, tp.rank,
           (tp.rank = 1 AND tp.votes > 0) AS top, o.discussed, p.held_utc, o.option_order
    FROM talking_points AS tp JOIN polls AS p USING (poll_id) JOIN options AS o USING (poll_id, point)
    WHERE {period_filter("tp")}
)"""
_OPTION_COLUMNS = "week_start, series, poll_id, title, point, kind, theme, votes, share, rank, top, discussed"
_OPTION_ORDER = "week_start DESC, series, held_utc, poll_id, option_order"  # newest review first, options as listed

TALKING_POINTS = f"""
WITH {_PERIOD_OPTIONS}
SELECT {_OPTION_COLUMNS} FROM period_options
ORDER BY {_OPTION_ORDER}
"""

# TALKING_POINTS' rows of the latest $latest reviews only (a review: one poll, of one series, in one week),
# with how many reviews the period holds: what the choices chart draws, without reading an organisation's
# every option into pandas (52,200 rows over All time at 40 series). "Latest" is
# talking_points_report.latest_reviews' rule on TALKING_POINTS' rows, written in SQL beside it: the last
# reviews by week, and within the boundary week the last in row order (series, held, poll);
# tests/test_talking_points_app.py runs both on the same rows.
LATEST_TALKING_POINTS = f"""
WITH {_PERIOD_OPTIONS},
reviews AS (
    SELECT week_start, series, poll_id, count(*) OVER () AS reviews
    FROM (SELECT DISTINCT week_start, series, poll_id, held_utc FROM period_options)
    ORDER BY week_start DESC, series DESC, held_utc DESC, poll_id DESC
    LIMIT $latest
)
SELECT {_OPTION_COLUMNS}, r.reviews
FROM period_options JOIN reviews AS r USING (week_start, series, poll_id)
ORDER BY {_OPTION_ORDER}
"""

# Per week: the distinct incident points on its polls (the attendance outlook's incident load), counted
# in SQL rather than from TALKING_POINTS' rows (its per-row option lookups cost most of a second over all time).
INCIDENT_POINTS = f"""
SELECT tp.week_start, count(DISTINCT (tp.poll_id, tp.point))::BIGINT AS incidents
FROM talking_points AS tp JOIN polls AS p USING (poll_id)
WHERE {period_filter("tp")} AND tp.kind = 'incident'
GROUP BY tp.week_start
ORDER BY tp.week_start
"""

WEEKLY_TOPICS = f"""
SELECT wt.week_start, wt.series, wt.polls, wt.total_votes, wt.top_point, wt.top_kind, wt.top_theme
FROM weekly_topics AS wt WHERE {period_filter("wt")}
ORDER BY wt.week_start, wt.series
"""

# The page's headline counts over WEEKLY_TOPICS' rows, in one row: reviews (weeks x series with a poll),
# votes, reviews whose top pick was a theme, and those where someone voted (a top pick at all).
POLL_HEADLINE = f"""
SELECT count(*)::BIGINT AS reviews, coalesce(sum(wt.total_votes), 0)::BIGINT AS votes,
       count(*) FILTER (WHERE wt.top_kind = 'theme')::BIGINT AS theme_picks, count(wt.top_kind)::BIGINT AS decided
FROM weekly_topics AS wt WHERE {period_filter("wt")}
"""

# Per theme: votes, the reviews (week and series) it was on the ballot, and how often it won.
RECURRING_THEMES = f"""
WITH themed AS (
    SELECT tp.week_start, tp.series, tp.theme, tp.votes, (tp.rank = 1 AND tp.votes > 0) AS top
    FROM talking_points AS tp WHERE {period_filter("tp")} AND tp.kind = 'theme'
)
SELECT theme, sum(votes)::BIGINT AS total_votes,
       count(DISTINCT (week_start, series))::BIGINT AS reviews,
       count(DISTINCT CASE WHEN top THEN (week_start, series) END)::BIGINT AS top_picks
FROM themed GROUP BY theme
ORDER BY total_votes DESC, reviews DESC, theme
"""

# Weeks x themes: the theme's share of all votes cast in that week's polls.
THEME_TIMELINE = f"""
WITH week_votes AS (
    SELECT tp.week_start, tp.series, sum(tp.votes) AS votes
    FROM talking_points AS tp WHERE {period_filter("tp")} GROUP BY tp.week_start, tp.series
), theme_votes AS (
    SELECT tp.week_start, tp.series, tp.theme, sum(tp.votes) AS votes
    FROM talking_points AS tp WHERE {period_filter("tp")} AND tp.kind = 'theme' GROUP BY tp.week_start, tp.series, tp.theme
)
SELECT t.week_start, t.theme, sum(t.votes)::BIGINT AS votes, sum(w.votes)::BIGINT AS week_votes,
       (sum(t.votes) / nullif(sum(w.votes), 0))::DOUBLE AS share
FROM theme_votes AS t JOIN week_votes AS w USING (week_start, series)
GROUP BY t.week_start, t.theme
ORDER BY t.week_start, t.theme
"""

BALANCE = f"""
WITH votes AS (
    SELECT tp.kind, sum(tp.votes) AS votes FROM talking_points AS tp WHERE {period_filter("tp")} GROUP BY tp.kind
), picks AS (
    SELECT wt.top_kind AS kind, count(*) AS top_picks
    FROM weekly_topics AS wt WHERE {period_filter("wt")} AND wt.top_kind IS NOT NULL GROUP BY wt.top_kind
)
SELECT k.kind, coalesce(v.votes, 0)::BIGINT AS votes, coalesce(p.top_picks, 0)::BIGINT AS top_picks
FROM (SELECT unnest(['theme', 'incident', 'other']) AS kind) AS k
LEFT JOIN votes AS v USING (kind) LEFT JOIN picks AS p USING (kind)
"""

# Survey means for weeks whose top pick was a theme vs the incident, from the read layer's visible
# statement sums (review_pulse.queries: cells of a week and series with enough responses, statements answered
# by enough people, late responses left out); hidden cells are counted, so the page can say so.
# One evaluation of the visibility relation for both (the page shows both): rows of part 'figures',
# then one row of part 'hidden' with the number of picked weeks whose cell is hidden.
BESIDE_SURVEY = f"""
WITH {VISIBILITY},
picked AS (
    SELECT wt.week_start, wt.series, wt.top_kind FROM weekly_topics AS wt
    WHERE {period_filter("wt")} AND wt.top_kind IN ('theme', 'incident')
),
figures AS (
    SELECT p.top_kind, s.statement, min(coalesce(o.statement_order, 999)) AS statement_order,
           count(DISTINCT (p.week_start, p.series))::BIGINT AS weeks,
           CASE WHEN sum(s.answers) >= $min_group THEN sum(s.answers) ELSE 0 END::BIGINT AS responses,
           CASE WHEN sum(s.answers) >= $min_group THEN (sum(s.score_sum) / sum(s.answers))::DOUBLE END AS mean_score,
           sum(s.answers) < $min_group AS suppressed
    FROM picked AS p
    JOIN visible_statement_sums AS s USING (week_start, series)
    LEFT JOIN statements AS o USING (statement)
    WHERE list_contains($statements, s.statement)
    GROUP BY p.top_kind, s.statement
),
hidden AS (
    SELECT count(*)::BIGINT AS hidden_weeks FROM picked AS p LEFT JOIN visible_cells AS v USING (week_start, series)
    WHERE v.series IS NULL
)
SELECT 'figures' AS part, * FROM figures
UNION ALL BY NAME
SELECT 'hidden' AS part, hidden_weeks FROM hidden
ORDER BY part, statement_order, top_kind
"""



def _weeks(frame: pd.DataFrame) -> pd.DataFrame:
    if "week_start" in frame.columns:
        frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame


def poll_count(db_path: Path, f: Filters) -> int:
    if "polls" not in table_names(db_path):
        return 0  # a database from before talking points: no poll tables yet
    return int(read_row(db_path, POLL_COUNT, f.params())[0])


def talking_points(db_path: Path, f: Filters) -> pd.DataFrame:
    return _weeks(read_frame(db_path, TALKING_POINTS, f.params()))


def latest_talking_points(db_path: Path, f: Filters, latest: int) -> tuple[pd.DataFrame, int]:
    """``talking_points``' rows of the period's latest ``latest`` reviews, and how many reviews it holds."""
    frame = _weeks(read_frame(db_path, LATEST_TALKING_POINTS, f.params(latest=latest)))
    reviews = int(frame["reviews"].iloc[0]) if len(frame) else 0
    return frame.drop(columns="reviews"), reviews


def incident_points(db_path: Path, f: Filters) -> pd.DataFrame:
    """Per week with polls: how many distinct incident points were on its ballots."""
    return _weeks(read_frame(db_path, INCIDENT_POINTS, f.params()))


def weekly_topics(db_path: Path, f: Filters) -> pd.DataFrame:
    return _weeks(read_frame(db_path, WEEKLY_TOPICS, f.params()))


def poll_headline_counts(db_path: Path, f: Filters) -> tuple[int, int, int, int]:
    """(reviews, votes, reviews whose top pick was a theme, reviews where someone voted) of the period."""
    return tuple(int(value) for value in read_row(db_path, POLL_HEADLINE, f.params()))


def recurring_themes(db_path: Path, f: Filters) -> pd.DataFrame:
    frame = read_frame(db_path, RECURRING_THEMES, f.params())
    frame["trend"] = frame["reviews"] >= TREND_MIN_REVIEWS
    return frame


def theme_timeline(db_path: Path, f: Filters) -> pd.DataFrame:
    return _weeks(read_frame(db_path, THEME_TIMELINE, f.params()))


def balance(db_path: Path, f: Filters) -> pd.DataFrame:
    """Share of votes and of top picks per kind (theme, incident, other)."""
    frame = read_frame(db_path, BALANCE, f.params())
    frame["kind"] = pd.Categorical(frame["kind"], KIND_ORDER, ordered=True)
    frame = frame.sort_values("kind").reset_index(drop=True)
    frame["kind"] = frame["kind"].astype(str)
    votes, picks = frame["votes"].sum(), frame["top_picks"].sum()
    frame["vote_share"] = frame["votes"] / votes if votes else float("nan")
    frame["top_pick_share"] = frame["top_picks"] / picks if picks else float("nan")
    return frame[["kind", "votes", "vote_share", "top_picks", "top_pick_share"]]


def beside_survey_figures(db_path: Path, f: Filters, statements: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """Mean score of ``statements`` in weeks whose top pick was a theme vs the incident, and how many
    picked weeks are hidden, from one query.

    A group with fewer answers than the minimum group size keeps its row with no mean (decided in SQL)."""
    both = read_counted(db_path, BESIDE_SURVEY, f.visible_params(statements=list(statements)))
    figures = both[both["part"] == "figures"].reset_index(drop=True)
    figures = figures.astype({"statement_order": "int32", "weeks": "int64", "responses": "int64", "suppressed": bool})
    hidden = both.loc[both["part"] == "hidden", "hidden_weeks"]
    return (figures[["top_kind", "statement", "statement_order", "weeks", "responses", "mean_score", "suppressed"]],
            int(hidden.iloc[0]) if len(hidden) else 0)


def beside_survey(db_path: Path, f: Filters, statements: tuple[str, ...]) -> pd.DataFrame:
    return beside_survey_figures(db_path, f, statements)[0]


def beside_survey_hidden_weeks(db_path: Path, f: Filters) -> int:
    return beside_survey_figures(db_path, f, ())[1]
