"""Issue #10: columns are declared or matched exactly, never guessed; tools are recognised by signature.

Table-driven over the rules, then through the real CLI into real DuckDB files. Expected figures
are written out by hand from the rows each test builds.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline.cli import main
from pipeline.errors import SourceFileError
from pipeline.mapping import is_opposite, looks_like_closed_answers, map_columns, match_header, suggestion_for
from pipeline.sources.files import RawTable, dedupe_headers
from core.settings import Settings, SourceMapping
from core.agreement import rescaled
from pipeline.parse.answers import AnswerError, parse_answer
from pipeline.parse.feedback import scrub_feedback
from pipeline.parse.surveys import parse_surveys
from core.schema import ensure_schema
from tests.survey_text import table_from_bytes
from pipeline.tools import detect_tool
from core.settings import Settings, SettingsError, SourceMapping, load_settings, normalise_header

S = Settings()
GOOD_USE, RIGHT_THINGS, SAFE, LEARNED = S.statement_texts
NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def _parse(rows: list[list[str]], settings: Settings = S, declared: SourceMapping | None = None):
    return parse_surveys(table_from_bytes(_csv(rows), "x.csv"), settings, now=NOW, declared=declared)


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (GOOD_USE, (GOOD_USE, "exact")),
        ("good use of my time", (GOOD_USE, "alias")),
        ("3) This meeting was a good use of my time *", (GOOD_USE, "exact")),
        ("How do you rate it? [This meeting was a good use of my time]", (GOOD_USE, "grid row")),
        ("How do you rate it? - I learned something new in this meeting", (LEARNED, "grid row")),
        ("How do you rate it?-I learned something new in this meeting", (LEARNED, "grid row")),  # legacy Qualtrics
        ("How do you rate it?\n.This meeting felt safe and constructive", (SAFE, "grid row")),
        ("This meeting was a poor use of my time", None),
        ("This meeting was not a good use of my time", None),
        ("This meeting was a good use of my time, mostly", None),
        ("Hands-on exercises [This meeting was a good use]", None),
        ("What should we prioritise? [Improve alerting]", None),
    ],
)
def test_a_column_matches_only_exactly_by_alias_or_grid_row(header: str, expected) -> None:
    assert match_header([header], S) == expected


@pytest.mark.parametrize(
    ("header", "suggested"),
    [
        ("Was this meeting a good use of your time?", GOOD_USE),
        ("Overall this meeting was a good use of time", GOOD_USE),
        ("This meeting was a poor use of my time", None),  # opposite: not even suggested
        ("This meeting was never a good use of my time", None),
        ("This meeting felt unsafe and constructive", None),
        ("What is your team?", None),
    ],
)
def test_word_overlap_only_suggests_and_never_an_opposite(header: str, suggested: str | None) -> None:
    assert suggestion_for([header], S, set()) == suggested


@pytest.mark.parametrize(("header", "statement", "opposite"), [
    ("This meeting was a poor use of my time", GOOD_USE, True),
    ("We discussed the wrong things", RIGHT_THINGS, True),
    ("I did not learn anything", LEARNED, True),
    ("This meeting was a good use of my time", GOOD_USE, False),
    # A real Qualtrics grid's question (w241 alumni survey): the quoted option is not a negation.
    ('Please indicate whether you agree with the following statements. If you are unable to answer the question, '
     'please choose "Not applicable". - This meeting was a good use of my time', GOOD_USE, False),
    ("Please choose \u201cNot applicable\u201d if it does not apply - " + GOOD_USE, GOOD_USE, True),  # "does not" is
    ('Which of these were NOT true? "Skip" if unsure - ' + GOOD_USE, GOOD_USE, True),
    ('A lone " quote, not closed - ' + GOOD_USE, GOOD_USE, True),
])
def test_opposites(header: str, statement: str, opposite: bool) -> None:
    assert is_opposite(header, statement) is opposite


def test_a_rephrased_header_is_suggested_not_mapped() -> None:
    rows = [["Timestamp", GOOD_USE, "Did we discuss the right things, overall?", "Q4: I learned something new in the meeting"],
            ["2026-03-04 16:00", "4", "5", "2"]]
    parsed = _parse(rows)
    assert parsed.responses[0].answers == ((GOOD_USE, 4),)
    assert parsed.report.suggestions == [
        f"column 'Q4: I learned something new in the meeting' looks like statement {LEARNED!r}; "
        "add it as an alias if it is"]


def test_the_opposite_statement_is_never_stored_as_the_statement() -> None:
    rows = [["Timestamp", "This meeting was a poor use of my time", RIGHT_THINGS], ["2026-03-04 16:00", "5", "4"]]
    parsed = _parse(rows)
    assert parsed.responses[0].answers == ((RIGHT_THINGS, 4),)
    assert parsed.report.suggestions == []
    assert "This meeting was a poor use of my time" in parsed.unused_columns


def test_a_grid_row_under_a_negated_question_is_not_used() -> None:
    rows = [["Timestamp", f"Which of these were NOT true? [{GOOD_USE}]", f"How much do you agree? [{SAFE}]"],
            ["2026-03-04 16:00", "Agree", "Agree"]]
    parsed = _parse(rows)
    assert parsed.responses[0].answers == ((SAFE, 4),)
    assert parsed.report.notes == [f"column 'Which of these were NOT true? [{GOOD_USE}]' is a grid row {GOOD_USE!r}, "
                                   "but its question reads as a negation: not used (map it in [[sources]] if it is "
                                   "the statement)"]


def test_look_alike_siblings_do_not_conflict_but_two_exact_columns_do() -> None:
    settings = Settings(statements=(type(S.statements[0])("Hands-on exercises and demonstrations were well prepared"),))
    rows = [["Timestamp", "Hands-on exercises and demonstrations were", "Hands-on exercises and demonstrations were well prepared"],
            ["2026-03-04 16:00", "Too few", "4"]]
    parsed = _parse(rows, settings)
    assert parsed.responses[0].answers == (("Hands-on exercises and demonstrations were well prepared", 4),)
    with pytest.raises(SourceFileError, match=r"both answer .*map one in \[\[sources\]\]"):
        _parse([["Timestamp", GOOD_USE, "good use of my time"], ["2026-03-04", "4", "5"]])


# --- time column -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "tool", "time"),
    [
        (["StartDate", "EndDate", "Status", "IPAddress", "RecordedDate", "ResponseId"], "Qualtrics", "RecordedDate"),
        (["StartDate", "EndDate", "ResponseId"], "Qualtrics", "EndDate"),
        (["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address"], "SurveyMonkey", "End Date"),
        (["id", "submitdate", "lastpage", "startlanguage", "startdate", "datestamp", "ipaddr"], "LimeSurvey", "submitdate"),
        (["Response ID", "Date submitted", "Last page", "Start language"], "LimeSurvey", "Date submitted"),
        # "Question code & question text" headings (a real export, msokol99/Wellbeing-data-analysis).
        (["id. Response ID", "submitdate. Date submitted", "lastpage. Last page", "startlanguage. Start language"],
         "LimeSurvey", "submitdate. Date submitted"),
        (["#", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"], "Typeform", "Submit Date (UTC)"),
        (["ID", "Start time", "Completion time", "Email", "Name"], "Microsoft Forms (en)", "Completion time"),
        (["ID", "Startzeit", "Fertigstellungszeit", "E-Mail", "Name"], "Microsoft Forms (de)", "Fertigstellungszeit"),
        (["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom"], "Microsoft Forms (fr)", "Heure de fin"),
        (["Id", "Hora de inicio", "Hora de finalización", "Correo electrónico", "Nombre"], "Microsoft Forms (es)", "Hora de finalización"),
        (["Id", "Begintijd", "Tijd van voltooien", "E-mail", "Naam"], "Microsoft Forms (nl)", "Tijd van voltooien"),
        (["ID", "Starttid", "Slutförandetid", "E-post", "Namn"], "Microsoft Forms (sv)", "Slutförandetid"),
        (["Timestamp", "Submitted by"], "Slack Workflow Builder", "Timestamp"),
        (["Timestamp", "Email Address"], "Google Forms", "Timestamp"),
    ],
)
def test_tools_are_recognised_by_signature(header: list[str], tool: str, time: str) -> None:
    found = detect_tool([normalise_header(h) for h in header])
    assert found is not None and found.name == tool
    rows = [[*header, GOOD_USE], ["2026-03-04 16:00" if h == time else "x" for h in header] + ["4"]]
    if found.header_rows > 1:
        rows.insert(1, ["" for _ in rows[0]])  # a blank second header row is folded in, not data
    parsed = _parse(rows)
    assert parsed.report.tool == tool and parsed.report.time_column == time
    assert len(parsed.responses) == 1


@pytest.mark.parametrize("header", [
    ["study_time", "Do you spend more time on this than before?", GOOD_USE],
    ["Date of birth of the meeting", GOOD_USE],
    ["Time zone", GOOD_USE],
])
def test_a_header_that_merely_contains_time_is_never_the_time_column(header: list[str]) -> None:
    with pytest.raises(SourceFileError) as caught:
        _parse([header, ["12"] * len(header)])
    assert str(caught.value).startswith("x.csv: no submission-time column (headers: ")
    assert str(caught.value).endswith("; name it with --time-column or in [[sources]]")


def test_a_declared_time_column_wins_and_a_missing_one_is_named() -> None:
    rows = [["When it was", GOOD_USE], ["2026-03-04 16:00", "4"]]
    assert len(_parse(rows, declared=SourceMapping(files=("*",), time_column="When it was")).responses) == 1
    with pytest.raises(SourceFileError, match="the time column 'Nope' named in --time-column"):
        _parse(rows, declared=SourceMapping(files=("*",), time_column="Nope"))


# --- header rows -----------------------------------------------------------------------------------

QUALTRICS = [
    ["StartDate", "EndDate", "IPAddress", "RecordedDate", "ResponseId", "RecipientEmail", "workerId",
     "LocationLatitude", "Q1_1", "Q1_2", "Q2"],
    ["Start Date", "End Date", "IP Address", "Recorded Date", "Response ID", "Recipient Email", "workerId",
     "Location Latitude", f"Rate - {GOOD_USE}", f"Rate - {SAFE}", "How could we improve?"],
    ['{"ImportId":"startDate","timeZone":"UTC"}', '{"ImportId":"endDate"}', '{"ImportId":"ipAddress"}',
     '{"ImportId":"recordedDate","timeZone":"UTC"}', '{"ImportId":"_recordId"}', '{"ImportId":"recipientEmail"}',
     '{"ImportId":"workerId"}', '{"ImportId":"locationLatitude"}', '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}',
     '{"ImportId":"QID2_TEXT"}'],
    ["2026-03-04 15:58:00", "2026-03-04 16:00:00", "198.51.100.7", "2026-03-04 16:00:01", "R_1", "ana@example.com",
     "W-77", "52.52", "Agree", "Strongly agree", "Call me on +44 20 7946 0958"],
    ["2026-03-04 16:01:00", "2026-03-04 16:02:00", "198.51.100.8", "2026-03-04 16:02:01", "R_2", "ben@example.com",
     "W-78", "48.85", "Somewhat disagree", "", "ok"],
]


def test_qualtrics_header_rows_are_folded_in_and_statements_read_from_row_two() -> None:
    parsed = _parse(QUALTRICS)
    assert parsed.rejects == []
    assert parsed.report.tool == "Qualtrics" and parsed.report.header_rows == 3
    assert parsed.report.time_column == "RecordedDate"
    assert [list(r.answers) for r in parsed.responses] == [[(GOOD_USE, 4), (SAFE, 5)], [(GOOD_USE, 2)]]
    assert [r.feedback for r in parsed.responses] == ["Call me on [phone]", "ok"]
    assert [r.submitted_utc.strftime("%H:%M:%S") for r in parsed.responses] == ["16:00:01", "16:02:01"]


SURVEYMONKEY = [
    ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
     "How much do you agree?", "", "What one thing would help?"],
    ["", "", "", "", "", "", "", GOOD_USE, LEARNED, "Open-Ended Response"],
    ["1141", "4711", "03/04/2026 03:58:00 PM", "03/04/2026 04:00:00 PM", "198.51.100.7", "ana@example.com", "Ana",
     "Agree", "Strongly agree", "Shorter"],
]


def test_surveymonkey_matrix_rows_are_matched_on_their_row_label() -> None:
    parsed = _parse(SURVEYMONKEY, Settings(feedback_question=type(S.statements[0])("What one thing would help?")))
    assert parsed.rejects == [] and parsed.report.tool == "SurveyMonkey"
    assert [list(r.answers) for r in parsed.responses] == [[(GOOD_USE, 4), (LEARNED, 5)]]
    assert parsed.responses[0].feedback == "Shorter"
    assert parsed.report.statement_columns == [
        (GOOD_USE, f"How much do you agree? - {GOOD_USE}", "exact"),  # row 2 holds the statement itself
        (LEARNED, f"How much do you agree? - {LEARNED}", "exact")]


def test_header_rows_can_be_declared_for_an_unrecognised_layout() -> None:
    rows = [["V1", "V2", "Q1"], ["ResponseID", "EndDate", GOOD_USE], ["R_1", "2026-03-04 16:00", "5"]]
    declared = SourceMapping(files=("*",), header_rows=2, time_column="EndDate")
    parsed = _parse(rows, declared=declared)
    assert [list(r.answers) for r in parsed.responses] == [[(GOOD_USE, 5)]] and parsed.rejects == []


# --- declared statements, feedback, labels and scales -----------------------------------------------


def test_declared_mapping_from_the_settings_file(tmp_path: Path) -> None:
    toml = tmp_path / "review_pulse.toml"
    toml.write_text(f'''
statements = ["{GOOD_USE}", "{SAFE}"]
[answer_labels]
"Definitely agree" = 5
[[sources]]
files = ["codes*.csv"]
time_column = "submitdate"
statements = {{ "{GOOD_USE}" = "REVIEW[SQ001]", "{SAFE}" = "REVIEW[SQ002]" }}
feedback_column = "COMMENTS01"
series_column = "TEAM"
scale_max = 7
answer_labels = {{ "Mostly agree" = 6 }}
''', encoding="utf-8")
    settings = load_settings(toml)
    declared = settings.sources[0]
    assert declared.applies_to("/data/codes_2026.csv") and not declared.applies_to("/data/other.csv")
    rows = [["id", "submitdate", "REVIEW[SQ001]", "REVIEW[SQ002]", "COMMENTS01", "TEAM"],
            ["1", "2026-03-04 16:00", "Mostly agree", "7", "good", "SRE"],
            ["2", "2026-03-04 16:05", "1", "Definitely agree", "", "SRE"]]
    parsed = _parse(rows, settings, declared)
    assert [list(r.answers) for r in parsed.responses] == [[(GOOD_USE, 6), (SAFE, 7)]]
    assert [(r.series, r.scale_max, r.feedback) for r in parsed.responses] == [("SRE", 7, "good")]
    # The top-level labels are on 1-5; on this source's 1-7 scale only its own labels count.
    assert [r.reason for r in parsed.rejects] == [
        f"answer to {SAFE!r}: not a 1-7 answer or an agree/disagree label"]
    assert parsed.rejects[0].raw == {"submitdate": "2026-03-04 16:05", "REVIEW[SQ001]": "1",
                                     "REVIEW[SQ002]": "Definitely agree", "TEAM": "SRE"}
    assert rescaled(6, 7) == pytest.approx(1 + 5 * 4 / 6)


@pytest.mark.parametrize("text", [
    '[[sources]]\ntime_column = "x"\n',  # applies to nothing
    '[[sources]]\nfiles = ["a.csv"]\nscale_max = 2\n',
    '[[sources]]\nfiles = ["a.csv"]\nheader_rows = 0\n',
    '[[sources]]\nfiles = ["a.csv"]\ncolumn = "x"\n',
    '[answer_labels]\n"Great" = 9\n',
    '[[sources]]\nfiles = ["a.csv"]\nstatements = { "Not a configured statement" = "Q1" }\n',
])
def test_bad_source_declarations_are_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError):
        load_settings(tmp_path / "s.toml")


@pytest.mark.parametrize(("label", "score"), [
    ("Agree completely", 5), ("Disagree completely", 1), ("No strong feelings", 3), ("Totally agree", 5),
    ("Fully agree", 5), ("Somewhat agree", 4), ("Undecided", 3), ("Neither agree nor disagree", 3),
    ("Agree somewhat", 4), ("Disagree somewhat", 2), ("Completely disagree", 1),
])
def test_tools_agreement_labels_are_known(label: str, score: int) -> None:
    assert parse_answer(label) == score


def test_a_declared_seven_point_scale_and_the_message_without_it() -> None:
    assert parse_answer("7", None, 7) == 7 and parse_answer("Strongly agree", None, 7) == 7
    with pytest.raises(AnswerError):
        parse_answer("8", None, 7)
    rows = [["Timestamp", GOOD_USE], ["2026-03-04 16:00", "7"], ["2026-03-04 16:01", "6"], ["2026-03-04 16:02", "3"]]
    parsed = _parse(rows)
    assert len(parsed.responses) == 1 and len(parsed.rejects) == 2
    assert parsed.report.notes == [
        "answers go up to 7: if this is a 1-7 scale, declare it with scale_max = 7 in a [[sources]] entry "
        "for this file (answers are then rescaled onto 1-5)"]


@pytest.mark.parametrize(("answers", "note"), [
    # A 0-4 scale: the zeros are rejected, the rest read one step low.
    (["0", "1", "2", "3", "4", "4"],
     "answers of 0 were rejected and the rest read on 1-5: if this is a 0-4 scale, every score is one step low; "
     "declare scale_min = 0 and scale_max = 4 in a [[sources]] entry for this file "
     "(answers are then rescaled onto 1-5)"),
    # 0-10: the zero explains the answers past 5, so only this note is given (not "a 1-10 scale").
    (["0", "3", "7", "10"],
     "answers of 0 were rejected and the rest read on 1-5: if this is a 0-10 scale, every score is one step low; "
     "declare scale_min = 0 and scale_max = 10 in a [[sources]] entry for this file "
     "(answers are then rescaled onto 1-5)"),
    (["1", "3", "5"], None),
    (["0"], None),  # zeros alone say nothing about a scale
    (["7", "6", "3"], "answers go up to 7: if this is a 1-7 scale, declare it with scale_max = 7 in a "
                      "[[sources]] entry for this file (answers are then rescaled onto 1-5)"),
])
def test_answers_of_zero_name_a_zero_based_scale_on_both_readers(tmp_path: Path, capsys, answers: list[str],
                                                                 note: str | None) -> None:
    rows = [["Timestamp", GOOD_USE]] + [[f"2026-03-04 16:{i:02d}", a] for i, a in enumerate(answers)]
    parsed = _parse(rows)  # the Python reader
    stored = [a for a in answers if a.isdigit() and 1 <= int(a) <= 5]
    assert len(parsed.responses) == len(stored) and len(parsed.rejects) == len(answers) - len(stored)
    assert [str(n) for n in parsed.report.notes] == ([] if note is None else [note])
    if not stored:
        return
    db = tmp_path / "r.duckdb"  # the CSV fast path, through the command line
    assert main(["ingest", "--db", str(db), "--surveys", str(_write(tmp_path / "z.csv", rows))]) == 0
    out = capsys.readouterr().out
    assert (f"note: {note}" in out) if note else "note:" not in out
    assert sorted(query(db, "SELECT raw_score FROM answers")) == sorted((float(a),) for a in stored)


def test_closed_answers_are_not_feedback() -> None:
    assert looks_like_closed_answers(["Critical to me", "Somewhat useful"] * 6)
    assert not looks_like_closed_answers(["Bitte pünktlich anfangen.", "Mehr Zeit."] * 6)
    assert not looks_like_closed_answers(["ok", "fine", "more time"])
    rows = [["Timestamp", GOOD_USE, "Feedback"]] + [["2026-03-04 16:00", "4", ["Yes", "No"][i % 2]] for i in range(10)]
    parsed = _parse(rows)
    assert parsed.report.feedback_column is None and all(r.feedback is None for r in parsed.responses)
    assert "not used as feedback" in parsed.report.notes[0]


# --- scrubbing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "scrubbed"), [
    ("mail ana.souza@example.com please", "mail [email] please"),
    ("ping <@U024BE7LH> and <@W012A3CDE|ben>", "ping [mention] and [mention]"),
    ("<!here> <!channel> <!everyone>", "[mention] [mention] [mention]"),
    ("call +1 (555) 123-4567 or 020 7946 0958", "call [phone] or [phone]"),
    ("on 2026-03-04 the p99 went to 1200 ms, INC-20260304", "on 2026-03-04 the p99 went to 1200 ms, INC-20260304"),
    ("version 1.2.3 and 45 people", "version 1.2.3 and 45 people"),
])
def test_feedback_scrubbing(text: str, scrubbed: str) -> None:
    assert scrub_feedback(text) == scrubbed


def test_scrubbing_can_be_turned_off() -> None:
    rows = [["Timestamp", GOOD_USE, "Feedback"], ["2026-03-04 16:00", "4", "ana@example.com"]]
    assert _parse(rows).responses[0].feedback == "[email]"
    assert _parse(rows, Settings(scrub_feedback=False)).responses[0].feedback == "ana@example.com"


# --- through the CLI -------------------------------------------------------------------------------


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.write_bytes(_csv(rows))
    return path


def test_workbook_tabs_that_fit_are_loaded_and_others_named(tmp_path: Path, capsys) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Form Responses 1"
    first.append(["Timestamp", "Email Address", GOOD_USE])
    first.append([datetime(2026, 3, 4, 16, 0), "ana@example.com", 4])
    second = book.create_sheet("Form Responses 2")
    second.append(["Timestamp", "Email Address", GOOD_USE, LEARNED])
    second.append([datetime(2026, 3, 11, 16, 0), "ben@example.com", 5, 3])
    second.append([datetime(2026, 3, 11, 16, 5), "cy@example.com", 2, ""])
    summary = book.create_sheet("Summary")
    summary.append(["Question", "Average"])
    summary.append([GOOD_USE, 3.7])
    book.save(tmp_path / "book.xlsx")
    db = tmp_path / "r.duckdb"
    assert main(["ingest", "--db", str(db), "--surveys", str(tmp_path / "book.xlsx")]) == 0
    out = capsys.readouterr().out
    assert f"skipped {tmp_path / 'book.xlsx'} / Summary: no column answers a statement" in out
    assert query(db, "SELECT count(*) FROM responses")[0][0] == 3
    assert query(db, "SELECT statement, count(*), avg(score) FROM answers GROUP BY 1 ORDER BY 1") == [
        (LEARNED, 1, 3.0), (GOOD_USE, 3, 11 / 3)]
    other = tmp_path / "o.duckdb"
    assert main(["ingest", "--db", str(other), "--surveys", str(tmp_path / "book.xlsx"),
                 "--worksheet", "Form Responses 2"]) == 0
    assert query(other, "SELECT count(*) FROM responses")[0][0] == 2
    assert main(["ingest", "--db", str(other), "--surveys", str(tmp_path / "book.xlsx"), "--worksheet", "Nope"]) == 2
    assert "no worksheet 'Nope'; it has Form Responses 1, Form Responses 2, Summary" in capsys.readouterr().err


def test_a_file_with_no_usable_response_fails_and_changes_nothing(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.duckdb"
    good = _write(tmp_path / "good.csv", [["Timestamp", GOOD_USE], ["2026-03-04 16:00", "4"]])
    assert main(["ingest", "--db", str(db), "--surveys", str(good)]) == 0
    before = query(db, "SELECT count(*) FROM responses")
    bad = _write(tmp_path / "bad.csv", [["Timestamp", GOOD_USE], ["soon", "4"], ["soon", "5"], ["2026-03-04 16:00", "9"]])
    capsys.readouterr()
    assert main(["ingest", "--db", str(db), "--surveys", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {bad}: no usable response; 3 rows rejected, most often (2x): bad time: "
                   "text that is not a date or time; nothing was loaded\n")
    seven = _write(tmp_path / "seven.csv", [["Timestamp", GOOD_USE], ["2026-03-04 16:00", "7"], ["2026-03-04 16:01", "6"]])
    assert main(["ingest", "--db", str(db), "--surveys", str(seven)]) == 2
    assert capsys.readouterr().err == (
        f"error: {seven}: no usable response; 2 rows rejected, most often (2x): answer to {GOOD_USE!r}: "
        "a number, but not a whole number from 1 to 5 (answers go up to 7: if this is a 1-7 scale, declare it with "
        "scale_max = 7 in a [[sources]] entry for this file (answers are then rescaled onto 1-5)); nothing was loaded\n")
    assert query(db, "SELECT count(*) FROM responses") == before
    assert query(db, "SELECT count(*) FROM rejects")[0][0] == 0


def test_time_column_and_header_rows_flags(tmp_path: Path, capsys) -> None:
    export = _write(tmp_path / "e.csv", [["V1", "V2"], ["Sent", GOOD_USE], ["2026-03-04 16:00", "5"]])
    db = tmp_path / "r.duckdb"
    assert main(["ingest", "--db", str(db), "--surveys", str(export), "--time-column", "Sent", "--header-rows", "2"]) == 0
    assert query(db, "SELECT count(*) FROM answers")[0][0] == 1


def test_inspect_and_dry_run_print_the_mapping_and_write_nothing(tmp_path: Path, capsys) -> None:
    export = _write(tmp_path / "q.csv", QUALTRICS)
    db = tmp_path / "r.duckdb"
    assert main(["inspect", str(export)]) == 0
    out = capsys.readouterr().out
    assert f"{export}: Qualtrics (wide, 3 header rows); time column 'RecordedDate'" in out
    assert f"  {GOOD_USE!r} <- 'Q1_1 (Rate - {GOOD_USE})' (grid row)" in out
    assert "usable rows: 2; rejected rows: 0" in out
    assert "'IPAddress'" in out and "198.51.100.7" not in out
    assert main(["ingest", "--db", str(db), "--surveys", str(export), "--dry-run"]) == 0
    assert "dry run: nothing was written" in capsys.readouterr().out
    assert not db.exists()


def test_only_mapped_columns_are_stored_for_every_tool_shape(tmp_path: Path, capsys) -> None:
    """Identity values planted in unmapped columns of each tool's shape appear in no table or column."""
    planted = ["198.51.100.7", "ana@example.com", "W-77", "52.52", "Ana", "U024BE7LH", "R_1"]
    shapes = {
        "qualtrics.csv": QUALTRICS,
        "surveymonkey.csv": SURVEYMONKEY,
        "msforms.csv": [["ID", "Start time", "Completion time", "Email", "Name", GOOD_USE],
                        ["R_1", "3/4/26 15:58", "2026-03-04 16:00", "ana@example.com", "Ana", "Agree"],
                        ["2", "3/4/26 15:59", "2026-03-04 16:01", "W-77", "52.52", "Kinda"]],  # a reject
        "typeform.csv": [["#", GOOD_USE, "Start Date (UTC)", "Submit Date (UTC)", "Network ID"],
                         ["R_1", "Agree", "2026-03-04 15:58:00", "2026-03-04 16:00:00", "198.51.100.7"],
                         ["x2", "7", "2026-03-04 15:58:00", "2026-03-04 16:01:00", "U024BE7LH"]],
        "limesurvey.csv": [["id", "submitdate", "lastpage", "startlanguage", "ipaddr", GOOD_USE],
                           ["1", "2026-03-04 16:00:00", "2", "en", "198.51.100.7", "Agree"],
                           ["2", "", "1", "en", "52.52", "Agree"]],  # incomplete: rejected
        "slack.csv": [["Timestamp", "Submitted by", GOOD_USE, "How could we improve?"],
                      ["2026-03-04 16:00", "U024BE7LH", "4", "thanks <@U024BE7LH>, mail ana@example.com"],
                      ["nope", "Ana", "4", ""]],
        "google.csv": [["Timestamp", "Email Address", "Name", GOOD_USE],
                       ["2026-03-04 16:00", "ana@example.com", "Ana", "4"], ["2026-03-04 16:01", "W-77", "R_1", "x"]],
    }
    db = tmp_path / "r.duckdb"
    paths = [str(_write(tmp_path / name, rows)) for name, rows in shapes.items()]
    assert main(["ingest", "--db", str(db), "--surveys", *paths]) == 0, capsys.readouterr().err
    assert query(db, "SELECT count(*) FROM rejects")[0][0] >= 4
    with duckdb.connect(str(db), read_only=True) as con:
        stored = []
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type='BASE TABLE'").fetchall():
            for (column,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name=?", [table]).fetchall():
                stored += [v for (v,) in con.execute(f'SELECT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall() if v]
    text = "\n".join(stored)
    assert [value for value in planted if value in text] == []


def test_a_closed_pipe_after_publishing_is_not_a_failed_run(tmp_path: Path) -> None:
    export = _write(tmp_path / "e.csv", [["Timestamp", GOOD_USE], ["2026-03-04 16:00", "4"]])
    db = tmp_path / "r.duckdb"
    env = {"PATH": "/usr/bin:/bin", "REVIEW_PULSE_SETTINGS": str(tmp_path / "none.toml")}
    result = subprocess.run(
        f"{sys.executable} -m pipeline ingest --db {db} --surveys {export} | true; echo ${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "0", result.stderr
    assert "nothing was changed" not in result.stderr
    assert query(db, "SELECT count(*) FROM responses")[0][0] == 1
    runs = query(db, "SELECT count(*) FROM ingest_runs")[0][0]
    assert runs == 1  # the successful run only; no failed run recorded


def test_a_database_from_before_declared_scales_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        ensure_schema(con)
        con.execute("DROP VIEW weekly_statement_scores; DROP VIEW weekly_scores; DROP VIEW feedback; DROP VIEW answer_facts")
        con.execute("DROP TABLE answers")
        con.execute("CREATE TABLE answers (response_key UUID NOT NULL, statement VARCHAR NOT NULL, "
                    "score TINYINT NOT NULL CHECK (score BETWEEN 1 AND 5))")
        con.execute("INSERT INTO answers VALUES ('00000000-0000-0000-0000-000000000001', 'x', 4)")
        ensure_schema(con)
        assert con.execute("SELECT score, raw_score, scale_max FROM answers").fetchall() == [(4.0, 4, 5)]
        assert json.dumps(con.execute("SELECT data_type FROM information_schema.columns "
                                      "WHERE table_name='answers' AND column_name='score'").fetchall()) == '[["DOUBLE"]]'


def test_a_long_export_takes_its_declared_scale_and_labels() -> None:
    rows = [["Response ID", "Submitted at", "Question", "Answer"],
            ["r1", "2026-03-04 16:00", GOOD_USE, "Agree a lot"], ["r1", "2026-03-04 16:00", SAFE, "6"],
            ["r2", "2026-03-04 16:05", GOOD_USE, "8"]]
    declared = SourceMapping(files=("*",), scale_max=7, answer_labels=(("Agree a lot", 7),))
    parsed = _parse(rows, declared=declared)
    assert [(list(r.answers), r.scale_max) for r in parsed.responses] == [([(GOOD_USE, 7), (SAFE, 6)], 7)]
    assert [r.reason for r in parsed.rejects] == [f"answer to {GOOD_USE!r}: a number, but not a whole number from 1 to 7"]


QUALTRICS_TWIN_TEXT = (
    "StartDate,EndDate,ResponseId,Q1,Q2,Q2_TEXT\r\n"
    "Start Date,End Date,Response ID,This meeting was a good use of my time,How could we improve?,How could we improve?\r\n"
    '"{""ImportId"":""startDate""}","{""ImportId"":""endDate""}",x,y,z,w\r\n'
    + "2026-03-04 10:00,2026-03-04 10:05,R_1,4,2,slow start\r\n" * 3
)


@pytest.mark.parametrize(
    ("text", "first", "second", "declare"),
    [
        # A Qualtrics question's numeric column and its _TEXT twin repeat the question text (a real export).
        (QUALTRICS_TWIN_TEXT, (5, "Q2"), (6, "Q2_TEXT"), "Q2_TEXT"),
        ("Timestamp,This meeting was a good use of my time,Comments,How could we improve?\r\n"
         + "2026-03-04 10:00,4,slow start,more time for actions\r\n" * 3, (3, "Comments"),
         (4, "How could we improve?"), "Comments"),
    ],
)
def test_two_feedback_columns_are_refused_not_picked(text: str, first: tuple, second: tuple, declare: str) -> None:
    """Which of two columns is the feedback is the user's to say: refused with both named and the fix."""
    with pytest.raises(SourceFileError) as refused:
        parse_surveys(table_from_bytes(text.encode(), "two.csv"), Settings())
    assert str(refused.value) == (
        f"two.csv: columns {first[0]} ({first[1]!r}) and {second[0]} ({second[1]!r}) both answer the "
        "feedback question 'How could we improve?'; name one as feedback_column in [[sources]] or remove the other")
    declared = SourceMapping(files=("two.csv",), feedback_column=declare)
    parsed = parse_surveys(table_from_bytes(text.encode(), "two.csv"), Settings(), declared=declared)
    assert parsed.report.feedback_column.startswith(declare) and len(parsed.responses) == 3


@pytest.mark.parametrize(("header", "shown"), [
    (["id. Response ID", "submitdate. Date submitted", "Ag2[SQ002]. Agreement [I agree.]", "x" * 81, "ana@example.com"],
     "'id. Response ID', 'submitdate. Date submitted' and 3 not shown (over 80 characters, or with brackets, "
     "quotes, digits only or an address: they could be values)"),
    (["Timestamp", "2026-03-04 10:00"], "'Timestamp' and 1 not shown (over 80 characters, or with brackets, quotes, "
     "digits only or an address: they could be values)"),
    (["Timestamp", "Team"], "'Timestamp', 'Team'"),
])
def test_headers_in_a_message_never_show_what_could_be_a_value(header: list[str], shown: str) -> None:
    from pipeline.parse.cells import shown_headers

    assert shown_headers(header) == shown


@pytest.mark.parametrize(("header", "texts"), [
    (["A", "B", "A (2)", "a (3)"], [["A"], ["B"], ["A (2)", "A"], ["a (3)", "a"]]),
    (["Rating (2)", "Rating"], [["Rating (2)"], ["Rating"]]),  # no earlier "Rating": a name of its own
    (["Q (x)", "Q"], [["Q (x)"], ["Q"]]),
])
def test_a_renamed_repeat_is_also_matched_by_the_name_it_repeats(header: list[str], texts: list[list[str]]) -> None:
    from pipeline.sources.files import header_texts

    assert header_texts(header) == texts


def test_two_columns_under_one_statement_name_are_refused_not_one_dropped() -> None:
    """Before, the second column ("… (2)" after renaming) was only listed as not stored."""
    with pytest.raises(SourceFileError) as refused:
        _parse([["Timestamp", GOOD_USE, GOOD_USE], ["2026-03-04 16:00", "4", "2"]])
    assert f"columns 2 ({GOOD_USE!r}) and 3 ('{GOOD_USE} (2)') both answer {GOOD_USE!r}" in str(refused.value)


# name -> (header, one data row, the [[sources]] entry, the refusal after "x.csv: ",
#          the entry naming the second column as read, which column's cells are then stored and as what).
NAMED_TWICE = {
    "a declared statement column": (
        ["Timestamp", "Q1", "Q2", "Q1"], ["2026-03-04 16:00", "4", "5", "2"],
        SourceMapping(files=("*",), statements=((GOOD_USE, "Q1"), (RIGHT_THINGS, "Q2"))),
        f"'Q1', the column for statement {GOOD_USE!r} (from [[sources]]), names two columns, 2 ('Q1') and 4 "
        "('Q1 (2)'); rename one of them in the file, or name the second as 'Q1 (2)'",
        SourceMapping(files=("*",), statements=((GOOD_USE, "Q1 (2)"), (RIGHT_THINGS, "Q2"))), (3, "answer")),
    "a declared statement column, in another case": (
        ["Timestamp", "Q1", "Q2", "q1"], ["2026-03-04 16:00", "4", "5", "2"],
        SourceMapping(files=("*",), statements=((GOOD_USE, "Q1"), (RIGHT_THINGS, "Q2"))),
        f"'Q1', the column for statement {GOOD_USE!r} (from [[sources]]), names two columns, 2 ('Q1') and 4 "
        "('q1 (2)'); rename one of them in the file, or name the second as 'q1 (2)'",
        SourceMapping(files=("*",), statements=((GOOD_USE, "q1 (2)"), (RIGHT_THINGS, "Q2"))), (3, "answer")),
    "a declared time column": (
        ["Submitted", "Submitted", GOOD_USE], ["2026-03-04 16:00", "2026-03-05 09:30", "4"],
        SourceMapping(files=("*",), time_column="Submitted"),
        "'Submitted', the time column (from --time-column or [[sources]]), names two columns, 1 ('Submitted') "
        "and 2 ('Submitted (2)'); rename one of them in the file, or name the second as 'Submitted (2)'",
        SourceMapping(files=("*",), time_column="Submitted (2)"), (1, "time")),
    "a declared feedback column": (
        ["Timestamp", GOOD_USE, "Notes", "Notes"], ["2026-03-04 16:00", "4", "fb first", "fb second"],
        SourceMapping(files=("*",), feedback_column="Notes"),
        "'Notes', the feedback column (from [[sources]]), names two columns, 3 ('Notes') and 4 ('Notes (2)'); "
        "rename one of them in the file, or name the second as 'Notes (2)'",
        SourceMapping(files=("*",), feedback_column="Notes (2)"), (3, "feedback")),
    "a declared series column": (
        ["Timestamp", GOOD_USE, "Team", "Team"], ["2026-03-04 16:00", "4", "A", "B"],
        SourceMapping(files=("*",), series_column="Team"),
        "'Team', the series column (from [[sources]]), names two columns, 3 ('Team') and 4 ('Team (2)'); "
        "rename one of them in the file, or name the second as 'Team (2)'",
        SourceMapping(files=("*",), series_column="Team (2)"), (3, "series")),
    "a time column found by its name": (
        ["Timestamp", "Timestamp", GOOD_USE], ["2026-03-04 16:00", "2026-03-05 09:30", "4"], None,
        "columns 1 ('Timestamp') and 2 ('Timestamp (2)') are both named as the time column; rename one of them "
        "in the file, or set time_column = 'Timestamp (2)' in [[sources]] for the second",
        SourceMapping(files=("*",), time_column="Timestamp (2)"), (1, "time")),
    "a series column found by its name": (
        ["Timestamp", GOOD_USE, "Series", "Series"], ["2026-03-04 16:00", "4", "A", "B"], None,
        "columns 3 ('Series') and 4 ('Series (2)') are both named as the series column; rename one of them in "
        "the file, or set series_column = 'Series (2)' in [[sources]] for the second",
        SourceMapping(files=("*",), series_column="Series (2)"), (3, "series")),
}


def _stored(response, what: str) -> object:
    return {"answer": lambda r: dict(r.answers)[GOOD_USE], "time": lambda r: r.submitted_local.strftime("%Y-%m-%d %H:%M"),
            "feedback": lambda r: r.feedback, "series": lambda r: r.series}[what](response)


@pytest.mark.parametrize("case", sorted(NAMED_TWICE))
def test_a_name_that_names_two_columns_is_refused_not_the_first_taken(case: str, tmp_path: Path) -> None:
    """Before, the first column was taken and the second only listed as not stored."""
    from tests.test_csv_fast_path import load_both_ways

    header, row, declared, refusal, fixed, (column, what) = NAMED_TWICE[case]
    rows = [header, row, row]
    with pytest.raises(SourceFileError) as refused:
        _parse(rows, declared=declared)
    assert str(refused.value) == f"x.csv: {refusal}"
    # Both readers refuse it alike (the fast path asks the same mapping of the file's head).
    source = _write(tmp_path / "x.csv", rows)
    fast, _ = load_both_ways(tmp_path, Settings(sources=(declared,) if declared else ()), [source])
    assert fast == f"error: {source}: {refusal}"
    # The fix named works: the second column's cells are the ones stored.
    parsed = _parse(rows, declared=fixed)
    expected = int(row[column]) if what == "answer" else row[column]
    assert [_stored(r, what) for r in parsed.responses] == [expected] * (len(rows) - 1)


@pytest.mark.parametrize(("scale_min", "scale_max", "answers"), [
    (0, 10, ["0", "3", "5", "7", "10", "10"]),  # an NPS-style 0-10
    (0, 4, ["0", "1", "2", "3", "4", "2"]),
    (1, 5, ["1", "2", "3", "4", "5", "4"]),  # the default, declared: unchanged
])
def test_a_declared_scale_from_zero_loads_every_answer_on_both_readers(tmp_path: Path, scale_min: int,
                                                                      scale_max: int, answers: list[str]) -> None:
    """scale_min = 0: every answer loads (none rejected), and the mean on 1-5 is the linear rescale of the answers
    as written: 1 + (a - scale_min) * 4 / (scale_max - scale_min), recomputed here from the rows. Both readers
    store the same rows (load_both_ways compares the databases)."""
    from tests.test_csv_fast_path import load_both_ways

    rows = [["Timestamp", GOOD_USE]] + [[f"2026-03-04 16:{i:02d}", a] for i, a in enumerate(answers)]
    path = _write(tmp_path / "scale.csv", rows)
    declared = SourceMapping(files=("scale.csv",), scale_min=scale_min, scale_max=scale_max)
    fast, _python = load_both_ways(tmp_path, Settings(sources=(declared,)), [path])
    lines = "\n".join(str(line) for line in fast.lines())
    assert ("answers on 0-" in lines) is (scale_min == 0) and "note:" not in lines
    expected = sum(1 + (int(a) - scale_min) * 4 / (scale_max - scale_min) for a in answers) / len(answers)
    (count, mean), = query(tmp_path / "fast.duckdb", "SELECT count(*), avg(CASE WHEN scale_max = 5 THEN raw_score "
                                                     "ELSE 1 + (raw_score - 1) * 4 / (scale_max - 1) END) FROM answers")
    assert count == len(answers) and mean == pytest.approx(expected)
    assert query(tmp_path / "fast.duckdb", "SELECT count(*) FROM rejects") == [(0,)]
    from core.quarters import parse_period
    from review_pulse.view import DataView

    headline = DataView(tmp_path / "fast.duckdb", parse_period("2026-Q1"), None, Settings()).headline()
    assert headline.average_score == pytest.approx(expected)  # what the Overview shows


@pytest.mark.parametrize(("entry", "error"), [
    ("scale_min = 2", "scale_min must be 0 or 1"),
    ("scale_min = 0\nscale_max = 11", "scale_max must be a whole number from 2 to 10"),
    ("scale_min = 0\nscale_max = 10\nanswer_labels = { \"Not at all\" = -1 }", "answer_labels scores must be from 0"),
    ("scale_min = 0\nscale_max = 10\nskip_labels = [\"0\"]", "'0' is an answer on the 0-10 scale"),
])
def test_a_scale_from_zero_is_checked_in_the_settings(tmp_path: Path, entry: str, error: str) -> None:
    from core.settings import SettingsError, load_settings

    path = tmp_path / "review_pulse.toml"
    path.write_text(f'[[sources]]\nfiles = ["x.csv"]\n{entry}\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=error.replace("[", r"\[")):
        load_settings(path)


def test_labels_on_a_scale_from_zero_score_as_declared() -> None:
    """A declared label's score is on the scale as written: 'Not at all likely' = 0 is stored as 1 of 11."""
    assert parse_answer("0", None, 11, shift=1) == 1 and parse_answer("10", None, 11, shift=1) == 11
    assert parse_answer("Not at all likely", {"not at all likely": 1}, 11, shift=1) == 1
    assert parse_answer("0 - Not at all likely", {"not at all likely": 1}, 11, shift=1) == 1
    for bad in ("11", "-1", "3.5"):
        with pytest.raises(AnswerError, match="not a whole number from 0 to 10"):
            parse_answer(bad, None, 11, shift=1)
