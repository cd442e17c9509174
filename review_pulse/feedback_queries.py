"""The read layer for feedback themes and sentiment (issue 15): named SQL with bound parameters.

Same rules as review_pulse.queries: a week with fewer responses than the minimum group size
is hidden, so none of its comments, counts or quotes appear in anything here. Functions
take a DB path and plain arguments; dashboard.data caches them like the other queries.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from review_pulse.queries import (VISIBILITY, FEEDBACK_CONDITION, FEEDBACK_JOINS, VISIBLE_AND_SEARCHED, Filters,
                                   read_frame, read_row, table_names)

# Visible comments of the period, with their analysis; $themes / $sentiments empty = any. Visibility
# is review_pulse.queries' own (cells of a week and series, late responses left out): a hidden
# cell's comment must not show under "All series" either, or All minus one series would isolate it.
_VISIBLE_ANALYSED = f"""
{FEEDBACK_JOINS}
LEFT JOIN feedback_analysis AS fa ON fa.response_key = r.response_key
{FEEDBACK_CONDITION}
{VISIBLE_AND_SEARCHED}
  AND (len($themes::VARCHAR[]) = 0 OR list_has_any(coalesce(fa.themes, []::VARCHAR[]), $themes::VARCHAR[]))
  AND (len($sentiments::VARCHAR[]) = 0 OR list_contains($sentiments::VARCHAR[], fa.sentiment))
"""

ANALYSED_FEEDBACK = f"""
WITH {VISIBILITY}
SELECT c.week_start, r.feedback AS text, coalesce(fa.sentiment, 'neutral') AS sentiment,
       coalesce(fa.sentiment_score, 0.0) AS sentiment_score, coalesce(fa.themes, []::VARCHAR[]) AS themes
{_VISIBLE_ANALYSED}
ORDER BY r.submitted_local DESC, r.response_key
LIMIT $limit
"""

ANALYSED_FEEDBACK_COUNT = f"""
WITH {VISIBILITY}
SELECT count(*)
{_VISIBLE_ANALYSED}
"""

# Comments per theme and sentiment ('' = no theme), plus the week for the quarter trend.
THEME_WEEKLY_COUNTS = f"""
WITH {VISIBILITY},
comments AS (
    SELECT c.week_start, coalesce(fa.sentiment, 'neutral') AS sentiment,
           coalesce(fa.themes, []::VARCHAR[]) AS themes
    {FEEDBACK_JOINS}
    LEFT JOIN feedback_analysis AS fa ON fa.response_key = r.response_key
    {FEEDBACK_CONDITION}
      AND v.series IS NOT NULL
),
week_totals AS (SELECT week_start, count(*) AS week_comments FROM comments GROUP BY week_start)
SELECT t.week_start, t.theme, t.sentiment, t.comments, wt.week_comments
FROM (SELECT week_start, theme, sentiment, count(*) AS comments
      FROM (SELECT week_start, sentiment,
                   unnest(CASE WHEN len(themes) = 0 THEN [''] ELSE themes END) AS theme FROM comments)
      GROUP BY ALL) AS t
JOIN week_totals AS wt USING (week_start)
ORDER BY t.week_start, t.theme, t.sentiment
"""

ANALYSIS_FINGERPRINT = """
SELECT (SELECT max(fingerprint) FROM feedback_analysis_state),
       (SELECT count(*) FROM responses WHERE feedback IS NOT NULL AND trim(feedback) <> ''
          AND response_key NOT IN (SELECT response_key FROM feedback_analysis))
"""


# A database loaded before issue 15 has no feedback_analysis yet (the next ingest creates and fills
# it): read it as if no comment had been analysed, rather than failing.
_NO_ANALYSIS = ("(SELECT NULL::UUID AS response_key, NULL::VARCHAR AS sentiment, NULL::DOUBLE AS sentiment_score, "
                "NULL::VARCHAR[] AS themes WHERE false)")


def _with_analysis(db_path: Path, sql: str) -> str:
    if _view_exists(db_path, "feedback_analysis"):
        return sql
    return sql.replace("LEFT JOIN feedback_analysis AS fa", f"LEFT JOIN {_NO_ANALYSIS} AS fa")


def _params(f: Filters, search: str, themes: tuple[str, ...], sentiments: tuple[str, ...], **extra: object) -> dict:
    return f.visible_params(search=search.strip(), themes=list(themes), sentiments=list(sentiments), **extra)


def analysed_feedback(db_path: Path, f: Filters, search: str = "", themes: tuple[str, ...] = (),
                      sentiments: tuple[str, ...] = (), limit: int | None = None) -> pd.DataFrame:
    """Visible comments with sentiment and themes, newest first."""
    frame = read_frame(db_path, _with_analysis(db_path, ANALYSED_FEEDBACK), _params(f, search, themes, sentiments, limit=limit))
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    frame["themes"] = frame["themes"].map(lambda value: tuple(value) if value is not None else ())
    return frame[["week_start", "text", "sentiment", "sentiment_score", "themes"]]


def analysed_feedback_count(db_path: Path, f: Filters, search: str = "", themes: tuple[str, ...] = (),
                            sentiments: tuple[str, ...] = ()) -> int:
    return int(read_row(db_path, _with_analysis(db_path, ANALYSED_FEEDBACK_COUNT), _params(f, search, themes, sentiments))[0])


def theme_weekly_counts(db_path: Path, f: Filters) -> pd.DataFrame:
    """Comments per visible week, theme ('' = none) and sentiment."""
    frame = read_frame(db_path, _with_analysis(db_path, THEME_WEEKLY_COUNTS), f.visible_params())
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame


def analysis_state(db_path: Path) -> tuple[str | None, int]:
    """The stored analysis fingerprint and how many comments have no analysis yet."""
    try:
        fingerprint, missing = read_row(db_path, ANALYSIS_FINGERPRINT)
    except duckdb.Error:  # a database from before issue 15 has no such tables
        return None, -1
    return fingerprint, int(missing)


def emerging_topics(db_path: Path, f: Filters, n_topics: int = 5) -> list:
    """TF-IDF + NMF topics over the period's visible comments (see review_pulse.emerging_topics)."""
    from review_pulse.emerging_topics import find_topics

    frame = analysed_feedback(db_path, f)
    return find_topics(frame["text"].tolist(), [bool(t) for t in frame["themes"]], n_topics=n_topics,
                       min_group_size=f.min_group_size)


def _view_exists(db_path: Path, name: str) -> bool:
    return name in table_names(db_path)  # information_schema.tables, read once per snapshot
