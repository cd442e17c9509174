"""Sign-in end to end: the app in headless Chromium, Streamlit's own st.login flow (Authlib) against a
local OpenID Connect provider (tests/oidc_provider.py), with [auth] in a secrets.toml of a temp folder.

Per core/access.py and README *Sign-in*: an editor signs in and loads a survey export from the
Load data page; a viewer of the allowed domain sees the dashboard but not the upload; an address
the provider marks unverified (``email_verified: false``) is turned away.
"""

from __future__ import annotations

import csv
import secrets
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from devtools.browser_support import (
    CHROMIUM_PATH,
    StreamlitServer,
    chromium_available,
    chromium_session,
    free_port,
    new_page,
    open_page,
    wait_for_app_idle,
)
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=f"no Chromium at {CHROMIUM_PATH} (run `make browser`)"),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

EDITOR = {"sub": "1001", "email": "ana@example.com", "email_verified": True, "name": "Ana"}
VIEWER = {"sub": "1002", "email": "ben@example.com", "email_verified": True, "name": "Ben"}
UNVERIFIED = {"sub": "1003", "email": "ana@example.com", "email_verified": False, "name": "Not Ana"}
STATEMENTS = Settings().statement_texts
ANSWERS = [["5", "4", "4", "5"], ["4", "4", "3", "4"], ["3", "5", "4", "2"], ["5", "5", "5", "5"], ["2", "3", "4", "4"]]


@pytest.fixture
def signed_in_app(tmp_path: Path):
    """(server, provider) with sign-in configured: editors = ana@example.com, domain example.com."""
    port = free_port()
    secrets_file = tmp_path / "config" / ".streamlit" / "secrets.toml"
    secrets_file.parent.mkdir(parents=True)
    settings_file = tmp_path / "review_pulse.toml"
    settings_file.write_text('allowed_email_domains = ["example.com"]\neditors = ["ana@example.com"]\n')
    with OidcProvider() as provider:
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            f'client_id = "{CLIENT_ID}"\n'
            f'client_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n'
        )
        secrets_file.chmod(0o600)
        with StreamlitServer(tmp_path / "reviews.duckdb", port=port, settings_path=settings_file,
                             log_path=tmp_path / "streamlit.log",
                             extra_args=["--secrets.files", str(secrets_file)]) as server:
            yield server, provider


def _sign_in(browser, server: StreamlitServer, provider: OidcProvider, user: dict):
    provider.next_user = user
    page = new_page(browser)
    open_page(page, server.page_url())
    assert page.get_by_text("Sign in to see how your incident reviews are going").count() == 1
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/**", timeout=60_000)  # back from the provider
    page.wait_for_function("() => !location.pathname.startsWith('/oauth2callback')")
    wait_for_app_idle(page)
    return page


def test_sign_in_editor_loads_viewer_cannot_unverified_is_refused(signed_in_app, tmp_path: Path) -> None:
    server, provider = signed_in_app
    export = tmp_path / "review_2026-03-04.csv"
    with export.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Timestamp", *STATEMENTS],
                                      *[[f"2026-03-04 16:0{n}", *a] for n, a in enumerate(ANSWERS)]])
    with chromium_session() as (_playwright, browser):
        # The editor: signed in through the provider, sees the upload, loads the export.
        page = _sign_in(browser, server, provider, EDITOR)
        try:
            page.get_by_role("button", name="Sign out").wait_for()
            assert provider.requests[:1] == ["/.well-known/openid-configuration"]
            assert {"/authorize", "/token", "/jwks"} <= set(provider.requests)
            open_page(page, server.page_url("load_data"), "Load data")
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
            wait_for_app_idle(page)
            page.get_by_role("button", name="Load 1 file").click()
            page.get_by_text("Loaded: run 1").wait_for()
        finally:
            page.context.close()
        with duckdb.connect(str(server.db_path), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM responses").fetchone() == (len(ANSWERS),)

        # A viewer of the allowed domain: the dashboard, but the command line instead of the upload.
        page = _sign_in(browser, server, provider, VIEWER)
        try:
            page.get_by_role("button", name="Sign out").wait_for()
            open_page(page, server.page_url("load_data"), "Load data")
            page.get_by_text("Loading data is for editors").wait_for()
            assert page.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
        finally:
            page.context.close()

        # The editor's address, marked unverified by the provider: turned away at the door.
        page = _sign_in(browser, server, provider, UNVERIFIED)
        try:
            page.get_by_text("This account is not allowed here").wait_for()
            assert page.get_by_text("Signed in as: ana@example.com").count() == 1
            open_page(page, server.page_url("load_data"))
            page.get_by_text("This account is not allowed here").wait_for()
            assert page.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
        finally:
            page.context.close()
