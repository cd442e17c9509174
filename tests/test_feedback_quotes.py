"""The Feedback page's representative quotes, chosen in DuckDB (feedback_queries.QUOTE_CANDIDATES),
against the rule recounted here in plain Python from the visible comments themselves.

``python_quotes`` below is the rule as it ran in Python before it moved to SQL (it pulled every
comment of the period into pandas): the same rows must give the same quotes, in the same order.
"""

from __future__ import annotations

import csv
import heapq
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.feedback_themes import DEFAULT_FEEDBACK_THEMES
from core.quarters import ALL_TIME_PERIOD, parse_period
from core.settings import Settings
from pipeline.cli import main as pipeline_main
from review_pulse import feedback_queries
from review_pulse.feedback_summary import (QUOTE_MAX_CHARS, SENTIMENT_ORDER, FeedbackData, period_quotes,
                                           representative_quotes)
from review_pulse.view import DataView

S = Settings()
THEME_IDS = tuple(t.id for t in DEFAULT_FEEDBACK_THEMES)


def python_quotes(comments: pd.DataFrame, theme_ids: tuple[str, ...], min_group_size: int,
                  per_theme: int = 3) -> dict[str, list[tuple[str, str]]]:
    """The quote rule in Python, over every visible comment of the period (newest first)."""
    counts: Counter[str] = Counter()
    candidates: dict[str, dict[str, set[tuple[float, str]]]] = defaultdict(lambda: defaultdict(set))
    for text, sentiment, score, tags in zip(comments["text"].astype(str), comments["sentiment"],
                                            comments["sentiment_score"], comments["themes"]):
        if not len(tags):
            continue
        text = " ".join(text.split())
        for tag in tags:
            counts[tag] += 1
            if 15 <= len(text) <= 600:
                candidates[tag][sentiment].add((-abs(score), text))
    quotes: dict[str, list[tuple[str, str]]] = {}
    for theme in theme_ids:
        if counts[theme] < min_group_size:
            continue
        found = candidates[theme]
        mix = sorted(found, key=lambda s: (-len(found[s]), SENTIMENT_ORDER.index(s)))
        best = {s: [text for _strength, text in heapq.nsmallest(per_theme, found[s])] for s in mix}
        picked: list[tuple[str, str]] = []
        round_ = 0
        while len(picked) < per_theme and any(len(v) > round_ for v in best.values()):
            for sentiment in mix:
                if len(best[sentiment]) > round_ and len(picked) < per_theme:
                    text = best[sentiment][round_]
                    picked.append((sentiment, text if len(text) <= QUOTE_MAX_CHARS
                                   else text[: QUOTE_MAX_CHARS - 1].rstrip() + "…"))
            round_ += 1
        quotes[theme] = picked
    return quotes


LONG = "The timeline review ran long again " * 10  # 349 characters stripped: cut at 280 when quoted
# (text as stored, sentiment, score, themes): the analysis is set by hand, to reach every tie.
VISIBLE = [
    # ties on strength, broken by text in code point order: "Alpha" < "Zebra" < "alpha" < "Ärger" < "émigré"
    ("Zebra crossing took the whole hour", "positive", 0.5, ["time"]),
    ("alpha: the timeline was clear enough", "positive", -0.5, ["time"]),
    ("Alpha: the timeline was clear enough", "positive", 0.5, ["time"]),
    ("Ärger: the timeline ran over today", "positive", 0.5, ["time"]),
    ("émigré notes on pace were fine ok", "positive", 0.5, ["time"]),
    # one text twice after collapsing (one candidate), and once more with another strength (a second one)
    ("Same words\nabout   the pace here", "negative", -0.7, ["time"]),
    ("Same words about the pace here", "negative", -0.7, ["time"]),
    ("Same words about\u3000the pace here", "negative", -0.2, ["time"]),
    ("Ran\u00a0over\x1cby ten\u2028minutes again", "negative", -0.9, ["time"]),
    ("Ran over by ten minutes again", "neutral", 0.9, ["time"]),  # the same text under another sentiment
    ("Too short, 14", "negative", -1.0, ["time"]),  # 13 characters: never a quote, still counted
    ("Fifteen chars!!", "neutral", 0.1, ["time"]),  # exactly 15
    ("x" * 600, "neutral", 0.05, ["time"]),  # exactly 600
    ("y" * 601, "neutral", 0.99, ["time"]),  # too long
    ("z" * 300 + "  \n " + "z" * 299, "neutral", 0.04, ["time"]),  # 604 stored, 600 collapsed
    (LONG.strip(), "neutral", 0.3, ["time"]),
    # neutral and negative with one candidate each: SENTIMENT_ORDER settles the mix
    ("Focus drifted to the deploy tooling", "neutral", 0.0, ["focus"]),
    ("Focus was lost on side topics twice", "negative", -0.4, ["focus"]),
    ("Too short", "positive", 0.8, ["focus"]),
    ("Short too", "positive", 0.8, ["focus"]),
    ("Brief one", "positive", 0.8, ["focus"]),
    # a theme with enough comments but none of a readable length
    *((f"Safe {i}", "positive", 0.6, ["safety"]) for i in range(5)),
    # a theme with fewer comments than the minimum group: no quotes; one the dictionary lacks: none either
    # (and a comment naming two themes counts for both)
    *((f"Learning note number {i} here", "positive", 0.7, ["learning", "ghost"]) for i in range(3)),
    *((f"Ghost theme comment {i} here", "positive", 0.7, ["ghost"]) for i in range(5)),
    ("No theme at all in this one", "neutral", 0.0, []),
]
HIDDEN = [(f"secret {i}: the timeline was awful", "negative", -1.0, ["time"]) for i in range(3)]  # a week of 3


def build(tmp_path: Path) -> Path:
    db = tmp_path / "quotes.duckdb"
    rows = [["Timestamp", S.statement_texts[0], "How could we improve?"]]
    rows += [[f"2026-03-04 {10 + i // 60:02d}:{i % 60:02d}", "4", text] for i, (text, *_rest) in enumerate(VISIBLE)]
    rows += [[f"2026-03-11 16:0{i}", "2", text] for i, (text, *_rest) in enumerate(HIDDEN)]
    survey = tmp_path / "s.csv"
    with open(survey, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    assert pipeline_main(["ingest", "--db", str(db), "--surveys", str(survey)]) == 0
    with duckdb.connect(str(db)) as con:
        keys = defaultdict(list)
        for key, text in con.execute("SELECT response_key, feedback FROM responses").fetchall():
            keys[text].append(key)
        for text, sentiment, score, themes in VISIBLE + HIDDEN:
            con.execute("UPDATE feedback_analysis SET sentiment = ?, sentiment_score = ?, themes = ?::VARCHAR[] "
                        "WHERE response_key = ?", [sentiment, score, themes, keys[text.strip()].pop()])
        # Spaces at either end, as a database loaded by hand (or before feedback was trimmed) may hold.
        con.execute("UPDATE responses SET feedback = ' \t' || feedback || '\n ' WHERE feedback LIKE 'Zebra%'")
    return db


@pytest.fixture(scope="module")
def quotes_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("quotes"))


def test_the_sql_picks_what_the_python_rule_picks(quotes_db: Path) -> None:
    view = DataView(quotes_db, ALL_TIME_PERIOD, None, S)
    comments = FeedbackData(view).comments()
    assert len(comments) == len(VISIBLE)  # the hidden week's comments are not among them
    expected = python_quotes(comments, THEME_IDS, S.min_group_size)
    assert FeedbackData(view).quotes() == expected
    # What the rule gives on these rows, spelled out.
    assert expected["time"] == [
        ("positive", "Alpha: the timeline was clear enough"),  # 5 candidates, as many as neutral: positive first;
        ("neutral", "Ran over by ten minutes again"),  # a tie at 0.5 goes by text; the strongest first
        ("negative", "Ran over by ten minutes again"),  # the same text again, from another sentiment
    ]
    assert expected["focus"] == [("neutral", "Focus drifted to the deploy tooling"),
                                 ("negative", "Focus was lost on side topics twice")]
    assert expected["safety"] == [] and "learning" not in expected and "ghost" not in expected
    assert "secret" not in str(expected)


@pytest.mark.parametrize("per_theme", [1, 2, 3, 5, 10])
def test_every_rank_and_length_rule_matches_with_more_quotes_per_theme(quotes_db: Path, per_theme: int) -> None:
    view = DataView(quotes_db, ALL_TIME_PERIOD, None, S)
    comments = FeedbackData(view).comments()
    candidates = feedback_queries.quote_candidates(quotes_db, view.filters(), THEME_IDS, per_theme, 15, 600)
    assert representative_quotes(candidates, THEME_IDS, per_theme) == python_quotes(comments, THEME_IDS, S.min_group_size, per_theme)
    ten = representative_quotes(feedback_queries.quote_candidates(quotes_db, view.filters(), THEME_IDS, 10, 15, 600),
                                THEME_IDS, 10)["time"]
    assert ten == [
        ("positive", "Alpha: the timeline was clear enough"), ("neutral", "Ran over by ten minutes again"),
        ("negative", "Ran over by ten minutes again"),
        ("positive", "Zebra crossing took the whole hour"),  # stored with spaces at both ends
        ("neutral", LONG[:QUOTE_MAX_CHARS - 1].rstrip() + "…"), ("negative", "Same words about the pace here"),  # 0.7
        ("positive", "alpha: the timeline was clear enough"), ("neutral", "Fifteen chars!!"),
        ("negative", "Same words about the pace here"),  # 0.2: another strength, another candidate
        ("positive", "Ärger: the timeline ran over today"),
    ]


@pytest.mark.parametrize("quarter", ["all", "2026-Q2", "2026-Q3"])
def test_the_demo_database_gives_the_python_rules_quotes(demo_db: Path, quarter: str) -> None:
    period = ALL_TIME_PERIOD if quarter == "all" else parse_period(quarter)
    view = DataView(demo_db, period, None, S)
    comments = FeedbackData(view).comments()
    expected = python_quotes(comments, THEME_IDS, S.min_group_size)
    assert FeedbackData(view).quotes() == expected
    assert period_quotes(demo_db, view.filters(), THEME_IDS) == expected


def test_the_totals_are_the_comments_shown_and_hidden(quotes_db: Path, demo_db: Path) -> None:
    """One query counts both (feedback_queries.FEEDBACK_TOTALS); recounted here from the loaded rows."""
    data = FeedbackData(DataView(quotes_db, ALL_TIME_PERIOD, None, S))
    assert data.totals() == (len(VISIBLE), len(HIDDEN))
    assert data.count() == len(VISIBLE) == len(data.comments())
    assert data.count("", ("time",)) == sum("time" in themes for *_rest, themes in VISIBLE)
    import duckdb

    for quarter in ("2026-Q2", "2026-Q3"):
        view = DataView(demo_db, parse_period(quarter), None, S)
        f = view.filters()
        with duckdb.connect(str(demo_db), read_only=True) as con:  # recounted from the rows: cells by size
            shown, hidden = con.execute("""
                WITH rows AS (SELECT w.week_start, w.series, r.feedback FROM responses AS r
                              JOIN response_weeks AS w USING (response_key)
                              WHERE w.week_start BETWEEN ? AND ?),
                     cells AS (SELECT week_start, series, count(*) AS n FROM rows GROUP BY ALL)
                SELECT count(*) FILTER (WHERE c.n >= ?), count(*) FILTER (WHERE c.n < ?)
                FROM rows JOIN cells AS c USING (week_start, series)
                WHERE trim(rows.feedback) <> ''""", [f.week_from, f.week_to, S.min_group_size, S.min_group_size]).fetchone()
            assert not con.execute("SELECT count(*) FROM response_weeks WHERE entered_run IS DISTINCT FROM NULL "
                                   "AND entered_run > (SELECT min(run_id) FROM ingest_runs)").fetchone()[0]
        assert FeedbackData(view).totals() == (shown, hidden) == (len(view.feedback()), view.hidden_feedback_count())
        assert hidden > 0 or quarter == "2026-Q3"
        assert FeedbackData(view).totals()[0] == feedback_queries.analysed_feedback_count(demo_db, view.filters())
