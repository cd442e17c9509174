"""Strict settings (issues 11.6 and 16.4): a value is never coerced, a typo is never ignored."""

from __future__ import annotations

import subprocess
import sys
import re
from pathlib import Path

import pytest

from core.settings import InputLimits, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        # lossy types: each used to be accepted and silently changed
        ("min_group_size = 5.9", "min_group_size must be a whole number at least 1, not a decimal number (5.9)"),
        ("min_group_size = 1.9", "min_group_size must be a whole number at least 1, not a decimal number (1.9)"),
        ("min_group_size = 5.0", "min_group_size must be a whole number at least 1, not a decimal number (5.0)"),
        ("min_group_size = true", "min_group_size must be a whole number at least 1, not true/false (true)"),
        ('min_group_size = "10"', "min_group_size must be a whole number at least 1, not text ('10')"),
        ("busy_week_ratio = true", "busy_week_ratio must be a number above 0 and at most 1, not true/false (true)"),
        ("target_score = false", "target_score must be a number between 1 and 5, not true/false (false)"),
        ('fiscal_year_start_month = "4"', "fiscal_year_start_month must be a whole number from 1 to 12, not text ('4')"),
        ("fiscal_year_start_month = 2.5", "fiscal_year_start_month must be a whole number from 1 to 12, not a decimal"),
        ("agree_target = true", "agree_target must be a number above 0 and at most 1, not true/false"),
        # bounds
        ("busy_week_ratio = nan", "busy_week_ratio must be a number above 0 and at most 1, not nan"),
        ("busy_week_ratio = inf", "busy_week_ratio must be a number above 0 and at most 1, not inf"),
        ("busy_week_ratio = -5", "busy_week_ratio must be a number above 0 and at most 1, not -5"),
        ("busy_week_ratio = 0", "busy_week_ratio must be a number above 0 and at most 1, not 0"),
        ("busy_week_ratio = 1.5", "busy_week_ratio must be a number above 0 and at most 1, not 1.5"),
        ("min_group_size = 0", "min_group_size must be a whole number at least 1, not 0"),
        ("min_group_size = -5", "min_group_size must be a whole number at least 1, not -5"),
        ("fiscal_year_start_month = 13", "fiscal_year_start_month must be a whole number from 1 to 12, not 13"),
        ("fiscal_year_start_month = 0", "fiscal_year_start_month must be a whole number from 1 to 12, not 0"),
        ("target_score = 0.5", "target_score must be a number between 1 and 5, not 0.5"),
        ("target_score = nan", "target_score must be a number between 1 and 5, not nan"),
        ("agree_target = 0", "agree_target must be a number above 0 and at most 1, not 0"),
        ('date_order = "YMD"', "date_order must be one of 'auto', 'DMY', 'MDY', not 'YMD'"),
        ("timezone = 3", "timezone must be text in quotes, not an integer (3)"),
        ('default_series = "  "', "default_series must not be empty"),
        # unknown keys name the closest known one
        ("min_group_sise = 10", "unknown setting 'min_group_sise' (did you mean 'min_group_size'?)"),
        ("busy_week_ration = 0.5", "unknown setting 'busy_week_ration' (did you mean 'busy_week_ratio'?)"),
        ("[limits]\nmax_row = 5", "limits: unknown setting 'max_row' (did you mean 'max_rows'?)"),
        ("[[statements]]\ntext = 'A'\nalias = ['a']", "statements[0]: unknown setting 'alias' (did you mean 'aliases'?)"),
        ("[feedback_question]\ntxt = 'A'", "feedback_question: unknown setting 'txt' (did you mean 'text'?)"),
        ("colour = 'red'", "unknown setting 'colour' (known: target_score,"),
        # the limits table is strict too
        ("[limits]\nmax_rows = 0", "limits.max_rows must be a whole number at least 1, not 0"),
        ("[limits]\nmax_columns = 1e3", "limits.max_columns must be a whole number at least 1, not a decimal"),
        ("limits = 5", "limits must be a table"),
        # [[sources]] entries read their numbers with the same readers (true was taken as 1)
        ('[[sources]]\nfiles = ["*.csv"]\nheader_rows = true',
         "sources[0]: header_rows must be a whole number from 1 to 10, not true/false (true)"),
        ('[[sources]]\nfiles = ["*.csv"]\nscale_max = 7.0',
         "sources[0]: scale_max must be a whole number from 3 to 11, not a decimal number (7.0)"),
        ('[[sources]]\nfiles = ["*.csv"]\nanswer_labels = { Yes = true }',
         "sources[0]: 'answer_labels' must be a table of label = whole number"),
    ],
)
def test_lossy_out_of_range_and_unknown_settings_are_refused(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "review_pulse.toml"
    path.write_text(toml + "\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("min_group_size = 7", {"min_group_size": 7}),
        ("busy_week_ratio = 1", {"busy_week_ratio": 1.0}),  # an integer is an exact number
        ("target_score = 4", {"target_score": 4.0}),
        ("fiscal_year_start_month = 12", {"fiscal_year_start_month": 12}),
        ("[limits]\nmax_rows = 10\nmax_columns = 20", {"limits": InputLimits(max_rows=10, max_columns=20)}),
    ],
)
def test_exact_values_are_accepted(tmp_path: Path, toml: str, expected: dict) -> None:
    path = tmp_path / "review_pulse.toml"
    path.write_text(toml + "\n")
    settings = load_settings(path)
    for key, value in expected.items():
        assert getattr(settings, key) == value
        assert type(getattr(settings, key)) is type(value)


def test_cli_prints_the_settings_problem_as_one_line(tmp_path: Path) -> None:
    path = tmp_path / "review_pulse.toml"
    path.write_text("min_group_sise = 10\n")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "init", "--db", str(tmp_path / "x.duckdb")], cwd=ROOT,
        env={"REVIEW_PULSE_SETTINGS": str(path), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: unknown setting 'min_group_sise' (did you mean 'min_group_size'?)\n"
    assert not (tmp_path / "x.duckdb").exists()


def test_defaults_need_no_file(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.toml") == Settings()


@pytest.mark.usefixtures("apptest_like_a_server")
def test_the_app_shows_the_settings_problem_as_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "review_pulse.toml"
    path.write_text("min_group_size = 1.9\n")
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(path))
    monkeypatch.setenv("REVIEW_PULSE_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    # Shown as text: Markdown-escaped inside the error box.
    assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.error] == [
        f"Settings file problem: {path}: min_group_size must be a whole number at least 1, not a decimal number (1.9)"]
