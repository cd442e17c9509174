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

from review_pulse.feedback_themes import DEFAULT_FEEDBACK_THEMES, FeedbackTheme, themes_from_toml

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


# --- talking points (issue 12): themes for poll options, Slack channel -> review series ---
@dataclass(frozen=True)
class Theme:
    name: str
    keywords: tuple[str, ...] = ()  # "keywords" and "aliases" in the file both land here


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

    kwargs.update(_load_action_settings(raw, path))
    kwargs.update(_talking_point_settings(raw, path))

    # --- feedback themes (issue 15) ---
    if "feedback_themes" in raw:
        try:
            kwargs["feedback_themes"] = themes_from_toml(raw["feedback_themes"], str(path))
        except ValueError as exc:
            raise SettingsError(str(exc)) from None

    settings = Settings(**kwargs)  # type: ignore[arg-type]
    _validate(settings, path)
    return settings


def _talking_point_settings(raw: dict, path: Path) -> dict[str, object]:
    """[[themes]] (name + keywords/aliases) and [poll_channels] for the talking-points polls."""
    found: dict[str, object] = {}
    if "themes" in raw:
        if not isinstance(raw["themes"], list):
            raise SettingsError(f"{path}: 'themes' must be a list of [[themes]] tables")
        themes = []
        for i, item in enumerate(raw["themes"]):
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


# --- follow-up actions (issue 13) ---------------------------------------------------
ACTION_SETTING_KEYS = ("action_target_days", "action_statuses", "action_review_label", "action_link_template")


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


def resolve_db_path(cli_value: str | Path | None = None) -> Path:
    """--db wins, then REVIEW_PULSE_DB, then data/reviews.duckdb."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("REVIEW_PULSE_DB")
    return Path(env) if env else DEFAULT_DB_PATH
