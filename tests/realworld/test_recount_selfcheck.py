"""The recount checks itself: hand-counted tiny files in each multi-header layout, and a sanity pass over
the manifest (every statement resolves to one column, every answer has a label, identity values are
planted in the file but never inside a mapped column)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.realworld.recount import RecountError, recount

HERE = Path(__file__).resolve().parent
EVERYTHING = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
MANIFEST = [e for e in EVERYTHING if not e["real"]]
REAL = [e for e in EVERYTHING if e["real"]]
CACHE = Path(os.environ.get("REALWORLD_CACHE", "/work/wt/realworld-cache"))
AGREE = {"Strongly disagree": 1, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4, "Strongly agree": 5}

QUALTRICS_TINY = (
    "\ufeff"
    '"StartDate","RecordedDate","IPAddress","Q1_1","Q1_2","Q2"\r\n'
    '"Start Date","Recorded Date","IP Address","Rate - Good use of time","Rate - Right things","Comments"\r\n'
    '"{""ImportId"":""startDate""}","{""ImportId"":""recordedDate""}","{""ImportId"":""ipAddress""}",'
    '"{""ImportId"":""QID1_1""}","{""ImportId"":""QID1_2""}","{""ImportId"":""QID2_TEXT""}"\r\n'
    '"2025-09-02 10:00:00","2025-09-02 10:05:00","203.0.113.1","Agree","Strongly agree",""\r\n'
    '"2025-09-02 11:00:00","2025-09-02 11:05:00","203.0.113.2","Disagree","","fine"\r\n'
    '"2025-09-02 12:00:00","2025-09-02 12:05:00","203.0.113.3","","","  "\r\n'        # nothing answered
    '"2025-09-02 13:00:00","","203.0.113.4","Strongly agree","Agree","abandoned"\r\n'   # no time: reject
    '"2025-09-09 10:00:00","2025-09-09 10:05:00","203.0.113.5","","Neither agree nor disagree","ok"\r\n'
)
# Hand count: responses rows 1, 2, 5 = 3; "Good use": Agree(4), Disagree(2) -> 2 answers, mean 3.0;
# "Right things": Strongly agree(5), Neither(3) -> 2 answers, mean 4.0; feedback "fine", "ok" -> 2.
QUALTRICS_ENTRY = {"file": "q.csv", "tool": "Qualtrics", "worksheet": None, "time_column": "RecordedDate",
                   "statements": {"Good use of time": "S1", "Right things": "S2"}, "feedback_column": "Comments",
                   "labels": AGREE}

SURVEYMONKEY_TINY = (
    "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,"
    "Custom Data 1,\"How much do you agree?\nThis week.\",,Anything else?\n"
    ",,,,,,,,,Good use of time,Right things,Open-Ended Response\n"
    "1,9,09/02/2025 10:00:00 AM,09/02/2025 10:05:00 AM,203.0.113.1,a@example.com,A,B,,Strongly agree,Agree,\n"
    "2,9,09/02/2025 11:00:00 AM,09/02/2025 11:05:00 AM,203.0.113.2,c@example.com,C,D,,,Strongly disagree,meh\n"
    "3,9,09/02/2025 12:00:00 PM,09/02/2025 12:05:00 PM,203.0.113.3,e@example.com,E,F,,,,\n"
    "4,9,09/03/2025 09:00:00 AM,09/03/2025 09:05:00 AM,203.0.113.4,g@example.com,G,H,,,,\"only words\"\n"
)
# Hand count: responses 1, 2, 4 = 3; "Good use": Strongly agree(5) -> 1, mean 5.0;
# "Right things": Agree(4), Strongly disagree(1) -> 2, mean 2.5; feedback "meh", "only words" -> 2.
SURVEYMONKEY_ENTRY = {"file": "sm.csv", "tool": "SurveyMonkey", "worksheet": None, "time_column": "End Date",
                      "statements": {"Good use of time": "S1", "Right things": "S2"},
                      "feedback_column": "Anything else?", "labels": AGREE}


def test_qualtrics_three_header_rows_hand_count(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text(QUALTRICS_TINY, encoding="utf-8", newline="")
    result = recount(QUALTRICS_ENTRY, tmp_path)
    assert result == {"responses": 3, "feedback": 2, "statements": {"S1": {"count": 2, "mean": 3.0},
                                                                     "S2": {"count": 2, "mean": 4.0}}}


def test_surveymonkey_two_header_rows_hand_count(tmp_path: Path) -> None:
    (tmp_path / "sm.csv").write_text(SURVEYMONKEY_TINY, encoding="utf-8", newline="")
    result = recount(SURVEYMONKEY_ENTRY, tmp_path)
    assert result == {"responses": 3, "feedback": 2, "statements": {"S1": {"count": 1, "mean": 5.0},
                                                                     "S2": {"count": 2, "mean": 2.5}}}


def test_workbook_sums_survey_tabs_and_skips_others(tmp_path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    first.title = "Form Responses 1"
    first.append(["Timestamp", "Rate [Good use of time]", "Comments"])
    first.append(["2025-09-02 10:00", 7, None])
    first.append(["2025-09-02 11:00", 4, "good"])
    second = workbook.create_sheet("Form Responses 2")
    second.append(["Timestamp", "Extra", "Rate [Good use of time]", "Comments"])
    second.append(["2025-09-09 10:00", "x", 1, None])
    second.append(["2025-09-09 10:00", "x", None, None])  # nothing answered
    summary = workbook.create_sheet("Summary")
    summary.append(["Statement", "Mean"])
    summary.append(["Rate [Good use of time]", 4])
    workbook.save(tmp_path / "w.xlsx")
    entry = {"file": "w.xlsx", "tool": "Google Forms", "worksheet": None, "time_column": "Timestamp",
             "statements": {"Good use of time": "S1"}, "feedback_column": "Comments",
             "labels": {str(i): i for i in range(1, 8)}}
    assert recount(entry, tmp_path) == {"responses": 3, "feedback": 1,
                                        "statements": {"S1": {"count": 3, "mean": 4.0}}}
    one_tab = dict(entry, worksheet="Form Responses 2")
    assert recount(one_tab, tmp_path)["statements"]["S1"] == {"count": 1, "mean": 1.0}


def test_an_unknown_answer_is_an_error_not_a_skip(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text(QUALTRICS_TINY.replace('"Agree","Strongly agree"', '"Agreed","Strongly agree"'),
                                    encoding="utf-8", newline="")
    with pytest.raises(RecountError, match="Agreed"):
        recount(QUALTRICS_ENTRY, tmp_path)


def _all_cells(entry: dict) -> list[str]:
    path = HERE / entry["file"]
    if path.suffix == ".xlsx":
        workbook = load_workbook(path, read_only=True)
        cells = [str(v) for ws in workbook for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        workbook.close()
        return cells
    return [path.read_bytes().decode(entry.get("encoding") or "utf-8-sig")]


@pytest.mark.parametrize("entry", [e for e in MANIFEST if not e["expect_refusal"]], ids=lambda e: e["file"])
def test_every_replica_recounts_with_responses_in_every_statement(entry: dict) -> None:
    result = recount(entry, HERE)
    assert 30 <= result["responses"] <= 200
    assert all(figures["count"] > 0 for figures in result["statements"].values())
    assert 1 <= min(f["mean"] for f in result["statements"].values())
    assert max(f["mean"] for f in result["statements"].values()) <= entry["scale_max"]
    assert max(entry["labels"].values()) == entry["scale_max"]


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["identity_values"]], ids=lambda e: e["file"])
def test_identity_values_are_planted_in_the_file(entry: dict) -> None:
    text = "\n".join(_all_cells(entry))
    missing = [v for v in entry["identity_values"] if v not in text]
    assert not missing


def test_corpus_covers_the_tools_and_refusals() -> None:
    tools = {e["tool"] for e in MANIFEST if not e["expect_refusal"]}
    assert len([e for e in MANIFEST if not e["expect_refusal"]]) >= 12
    assert len(tools) >= 6
    assert 2 <= len([e for e in MANIFEST if e["expect_refusal"]]) <= 3
    assert {e["scale_max"] for e in MANIFEST} == {5, 7}
    assert all((HERE / e["file"]).exists() for e in MANIFEST)


@pytest.mark.skipif(not CACHE.is_dir(), reason="real files live outside git, in the realworld cache folder")
@pytest.mark.parametrize("entry", [e for e in REAL if "hand_counted_responses" in e], ids=lambda e: e["file"])
def test_cached_real_files_recount(entry: dict) -> None:
    """The recount against a count made by hand (the larger real files are checked against the loader)."""
    assert recount(entry, CACHE)["responses"] == entry["hand_counted_responses"]


@pytest.mark.parametrize("entry", [e for e in MANIFEST if not e["expect_refusal"]], ids=lambda e: e["file"])
def test_identity_values_never_sit_in_a_mapped_column(entry: dict) -> None:
    """A DB grep for identity values is only meaningful if the mapped columns never contain them."""
    from tests.realworld.recount import HEADER_ROWS, csv_tables, find_column, find_time, xlsx_tables

    path = HERE / entry["file"]
    tables = xlsx_tables(entry, path) if path.suffix == ".xlsx" else csv_tables(entry, path)
    skip = entry.get("header_rows") or HEADER_ROWS.get(entry["tool"], 1)
    keys = [*entry["statements"], *([entry["feedback_column"]] if entry["feedback_column"] else [])]
    for rows in tables:
        rows = rows[entry.get("title_rows", 0):]  # as recount reads it: a title line above the header
        texts = rows[1] if skip >= 2 else None
        mapped = [find_column(k, rows[0], texts, entry["tool"]) for k in keys]
        mapped.append(find_time(entry["time_column"], rows[0], texts))
        values = {row[i] for row in rows[skip:] for i in mapped if i < len(row)}
        assert not [v for v in entry["identity_values"] if any(v in cell for cell in values)]
