"""Named errors, and the wording of every fix a message names.

Each error's ``str()`` is the single line the CLI prints. A message whose fix differs between
the command line (flags, ``[[sources]]`` keys) and the Load data page (which box to pick) is
built here, from ``WORDINGS``: one entry, both wordings (core.errors.Worded).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import UserFacingError, Worded


class IngestError(UserFacingError):
    """A run cannot go ahead; the database is left exactly as it was."""


class SourceFileError(IngestError):
    """A whole input file cannot be read (format, encoding, missing columns)."""

    def __init__(self, source: str, problem: str) -> None:
        message = problem.joined(f"{source}: ") if isinstance(problem, Worded) else f"{source}: {problem}"
        super().__init__(message)
        self.source = source
        self.problem = problem

    def __reduce__(self) -> tuple:
        return (type(self), (self.source, self.problem))


class HeaderFound(SourceFileError):
    """The header maps, but something under it is refused. It is the header all the same, so no row
    below it is tried as the header instead (parse.columns.below_title_rows): a row further down that
    repeats the header (two exports pasted together) would load the rows under it and drop the rest."""


class AmbiguousColumns(HeaderFound):
    """The header maps, but two columns answer one question (or one column two): the user says which."""


class SeriesColumnRefused(HeaderFound):
    """The column mapped as the review series holds free text or too many values (cells.series_column_problem)."""


class DateOrderConflict(HeaderFound):
    """Some dates can only be day/month and others only month/day: the file cannot say which, the user must."""


class StrictModeError(IngestError):
    """--strict was given and some rows were rejected."""


@dataclass(frozen=True)
class Wording:
    cli: str
    page: str


MAPPING_BOXES = "under Fix the mapping"

# Every message whose fix names a flag or a settings key. Fields are filled with str.format.
WORDINGS: dict[str, Wording] = {
    "time column missing": Wording(
        "the time column {column!r} named in --time-column or [[sources]] is not in the file (headers: {headers})",
        "the time column {column!r} is not in the file (headers: {headers}); pick another in the "
        f"Submission time box {MAPPING_BOXES}"),
    "no time column": Wording(
        "no submission-time column (headers: {headers}); name it with --time-column or in [[sources]]",
        f"no submission-time column (headers: {{headers}}); pick it in the Submission time box {MAPPING_BOXES}"),
    "unknown statement": Wording(
        "[[sources]] maps {statement!r}, which is not one of the configured statements; add it to 'statements' first",
        "{statement!r} is not one of the statements; add it under Your statements first"),
    "statement column missing": Wording(
        "column {column!r} for statement {statement!r} (from [[sources]]) is not in the file (headers: {headers})",
        "column {column!r} picked for statement {statement!r} is not in the file (headers: {headers}); "
        f"pick another in that statement's box {MAPPING_BOXES}"),
    "grid row negated": Wording(
        "column {column!r} is a grid row {statement!r}, but its question reads as a negation: not used "
        "(map it in [[sources]] if it is the statement)",
        "column {column!r} is a grid row {statement!r}, but its question reads as a negation: not used "
        f"(pick it in that statement's box {MAPPING_BOXES} if it is the statement)"),
    "two columns answer one statement": Wording(
        "columns {first} ({first_header!r}) and {second} ({second_header!r}) both answer {statement!r}; "
        "map one in [[sources]] (statements = {{\"{statement}\" = \"…\"}}) or remove the other",
        "columns {first} ({first_header!r}) and {second} ({second_header!r}) both answer {statement!r}; "
        f"pick the right one in that statement's box {MAPPING_BOXES}"),
    "two columns answer the feedback question": Wording(
        "columns {first} ({first_header!r}) and {second} ({second_header!r}) both answer the feedback question "
        "{question!r}; name one as feedback_column in [[sources]] or remove the other",
        "columns {first} ({first_header!r}) and {second} ({second_header!r}) both answer the feedback question "
        f"{{question!r}}; pick the right one in the free-text box {MAPPING_BOXES}"),
    "declared name names two columns": Wording(
        "{name!r}, {role} (from {origin}), names two columns, {first} ({first_header!r}) and "
        "{second} ({second_header!r}); rename one of them in the file, or name the second as {second_header!r}",
        "{name!r}, {role}, names two columns, {first} ({first_header!r}) and {second} ({second_header!r}); rename "
        f"one of them in the file, or pick {{second_header!r}} in the {{box}} box {MAPPING_BOXES} for the second"),
    "two columns named as one": Wording(
        "columns {first} ({first_header!r}) and {second} ({second_header!r}) are both named as {role}; rename one "
        "of them in the file, or set {key} = {second_header!r} in [[sources]] for the second",
        "columns {first} ({first_header!r}) and {second} ({second_header!r}) are both named as {role}; rename one "
        f"of them in the file, or pick {{second_header!r}} in the {{box}} box {MAPPING_BOXES} for the second"),
    "feedback column missing": Wording(
        "feedback column {column!r} (from [[sources]]) is not in the file (headers: {headers})",
        "the feedback column {column!r} is not in the file (headers: {headers}); pick another in the "
        f"free-text box {MAPPING_BOXES}"),
    "closed answers are not feedback": Wording(
        "column {column!r} holds a few repeated answers, not free text: not used as feedback "
        "(name it as feedback_column in [[sources]] if it is)",
        "column {column!r} holds a few repeated answers, not free text: not used as feedback "
        f"(pick it in the free-text box {MAPPING_BOXES} if it is)"),
    "series column missing": Wording(
        "series column {column!r} (from [[sources]]) is not in the file (headers: {headers})",
        f"the series column {{column!r}} is not in the file (headers: {{headers}}); pick another in the "
        f"Review series box {MAPPING_BOXES}"),
    "series is free text": Wording(
        "column {column!r} as the review series holds {found}: it is free text, not a series; map the series "
        "to another column or none (series_column in [[sources]] or the Load data page){raise_limit}",
        "column {column!r} as the review series holds {found_page}: it is free text, not a series; pick "
        f"another column, or none, in the Review series box {MAPPING_BOXES}"),
    "series header is free text": Wording(  # attendance and calendar files: their series is found by its header
        "column {column!r} as the review series holds {found}: it is free text, not a series; rename that "
        "column (a series column is found by its header, 'Series'), or load the file for one series with "
        "--series NAME{raise_limit}",
        "column {column!r} as the review series holds {found_page}: it is free text, not a series; rename that "
        "column in the file (a series column is found by its header, 'Series') and upload it again"),
    "not a survey": Wording(
        "no survey statement columns found (wide layout needs a column per statement, e.g. {statements}; "
        "long layout needs Time, Question and Answer columns); map them in [[sources]] or add the headers as aliases",
        "no column answers one of the statements ({statements}); pick each statement's column in its box "
        f"{MAPPING_BOXES}, or add your own statements under Your statements"),
    "not a survey, suggested": Wording(
        "no survey statement columns found (wide layout needs a column per statement, e.g. {statements}; "
        "long layout needs Time, Question and Answer columns); column {column!r} looks like statement "
        "{statement!r}; add it as an alias if it is",
        "no column answers one of the statements ({statements}); column {column!r} looks like statement "
        f"{{statement!r}}: pick it in that statement's box {MAPPING_BOXES} if it is"),
    "no question is a statement": Wording(
        "no question in column {column!r} is a statement or the feedback question (questions: {questions}; "
        "statements: {statements}); add each question's text as an alias of its statement in review_pulse.toml",
        "no question in column {column!r} is a statement or the feedback question (questions: {questions}); "
        "add your own statements under Your statements"),
    "looks like a statement": Wording(
        "column {column!r} looks like statement {statement!r}; add it as an alias if it is",
        f"column {{column!r}} looks like statement {{statement!r}}; pick it in that statement's box {MAPPING_BOXES} "
        "if it is"),
    "answers beyond 5": Wording(
        "answers go up to {highest}: if this is a 1-{scale} scale, declare it with scale_max = {scale} "
        "in a [[sources]] entry for this file (answers are then rescaled onto 1-5)",
        "answers go up to {highest}: if this is a 1-{scale} scale, pick 1–{scale} in the Answer scale box "
        f"{MAPPING_BOXES} (answers are then rescaled onto 1-5)"),
    "answers from 0": Wording(
        "answers of 0 were rejected and the rest read on 1-{scale_max}: if this is a 0-{top} scale, every score is "
        "one step low; declare scale_min = 0 and scale_max = {top} in a [[sources]] entry for this file (answers "
        "are then rescaled onto 1-5)",
        "answers of 0 were rejected and the rest read on 1-{scale_max}: if this is a 0-{top} scale, every score is "
        "one step low; load it again with the Answer scale 0–{top} (the box offers 0–4 and 0–10; for another, "
        "ask whoever keeps the settings file to declare the scale for this file)"),
    "labels alike on 5 points": Wording(
        "answers hold labels a 1-5 scale scores alike: {labels}. If this is a 1-7 scale, declare it with "
        "scale_max = 7 in a [[sources]] entry for this file; if it is 1-5, declare these labels' scores in "
        "[answer_labels] to confirm them",
        "answers hold labels a 1-5 scale scores alike: {labels}. If this is a 1-7 scale, pick 1–7 in the Answer "
        f"scale box {MAPPING_BOXES}"),
    "settings folder not writable": Wording(
        "{refused}: cannot write the settings file in {folder} ({problem}); make the folder "
        "writable for the dashboard, or add the [[sources]] entry by hand",
        "{refused}: cannot write the settings file in {folder} ({problem}); ask an admin to "
        "make the folder writable for the dashboard"),
    "date order guessed": Wording(
        "dates read as month/day, as nothing in the file says which: 11/12/2020 = 12 November 2020; set "
        'date_order = "DMY" in review_pulse.toml if they are day/month (or "MDY" to confirm)',
        "dates read as month/day, as nothing in the file says which: 11/12/2020 = 12 November 2020; if they "
        "are day/month, ask an admin to set the date order to day/month in the settings file"),
    "date order conflicting": Wording(
        "the dates disagree on day/month order ({day_first} can only be day/month, {month_first} only "
        'month/day); set date_order = "DMY" or "MDY" in review_pulse.toml (dates that do not fit it are rejected)',
        "the dates disagree on day/month order ({day_first} can only be day/month, {month_first} only "
        "month/day); ask an admin to set the date order in the settings file (dates that do not fit it are rejected)"),
    "no sheets": Wording(
        "no sheets are configured: add [[sheets]] entries (kind, key, worksheet) to review_pulse.toml",
        "no sheets are configured: an admin lists them in review_pulse.toml (README, Google Sheets)"),
}


def worded(kind: str, **fields: object) -> Worded:
    """The message of this kind, in the CLI's words, carrying the page's."""
    wording = WORDINGS[kind]
    fields.setdefault("found_page", fields.get("found", ""))
    return Worded(wording.cli.format(**fields), wording.page.format(**fields))
