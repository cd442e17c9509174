"""Shipped configuration and optional sign-in."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "review-pulse", "client_secret": "not-a-secret",
        "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration"}


pytestmark = pytest.mark.usefixtures("apptest_like_a_server")


def test_shipped_config_keeps_xsrf_on_and_hides_error_details() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"


def test_secrets_stay_out_of_git() -> None:
    ignored = subprocess.run(["git", "check-ignore", ".streamlit/secrets.toml"], cwd=ROOT, capture_output=True, text=True)
    assert ignored.returncode == 0
    assert (ROOT / ".streamlit" / "secrets.toml.example").exists()
    tracked = subprocess.run(["git", "ls-files", ".streamlit"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "secrets.toml\n" not in tracked


def open_app(monkeypatch, demo_db: Path, user: dict, settings_text: str = "", tmp_path: Path | None = None) -> AppTest:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    if settings_text and tmp_path is not None:
        settings = tmp_path / "settings.toml"
        settings.write_text(settings_text)
        monkeypatch.setenv("REVIEW_PULSE_SETTINGS", str(settings))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    return at.run()


def test_without_auth_the_app_is_open(monkeypatch, demo_db: Path) -> None:
    monkeypatch.setenv("REVIEW_PULSE_DB", str(demo_db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert len(at.metric) == 5
    assert "Sign in" not in [b.label for b in at.button]


def test_with_auth_a_signed_out_viewer_sees_only_sign_in(monkeypatch, demo_db: Path) -> None:
    at = open_app(monkeypatch, demo_db, {"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert len(at.metric) == 0 and len(at.get("vega_lite_chart")) == 0


def test_with_auth_a_signed_in_viewer_from_an_allowed_domain_sees_the_dashboard(monkeypatch, demo_db, tmp_path) -> None:
    at = open_app(monkeypatch, demo_db, {"is_logged_in": True, "email": "lead@example.com"},
                  'allowed_email_domains = ["example.com"]\n', tmp_path)
    assert not at.exception
    assert len(at.metric) == 5
    assert "Sign out" in [b.label for b in at.sidebar.button]


def test_with_auth_other_domains_are_turned_away(monkeypatch, demo_db, tmp_path) -> None:
    at = open_app(monkeypatch, demo_db, {"is_logged_in": True, "email": "someone@elsewhere.org"},
                  'allowed_email_domains = ["example.com"]\n', tmp_path)
    assert "is not allowed here" in at.error[0].value
    assert len(at.metric) == 0


def test_sign_in_dependencies_are_pinned_and_installed() -> None:
    """st.login raises StreamlitMissingAuthlibError without Authlib; its Starlette client needs httpx."""
    from streamlit.auth_util import is_authlib_installed

    pins = dict(line.split("==") for line in (Path(APP).parent / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert {"Authlib", "joserfc", "httpx", "httpcore"} <= set(pins)
    assert is_authlib_installed()
    import authlib
    import httpx

    assert (authlib.__version__, httpx.__version__) == (pins["Authlib"], pins["httpx"])
