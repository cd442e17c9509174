"""Survey tools recognised by the headers they write: a table of signatures, not code branches.

A tool is recognised when every header in one of its ``markers`` sets is present
(compared as ``normalise_header`` keys). What that gives: the tool's name for the run
summary, its submission-time column(s) in order of preference, and how many header
rows it writes. Names verified against public exports and the tools' help pages; the
localised Microsoft Forms names are the ones its Excel download writes in that language.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import normalise_header


@dataclass(frozen=True)
class ToolSignature:
    name: str
    markers: tuple[tuple[str, ...], ...]  # any one set, all of whose headers are present, identifies the tool
    time_headers: tuple[str, ...]  # the submission time, best first
    header_rows: int = 1  # rows of header at the top of the file
    # How later header rows relate to the first: "question_text" (Qualtrics: row 2 holds each
    # column's question, row 3 its ImportId) or "sub_label" (SurveyMonkey: row 1 names a
    # question once, row 2 each of its rows/options).
    header_style: str = "single"
    notes: str = ""  # what a user must still configure (README table)
    # LimeSurvey writes every started response; an empty submission time means it was never sent.
    blank_time_means_incomplete: bool = False


# Microsoft Forms' Excel download, per language: (start, completion, e-mail, name).
MICROSOFT_FORMS_LOCALES = {
    "en": ("Start time", "Completion time", "Email", "Name"),
    "de": ("Startzeit", "Fertigstellungszeit", "E-Mail", "Name"),
    "de-alt": ("Startzeit", "Abschlusszeit", "E-Mail", "Name"),
    "fr": ("Heure de début", "Heure de fin", "Adresse de messagerie", "Nom"),
    "es": ("Hora de inicio", "Hora de finalización", "Correo electrónico", "Nombre"),
    "nl": ("Begintijd", "Tijd van voltooien", "E-mail", "Naam"),
    "sv": ("Starttid", "Slutförandetid", "E-post", "Namn"),
}

TOOLS: tuple[ToolSignature, ...] = (
    ToolSignature(
        "Qualtrics",
        markers=(("startdate", "enddate", "responseid"), ("startdate", "enddate", "recordeddate"),
                 ("responseid", "recordeddate")),
        time_headers=("recordeddate", "enddate"),
        header_rows=3,
        header_style="question_text",
        notes="3 header rows skipped; statements matched on the question text (row 2)",
    ),
    ToolSignature(
        "SurveyMonkey",
        markers=(("respondent id", "collector id", "start date", "end date"),),
        time_headers=("end date",),
        header_rows=2,
        header_style="sub_label",
        notes="2 header rows; matrix rows matched on their row label",
    ),
    ToolSignature(
        "LimeSurvey",
        # Headings as question codes, as question texts, or both ("submitdate. Date submitted": a real export).
        markers=(("id", "submitdate", "lastpage", "startlanguage"), ("response id", "date submitted", "last page"),
                 ("id response id", "submitdate date submitted", "lastpage last page")),
        time_headers=("submitdate", "date submitted", "submitdate date submitted"),
        notes="incomplete responses (no submitdate) are rejected with that reason",
        blank_time_means_incomplete=True,
    ),
    ToolSignature(
        "Typeform",
        markers=(("submit date utc", "network id"), ("submit date utc", "start date utc")),
        time_headers=("submit date utc", "submitted at"),
    ),
    *(
        ToolSignature(
            f"Microsoft Forms ({locale.split('-')[0]})",
            markers=((normalise_header(start), normalise_header(done)),),
            time_headers=(normalise_header(done),),
        )
        for locale, (start, done, _email, _name) in MICROSOFT_FORMS_LOCALES.items()
    ),
    ToolSignature(
        "Slack Workflow Builder",
        markers=(("submitted by", "submission time"), ("submitted by", "timestamp"), ("submitter", "submitted at")),
        time_headers=("submission time", "timestamp", "submitted at"),
    ),
    ToolSignature(
        "Google Forms",
        markers=(("timestamp", "email address"), ("timestamp", "score")),
        time_headers=("timestamp",),
        notes="every tab of a workbook whose header fits is loaded",
    ),
)

# Exact (normalised) names of a submission-time column in exports not recognised as a tool,
# best first. Never "a header containing the word time": see issue #10.
GENERIC_TIME_HEADERS = (
    "timestamp", "submitted at", "submission time", "time submitted", "submitted on",
    "submission date", "date submitted", "submit date", "submit date utc", "submitted date",
    "response time", "completed at", "completion time", "created at", "responded at", "answered at",
    "recordeddate", "recorded date", "submitdate", "end date", "enddate",
    "time", "date", "datetime", "date time", "submitted", "created", "completed",
    "end time", "start time", "start date", "start date utc",
)


def detect_tool(header_keys: list[str]) -> ToolSignature | None:
    """The first tool whose markers are all present in the (normalised) headers."""
    present = set(header_keys)
    for tool in TOOLS:
        if any(all(marker in present for marker in markers) for markers in tool.markers):
            return tool
    return None


# Qualtrics' Status ("Response Type") marks rows that are not respondents' answers. Its numeric
# export is a sum of flags: 1 Survey Preview, 2 Survey Test, 4 Imported, 8 Spam, 16 Offline
# (0 = IP Address, an ordinary response); the choice-text export writes the names.
QUALTRICS_NOT_A_RESPONSE_FLAGS = 1 | 2 | 8
QUALTRICS_NOT_A_RESPONSE_WORDS = frozenset({"preview", "test", "spam"})


def is_qualtrics_test_status(value: object) -> bool:
    """True for a preview, test or spam row (by its Status); a real response or a blank is False."""
    text = str(value).strip() if value is not None else ""
    # isdecimal, not isdigit: int() refuses "²" and "①", which isdigit accepts; and a code is a few digits
    # (int() refuses more than 4,300).
    if text.isdecimal() and len(text) <= 18:
        return bool(int(text) & QUALTRICS_NOT_A_RESPONSE_FLAGS)
    if isinstance(value, float) and value.is_integer():
        return bool(int(value) & QUALTRICS_NOT_A_RESPONSE_FLAGS)
    return bool(QUALTRICS_NOT_A_RESPONSE_WORDS & set(normalise_header(text).split()))
