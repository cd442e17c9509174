"""Settings shared by the pipeline and the dashboard.

One TOML file (``review_pulse.toml`` at the project root, or the path in
``REVIEW_PULSE_SETTINGS``). Every key is optional: the defaults below are the
product's defaults, so a fresh clone works without the file.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    scale_max: int = 5  # answers run 1..scale_max; 7 or 10 are rescaled onto 1-5
    answer_labels: tuple[tuple[str, int], ...] = ()  # label -> score on this source's scale

    def applies_to(self, source: str, sheet: str | None = None) -> bool:
        from fnmatch import fnmatch

        name = Path(source).name
        if self.files and not any(fnmatch(source, g) or fnmatch(name, g) for g in self.files):
            return False
        if self.sheets and (sheet is None or not any(fnmatch(sheet, g) for g in self.sheets)):
            return False
        return bool(self.files or self.sheets)


_SOURCE_KEYS = {"files", "sheets", "time_column", "header_rows", "statements", "feedback_column",
                "series_column", "scale_max", "answer_labels"}


def _labels_from(raw: object, where: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, int) for k, v in raw.items()):
        raise SettingsError(f"{where}: 'answer_labels' must be a table of label = whole number")
    return tuple((k, v) for k, v in raw.items())


def _source_from(raw: object, where: str) -> SourceMapping:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: each [[sources]] entry must be a table")
    unknown = sorted(set(raw) - _SOURCE_KEYS)
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_SOURCE_KEYS))})")

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
    if header_rows is not None and (not isinstance(header_rows, int) or not 1 <= header_rows <= 10):
        raise SettingsError(f"{where}: 'header_rows' must be a whole number from 1 to 10")
    scale_max = raw.get("scale_max", 5)
    if not isinstance(scale_max, int) or not 3 <= scale_max <= 11:
        raise SettingsError(f"{where}: 'scale_max' must be a whole number from 3 to 11 (answers run 1..scale_max)")
    labels = _labels_from(raw.get("answer_labels", {}), where)
    if any(not 1 <= v <= scale_max for _k, v in labels):
        raise SettingsError(f"{where}: answer_labels scores must be from 1 to scale_max ({scale_max})")
    return SourceMapping(files, sheets, text("time_column"), header_rows, tuple(statements.items()),
                         text("feedback_column"), text("series_column"), scale_max, labels)


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
    # --- declared mappings of exports (issue #10; see pipeline/mapping.py) ---
    sources: tuple[SourceMapping, ...] = ()
    answer_labels: tuple[tuple[str, int], ...] = ()  # extra answer label -> score, on top of the defaults
    scrub_feedback: bool = True  # e-mails, Slack mentions and phone numbers in feedback -> placeholders
    # --- end of issue #10 keys ---
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


def _statement_from(raw: object, where: str) -> Statement:
    if isinstance(raw, str):
        return Statement(raw.strip())
    if isinstance(raw, dict) and isinstance(raw.get("text"), str):
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise SettingsError(f"{where}: 'aliases' must be a list of strings")
        return Statement(raw["text"].strip(), tuple(aliases))
    raise SettingsError(f"{where}: each statement needs a 'text' string")


def load_settings(path: Path | str | None = None) -> Settings:
    """Read settings; a missing file means defaults, a broken one is a SettingsError."""
    if path is None:
        path = os.environ.get("REVIEW_PULSE_SETTINGS") or DEFAULT_SETTINGS_PATH
    path = Path(path)
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read settings ({exc})") from None

    kwargs: dict[str, object] = {"source_path": path}
    simple = {
        "target_score": float,
        "agree_target": float,
        "min_group_size": int,
        "timezone": str,
        "date_order": str,
        "fiscal_year_start_month": int,
        "default_series": str,
        "busy_week_ratio": float,
    }
    for key, kind in simple.items():
        if key in raw:
            try:
                kwargs[key] = kind(raw[key])
            except (TypeError, ValueError):
                raise SettingsError(f"{path}: '{key}' must be a {kind.__name__}") from None
    if "statements" in raw:
        if not isinstance(raw["statements"], list) or not raw["statements"]:
            raise SettingsError(f"{path}: 'statements' must be a non-empty list")
        kwargs["statements"] = tuple(
            _statement_from(item, f"{path}: statements[{i}]") for i, item in enumerate(raw["statements"])
        )
    if "allowed_email_domains" in raw:
        domains = raw["allowed_email_domains"]
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise SettingsError(f"{path}: 'allowed_email_domains' must be a list of strings")
        kwargs["allowed_email_domains"] = tuple(d.strip().lstrip("@").lower() for d in domains if d.strip())
    if "feedback_question" in raw:
        kwargs["feedback_question"] = _statement_from(raw["feedback_question"], f"{path}: feedback_question")
    # --- issue #10 keys: [[sources]], answer_labels, scrub_feedback ---
    if "sources" in raw:
        if not isinstance(raw["sources"], list):
            raise SettingsError(f"{path}: 'sources' must be an array of tables ([[sources]])")
        kwargs["sources"] = tuple(_source_from(item, f"{path}: sources[{i}]") for i, item in enumerate(raw["sources"]))
    if "answer_labels" in raw:
        kwargs["answer_labels"] = _labels_from(raw["answer_labels"], str(path))
        if any(not 1 <= v <= 5 for _k, v in kwargs["answer_labels"]):  # type: ignore[attr-defined]
            raise SettingsError(f"{path}: answer_labels scores must be from 1 to 5 (per-source scales go in [[sources]])")
    if "scrub_feedback" in raw:
        if not isinstance(raw["scrub_feedback"], bool):
            raise SettingsError(f"{path}: 'scrub_feedback' must be true or false")
        kwargs["scrub_feedback"] = raw["scrub_feedback"]

    settings = Settings(**kwargs)  # type: ignore[arg-type]
    _validate(settings, path)
    return settings


def _validate(settings: Settings, path: Path) -> None:
    if not 1 <= settings.target_score <= 5:
        raise SettingsError(f"{path}: target_score must be between 1 and 5")
    if not 0 < settings.agree_target <= 1:
        raise SettingsError(f"{path}: agree_target must be a share between 0 and 1")
    if settings.min_group_size < 1:
        raise SettingsError(f"{path}: min_group_size must be at least 1")
    if settings.date_order not in ("auto", "DMY", "MDY"):
        raise SettingsError(f"{path}: date_order must be \"auto\", \"DMY\" or \"MDY\"")
    if not 1 <= settings.fiscal_year_start_month <= 12:
        raise SettingsError(f"{path}: fiscal_year_start_month must be 1-12")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{path}: unknown timezone {settings.timezone!r}") from None
    keys = [normalise_header(s.text) for s in settings.statements]
    if len(set(keys)) != len(keys):
        raise SettingsError(f"{path}: two statements have the same text")
    # issue #10: a [[sources]] mapping names statements that exist
    for number, source in enumerate(settings.sources):
        unknown = [text for text, _column in source.statements if text not in settings.statement_texts]
        if unknown:
            raise SettingsError(f"{path}: sources[{number}] maps {unknown[0]!r}, which is not one of the "
                                "statements; add it to 'statements' or fix the text")


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """--db wins, then REVIEW_PULSE_DB, then data/reviews.duckdb."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("REVIEW_PULSE_DB")
    return Path(env) if env else DEFAULT_DB_PATH
