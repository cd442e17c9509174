"""The faster feedback analysis (issue #23) labels every comment exactly as the analyser did before it.

tests/data/feedback_reference.json.gz holds the earlier analyser's output (written by
tests/data/make_feedback_reference.py at commit 86444a4, before any speed work) on every labelled set,
12,000 real-shaped comments and 3,000 word-salad comments mixing every rule.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from core.feedback_themes import DEFAULT_FEEDBACK_THEMES
from pipeline.feedback_analysis import FeedbackAnalyser, analyse_texts

REFERENCE = Path(__file__).resolve().parent / "data" / "feedback_reference.json.gz"


@pytest.fixture(scope="module")
def reference() -> list[list]:
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def test_every_comment_gets_the_reference_sentiment_score_and_themes(reference: list[list]) -> None:
    analyser = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    differences = []
    for text, sentiment, score, themes in reference:
        got = analyser.analyse(text)
        if (got.sentiment, got.score, list(got.themes)) != (sentiment, score, themes):
            differences.append((text[:80], (sentiment, score, themes), (got.sentiment, got.score, list(got.themes))))
    assert len(reference) > 16_000
    assert differences == []


def test_the_loader_entry_point_gives_the_reference_too(reference: list[list]) -> None:
    texts = [row[0] for row in reference[:4_000]]
    got = analyse_texts(DEFAULT_FEEDBACK_THEMES, texts, parallel_from=10**9)
    assert [[t, got[t].sentiment, got[t].score, list(got[t].themes)] for t in texts] == reference[:4_000]
