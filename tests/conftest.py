"""Shared fixtures: real DuckDB files built through the real pipeline in tmp dirs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.demo import build_demo  # noqa: E402
from review_pulse.settings import Settings  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read a developer's own review_pulse.toml or database."""
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(tmp_path_factory.getbasetemp() / "no-settings.toml"))
    monkeypatch.delenv("REVIEW_PULSE_DB", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("SHEETS_EMULATOR_HOST", raising=False)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo, built once per session through the normal pipeline. Treat as read-only."""
    folder = tmp_path_factory.mktemp("demo")
    db_path = folder / "reviews.duckdb"
    build_demo(db_path, Settings(), source_dir=folder / "sources")
    return db_path


@pytest.fixture(scope="session")
def demo_sources(demo_db: Path) -> Path:
    """The CSVs the demo DB was built from (survey_responses.csv, attendance.csv)."""
    return demo_db.parent / "sources"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reviews.duckdb"


def pytest_report_header(config: pytest.Config) -> str:
    return f"chromium: {'/usr/bin/chromium' if os.path.exists('/usr/bin/chromium') else 'missing'}"
