"""Settings shared by the pipeline and the dashboard.

One TOML file (``review_pulse.toml`` at the project root, or the path in
``REVIEW_PULSE_SETTINGS``). Every key is optional: the defaults below are the
product's defaults, so a fresh clone works without the file.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.feedback_themes import DEFAULT_FEEDBACK_THEMES, FeedbackTheme, themes_from_toml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_PATH = PROJECT_ROOT / "review_pulse.toml"
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "reviews.duckdb"


class SettingsError(ValueError):
    """The settings file exists but cannot be used."""


# --- declared mappings of exports (issue #10) -----------------------------------------


@dataclass(frozen=True)
class SourceMapping:
    """One [[sources]] table: how the files or sheets it names map onto the survey.

    Everything is optional; what is given wins over detection. ``statements`` maps a
    configured statement text to the column (header text) holding its answers.
    """

    files: tuple[str, ...] = ()  # globs matched against the path and the file name
    sheets: tuple[str, ...] = ()  # worksheet (tab) names or globs
    time_column: str | None = None
    header_rows: int | None = None  # rows of header at the top (Qualtrics 3, SurveyMonkey 2)
    statements: tuple[tuple[str, str], ...] = ()  # (statement text, column)
    feedback_column: str | None = None
    series_column: str | None = None
    scale_max: int = 5  # answers run scale_min..scale_max; 7 or 10 points are rescaled onto 1-5
    answer_labels: tuple[tuple[str, int], ...] = ()  # label -> score on this source's scale
    skip_labels: tuple[str, ...] = ()  # answers meaning "skipped" ("N/A"): a blank answer, never a reject
    scale_min: int = 1  # 0 for a scale that starts at 0 (0-4, 0-10)

    # A 0-based scale is stored one step up (0-10 as 1-11): every figure's rules (core.agreement) count points
    # from 1, and a linear shift changes no mean, agreement or label.
    @property
    def answer_shift(self) -> int:
        """What is added to an answer as written to store it: 1 on a 0-based scale, else 0."""
        return 1 - self.scale_min

    @property
    def stored_scale_max(self) -> int:
        """The scale's top as stored (its number of points): 11 for 0-10."""
        return self.scale_max + self.answer_shift

    @property
    def stored_labels(self) -> tuple[tuple[str, int], ...]:
        """``answer_labels`` with their scores as stored."""
        return tuple((label, score + self.answer_shift) for label, score in self.answer_labels)

    def applies_to(self, source: str, sheet: str | None = None) -> bool:
        from fnmatch import fnmatch

        name = Path(source).name
        if self.files and not any(fnmatch(source, g) or fnmatch(name, g) for g in self.files):
            return False
        if self.sheets and (sheet is None or not any(fnmatch(sheet, g) for g in self.sheets)):
            return False
        return bool(self.files or self.sheets)


_SOURCE_KEYS = {"files", "sheets", "time_column", "header_rows", "statements", "feedback_column",
                "series_column", "scale_max", "scale_min", "answer_labels", "skip_labels"}


def _labels_from(raw: object, where: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, dict) or not all(isinstance(k, str) and type(v) is int for k, v in raw.items()):
        raise SettingsError(f"{where}: 'answer_labels' must be a table of label = whole number")
    return tuple((k, v) for k, v in raw.items())


def _source_from(raw: object, where: str) -> SourceMapping:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: each [[sources]] entry must be a table")
    unknown = sorted(set(raw) - _SOURCE_KEYS)
    if unknown:
        raise SettingsError(f"{where}: unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(unknown)} (known: {', '.join(sorted(_SOURCE_KEYS))})")

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: '{key}' must be a string or a list of strings")
        return tuple(value)

    def text(key: str) -> str | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise SettingsError(f"{where}: '{key}' must be a string (a column header)")
        return value

    files, sheets = strings("files"), strings("sheets")
    if not files and not sheets:
        raise SettingsError(f"{where}: name the files (files = [\"*.csv\"]) or sheets it applies to")
    statements = raw.get("statements", {})
    if not isinstance(statements, dict) or not all(isinstance(v, str) for v in statements.values()):
        raise SettingsError(f"{where}: 'statements' must be a table of \"statement text\" = \"column header\"")
    header_rows = raw.get("header_rows")
    if header_rows is not None:
        header_rows = whole_number(1, 10)(header_rows, f"{where}: header_rows")
    scale_min = raw.get("scale_min", 1)
    if type(scale_min) is not int or scale_min not in (0, 1):
        raise SettingsError(f"{where}: scale_min must be 0 or 1 (the lowest answer on the scale)")
    scale_max = whole_number(2 + scale_min, 11 - (1 - scale_min))(raw.get("scale_max", 5), f"{where}: scale_max")
    labels = _labels_from(raw.get("answer_labels", {}), where)
    if any(not scale_min <= v <= scale_max for _k, v in labels):
        raise SettingsError(f"{where}: answer_labels scores must be from {scale_min} to scale_max ({scale_max})")
    skip = _skip_labels(raw.get("skip_labels", []), f"{where}: skip_labels")
    clash = [k for k, _v in labels if normalise_header(k) in {normalise_header(x) for x in skip}]
    if clash:
        raise SettingsError(f"{where}: {clash[0]!r} is both an answer label and a skip label; keep it in one")
    return SourceMapping(files, sheets, text("time_column"), header_rows, tuple(statements.items()),
                         text("feedback_column"), text("series_column"), scale_max, labels, skip, scale_min)


def _check_skip_numbers(labels: Iterable[str], scale_max: int, where: str, scale_min: int = 1) -> None:
    """A skip label that is an answer on the scale ("3") would turn real answers into blanks."""
    for label in labels:
        text = label.strip()
        if text.isdigit() and scale_min <= int(text) <= scale_max:
            raise SettingsError(f"{where}: {label!r} is an answer on the {scale_min}-{scale_max} scale, not a skip; "
                                "remove it")


def _skip_labels(value: object, where: str) -> tuple[str, ...]:
    """Answers that mean "not applicable" ("I did not attend that session", "N/A"): non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) and normalise_header(v) for v in value):
        raise SettingsError(f"{where} must be a list of answer texts, e.g. [\"N/A\"]")
    return tuple(value)


# --- end of issue #10 block ---


@dataclass(frozen=True)
class Statement:
    text: str
    aliases: tuple[str, ...] = ()


DEFAULT_STATEMENTS = (
    Statement("This meeting was a good use of my time", ("good use of my time", "good use of time")),
    Statement("I think we discussed the right things", ("discussed the right things", "right things")),
    Statement("This meeting felt safe and constructive", ("safe and constructive", "felt safe")),
    Statement("I learned something new in this meeting", ("learned something new", "i learned something new")),
)
DEFAULT_FEEDBACK_QUESTION = Statement(
    "How could we improve?",
    # Matched as whole headers only (issue #10): "Improve alerting" is not this question.
    ("how could we improve", "feedback", "comments", "comment", "any other feedback", "how can we improve",
     "suggestions", "suggestion", "anything else", "any other comments", "other comments", "additional comments",
     "what could we do better", "what can we do better", "any comments", "any feedback", "anything else to add"),
)


# --- talking points (issue 12): themes for poll options, Slack channel -> review series ---
@dataclass(frozen=True)
class Theme:
    name: str
    keywords: tuple[str, ...] = ()  # "keywords" and "aliases" in the file both land here


@dataclass(frozen=True)
class ConfiguredSheet:
    """One [[sheets]] entry: a Google Sheet that `pipeline sync` and "Sync now" load."""

    kind: str  # surveys | attendance | polls | actions
    key: str  # the sheet's key or URL
    worksheet: str | None = None


@dataclass(frozen=True)
class InputLimits:
    """Bounds on one input file read in Python (workbooks, and the CSVs the DuckDB reader declines):
    a hostile or broken file is refused with one line instead of exhausting memory or CPU. A CSV
    that DuckDB reads (pipeline.csv_fast_path) is not held in Python and is not bounded by these."""

    max_rows: int = 1_048_576  # Excel's own maximum
    max_columns: int = 16_384  # Excel's own maximum (column XFD)
    max_cell_chars: int = 10_000_000  # longer cells are refused with the file; below, parse rejects the row
    max_xlsx_uncompressed_mb: int = 512
    # The Python reader holds a file's rows, and parses and loads them a batch at a time: about
    # 9x the file's size at peak, DuckDB's own share included (bench/python_path_memory.py).
    # DuckDB reads plain UTF-8 CSVs of any size instead.
    max_python_input_mb: int = 128


# --- attendance early warning (issue 25 items 9-11): [calendar] ------------------------
BUSY_WEEK_KIND_MAX_CHARS = 40


@dataclass(frozen=True)
class CalendarSettings:
    """[calendar]: weeks the team knows in advance will be busy (launches, holidays, planning).

    ``busy_weeks`` holds (Monday of the week, kind) pairs, oldest first; a date anywhere in a
    week names that week. The kind is a short lower-case label; weeks of the same kind are
    compared with each other by the early warning (review_pulse/attendance_risk.py).
    """

    busy_weeks: tuple[tuple[date, str], ...] = ()

    @property
    def kinds_by_week(self) -> dict[date, str]:
        return dict(self.busy_weeks)


def week_monday(day: date) -> date:
    """The week a busy-week date names: its Monday."""
    return day - timedelta(days=day.weekday())


def busy_week_kind(kind: object) -> str | None:
    """A busy week's kind as stored and compared (spaces folded, case-folded), or None when it is not
    text of 1 to BUSY_WEEK_KIND_MAX_CHARS characters. The settings and the calendar input share it."""
    if not isinstance(kind, str):
        return None
    label = " ".join(kind.split()).casefold()
    return label if 0 < len(label) <= BUSY_WEEK_KIND_MAX_CHARS else None


def _busy_weeks(value: object, where: str) -> tuple[tuple[date, str], ...]:
    if not isinstance(value, dict):
        raise SettingsError(f'{where} must be a table of "YYYY-MM-DD" = "kind", '
                            'e.g. busy_weeks = { "2026-03-09" = "launch" }')
    weeks: dict[date, tuple[str, str]] = {}
    for day_text, kind in value.items():
        try:
            day = date.fromisoformat(day_text) if len(day_text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise SettingsError(f"{where}: {_shown(day_text)} is not a date written YYYY-MM-DD")
        label = busy_week_kind(kind)
        if label is None:
            raise SettingsError(f"{where}.{day_text} must be a kind in quotes of 1 to {BUSY_WEEK_KIND_MAX_CHARS} "
                                f"characters, e.g. \"launch\", \"holiday\", \"planning\", not {_shown(kind)}")
        monday = week_monday(day)
        if monday in weeks and weeks[monday][1] != label:
            other = weeks[monday][0]
            raise SettingsError(f"{where}: {other} and {day_text} are in the same week with different kinds "
                                f"({weeks[monday][1]!r}, {label!r}); keep one")
        weeks[monday] = (day_text, label)
    return tuple(sorted((monday, label) for monday, (_text, label) in weeks.items()))
# --- end of attendance early warning settings ------------------------------------------


@dataclass(frozen=True)
class DigestSettings:
    """[digest]: the weekly Slack digest (`python -m pipeline digest`). The secrets themselves (the
    webhook URL, the bot token) live only in environment variables; these name where they are."""

    dashboard_url: str | None = None  # the dashboard's address; the message links to ?quarter=&series=
    webhook_url_env: str = "SLACK_WEBHOOK_URL"  # the variable holding the incoming webhook's URL
    channel: str | None = None  # with SLACK_BOT_TOKEN: where the bot posts ("#incident-review" or an id)
    upload_chart: bool = False  # with the bot token: also upload the quarter's score chart (PNG)


@dataclass(frozen=True)
class Settings:
    target_score: float = 4.5
    agree_target: float = 0.8
    min_group_size: int = 5
    timezone: str = "UTC"
    # "auto" decides D/M/Y vs M/D/Y per file from its dates; "DMY" or "MDY" fixes it, which
    # keeps a growing export stable while all its days are still 12 or less.
    date_order: str = "auto"
    fiscal_year_start_month: int = 1
    default_series: str = "Incident review"
    statements: tuple[Statement, ...] = DEFAULT_STATEMENTS
    feedback_question: Statement = DEFAULT_FEEDBACK_QUESTION
    # A sharp dip: attendance below this share of the 4-week rolling mean.
    busy_week_ratio: float = 0.7
    # With [auth] in secrets.toml, only these email domains may sign in (empty = any).
    allowed_email_domains: tuple[str, ...] = ()
    # --- follow-up actions (issue 13; parsed in _load_action_settings) ---
    action_target_days: int = 30
    # Extra tracker statuses: {"done": [...], "dropped": [...], "open": [...]}, beside pipeline.actions' defaults.
    action_statuses: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # A label naming the review an action came from; group 1 is its ISO date.
    action_review_label: str = r"^review-(\d{4}-\d{2}-\d{2})$"
    # The tracker link for exports without one (Jira, Linear CSVs), e.g. "https://acme.atlassian.net/browse/{key}".
    action_link_template: str | None = None
    # --- end of follow-up actions ---
    # Talking points: [[themes]] and [poll_channels] (channel name = "series"); tuples keep Settings hashable.
    themes: tuple[Theme, ...] = ()
    poll_channels: tuple[tuple[str, str], ...] = ()
    # --- feedback themes (issue 15): [feedback_themes.<id>] in review_pulse.toml ---
    feedback_themes: tuple[FeedbackTheme, ...] = DEFAULT_FEEDBACK_THEMES
    # false: ingestion skips sentiment and themes (they cost most of a large first load; see the benchmark)
    analyse_feedback: bool = True
    limits: InputLimits = InputLimits()
    # --- declared mappings of exports (issue #10; see pipeline/mapping.py) ---
    sources: tuple[SourceMapping, ...] = ()
    answer_labels: tuple[tuple[str, int], ...] = ()  # extra answer label -> score, on top of the defaults
    scrub_feedback: bool = True  # e-mails, Slack mentions and phone numbers in feedback -> placeholders
    skip_labels: tuple[str, ...] = ()  # answers meaning "skipped" in every file: a blank answer, never a reject
    # A series column with more distinct names than this is free text (feedback), not a review series.
    max_series_values: int = 200
    # --- end of issue #10 keys ---
    # --- loading from the browser (issue #14) ---
    browser_loading: bool = True  # false: the Load data page shows only the CLI
    editors: tuple[str, ...] = ()  # with sign-in: e-mails or @domains who may load data
    sheets: tuple[ConfiguredSheet, ...] = ()  # [[sheets]] that "Sync now" and `pipeline sync` read
    # A load started from the page runs in a child process, stopped past these (issue #22).
    browser_load_time_limit_seconds: int = 600
    browser_load_memory_limit_mb: int = 4096  # the child's address space (RLIMIT_AS)
    # Issue 25: [calendar] busy_weeks, the known busy weeks the attendance early warning compares.
    calendar: CalendarSettings = CalendarSettings()
    digest: DigestSettings = DigestSettings()  # the weekly Slack digest
    source_path: Path | None = field(default=None, compare=False)

    @property
    def statement_texts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.statements)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def normalise_header(text: str) -> str:
    """Lower-case, strip accents' compatibility forms, drop punctuation, fold spaces.

    Headers from Slack, Forms and Excel differ in case, trailing "?"/":", NBSPs and
    smart quotes; matching on this form makes them all the same key.
    """
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = re.sub(r"[^\w\s]|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------
# The settings file's schema: every key and table it may hold, in ONE place.
#
# Reading is strict: an unknown key is an error naming the closest known one (a typo
# such as `min_group_sise` must not leave the privacy threshold where it was), a value
# is never coerced (5.9 is not an integer, `true` is not a number, "4" is not a month),
# and bounds are checked here, so nothing downstream sees a value it cannot use.
#
# To add a key: a field on Settings (or InputLimits) with its default, and one entry in
# SETTINGS_KEYS (or LIMIT_KEYS) naming the reader that checks it. A new table such as
# `[[sources]]` is one entry whose reader takes the list of tables and returns the field's
# value; `check_keys` gives any table the same unknown-key message.
# ---------------------------------------------------------------------------

Reader = Callable[[object, str], object]  # (raw TOML value, "where" for messages) -> field value


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {int: "an integer", float: "a decimal number", str: "text", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__)


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def whole_number(low: int, high: int | None = None) -> Reader:
    """An integer in [low, high]; 5.9, 5.0, true and "5" are refused, never rounded."""
    def read(value: object, where: str) -> int:
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        if type(value) is not int:
            raise SettingsError(f"{where} must be a whole number {span}, not {_type_name(value)} ({_shown(value)})")
        if value < low or (high is not None and value > high):
            raise SettingsError(f"{where} must be a whole number {span}, not {value}")
        return value
    return read


def number(low: float, high: float, low_open: bool = False) -> Reader:
    """A finite number in [low, high] (or (low, high]); true/false, nan and inf are refused."""
    def read(value: object, where: str) -> float:
        span = f"above {low:g} and at most {high:g}" if low_open else f"between {low:g} and {high:g}"
        if type(value) not in (int, float):
            raise SettingsError(f"{where} must be a number {span}, not {_type_name(value)} ({_shown(value)})")
        if not math.isfinite(value) or value < low or value > high or (low_open and value == low):
            raise SettingsError(f"{where} must be a number {span}, not {_shown(value)}")
        return float(value)
    return read


def text(*choices: str, non_empty: bool = False) -> Reader:
    def read(value: object, where: str) -> str:
        if not isinstance(value, str):
            raise SettingsError(f"{where} must be text in quotes, not {_type_name(value)} ({_shown(value)})")
        if choices and value not in choices:
            raise SettingsError(f"{where} must be one of {', '.join(map(repr, choices))}, not {_shown(value)}")
        if non_empty and not value.strip():
            raise SettingsError(f"{where} must not be empty")
        return value
    return read


def _timezone(value: object, where: str) -> str:
    name = text(non_empty=True)(value, where)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{where}: unknown timezone {name!r}") from None
    return name


def _text_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SettingsError(f"{where} must be a list of strings")
    return tuple(value)


def _email_domains(value: object, where: str) -> tuple[str, ...]:
    return tuple(d.strip().lstrip("@").lower() for d in _text_list(value, where) if d.strip())


def check_keys(raw: dict, known: Iterable[str], where: str) -> None:
    """An unknown key is an error naming the closest known key."""
    known = list(known)
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
            raise SettingsError(f"{where}unknown setting '{key}'{hint}")


def _statement(raw: object, where: str) -> Statement:
    if isinstance(raw, str):
        return Statement(raw.strip())
    if not isinstance(raw, dict):
        raise SettingsError(f"{where} must be text or a table with 'text' and 'aliases'")
    check_keys(raw, ("text", "aliases"), f"{where}: ")
    if not isinstance(raw.get("text"), str) or not raw["text"].strip():
        raise SettingsError(f"{where}: each statement needs a 'text' string")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise SettingsError(f"{where}: 'aliases' must be a list of strings")
    return Statement(raw["text"].strip(), tuple(aliases))


def _statements(value: object, where: str) -> tuple[Statement, ...]:
    if not isinstance(value, list) or not value:
        raise SettingsError(f"{where} must be a non-empty list")
    statements = tuple(_statement(item, f"{where}[{i}]") for i, item in enumerate(value))
    keys = [normalise_header(s.text) for s in statements]
    if len(set(keys)) != len(keys):
        raise SettingsError(f"{where}: two statements have the same text")
    return statements


def _table_of(cls: type, keys: dict[str, Reader]) -> Reader:
    """A `[table]` of keyed values read into a frozen dataclass; unknown keys refused."""
    def read(value: object, where: str) -> object:
        if not isinstance(value, dict):
            raise SettingsError(f"{where} must be a table ([{where.rsplit(': ', 1)[-1]}])")
        check_keys(value, keys, f"{where}: ")
        return cls(**{key: keys[key](item, f"{where}.{key}") for key, item in value.items()})
    return read


LIMIT_KEYS: dict[str, Reader] = {
    "max_rows": whole_number(1),
    "max_columns": whole_number(1),
    "max_cell_chars": whole_number(1),
    "max_xlsx_uncompressed_mb": whole_number(1),
    "max_python_input_mb": whole_number(1),
}

def _talking_point_settings(raw: dict, path: Path) -> dict[str, object]:
    """[[themes]] (name + keywords/aliases) and [poll_channels] for the talking-points polls."""
    found: dict[str, object] = {}
    if "themes" in raw:
        if not isinstance(raw["themes"], list):
            raise SettingsError(f"{path}: 'themes' must be a list of [[themes]] tables")
        themes = []
        for i, item in enumerate(raw["themes"]):
            if isinstance(item, dict):
                check_keys(item, ("name", "keywords", "aliases"), f"{path}: themes[{i}]: ")
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name.strip():
                raise SettingsError(f"{path}: themes[{i}] needs a 'name' string")
            lists = [item.get("keywords", []), item.get("aliases", [])]
            words = [w for words in lists if isinstance(words, list) for w in words]
            if not all(isinstance(words, list) for words in lists) or not all(isinstance(w, str) and w.strip() for w in words):
                raise SettingsError(f"{path}: themes[{i}]: 'keywords' and 'aliases' must be lists of strings")
            themes.append(Theme(name.strip(), tuple(w.strip() for w in words)))
        found["themes"] = tuple(themes)
    if "poll_channels" in raw:
        channels = raw["poll_channels"]
        if not isinstance(channels, dict) or not all(isinstance(v, str) and v.strip() for v in channels.values()):
            raise SettingsError(f"{path}: [poll_channels] maps a channel name to a series name (strings)")
        found["poll_channels"] = tuple((k.lstrip("#"), v.strip()) for k, v in channels.items())
    return found


# --- follow-up actions (issue 13) ---------------------------------------------------

def _load_action_settings(raw: dict, path: Path) -> dict[str, object]:
    """The follow-up action keys, checked here so a typo is a clear error, not a silent default."""
    found: dict[str, object] = {}
    if "action_target_days" in raw:
        days = raw["action_target_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
            raise SettingsError(f"{path}: action_target_days must be a whole number of days (1-3650)")
        found["action_target_days"] = days
    if "action_statuses" in raw:
        table = raw["action_statuses"]
        if not isinstance(table, dict) or not set(table) <= {"done", "dropped", "open"} or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in table.values()
        ):
            raise SettingsError(f"{path}: action_statuses must be a table of lists of strings under "
                                "done, dropped and open, e.g. done = [\"Shipped\"]")
        found["action_statuses"] = tuple((k, tuple(v)) for k, v in sorted(table.items()))
    if "action_review_label" in raw:
        pattern = raw["action_review_label"]
        try:
            compiled = re.compile(pattern) if isinstance(pattern, str) else None
        except re.error as exc:
            raise SettingsError(f"{path}: action_review_label is not a regular expression ({exc})") from None
        if compiled is None or compiled.groups != 1:
            raise SettingsError(f"{path}: action_review_label must be a regular expression with one group "
                                "for the review's date, e.g. '^review-(\\d{{4}}-\\d{{2}}-\\d{{2}})$'")
        found["action_review_label"] = pattern
    if "action_link_template" in raw:
        template = raw["action_link_template"]
        if not isinstance(template, str) or "{key}" not in template or not template.startswith(("https://", "http://")):
            raise SettingsError(f"{path}: action_link_template must be an http(s) address containing {{key}}")
        found["action_link_template"] = template
    return found
# --- end of follow-up actions ---------------------------------------------------------


def _via(block: Callable[[dict, Path], dict], key: str) -> Reader:
    """One key read by a block-style reader (its messages already name the key)."""
    def read(value: object, where: str) -> object:
        return block({key: value}, where.rsplit(": ", 1)[0])[key]  # type: ignore[arg-type]
    return read


def boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{where} must be true or false, not {_type_name(value)} ({_shown(value)})")
    return value


def _sources(value: object, where: str) -> tuple[SourceMapping, ...]:
    if not isinstance(value, list):
        raise SettingsError(f"{where} must be an array of tables ([[sources]])")
    return tuple(_source_from(item, f"{where}[{i}]") for i, item in enumerate(value))


def _answer_labels(value: object, where: str) -> tuple[tuple[str, int], ...]:
    labels = _labels_from(value, where)
    if any(not 1 <= v <= 5 for _k, v in labels):
        raise SettingsError(f"{where}: scores must be from 1 to 5 (per-source scales go in [[sources]])")
    return labels


def _feedback_themes(value: object, where: str) -> tuple[FeedbackTheme, ...]:
    try:
        return themes_from_toml(value, where)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


SHEET_KINDS = ("surveys", "attendance", "polls", "actions", "calendar")


def _sheets(value: object, where: str) -> tuple[ConfiguredSheet, ...]:
    if not isinstance(value, list):
        raise SettingsError(f"{where} must be an array of tables ([[sheets]])")
    sheets = []
    for index, item in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise SettingsError(f"{here} must be a table with kind, key and optionally worksheet")
        check_keys(item, ("kind", "key", "worksheet"), f"{here}: ")
        if "kind" not in item or "key" not in item:
            raise SettingsError(f"{here} needs kind ({', '.join(SHEET_KINDS)}) and key (the sheet's key or URL)")
        worksheet = text(non_empty=True)(item["worksheet"], f"{here}.worksheet") if "worksheet" in item else None
        sheets.append(ConfiguredSheet(text(*SHEET_KINDS)(item["kind"], f"{here}.kind"),
                                      text(non_empty=True)(item["key"], f"{here}.key").strip(), worksheet))
    return tuple(sheets)


def _editors(value: object, where: str) -> tuple[str, ...]:
    """E-mail addresses and @domains, lower-cased; a bare "example.com" means the domain."""
    entries = []
    for entry in _text_list(value, where):
        entry = entry.strip().lower()
        if not entry:
            continue
        if "@" not in entry:
            entry = "@" + entry
        if entry.count("@") != 1 or entry.endswith("@") or " " in entry:
            raise SettingsError(f"{where}: {_shown(entry)} is neither an e-mail address nor an @domain")
        entries.append(entry)
    return tuple(entries)


def _dashboard_url(value: object, where: str) -> str:
    from core.links import safe_link

    url = safe_link(text(non_empty=True)(value, where).strip())
    if url is None:
        raise SettingsError(f"{where} must be the dashboard's http(s) address, e.g. \"https://reviews.example.com\"")
    return url.split("?", 1)[0].split("#", 1)[0]  # the digest adds its own ?quarter=&series=


def _env_name(value: object, where: str) -> str:
    name = text(non_empty=True)(value, where).strip()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", name):
        raise SettingsError(f"{where} must be the NAME of an environment variable (e.g. \"SLACK_WEBHOOK_URL\"), "
                            "never the webhook URL itself")
    return name


def _channel(value: object, where: str) -> str:
    channel = text(non_empty=True)(value, where).strip()
    if len(channel) > 80 or any(ch.isspace() for ch in channel):
        raise SettingsError(f"{where} must be a channel name (\"#incident-review\") or id (\"C0123ABCD\")")
    return channel


DIGEST_KEYS: dict[str, Reader] = {
    "dashboard_url": _dashboard_url,
    "webhook_url_env": _env_name,
    "channel": _channel,
    "upload_chart": boolean,
}


SETTINGS_KEYS: dict[str, Reader] = {
    "target_score": number(1, 5),
    "agree_target": number(0, 1, low_open=True),
    "min_group_size": whole_number(1),
    "timezone": _timezone,
    "date_order": text("auto", "DMY", "MDY"),
    "fiscal_year_start_month": whole_number(1, 12),
    "default_series": text(non_empty=True),
    "busy_week_ratio": number(0, 1, low_open=True),
    "allowed_email_domains": _email_domains,
    "statements": _statements,
    "feedback_question": _statement,
    "limits": _table_of(InputLimits, LIMIT_KEYS),
    # follow-up actions (issue 13)
    "action_target_days": _via(_load_action_settings, "action_target_days"),
    "action_statuses": _via(_load_action_settings, "action_statuses"),
    "action_review_label": _via(_load_action_settings, "action_review_label"),
    "action_link_template": _via(_load_action_settings, "action_link_template"),
    # talking points (issue 12)
    "themes": _via(_talking_point_settings, "themes"),
    "poll_channels": _via(_talking_point_settings, "poll_channels"),
    # feedback themes (issue 15)
    "feedback_themes": _feedback_themes,
    "analyse_feedback": boolean,
    # issue #10: declared mappings of exports, extra answer labels, feedback scrubbing
    "sources": _sources,
    "answer_labels": _answer_labels,
    "scrub_feedback": boolean,
    # issue #22: "not applicable" answers; a bound on how many series one file may name
    "skip_labels": _skip_labels,
    "max_series_values": whole_number(1),
    # issue #14: loading from the browser
    "browser_loading": boolean,
    "editors": _editors,
    "sheets": _sheets,
    # issue #22: a load from the page runs in a child process with these limits
    "browser_load_time_limit_seconds": whole_number(1, 86_400),
    "browser_load_memory_limit_mb": whole_number(512, 1_048_576),
    # issue 25: the attendance early warning's calendar of known busy weeks
    "calendar": _table_of(CalendarSettings, {"busy_weeks": _busy_weeks}),
    # issue #25: the weekly Slack digest
    "digest": _table_of(DigestSettings, DIGEST_KEYS),
}


def load_settings(path: Path | str | None = None) -> Settings:
    """Read settings; a missing file means defaults, a broken one is a SettingsError."""
    path = Path(path) if path is not None else settings_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read settings ({exc})") from None
    check_keys(raw, SETTINGS_KEYS, f"{path}: ")
    values = {key: SETTINGS_KEYS[key](value, f"{path}: {key}") for key, value in raw.items()}
    settings = Settings(**values, source_path=path)  # type: ignore[arg-type]
    _check_sources(settings, path)
    return settings


def _check_sources(settings: Settings, path: Path) -> None:
    """issue #10: a [[sources]] mapping names statements that exist (a check across two keys)."""
    skipped = {normalise_header(x) for x in settings.skip_labels}
    clash = [k for k, _v in settings.answer_labels if normalise_header(k) in skipped]
    if clash:
        raise SettingsError(f"{path}: {clash[0]!r} is both an answer label and a skip label; keep it in one")
    _check_skip_numbers(settings.skip_labels, 5, f"{path}: skip_labels")
    for number, source in enumerate(settings.sources):
        # A file's labels are the top level's and its source's together: a clash across the two is one too.
        skipped = {normalise_header(x) for x in (*settings.skip_labels, *source.skip_labels)}
        clash = [k for k, _v in (*settings.answer_labels, *source.answer_labels) if normalise_header(k) in skipped]
        if clash:
            raise SettingsError(f"{path}: sources[{number}]: {clash[0]!r} is both an answer label and a skip label "
                                "(one at the top level, one in the source); keep it in one")
        _check_skip_numbers((*settings.skip_labels, *source.skip_labels), source.scale_max,
                            f"{path}: sources[{number}]: skip_labels", source.scale_min)
        unknown = [text for text, _column in source.statements if text not in settings.statement_texts]
        if unknown:
            raise SettingsError(f"{path}: sources[{number}] maps {unknown[0]!r}, which is not one of the "
                                "statements; add it to 'statements' or fix the text")


def settings_path(settings: Settings | None = None) -> Path:
    """The file these settings came from, else REVIEW_PULSE_SETTINGS, else review_pulse.toml."""
    if settings is not None and settings.source_path is not None:
        return settings.source_path
    return Path(os.environ.get("REVIEW_PULSE_SETTINGS") or DEFAULT_SETTINGS_PATH)


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """--db wins, then REVIEW_PULSE_DB, then data/reviews.duckdb."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("REVIEW_PULSE_DB")
    return Path(env) if env else DEFAULT_DB_PATH
