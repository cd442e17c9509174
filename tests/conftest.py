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
from core.settings import Settings  # noqa: E402


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


@pytest.fixture
def apptest_like_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest 1.67 resets ``PagesManager.uses_pages_directory`` before every run, so the
    ``pages/`` folder sends each rerun down the legacy MPA-v1 path, which drops the entry
    point's sidebar. A real server detects it once and ``st.navigation`` switches it off;
    do the same here. (Streamlit internals, not our code.)"""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def pytest_report_header(config: pytest.Config) -> str:
    return f"chromium: {'/usr/bin/chromium' if os.path.exists('/usr/bin/chromium') else 'missing'}"
