"""Property tests: answer parsing, robustness of the readers and parsers, and the
idempotency invariant of re-ingesting a growing export."""

from __future__ import annotations

import contextlib
import io
import math
import string
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.errors import SourceFileError
from pipeline.parse.answers import ANSWER_LABELS, AnswerError, parse_answer
from pipeline.parse.attendance import parse_attendance
from pipeline.parse.surveys import parse_surveys
from pipeline.parse.times import TimeError, TimeParser
from pipeline.sources.files import RawTable
from tests.survey_text import table_from_bytes
from core import store
from core.settings import Settings

from tests.survey_text import FB, S1, S2, S3, S4, STATEMENTS  # noqa: F401

# The agree/disagree scale, written out here rather than read from the code under test.
# The product's label table is the specification here: every other word must be refused.
LABELS = dict(ANSWER_LABELS)

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- (a) parse_answer ------------------------------------------------------------

OUTER_SPACE = st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0", " \t ", "\r\n"])
INNER_SPACE = st.sampled_from([" ", "  ", "\t", "\u00a0", " \u00a0 ", "\u2002"])


@st.composite
def any_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips))


@st.composite
def spaced_label(draw: st.DrawFn, label: str) -> str:
    words = [draw(any_case(word)) for word in label.split()]
    text = words[0]
    for word in words[1:]:
        text += draw(INNER_SPACE) + word
    return draw(OUTER_SPACE) + text + draw(OUTER_SPACE)


def number_forms(n: int) -> list[object]:
    return [
        n, float(n), str(n), f"{n}.0", f"{n}.00", f"0{n}", f"+{n}", f"{n},0",
        chr(0xFF10 + n),  # full-width digit
    ]


@st.composite
def labelled_number(draw: st.DrawFn, n: int) -> str:
    label = draw(st.sampled_from([k for k, v in LABELS.items() if v == n]))
    text = draw(spaced_label(label))
    number = str(n)
    form = draw(st.sampled_from(["{n} - {l}", "{n}. {l}", "{n} {l}", "{l} ({n})", "{l} {n}", "{n} – {l}", "👍 {l}"]))
    if form == "👍 {l}":
        return "👍 " + text
    return form.format(n=number, l=text.strip())


@FAST
@given(st.data())
def test_every_form_of_1_to_5_maps_to_its_score(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    value = data.draw(st.one_of(
        st.sampled_from(number_forms(n)),
        st.builds(lambda s, a, b: a + s + b, st.sampled_from([str(x) for x in number_forms(n)]), OUTER_SPACE, OUTER_SPACE),
    ))
    assert parse_answer(value) == n


@FAST
@given(st.data())
def test_every_label_in_any_case_and_spacing_maps_to_its_score(data: st.DataObject) -> None:
    label, score = data.draw(st.sampled_from(sorted(LABELS.items())))
    assert parse_answer(data.draw(spaced_label(label))) == score


@FAST
@given(st.data())
def test_a_number_with_its_own_label_maps_to_the_score(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    assert parse_answer(data.draw(labelled_number(n))) == n


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


@FAST
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.text(string.whitespace)))
@example(10**400)
@example(-(10**400))
@example(float("inf"))
@example("\u200b")
def test_any_value_is_a_score_an_answer_error_or_none_for_blanks(value: object) -> None:
    try:
        result = parse_answer(value)
    except AnswerError:
        assert not is_blank(value)
        return
    if result is None:
        assert is_blank(value), value
    else:
        assert not is_blank(value)
        assert type(result) is int and 1 <= result <= 5


def _assert_rejected(value: object) -> None:
    with pytest.raises(AnswerError):
        parse_answer(value)


@FAST
@given(st.integers().filter(lambda n: not 1 <= n <= 5), st.sampled_from([int, str]))
def test_integers_outside_1_to_5_are_rejected(n: int, form: type) -> None:
    _assert_rejected(form(n))


@FAST
@given(st.floats(-1e6, 1e6).filter(lambda x: not x.is_integer()), st.sampled_from([float, repr, str]))
def test_fractions_are_rejected(x: float, form) -> None:  # noqa: ANN001
    _assert_rejected(form(x))


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


@FAST
@given(st.text(alphabet=string.ascii_letters + " '-", min_size=1, max_size=30))
@example("yes")
@example("n/a")
@example("agreed")
@example("strongly")
def test_words_that_are_not_labels_are_rejected(text: str) -> None:
    cleaned = _normalised(text.replace("'", " ").replace("-", " "))
    assume(cleaned and cleaned not in LABELS)
    _assert_rejected(text)


@FAST
@given(st.integers(1, 5), st.sampled_from(sorted(LABELS)), st.sampled_from(["{n} - {l}", "{l} ({n})", "{n} {l}"]))
def test_a_number_with_another_scores_label_is_rejected(n: int, label: str, form: str) -> None:
    assume(LABELS[label] != n)
    _assert_rejected(form.format(n=n, l=label))


# --- (c) robustness: only the documented errors escape -------------------------------


@settings(max_examples=150, deadline=None)
@given(st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    st.text(max_size=200).map(lambda t: t.encode("utf-16")),
    st.text(max_size=200).map(lambda t: t.encode("utf-16-le", "surrogatepass")),
    st.text(alphabet=',;\t"\r\n abc12', max_size=200).map(lambda t: t.encode()),
    st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),
))
def test_reading_any_bytes_gives_a_table_or_a_source_file_error(data: bytes) -> None:
    try:
        table = table_from_bytes(data, "fuzz.csv")
    except SourceFileError as exc:
        assert str(exc).startswith("fuzz.csv: ") and "\n" not in str(exc)
        return
    assert isinstance(table, RawTable)
    assert len(table.rows) == len(table.line_numbers)
    assert all(len(row) <= len(table.header) for row in table.rows)


TIME_TEXT = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A[0-9]{1,5}[-/.][0-9]{1,3}[-/.][0-9]{1,5}( [0-9]{1,2}:[0-9]{2})?( ?(Z|UTC|[+-][0-9]{2}:?[0-9]{2}))?\Z"),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.sampled_from([ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")]))
    .map(lambda d: d.isoformat()),
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(TIME_TEXT, st.integers(), st.floats(), st.datetimes(), st.dates(), st.none(), st.booleans()),
       st.sampled_from(["UTC", "Pacific/Kiritimati", "America/Adak"]), st.booleans())
@example("0001-01-01 00:30", "Pacific/Kiritimati", False)
@example("9999-12-31T23:59:59-01:00", "UTC", False)
@example(10**400, "UTC", False)
def test_time_parser_gives_a_plausible_time_or_a_time_error(value: object, zone: str, dayfirst: bool) -> None:
    parser = TimeParser(ZoneInfo(zone), dayfirst, now=datetime(2026, 6, 1))
    try:
        utc, local = parser.parse(value)
    except TimeError:
        return
    assert datetime(2000, 1, 1) <= utc <= datetime(2026, 6, 2)
    assert abs(local - utc) <= timedelta(hours=14)


CELL = st.one_of(st.none(), st.text(max_size=12), st.integers(-10, 100_000), st.floats(allow_nan=True),
                 st.sampled_from(["2025-03-03 10:00", "Agree", "5", "", "U024BE7LH", "a@b.co", "45719"]))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["Timestamp", S1, S2, S3, S4, FB, "Question", "Answer", "Response ID", "Email", "", "Date",
                              "Attendees", "Attendee", "Series", "x"]), min_size=1, max_size=8),
    st.lists(st.lists(CELL, max_size=9), max_size=8),
)
def test_parsers_give_records_or_a_source_file_error(header: list[str], rows: list[list[object]]) -> None:
    table = RawTable("fuzz.csv", header, rows, list(range(2, len(rows) + 2)))
    for parse in (parse_surveys, parse_attendance):
        try:
            result = parse(table, Settings(), now=datetime(2026, 6, 1))
        except SourceFileError:
            continue
        kept = len(getattr(result, "responses", [])) + len(result.rejects)
        assert kept <= max(len(rows), 1) * 5


# --- (b) idempotency of re-ingesting a growing export -------------------------------------

TIME_FORMATS = ("{:%Y-%m-%d %H:%M}", "{:%Y-%m-%dT%H:%M:%S}Z", "plus2")
ANSWER = st.one_of(st.none(), st.integers(1, 5).map(str), st.sampled_from(["Agree", "strongly disagree", " Neutral "]))
FEEDBACK = st.one_of(st.none(), st.text(alphabet="ab é<>&'\"👍,\n", max_size=8))


@st.composite
def submission(draw: st.DrawFn) -> tuple:
    moment = datetime(2025, 3, 3, 8, 0) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40)))
    return (moment, draw(st.sampled_from(TIME_FORMATS)), tuple(draw(st.lists(ANSWER, min_size=4, max_size=4))),
            draw(FEEDBACK))


@st.composite
def growing_export(draw: st.DrawFn) -> tuple[list[tuple], list[int], list[list[int]]]:
    """Rows (some repeated identically), prefix lengths, and a load plan (runs of prefixes)."""
    base = draw(st.lists(st.tuples(submission(), st.integers(1, 3)), min_size=1, max_size=14))
    rows = [row for row, times in base for _ in range(times)]
    # Some identical rows later in the export too, not only next to their twin.
    for index in draw(st.lists(st.integers(0, len(rows) - 1), max_size=3)):
        rows.append(rows[index])
    n = len(rows)
    cuts = sorted(set(draw(st.lists(st.integers(0, n), min_size=1, max_size=4))) | {n})
    plan = draw(st.lists(st.lists(st.sampled_from(cuts), min_size=1, max_size=2), min_size=1, max_size=5))
    if not any(n in run for run in plan):
        plan.insert(draw(st.integers(0, len(plan))), [n])
    return rows, cuts, plan


def _time_text(moment: datetime, form: str) -> str:
    if form == "plus2":  # the same instant written in another timezone
        return f"{moment + timedelta(hours=2):%Y-%m-%dT%H:%M:%S}+02:00"
    return form.format(moment)


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


def write_export(path: Path, rows: list[tuple], layout: str) -> Path:
    lines = []
    if layout == "wide":
        lines.append(",".join(["Timestamp", *STATEMENTS, FB]))
        for moment, form, answers, feedback in rows:
            cells = [_time_text(moment, form), *(a or "" for a in answers), feedback or ""]
            lines.append(",".join(_csv_cell(c) for c in cells))
    else:
        lines.append("Response ID,Submitted at,Question,Answer")
        for number, (moment, form, answers, feedback) in enumerate(rows, start=1):
            when = _time_text(moment, form)
            for statement, answer in zip(STATEMENTS, answers):
                if answer is not None:
                    lines.append(",".join(_csv_cell(c) for c in (f"R{number}", when, statement, answer)))
            if feedback is not None:
                lines.append(",".join(_csv_cell(c) for c in (f"R{number}", when, FB, feedback)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(*args: object, allow_unusable: bool = False) -> bool:
    """True when the run loaded. With ``allow_unusable``, a run refused because a file has rejected
    rows and no usable response (issue #10: it fails, changing nothing) returns False."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    if allow_unusable and code == 2 and ": no usable response; " in err.getvalue():
        return False
    assert code == 0, err.getvalue()
    return True


VIEWS = ("weekly_statement_scores", "weekly_scores", "weekly_attendance", "feedback")


def db_content(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        content = {
            "responses": con.execute(
                "SELECT response_key, series, submitted_utc, submitted_local, feedback FROM responses ORDER BY ALL"
            ).fetchall(),
            "answers": con.execute("SELECT * FROM answers ORDER BY ALL").fetchall(),
        }
        for view in VIEWS:
            content[view] = con.execute(f"SELECT * FROM {view} ORDER BY ALL").fetchall()
    return content


def expected_responses(rows: list[tuple]) -> int:
    """A row is a response when it answers something or has feedback that is not blank."""
    return sum(1 for _, _, answers, feedback in rows
               if any(a is not None for a in answers) or (feedback is not None and feedback.strip()))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(growing_export(), st.sampled_from(["wide", "long"]))
def test_loading_prefixes_in_any_order_equals_loading_the_whole_export_once(export, layout: str) -> None:
    rows, cuts, plan = export
    # fsync makes the published file durable; it is irrelevant to what the file holds and is
    # most of the time each load takes, so it is skipped here (and only here).
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(store, "_fsync"), \
            mock.patch.object(store, "_fsync_dir"):
        root = Path(folder)
        files = {cut: write_export(root / f"export-{cut}.csv", rows[:cut], layout) for cut in cuts}
        db = root / "growing.duckdb"
        for run in plan:
            # A prefix whose rows are all rejected fails its run and changes nothing (issue #10).
            run_cli("ingest", "--db", db, "--surveys", *(files[cut] for cut in run), allow_unusable=True)
        fresh = root / "fresh.duckdb"
        if not run_cli("ingest", "--db", fresh, "--surveys", files[len(rows)], allow_unusable=True):
            assert expected_responses(rows) == 0
            assert not db.exists() or db_content(db)["responses"] == []
            return
        # The whole export once more: a run that was refused above left out the prefixes it held.
        run_cli("ingest", "--db", db, "--surveys", files[len(rows)])

        grown, once = db_content(db), db_content(fresh)
        assert grown == once
        assert len(once["responses"]) == expected_responses(rows)
        assert len(once["answers"]) == sum(1 for r in rows for a in r[2] if a is not None)
        assert sum(r[1] for r in once["weekly_scores"]) == expected_responses(rows)


def _growing_ambiguous_export(folder: Path) -> tuple[Path, Path]:
    """An export whose first version holds only an ambiguous date (3 Feb or 2 Mar), and a later
    version that adds a row proving D/M (13 Feb)."""
    header = ",".join(["Timestamp", *STATEMENTS, FB])
    early = folder / "early.csv"
    early.write_text(f"{header}\n03/02/2025 10:00,4,4,4,4,early\n")
    later = folder / "later.csv"
    later.write_text(f"{header}\n03/02/2025 10:00,4,4,4,4,early\n13/02/2025 10:00,4,4,4,4,later\n")
    return early, later


@pytest.mark.xfail(strict=True, reason=(
    "known limitation: D/M vs M/D is inferred per file, so a growing export whose early rows are all "
    "ambiguous (day <= 12) is read M/D first and D/M once a day > 12 appears; the same row then gets a "
    "different time and is stored twice. That is date_order = \"auto\"; setting \"DMY\"/\"MDY\" fixes it (next test)."))
def test_growing_export_with_ambiguous_day_first_dates(tmp_path: Path) -> None:
    early, later = _growing_ambiguous_export(tmp_path)
    db = tmp_path / "reviews.duckdb"
    run_cli("ingest", "--db", db, "--surveys", early)
    run_cli("ingest", "--db", db, "--surveys", later)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM responses").fetchall()[0][0] == 2


def test_a_fixed_date_order_keeps_a_growing_ambiguous_export_stable(tmp_path: Path, monkeypatch) -> None:
    """The fix for the limitation above: with date_order = "DMY" the row keeps its time."""
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('date_order = "DMY"\n')
    early, later = _growing_ambiguous_export(tmp_path)
    db = tmp_path / "reviews.duckdb"
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings_file))
    run_cli("ingest", "--db", db, "--surveys", early)
    run_cli("ingest", "--db", db, "--surveys", later)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT strftime(submitted_utc, '%Y-%m-%d') FROM responses ORDER BY 1").fetchall() == [
            ("2025-02-03",), ("2025-02-13",)]
