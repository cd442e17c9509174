"""An undeclared 7-point label set is named, not quietly read as 5 points.

Qualtrics' and SurveyMonkey's 7-point agreement sets hold "Agree" and "Somewhat agree"; the built-in 1-5
table scores both 4. With no scale declared, a file holding two such labels loaded with no word (numbers
past 5 already brought a note). Now the summary names the labels and both fixes; the scores are what they
were (nothing is guessed either way), and both readers say the same.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from core.settings import Settings, SourceMapping
from pipeline.parse.answers import ANSWER_LABELS
from tests.survey_text import S1, S2
from tests.test_csv_fast_path import load_both_ways, write_csv

NOTE_START = "note: answers hold labels a 1-5 scale scores alike"

# (case, answers in S1, answers in S2, settings, note expected, labels named)
CASES = [
    ("Qualtrics' 7-point set", ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree"],
     ["Somewhat agree", "Agree", "Strongly agree", "Agree"], Settings(), True,
     "'Disagree' and 'Somewhat disagree' (both 2); 'Somewhat agree' and 'Agree' (both 4)"),
    ("two labels in two columns", ["Agree"] * 4, ["Slightly agree"] * 4, Settings(), True,
     "'Slightly agree' and 'Agree' (both 4)"),
    ("a 5-point set with Somewhat", ["Strongly disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree"],
     ["Strongly agree"] * 4, Settings(), False, ""),
    ("synonyms of one 7-point answer", ["Strongly agree", "Completely agree", "Agree", "Agree"], ["4"] * 4,
     Settings(), False, ""),
    ("labels declared in [answer_labels]", ["Agree", "Somewhat agree", "Agree", "Agree"], ["3"] * 4,
     Settings(answer_labels=(("Somewhat agree", 4),)), False, ""),
]


@pytest.mark.parametrize("case, first, second, settings_, noted, labels", CASES, ids=[c[0] for c in CASES])
def test_two_labels_a_5_point_scale_scores_alike_are_named(tmp_path: Path, case: str, first: list[str],
                                                             second: list[str], settings_: Settings, noted: bool,
                                                             labels: str):
    rows = [["Timestamp", S1, S2]] + [[f"2026-03-0{day + 2} 10:00", a, b] for day, (a, b) in enumerate(zip(first, second))]
    path = write_csv(tmp_path / "survey.csv", rows)
    fast, _python = load_both_ways(tmp_path, settings_, [path])
    notes = [line.strip() for line in fast.lines() if line.strip().startswith(NOTE_START)]
    assert notes == ([f"{NOTE_START}: {labels}. If this is a 1-7 scale, declare it with scale_max = 7 in a [[sources]] "
                      "entry for this file; if it is 1-5, declare these labels' scores in [answer_labels] to confirm "
                      "them"] if noted else [])
    declared = dict((label.lower(), score) for label, score in settings_.answer_labels)
    expected = sum(declared.get(cell.lower(), ANSWER_LABELS.get(cell.lower())) or int(cell) for cell in first + second)
    with duckdb.connect(str(tmp_path / "fast.duckdb"), read_only=True) as con:
        assert con.execute("SELECT sum(score), count(*) FROM answers").fetchone() == (expected, len(first + second))


def test_a_declared_7_point_scale_brings_no_note(tmp_path: Path):
    rows = [["Timestamp", S1], ["2026-03-02 10:00", "Agree"], ["2026-03-02 10:01", "Somewhat agree"]]
    path = write_csv(tmp_path / "seven.csv", rows)
    fast, _python = load_both_ways(tmp_path, Settings(sources=(SourceMapping(files=("seven.csv",), scale_max=7),)),
                                   [path])
    assert not any(NOTE_START in line for line in fast.lines())
    with duckdb.connect(str(tmp_path / "fast.duckdb"), read_only=True) as con:
        assert sorted(con.execute("SELECT raw_score FROM answers").fetchall()) == [(5,), (6,)]
