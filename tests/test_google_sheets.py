"""Google Sheets source against a local fake of the Sheets API.

Real gspread, real google-auth and real requests/urllib3 over HTTP; only the
server is fake (tests/sheets_api_server.py). No upper bounds on time anywhere.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth.jwt
import gspread
import pytest
import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from requests.adapters import HTTPAdapter

# tests/conftest.py puts the project root on sys.path.
from pipeline.sources.google_sheets import (
    MAX_RETRY_AFTER_SECONDS,
    READONLY_SCOPES,
    SheetError,
    SheetRows,
    fetch_worksheet_rows,
    load_service_account_info,
    open_client,
    parse_sheet_key,
)
from tests.sheets_api_server import SheetsApiServer, sheets_api  # noqa: F401 - fixture import

KEY = "1RevPulseTestSheetKey00000000000000000000Ab"
OTHER_KEY = "1RevPulseUnknownSheetKey0000000000000000Zz"
SURVEY_ROWS = [
    # blank and duplicate headers must come through untouched
    ["Timestamp", "Meeting", "Rating", "Rating", "", "Comment"],
    ["46023", "Incident review", "5", "4", "", "Great, thanks"],
    ["46023.5", "Incident review", "4", "", "x", ""],  # trailing blank: the API drops it, gspread pads it
    ["05/01/2026 09:30:00", "Retro", "3", "3", "", "Could be shorter"],
]
ATTENDANCE_ROWS = [["Date", "Meeting", "Attendees"], ["2026-01-05", "Incident review", "12"]]
QUOTED_TAB_ROWS = [["a", "b"], ["1", "2"]]
TABS = {"Form Responses 1": SURVEY_ROWS, "Attendance": ATTENDANCE_ROWS, "Bob's tab": QUOTED_TAB_ROWS, "Empty": []}

SA_EMAIL = "review-pulse-reader@review-pulse-fake.iam.gserviceaccount.com"
SA_KEY_ID = "fake-key-id-review-pulse-0001"
TOKEN_URI = "https://oauth2.googleapis.com/token"


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def server() -> Iterator[SheetsApiServer]:
    with SheetsApiServer() as fake:
        fake.add_sheet(KEY, TABS, title="Review Pulse test")
        yield fake


@pytest.fixture(scope="module")
def rsa_pem() -> str:
    """A throwaway RSA key, so the real JWT signing code runs."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture
def sa_info(rsa_pem: str) -> dict[str, str]:
    return {
        "type": "service_account",
        "project_id": "review-pulse-fake",
        "private_key_id": SA_KEY_ID,
        "private_key": rsa_pem,
        "client_email": SA_EMAIL,
        "client_id": "000000000000000000001",
        "token_uri": TOKEN_URI,
    }


def make_client(server: SheetsApiServer, info: dict[str, Any] | None = None, **options: Any) -> gspread.Client:
    settings: dict[str, Any] = {"timeout": 5, "max_retries": 2, "backoff_factor": 0.01}
    settings.update(options)
    return open_client(info, emulator_host=server.host, **settings)


def fetch_error(server: SheetsApiServer, worksheet: str | None = "Form Responses 1", key: str = KEY,
                info: dict[str, Any] | None = None, **options: Any) -> SheetError:
    client = make_client(server, info, **options)
    with pytest.raises(SheetError) as caught:
        fetch_worksheet_rows(key, worksheet, client=client)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message
    return caught.value


def key_fragments(pem: str) -> list[str]:
    body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
    return [body[i:i + 16] for i in range(0, len(body) - 16, 16)]


# --------------------------------------------------------------------------- keys and URLs


@pytest.mark.parametrize("text", [
    KEY,
    f"  {KEY}\n",
    f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
    f"https://docs.google.com/spreadsheets/d/{KEY}/edit?usp=sharing",
    f"https://docs.google.com/spreadsheets/u/0/d/{KEY}/edit",
    f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/htmlview",
    f"https://docs.google.com/spreadsheets/d/{KEY}",
    f"https://docs.google.com/spreadsheets/d/{KEY}/",
    f"docs.google.com/spreadsheets/d/{KEY}/edit",
    f"https://docs.google.com/spreadsheet/ccc?key={KEY}&usp=sharing",
    f"https://drive.google.com/open?id={KEY}",
])
def test_parse_sheet_key_accepts_keys_and_urls(text: str) -> None:
    assert parse_sheet_key(text) == KEY


@pytest.mark.parametrize("text, hint", [
    ("", "not a Google Sheets key or URL"),
    ("Form Responses 1", "not a Google Sheets key or URL"),
    ("Reviews", "not a Google Sheets key or URL"),
    (f"https://example.com/spreadsheets/d/{KEY}/edit", "not a Google Sheets key or URL"),
    ("https://docs.google.com/spreadsheets/d/short/edit", "not a Google Sheets key or URL"),
    ("https://docs.google.com/document/d/1RevPulseTestSheetKey00000000000000000000Ab/edit#",
     "not a Google Sheets key or URL"),
    (f"https://docs.google.com/spreadsheets/d/e/2PACX-{KEY}/pubhtml", "Publish to web"),
])
def test_parse_sheet_key_rejects_other_text(text: str, hint: str) -> None:
    with pytest.raises(SheetError, match=hint) as caught:
        parse_sheet_key(text)
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------- success


@pytest.mark.parametrize("worksheet, title, expected", [
    ("Form Responses 1", "Form Responses 1", SURVEY_ROWS),
    (None, "Form Responses 1", SURVEY_ROWS),  # None = first tab
    ("Attendance", "Attendance", ATTENDANCE_ROWS),
    ("Bob's tab", "Bob's tab", QUOTED_TAB_ROWS),  # quote in the A1 range
    ("Empty", "Empty", []),
])
def test_fetch_returns_exactly_what_the_sheet_holds(server: SheetsApiServer, worksheet: str | None, title: str,
                                                    expected: list[list[str]]) -> None:
    result = fetch_worksheet_rows(KEY, worksheet, client=make_client(server))
    assert result == SheetRows(KEY, title, expected)
    assert all(isinstance(cell, str) for row in result.rows for cell in row)


def test_fetch_accepts_a_url_and_makes_one_values_request(server: SheetsApiServer) -> None:
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"
    result = fetch_worksheet_rows(url, "Form Responses 1", client=make_client(server))
    assert result.sheet_key == KEY
    assert result.rows[1][0] == "46023" and result.rows[2][0] == "46023.5"  # serials passed through
    values = server.requests_of("values")
    assert len(values) == 1
    assert values[0].path.startswith(f"/v4/spreadsheets/{KEY}/values/%27Form%20Responses%201%27")
    assert all(r.method == "GET" for r in server.requests)
    assert server.requests_of("token") == []  # anonymous in emulator mode


def test_importable_fixture_serves_a_sheet(sheets_api: SheetsApiServer) -> None:  # noqa: F811
    sheets_api.add_sheet(OTHER_KEY, {"Sheet1": [["h"], ["v"]]})
    assert fetch_worksheet_rows(OTHER_KEY, None, client=make_client(sheets_api)).rows == [["h"], ["v"]]


def test_emulator_host_from_environment(server: SheetsApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEETS_EMULATOR_HOST", server.host)
    client = open_client(None, timeout=5, max_retries=0)
    assert fetch_worksheet_rows(KEY, "Attendance", client=client).rows == ATTENDANCE_ROWS


def test_no_credentials_outside_emulator_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHEETS_EMULATOR_HOST", raising=False)
    with pytest.raises(SheetError, match=r"no Google service account credentials.*secrets\.toml"):
        open_client(None)


# --------------------------------------------------------------------------- retries and timeouts


def test_429_with_retry_after_is_honoured_then_succeeds(server: SheetsApiServer) -> None:
    server.script([("status", 429, {"Retry-After": "1"})], on="values")
    result = fetch_worksheet_rows(KEY, "Form Responses 1", client=make_client(server))
    assert result.rows == SURVEY_ROWS
    first, second = server.requests_of("values")  # exactly two
    # Lower bound only; 10 ms of slack for clock granularity.
    assert second.at - first.at >= 0.99


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_retryable_status_until_retries_run_out(server: SheetsApiServer, status: int) -> None:
    server.script([("status", status)] * 10, on="values")
    error = fetch_error(server, max_retries=2)
    assert len(server.requests_of("values")) == 3  # max_retries + 1
    assert f"kept failing (HTTP {status}) after 3 attempts" in str(error)
    assert "try again later" in str(error) and KEY in str(error) and "Form Responses 1" in str(error)
    assert error.status == status


@pytest.mark.parametrize("faults, attempts", [
    ([("status", 503)] * 3, 4),
    ([("status", 500), ("status", 502), ("status", 504)], 4),
    ([("drop",), ("drop",)], 3),  # connection closed without an answer
    ([("status", 503, {"Retry-After": "soon"})], 2),  # unparsable Retry-After: back off instead of failing
])
def test_transient_faults_then_success(server: SheetsApiServer, faults: list[tuple[Any, ...]], attempts: int) -> None:
    server.script(faults, on="values")
    result = fetch_worksheet_rows(KEY, "Attendance", client=make_client(server, max_retries=4))
    assert result.rows == ATTENDANCE_ROWS
    assert len(server.requests_of("values")) == attempts


def test_faults_on_metadata_are_retried_too(server: SheetsApiServer) -> None:
    server.script([("status", 503), ("status", 500)], on="metadata")
    assert fetch_worksheet_rows(KEY, "Attendance", client=make_client(server, max_retries=2)).rows == ATTENDANCE_ROWS


def test_hang_past_the_timeout(server: SheetsApiServer) -> None:
    server.script([("hang", 10)] * 2, on="values")
    error = fetch_error(server, timeout=0.5, max_retries=1)
    assert "no answer from the Google Sheets API within 0.5 s after 2 attempts" in str(error)
    assert len(server.requests_of("values")) == 2


def test_one_hang_then_success(server: SheetsApiServer) -> None:
    server.script([("hang", 10)], on="values")
    result = fetch_worksheet_rows(KEY, "Attendance", client=make_client(server, timeout=0.5, max_retries=1))
    assert result.rows == ATTENDANCE_ROWS
    assert len(server.requests_of("values")) == 2


def test_timeout_still_applies_when_gspread_timeout_is_reset(server: SheetsApiServer) -> None:
    client = make_client(server, timeout=0.5, max_retries=0)
    client.set_timeout(None)  # gspread would then send timeout=None; the adapter still bounds it
    server.script([("hang", 10)], on="metadata")
    with pytest.raises(SheetError, match=r"within 0\.5 s"):
        fetch_worksheet_rows(KEY, None, client=client)


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and nothing listens once closed
    client = open_client(None, emulator_host=f"127.0.0.1:{port}", timeout=2, max_retries=1, backoff_factor=0.01)
    with pytest.raises(SheetError) as caught:
        fetch_worksheet_rows(KEY, "Form Responses 1", client=client)
    message = str(caught.value)
    assert f"could not connect to 127.0.0.1:{port} (connection refused) after 2 attempts" in message
    assert "\n" not in message


def test_client_configuration_is_bounded(server: SheetsApiServer) -> None:
    client = make_client(server, timeout=7, max_retries=3, backoff_factor=0.25)
    # Our own bounded retries, never gspread's unbounded BackOffHTTPClient.
    assert type(client.http_client) is gspread.http_client.HTTPClient
    assert client.http_client.timeout == 7
    adapter = client.http_client.session.get_adapter("https://sheets.googleapis.com/v4/spreadsheets/x")
    assert isinstance(adapter, HTTPAdapter)
    retry = adapter.max_retries
    assert retry.total == 3 and retry.backoff_factor == 0.25
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert retry.respect_retry_after_header
    # A hostile Retry-After is capped; an unparsable one falls back to backoff.
    assert retry.parse_retry_after("86400") == MAX_RETRY_AFTER_SECONDS <= 60

    hostile = urllib3.HTTPResponse(headers={"Retry-After": "tomorrow-ish"}, status=503)
    assert retry.get_retry_after(hostile) is None


# --------------------------------------------------------------------------- payloads and API errors


@pytest.mark.parametrize("fault, on", [
    (("malformed",), "values"),
    (("malformed",), "metadata"),
    (("payload", {}), "metadata"),  # valid JSON, wrong shape
    (("payload", ["not", "an", "object"]), "metadata"),
    (("payload", {"values": "not a grid"}), "values"),
])
def test_unexpected_payload(server: SheetsApiServer, fault: tuple[Any, ...], on: str) -> None:
    server.script([fault], on=on)
    error = fetch_error(server)
    assert "unexpected response from the Google Sheets API" in str(error)


@pytest.mark.parametrize("status, on, expected", [
    (403, "metadata", "permission denied (HTTP 403); share the sheet with"),
    (403, "values", "permission denied (HTTP 403); share the sheet with"),
    (404, "metadata", "not found (HTTP 404); check the key/URL"),
    (401, "metadata", "not authorised (HTTP 401)"),
    (400, "values", "rejected the request (HTTP 400"),
])
def test_api_errors_become_one_line(server: SheetsApiServer, status: int, on: str, expected: str) -> None:
    server.script([("status", status)], on=on)
    error = fetch_error(server)
    assert expected in str(error)
    assert str(error).startswith(f"Google Sheet {KEY} (worksheet 'Form Responses 1'): ")
    assert error.status == status
    assert len(server.requests) == (1 if on == "metadata" else 3)  # never retried


def test_unknown_key_is_not_found(server: SheetsApiServer) -> None:
    error = fetch_error(server, key=OTHER_KEY)
    assert f"Google Sheet {OTHER_KEY}" in str(error) and "not found (HTTP 404); check the key/URL" in str(error)


@pytest.mark.parametrize("wanted, hint", [
    ("Responses", ""),
    ("form responses 1 ", "did you mean 'Form Responses 1'?"),
])
def test_unknown_worksheet_lists_the_ones_that_exist(server: SheetsApiServer, wanted: str, hint: str) -> None:
    error = fetch_error(server, worksheet=wanted)
    message = str(error)
    assert f"no worksheet named {wanted!r}" in message and KEY in message
    assert "it has: 'Form Responses 1', 'Attendance', \"Bob's tab\", 'Empty'" in message
    assert hint in message
    assert server.requests_of("values") == []


# --------------------------------------------------------------------------- service account flow


def test_service_account_jwt_flow_reaches_the_fake_token_endpoint(rsa_pem: str, sa_info: dict[str, str]) -> None:
    with SheetsApiServer(require_auth=True) as fake:
        fake.add_sheet(KEY, TABS)
        client = make_client(fake, sa_info)
        assert fetch_worksheet_rows(KEY, "Form Responses 1", client=client).rows == SURVEY_ROWS

        (grant,) = fake.token_grants  # one token, reused for every API request
        (token_request,) = fake.requests_of("token")
        assert token_request.method == "POST" and token_request.path == "/token"
        public_pem = serialization.load_pem_private_key(rsa_pem.encode(), None).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        claims = google.auth.jwt.decode(grant.assertion, certs=public_pem, audience=TOKEN_URI)  # signature checks
        assert claims["iss"] == SA_EMAIL
        assert claims["scope"].split() == list(READONLY_SCOPES)
        assert grant.header["kid"] == SA_KEY_ID and grant.header["alg"] == "RS256"

        api_requests = [r for r in fake.requests if r.kind != "token"]
        assert api_requests and all(r.headers["Authorization"] == f"Bearer {grant.access_token}"
                                    for r in api_requests)
        assert fake.requests_of("values")[0].headers["Authorization"] == f"Bearer {grant.access_token}"


@pytest.mark.parametrize("fault, grants", [
    (("status", 401), 2),  # expired/revoked token: google-auth fetches a new one and repeats the request
    (("status", 503), 1),  # retried by our adapter with the same token
])
def test_service_account_recovers_from_transient_auth_faults(sa_info: dict[str, str], fault: tuple[Any, ...],
                                                             grants: int) -> None:
    with SheetsApiServer(require_auth=True) as fake:
        fake.add_sheet(KEY, TABS)
        fake.script([fault], on="values")
        assert fetch_worksheet_rows(KEY, "Attendance", client=make_client(fake, sa_info)).rows == ATTENDANCE_ROWS
        assert len(fake.token_grants) == grants
        assert len(fake.requests_of("values")) == 2


def test_token_endpoint_retried_by_the_adapter(server: SheetsApiServer, sa_info: dict[str, str]) -> None:
    server.script([("status", 503)], on="token")
    assert fetch_worksheet_rows(KEY, None, client=make_client(server, sa_info, max_retries=1)).rows == SURVEY_ROWS
    assert len(server.requests_of("token")) == 2


def test_token_endpoint_hang(server: SheetsApiServer, sa_info: dict[str, str]) -> None:
    server.script([("hang", 10)], on="token")
    error = fetch_error(server, info=sa_info, timeout=0.5, max_retries=0)
    assert "no answer from Google's token endpoint within 0.5 s after 1 attempt;" in str(error)


def test_permission_denied_names_the_service_account(server: SheetsApiServer, sa_info: dict[str, str]) -> None:
    server.script([("status", 403)], on="metadata")
    error = fetch_error(server, info=sa_info)
    assert f"share the sheet with {SA_EMAIL} (Viewer)" in str(error)
    assert "Google Sheets API is enabled" in str(error)


def test_disabled_api_gets_its_own_advice(server: SheetsApiServer, sa_info: dict[str, str]) -> None:
    body = {"error": {"code": 403, "status": "PERMISSION_DENIED", "message":
                      "Google Sheets API has not been used in project 123 before or it is disabled."}}
    server.script([("payload", body, 403)], on="metadata")
    assert "not enabled for the service account's Google Cloud project" in str(fetch_error(server, info=sa_info))


def test_token_endpoint_refusal(server: SheetsApiServer, sa_info: dict[str, str]) -> None:
    server.script([("status", 400)], on="token")
    error = fetch_error(server, info=sa_info)
    assert f"could not get an access token for {SA_EMAIL}" in str(error)
    assert "invalid_grant" in str(error)
    assert server.requests_of("metadata") == []


def test_unloadable_private_key(sa_info: dict[str, str]) -> None:
    broken = dict(sa_info, private_key=sa_info["private_key"][:300] + "\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SheetError, match=f"private_key of service account {SA_EMAIL} cannot be loaded"):
        open_client(broken, emulator_host="127.0.0.1:9")


# --------------------------------------------------------------------------- loading credentials


def write_secrets(path: Path, info: dict[str, str], table: str = "gcp_service_account") -> Path:
    # JSON string literals are valid TOML basic strings.
    lines = [f"[{table}]"] + [f"{name} = {json.dumps(value)}" for name, value in info.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_service_account_from_secrets_toml(tmp_path: Path, sa_info: dict[str, str]) -> None:
    secrets = write_secrets(tmp_path / "secrets.toml", sa_info)
    assert load_service_account_info(secrets, environ={}) == sa_info


def test_service_account_from_google_application_credentials(tmp_path: Path, sa_info: dict[str, str]) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(sa_info), encoding="utf-8")
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
    assert load_service_account_info(tmp_path / "missing.toml", environ=env) == sa_info
    # secrets.toml without the table falls back to the environment variable
    other = tmp_path / "other.toml"
    other.write_text('[general]\nname = "x"\n', encoding="utf-8")
    assert load_service_account_info(other, environ=env) == sa_info
    # secrets.toml wins when it has the table
    toml_email = "from-toml@x.iam.gserviceaccount.com"
    secrets = write_secrets(tmp_path / "secrets.toml", dict(sa_info, client_email=toml_email))
    assert load_service_account_info(secrets, environ=env) == dict(sa_info, client_email=toml_email)


def test_no_credentials_configured(tmp_path: Path) -> None:
    assert load_service_account_info(tmp_path / "missing.toml", environ={}) is None


def test_token_uri_defaults_when_missing(tmp_path: Path, sa_info: dict[str, str]) -> None:
    secrets = write_secrets(tmp_path / "secrets.toml", {k: v for k, v in sa_info.items() if k != "token_uri"})
    assert load_service_account_info(secrets, environ={}) == sa_info  # token_uri filled in


@pytest.mark.parametrize("case, expected", [
    ("toml_unquoted_newlines", r"is not valid TOML \(at line"),
    ("json_truncated", r"is not valid JSON \(line 1, column"),
    ("json_missing_file", r"cannot read the GOOGLE_APPLICATION_CREDENTIALS file .*No such file"),
    ("missing_fields", r"lacks client_email, private_key"),
    ("user_credentials", r"'authorized_user' credential, not a service account key"),
    ("table_is_a_string", r"must be a table of service account fields"),
])
def test_unusable_credential_files(tmp_path: Path, sa_info: dict[str, str], case: str, expected: str) -> None:
    secrets, env = tmp_path / "secrets.toml", {}
    pem = sa_info["private_key"]
    if case == "toml_unquoted_newlines":  # the classic copy-paste mistake: raw newlines in a "..." string
        secrets.write_text(f'[gcp_service_account]\nprivate_key = "{pem}"\n', encoding="utf-8")
    elif case == "json_truncated":
        (tmp_path / "key.json").write_text(json.dumps(sa_info)[:-40], encoding="utf-8")
        env = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "key.json")}
    elif case == "json_missing_file":
        env = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nope.json")}
    elif case == "missing_fields":
        write_secrets(secrets, {"type": "service_account", "project_id": "p"})
    elif case == "user_credentials":
        write_secrets(secrets, {"type": "authorized_user", "client_secret": "shh-secret", "refresh_token": "rt"})
    elif case == "table_is_a_string":
        secrets.write_text('gcp_service_account = "see README"\n', encoding="utf-8")
    with pytest.raises(SheetError, match=expected) as caught:
        load_service_account_info(secrets, environ=env)
    message = str(caught.value)
    assert "\n" not in message
    assert not [f for f in key_fragments(pem) if f in message]
    assert "shh-secret" not in message


# --------------------------------------------------------------------------- no credential material leaks


def test_no_credential_material_in_errors_or_logs(tmp_path: Path, server: SheetsApiServer, sa_info: dict[str, str],
                                                   caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
                                                   request: pytest.FixtureRequest) -> None:
    caplog.set_level(logging.DEBUG)
    # google-auth stops "google" loggers propagating to root unless configured; listen there too.
    google_logger = logging.getLogger("google")
    google_logger.addHandler(caplog.handler)
    google_logger.setLevel(logging.DEBUG)
    request.addfinalizer(lambda: google_logger.removeHandler(caplog.handler))
    request.addfinalizer(lambda: google_logger.setLevel(logging.NOTSET))
    pem = sa_info["private_key"]
    errors: list[BaseException] = []

    def expect_error(action: Any) -> None:
        with pytest.raises(SheetError) as caught:
            action()
        errors.append(caught.value)

    # a successful run (token issued), then 403, 500s, a timeout and a token refusal
    assert fetch_worksheet_rows(KEY, None, client=make_client(server, sa_info)).rows == SURVEY_ROWS
    server.script([("status", 403)], on="values")
    expect_error(lambda: fetch_worksheet_rows(KEY, None, client=make_client(server, sa_info)))
    server.script([("status", 500)] * 3, on="values")
    expect_error(lambda: fetch_worksheet_rows(KEY, None, client=make_client(server, sa_info)))
    server.script([("hang", 10)], on="values")
    expect_error(lambda: fetch_worksheet_rows(KEY, None, client=make_client(server, sa_info, timeout=0.5,
                                                                            max_retries=0)))
    server.script([("status", 400)], on="token")
    expect_error(lambda: fetch_worksheet_rows(KEY, None, client=make_client(server, sa_info)))
    # broken credential files that contain the key
    (tmp_path / "bad.toml").write_text(f'[gcp_service_account]\nprivate_key = "{pem}"\n', encoding="utf-8")
    expect_error(lambda: load_service_account_info(tmp_path / "bad.toml", environ={}))
    (tmp_path / "bad.json").write_text(json.dumps(sa_info)[:-3], encoding="utf-8")
    bad_env = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "bad.json")}
    expect_error(lambda: load_service_account_info(tmp_path / "x.toml", environ=bad_env))
    expect_error(lambda: open_client(dict(sa_info, private_key=pem[:400]), emulator_host=server.host))

    issued = [g.access_token for g in server.token_grants]
    assert issued, "the token flow should have run"
    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    texts += ["".join(traceback.format_exception(e)) for e in errors]  # chained causes included
    texts += [record.getMessage() + " " + str(vars(record)) for record in caplog.records]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    everything = "\n".join(texts)
    assert not [f for f in key_fragments(pem) if f in everything]
    assert not [token for token in issued if token in everything]
    assert "BEGIN PRIVATE KEY" not in everything
    names = {r.name.split(".")[0] for r in caplog.records}
    assert {"urllib3", "google", "pipeline"} <= names  # the libraries' debug logs really were captured


# --------------------------------------------------------------------------- the fake itself


def test_fake_binds_loopback_only_and_stops_cleanly() -> None:
    fake = SheetsApiServer().start()
    host, port = fake.host.split(":")
    assert host == "127.0.0.1"
    fake.script([("hang", 30)], on="any")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(b"GET /v4/spreadsheets/x HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.1)  # let the handler start hanging
        fake.stop()  # must not wait for the hang
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()
    with pytest.raises(ValueError):
        fake.script([("explode",)])
