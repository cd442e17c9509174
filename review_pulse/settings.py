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
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_PATH = PROJECT_ROOT / "review_pulse.toml"
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "reviews.duckdb"


class SettingsError(ValueError):
    """The settings file exists but cannot be used."""


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
    ("how could we improve", "feedback", "comments", "comment", "any other feedback", "how can we improve",
     "improve", "do better", "suggestions", "suggestion", "anything else"),
)


@dataclass(frozen=True)
class InputLimits:
    """Bounds on one input file read in Python (xlsx, title rows, non-UTF-8 CSV): a hostile
    or broken file is refused with one line instead of exhausting memory or CPU."""

    max_rows: int = 1_048_576  # Excel's own maximum
    max_columns: int = 16_384  # Excel's own maximum (column XFD)
    max_cell_chars: int = 10_000_000  # longer cells are refused with the file; below, parse rejects the row
    max_xlsx_uncompressed_mb: int = 512
    # The Python reader holds a file's rows and records: about 18x the file's size in memory
    # (bench/python_path_memory.py). DuckDB reads plain UTF-8 CSVs of any size instead.
    max_python_input_mb: int = 128


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
    limits: InputLimits = InputLimits()
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
}


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
    check_keys(raw, SETTINGS_KEYS, f"{path}: ")
    values = {key: SETTINGS_KEYS[key](value, f"{path}: {key}") for key, value in raw.items()}
    return Settings(**values, source_path=path)  # type: ignore[arg-type]


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """--db wins, then REVIEW_PULSE_DB, then data/reviews.duckdb."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("REVIEW_PULSE_DB")
    return Path(env) if env else DEFAULT_DB_PATH
