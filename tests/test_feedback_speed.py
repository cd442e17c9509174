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


# --- pipeline/regex_literals.py: the per-comment filter gives the whole alternation's results ----------

@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        ("same as (?:last (?:week|time)|usual)", {"same as last week", "same as last time", "same as usual"}),
        (r"(?:keeps?|kept)\s+slipping", {"slipping"}),  # the longest required run wins
        (r"^\W*(?:no|nope)\b", {"no"}),  # "nope" holds "no": one is enough
        (r"\d+ min", {" min"}),
        (r"(?:\d+|a few)\s+(?:late|over)", {"late", "over"}),
        (r"[\w-]+", None),  # nothing literal: always tried
        (r"\U0001F643", {"\U0001F643"}),  # uncased: matches only itself
        ("\u212a", None),  # the Kelvin sign matches "k" ignoring case: not a literal to look for
        (r"(?:a|b)?c", {"c"}),
    ],
)
def test_required_literals(pattern: str, literals: set[str] | None) -> None:
    from pipeline.regex_literals import required_literals

    found = required_literals(pattern)
    assert (None if found is None else set(found)) == literals


@pytest.mark.parametrize(
    ("literals", "text", "found"),
    [
        (["aren'", "aren't ready", "ready"], "They AREN'T READY yet", {"aren'", "aren't ready", "ready"}),  # overlapping
        (["an hour", "hour", "our"], "half an hour", {"an hour", "hour", "our"}),  # one inside another
        (["same as usual"], "same as  usual", set()),  # literal: two spaces are not one
        (["\U0001F643", "/s"], "great meeting /S \U0001F643", {"/s", "\U0001F643"}),
        (["x"], "", set()),
        ([], "anything", set()),
    ],
)
def test_literal_scan_reports_every_literal_the_lowered_text_holds(literals: list[str], text: str, found: set[str]) -> None:
    from pipeline.regex_literals import LiteralScan

    assert LiteralScan(literals).found(text) == found


def test_literal_scan_is_substring_search_on_every_reference_comment(reference: list[list]) -> None:
    """The scan (an Aho-Corasick automaton) against its definition, ``literal in text.lower()``, for each of
    the analyser's literals; a text whose case str.lower() cannot fold gets None (every regex is run)."""
    from pipeline.regex_literals import LiteralScan

    scan = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)._scan  # noqa: SLF001
    assert len(scan.literals) > 300
    texts = [row[0][:2_000] for row in reference[::2]] + ["\u0130stanbul review", "STRASSE stra\u00dfe"]
    unknown = 0
    for text in texts:
        got = scan.found(text)
        if got is None:
            unknown += 1
            assert any(not ch.isascii() and not ch.lower() == ch == ch.upper() for ch in text)
            continue
        lowered = text.lower()
        assert got == {literal for literal in scan.literals if literal in lowered}, text
    assert 0 < unknown < len(texts) // 10
    assert LiteralScan(["a"]).found("\u0130") is None  # dotted capital I lowers to two characters


def test_filtered_tables_match_as_the_whole_alternation_does(reference: list[list]) -> None:
    """Every table of the analyser, on every reference comment and each of its clauses: match, search and
    subn with the scan's literals give exactly what the whole alternation gives."""
    import re

    from pipeline.regex_literals import FilteredAlternation

    analyser = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    tables = {name: value for name, value in vars(analyser).items() if isinstance(value, FilteredAlternation)}
    assert len(tables) >= 10
    texts = [row[0][:2_000] for row in reference[::3]]
    texts += [part for text in texts[:2_000] for part in re.split(r"(?<=[.,;!?])\s+", text)]
    mark = lambda m: f"<{m.lastgroup or ''}:{m.group(0)}>"  # noqa: E731  (which alternative matched, and what)
    checked = 0
    for text in texts:
        found = analyser._scan.found(text)  # noqa: SLF001
        for name, table in tables.items():
            whole = table.whole
            assert table.subn(mark, text, found) == whole.subn(mark, text), (name, text)
            got, want = table.search(text, found), whole.search(text)
            assert (got and (got.span(), got.lastgroup)) == (want and (want.span(), want.lastgroup)), (name, text)
            got, want = table.match(text, found), whole.match(text)
            assert (got and (got.span(), got.lastgroup)) == (want and (want.span(), want.lastgroup)), (name, text)
            checked += 1
    assert checked > 50_000


def test_vader_compound_equals_vaders_own_score(reference: list[list]) -> None:
    """The analyser's VADER (only the words in its lexicon scored, idioms looked up only where two
    idiom words meet) against VADER itself, on every reference comment and on the made-up words the
    domain lexicon puts in."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from pipeline.feedback_analysis import vader_analyser

    ours, vaders = vader_analyser(), SentimentIntensityAnalyzer()
    texts = [row[0][:2_000] for row in reference]
    texts += ["not kind of bad at all", "the bomb was not the shit", "yeah right, kiss of death to die for",
              "NEVER so GOOD but just enough", "sort of good, least bad", "no good or bad"]
    assert [ours.compound(t) for t in texts] == [vaders.polarity_scores(t)["compound"] for t in texts]


def test_an_analysis_worker_imports_no_duckdb() -> None:
    """A spawned analysis worker imports pipeline.feedback_analysis and builds its analyser: without DuckDB
    (about 60 ms of each worker's start, measured, on the first load's clock)."""
    import subprocess
    import sys

    probe = ("import sys; import pipeline.feedback_analysis as f; from core.feedback_themes import DEFAULT_FEEDBACK_THEMES; "
             "f._start_worker(tuple(DEFAULT_FEEDBACK_THEMES)); print(sorted(m for m in ('duckdb', 'pandas', 'pyarrow') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parent.parent, check=True)
    assert result.stdout.strip() == "[]"


def test_lowered_twins_find_what_the_case_ignoring_patterns_find(reference: list[list]) -> None:
    """The phrases and the negation hint are run on an ASCII comment's lower case without IGNORECASE: the
    same replacements (the text between them as written) and the same hits as the patterns themselves, on
    every ASCII reference comment as written, in capitals and with its case swapped."""
    analyser = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    hint = analyser._negation_hint  # noqa: SLF001
    assert analyser._phrases_lowered is not None and analyser._negation_hint_lowered is not None  # noqa: SLF001
    texts = [row[0][:2_000] for row in reference[::2] if row[0].isascii()]
    texts += [t.upper() for t in texts[:3_000]] + [t.swapcase() for t in texts[:3_000]] + ["Went OVER time, NOT Great"]
    replaced = 0
    for text in texts:
        want = analyser._replace_phrases(text)  # noqa: SLF001  (the case-ignoring pattern, as other text gets)
        got = analyser._replace_phrases_ascii(text)  # noqa: SLF001
        assert got == want, text
        replaced += got != text
        assert bool(analyser._negation_hint_lowered.search(text.lower())) == bool(hint.search(text)), text  # noqa: SLF001
    assert replaced > 1_000
