"""The read layer for feedback themes and sentiment (issue 15): named SQL with bound parameters.

Same rules as review_pulse.queries: a week with fewer responses than the minimum group size
is hidden, so none of its comments, counts or quotes appear in anything here. Functions
take a DB path and plain arguments; dashboard.data caches them like the other queries.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from core.whitespace import collapse_whitespace_sql
from review_pulse.queries import (VISIBILITY, FEEDBACK_CONDITION, FEEDBACK_JOINS, VISIBLE_AND_SEARCHED, Filters,
                                   read_counted, read_counted_row, read_row, table_names)

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

# Newest first. The comments are picked by key, then only theirs are read in full: a page shows 50 of
# a year's 100,000, and carrying every text and theme list through the top-50 cost a fifth more.
ANALYSED_FEEDBACK = f"""
WITH {VISIBILITY},
picked AS (
    SELECT r.response_key, c.week_start, r.submitted_local
    {_VISIBLE_ANALYSED}
    ORDER BY r.submitted_local DESC, r.response_key
    LIMIT $limit
)
SELECT p.week_start, r.feedback AS text, coalesce(fa.sentiment, 'neutral') AS sentiment,
       coalesce(fa.sentiment_score, 0.0) AS sentiment_score, coalesce(fa.themes, []::VARCHAR[]) AS themes
FROM picked AS p
JOIN responses AS r ON r.response_key = p.response_key
LEFT JOIN feedback_analysis AS fa ON fa.response_key = p.response_key
ORDER BY p.submitted_local DESC, p.response_key
"""

ANALYSED_FEEDBACK_COUNT = f"""
WITH {VISIBILITY}
SELECT count(*)
{_VISIBLE_ANALYSED}
"""

# The period's comments shown and hidden (in cells below the minimum group), in one pass: the page says
# both, and reading the comments twice cost a second scan of every text.
FEEDBACK_TOTALS = f"""
WITH {VISIBILITY}
SELECT count(*) FILTER (WHERE v.series IS NOT NULL), count(*) FILTER (WHERE v.series IS NULL)
{FEEDBACK_JOINS}
{FEEDBACK_CONDITION}
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

# Representative quotes (review_pulse.feedback_summary.representative_quotes mixes them), chosen
# here so a year of comments never leaves DuckDB. A quote is a visible comment naming the theme, its
# whitespace collapsed (core.whitespace), of a readable length ($min_chars to $max_chars). Per theme
# and sentiment: how many distinct (strength, text) candidates there are, and the first $per_theme
# of them, the strongest score (|compound|) first, ties by text (code point order, as Python orders
# str). Only dictionary themes ($theme_ids) named by at least $min_group visible comments come back;
# one without a readable candidate comes back once, with a NULL sentiment.
QUOTE_CANDIDATES = f"""
WITH {VISIBILITY},
comments AS (
    SELECT coalesce(fa.sentiment, 'neutral') AS sentiment, abs(coalesce(fa.sentiment_score, 0.0)) AS strength,
           fa.themes,
           CASE WHEN length(r.feedback) >= $min_chars THEN {collapse_whitespace_sql("r.feedback")} END AS quote
    {_VISIBLE_ANALYSED}
      AND len(fa.themes) > 0
),
theme_comments AS (SELECT unnest(themes) AS theme, sentiment, strength, quote FROM comments),
theme_counts AS (
    SELECT theme, count(*) AS comments FROM theme_comments
    WHERE list_contains($theme_ids::VARCHAR[], theme) GROUP BY theme HAVING count(*) >= $min_group
),
quotable AS (
    SELECT DISTINCT theme, sentiment, strength, quote FROM theme_comments
    WHERE length(quote) BETWEEN $min_chars AND $max_chars AND theme IN (SELECT theme FROM theme_counts)
),
best AS (  -- min_by keeps the first $per_theme per group (a heap, not a sort of every candidate)
    SELECT theme, sentiment, count(*) AS candidates,
           min_by(quote, {{'strength': -strength, 'quote': quote}}, $per_theme) AS quotes
    FROM quotable GROUP BY theme, sentiment
)
SELECT t.theme, b.sentiment, b.candidates, b.quotes
FROM theme_counts AS t LEFT JOIN best AS b USING (theme)
ORDER BY t.theme, b.sentiment
"""

ANALYSIS_FINGERPRINT = """
SELECT (SELECT max(fingerprint) FROM feedback_analysis_state),
       (SELECT count(*) FROM responses WHERE feedback IS NOT NULL AND ltrim(feedback) <> ''
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
    frame = read_counted(db_path, _with_analysis(db_path, ANALYSED_FEEDBACK), _params(f, search, themes, sentiments, limit=limit))
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    frame["themes"] = frame["themes"].map(lambda value: tuple(value) if value is not None else ())
    return frame[["week_start", "text", "sentiment", "sentiment_score", "themes"]]


def analysed_feedback_count(db_path: Path, f: Filters, search: str = "", themes: tuple[str, ...] = (),
                            sentiments: tuple[str, ...] = ()) -> int:
    return int(read_counted_row(db_path, _with_analysis(db_path, ANALYSED_FEEDBACK_COUNT), _params(f, search, themes, sentiments))[0])


def feedback_totals(db_path: Path, f: Filters) -> tuple[int, int]:
    """(comments shown, comments hidden for anonymity) in the period."""
    shown, hidden = read_counted_row(db_path, FEEDBACK_TOTALS, f.visible_params())
    return int(shown), int(hidden)


def theme_weekly_counts(db_path: Path, f: Filters) -> pd.DataFrame:
    """Comments per visible week, theme ('' = none) and sentiment."""
    frame = read_counted(db_path, _with_analysis(db_path, THEME_WEEKLY_COUNTS), f.visible_params())
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    return frame


def quote_candidates(db_path: Path, f: Filters, theme_ids: tuple[str, ...], per_theme: int, min_chars: int,
                     max_chars: int) -> list[tuple[str, str | None, int, tuple[str, ...]]]:
    """(theme, sentiment, candidates, quotes) rows of QUOTE_CANDIDATES: per theme and sentiment, how many
    candidates and the best ``per_theme`` of them in order; (theme, None, 0, ()) for a theme without any."""
    params = _params(f, "", (), (), theme_ids=list(theme_ids), per_theme=per_theme, min_chars=min_chars,
                     max_chars=max_chars)
    frame = read_counted(db_path, _with_analysis(db_path, QUOTE_CANDIDATES), params)
    return [(theme, sentiment, int(candidates), tuple(quotes)) if isinstance(sentiment, str) else (theme, None, 0, ())
            for theme, sentiment, candidates, quotes in frame.itertuples(index=False)]


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
