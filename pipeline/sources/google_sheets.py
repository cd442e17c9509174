"""Read one worksheet of a Google Sheet as raw string rows (I/O only).

What the columns mean is decided in ``pipeline.parse``; this module only gets
the cells, with bounded retries, a timeout on every request and one-line
errors (:class:`SheetError`) that say what to check.

The client is real gspread over a ``requests`` session we build ourselves:

* gspread 6.2.1's ``BackOffHTTPClient`` retries without an overall bound and
  gspread sends ``timeout=None`` unless told otherwise, so the retry policy
  (``urllib3.Retry``) and the timeout live in our ``HTTPAdapter`` instead.
* ``SHEETS_EMULATOR_HOST=127.0.0.1:8123`` (or ``emulator_host=``) re-routes
  Google API requests, including the OAuth token request, to a local fake
  at the wire, so the real gspread and google-auth code paths run in tests.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit, urlunsplit

import gspread
import requests
import urllib3
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as GoogleAuthRequest
from google.oauth2 import service_account
from gspread.exceptions import APIError, SpreadsheetNotFound, WorksheetNotFound
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from pipeline.errors import IngestError

logger = logging.getLogger(__name__)

READONLY_SCOPES: tuple[str, ...] = (
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/drive.readonly",
)
EMULATOR_ENV_VAR = "SHEETS_EMULATOR_HOST"
CREDENTIALS_ENV_VAR = "GOOGLE_APPLICATION_CREDENTIALS"
DEFAULT_SECRETS_PATH = Path(".streamlit/secrets.toml")
SECRETS_TABLE = "gcp_service_account"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"

RETRY_STATUSES: tuple[int, ...] = (429, 500, 502, 503, 504)
# A hostile or buggy Retry-After (e.g. "86400") must not stall a run for a day.
MAX_RETRY_AFTER_SECONDS = 60
# Exponential backoff is capped too, so max_retries=10 cannot mean minutes of sleep.
MAX_BACKOFF_SECONDS = 30.0

# Emulator mode re-routes every *.googleapis.com host (sheets, www, oauth2, ...) and
# the legacy token host, so nothing Google-bound leaves the machine during tests.
EMULATED_HOST_SUFFIX = ".googleapis.com"
EMULATED_EXTRA_HOSTS = frozenset({"accounts.google.com"})

# Real keys are 44 characters; anything much shorter is a worksheet name or a typo.
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{20,}")
_URL_KEY_RE = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")


class SheetError(IngestError):
    """A Google Sheet cannot be read. ``str()`` is one line: which sheet, what to check.

    Subclasses :class:`pipeline.errors.IngestError` so the CLI prints it as is.
    Messages never contain credential material (keys, tokens, secrets).
    """

    def __init__(self, message: str, *, sheet_key: str | None = None, worksheet: str | None = None,
                 status: int | None = None) -> None:
        # Google's messages can contain newlines; the CLI and the dashboard show one line.
        super().__init__(" ".join(str(message).split()))
        self.sheet_key = sheet_key
        self.worksheet = worksheet
        self.status = status


class SheetRows(NamedTuple):
    """All cells of one worksheet as strings, header row included, padded to a rectangle."""

    sheet_key: str
    worksheet_title: str
    rows: list[list[str]]


# --------------------------------------------------------------------------- keys and credentials


def parse_sheet_key(key_or_url: str) -> str:
    """Return the spreadsheet key from a bare key or any Google Sheets URL."""
    text = (key_or_url or "").strip()
    if _KEY_RE.fullmatch(text):
        return text
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower()
    if host == "google.com" or host.endswith(".google.com"):
        if re.search(r"/spreadsheets/d/e/", parts.path):
            raise SheetError(f"{_shorten(text)!r} is a 'Publish to web' link, which has no sheet key; "
                             "use the sheet's own URL from the browser address bar")
        found = _URL_KEY_RE.search(parts.path)
        if found and _KEY_RE.fullmatch(found.group(1)):
            return found.group(1)
        # Old-style ".../ccc?key=KEY" and Drive's "open?id=KEY" links.
        query = parse_qs(parts.query)
        for name in ("key", "id"):
            for value in query.get(name, []):
                if _KEY_RE.fullmatch(value):
                    return value
    raise SheetError(f"{_shorten(text)!r} is not a Google Sheets key or URL; paste the sheet's URL "
                     "(https://docs.google.com/spreadsheets/d/<key>/edit) or the key between /d/ and /edit")


def load_service_account_info(secrets_path: Path = DEFAULT_SECRETS_PATH,
                              environ: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    """Service-account JSON from ``[gcp_service_account]`` in secrets.toml, else the
    file named by ``GOOGLE_APPLICATION_CREDENTIALS``; None when neither is configured."""
    secrets_path = Path(secrets_path)
    if secrets_path.exists():
        data = _read_toml(secrets_path)
        table = data.get(SECRETS_TABLE)
        if table is not None:
            return _checked_service_account(table, f"[{SECRETS_TABLE}] in {secrets_path}")

    env_path = (environ.get(CREDENTIALS_ENV_VAR) or "").strip()
    if env_path:
        where = f"{CREDENTIALS_ENV_VAR} file {env_path}"
        try:
            text = Path(env_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SheetError(f"cannot read the {where} ({_os_reason(exc)}); "
                             "check the path and its permissions") from None
        try:
            info = json.loads(text)
        except json.JSONDecodeError as exc:
            # Position only: the parser's message could quote the file's contents.
            raise SheetError(f"the {where} is not valid JSON (line {exc.lineno}, column {exc.colno}); "
                             "download the service account key again") from None
        return _checked_service_account(info, f"the {where}")
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetError(f"cannot read {path} ({_os_reason(exc)}); check the file and its permissions") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at [^)]*\)", str(exc))
        raise SheetError(f"{path} is not valid TOML {at.group(0) if at else ''}; "
                         "check the quoting of multi-line values such as private_key") from None


def _checked_service_account(info: object, where: str) -> dict[str, Any]:
    if not isinstance(info, Mapping):
        raise SheetError(f"{where} must be a table of service account fields")
    kind = info.get("type", "service_account")
    if kind != "service_account":
        raise SheetError(f"{where} is a {str(kind)[:40]!r} credential, not a service account key; "
                         "create a key for a service account in Google Cloud and use that")
    missing = [name for name in ("client_email", "private_key")
               if not isinstance(info.get(name), str) or not info.get(name)]
    if missing:
        raise SheetError(f"{where} lacks {', '.join(missing)}; copy every field of the service account JSON key")
    result = dict(info)
    result.setdefault("token_uri", DEFAULT_TOKEN_URI)  # Streamlit users sometimes drop it
    return result


# --------------------------------------------------------------------------- the HTTP client


class _BoundedRetry(Retry):
    """urllib3 Retry that falls back to backoff on an unparsable Retry-After.

    Stock urllib3 raises InvalidHeader for e.g. "Retry-After: soon", turning a
    retryable 503 into a hard failure.
    """

    def get_retry_after(self, response: Any) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None


class _GuardedAdapter(HTTPAdapter):
    """Applies the retry policy and a timeout to every request; re-routes to an emulator.

    Doing both here (not in the Session) covers every caller: gspread, google-auth's
    token request, and anyone who later calls ``client.set_timeout(None)``.
    """

    def __init__(self, *, timeout: float, retry: Retry, emulator_host: str | None) -> None:
        self.timeout = timeout
        self.emulator_host = emulator_host
        super().__init__(max_retries=retry)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        if self.emulator_host and request.url:
            rewritten = _emulator_url(request.url, self.emulator_host)
            if rewritten != request.url:
                request.url = rewritten
                proxies = {}  # a local emulator is never reached through a proxy
        return super().send(request, stream=stream, timeout=self._bounded(timeout), verify=verify,
                            cert=cert, proxies=proxies)

    def _bounded(self, timeout: Any) -> Any:
        # google-auth asks for 120 s on token requests and gspread for None: neither may exceed ours.
        if timeout is None:
            return self.timeout
        if isinstance(timeout, (int, float)):
            return min(timeout, self.timeout)
        if isinstance(timeout, tuple) and len(timeout) == 2:
            return tuple(self.timeout if t is None else min(t, self.timeout) for t in timeout)
        return timeout  # a urllib3 Timeout object: the caller chose it deliberately


def _emulator_url(url: str, emulator_host: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host.endswith(EMULATED_HOST_SUFFIX) or host in EMULATED_EXTRA_HOSTS):
        return urlunsplit(("http", emulator_host, parts.path, parts.query, parts.fragment))
    return url


def _normalise_emulator_host(value: str) -> str:
    host = value.strip()
    host = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", host).rstrip("/")
    if not host or "/" in host or " " in host:
        raise SheetError(f"{EMULATOR_ENV_VAR} must look like 127.0.0.1:8123, not {_shorten(value)!r}")
    return host


def _retry_policy(max_retries: int, backoff_factor: float) -> Retry:
    return _BoundedRetry(
        total=max_retries,
        status_forcelist=RETRY_STATUSES,
        # Only reads happen here; POST is google-auth's token request, which is idempotent.
        allowed_methods=frozenset({"GET", "POST"}),
        backoff_factor=backoff_factor,
        backoff_max=MAX_BACKOFF_SECONDS,
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_AFTER_SECONDS,
        # Hand the last 429/5xx back instead of raising, so the error names the status.
        raise_on_status=False,
    )


def open_client(service_account_info: Mapping[str, Any] | None, *, timeout: float = 30, max_retries: int = 4,
                backoff_factor: float = 0.5, emulator_host: str | None = None) -> gspread.Client:
    """A read-only gspread client with bounded retries and a timeout on every request.

    ``emulator_host`` (or ``$SHEETS_EMULATOR_HOST``) sends Google API and OAuth
    token requests to ``http://<emulator_host>`` with the same path; without
    service account info, emulator mode uses anonymous credentials.
    """
    if not timeout > 0:
        raise ValueError("timeout must be positive")
    if max_retries < 0:
        raise ValueError("max_retries must be 0 or more")
    raw_host = emulator_host if emulator_host is not None else os.environ.get(EMULATOR_ENV_VAR, "")
    host = _normalise_emulator_host(raw_host) if raw_host.strip() else None

    credentials: Credentials
    if service_account_info is not None:
        info = _checked_service_account(service_account_info, "the service account info")
        try:
            credentials = service_account.Credentials.from_service_account_info(info, scopes=READONLY_SCOPES)
        except (ValueError, TypeError, GoogleAuthError):
            # The library's message may describe the key; say only which account it is.
            raise SheetError(f"the private_key of service account {info['client_email']} cannot be loaded; "
                             "download a new JSON key for it") from None
    elif host:
        credentials = AnonymousCredentials()
    else:
        raise SheetError("no Google service account credentials found; add a [gcp_service_account] table to "
                         f"{DEFAULT_SECRETS_PATH} or set {CREDENTIALS_ENV_VAR} to the JSON key file")

    def guarded(session: requests.Session) -> requests.Session:
        adapter = _GuardedAdapter(timeout=timeout, retry=_retry_policy(max_retries, backoff_factor),
                                  emulator_host=host)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        if host:
            session.trust_env = False  # no proxies or .netrc credentials for a local emulator
        return session

    # google-auth's token request would otherwise use its own unbounded-timeout session.
    token_request = GoogleAuthRequest(guarded(requests.Session()))
    # Anonymous credentials cannot refresh: a 401 must surface as a 401, not as InvalidOperation.
    refresh_on = () if isinstance(credentials, AnonymousCredentials) else (401,)
    session = guarded(AuthorizedSession(credentials, refresh_status_codes=refresh_on, auth_request=token_request))
    client = gspread.Client(auth=credentials, session=session)
    # With a session given, gspread's HTTPClient never stores `auth`; Client.expiry needs it.
    client.http_client.auth = credentials
    client.set_timeout(timeout)
    return client


# --------------------------------------------------------------------------- reading a worksheet


def fetch_worksheet_rows(key_or_url: str, worksheet: str | None, *, client: gspread.Client) -> SheetRows:
    """Every cell of one worksheet (None = the first) as strings, header row included.

    Values are the sheet's formatted values; dates may be formatted text or
    serial numbers ("46023", "46023.5"): the caller parses them. Blank and
    duplicate headers are returned as they are.
    """
    key = parse_sheet_key(key_or_url)
    try:
        spreadsheet = client.open_by_key(key)
        # One metadata call gives both the wanted tab and the list for a helpful error.
        tabs = spreadsheet.worksheets()
        tab = _pick_worksheet(tabs, worksheet, key)
        values = tab.get_all_values()
        # gspread does not check the payload's shape: {"values": "abc"} would come back as "abc".
        if not isinstance(values, list) or not all(
                isinstance(row, list) and all(isinstance(v, _SCALARS) for v in row) for row in values):
            raise TypeError("values is not a list of rows of scalar cells")
    except SheetError:
        raise
    except (APIError, SpreadsheetNotFound, PermissionError, WorksheetNotFound, requests.RequestException,
            urllib3.exceptions.HTTPError, GoogleAuthError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise _translate(exc, client, key, worksheet) from exc

    # gspread pads ragged rows with "" (the API drops trailing blanks) and returns [[]] for an empty sheet.
    rows = [[_cell_text(v) for v in row] for row in values]
    if rows == [[]]:
        rows = []
    logger.debug("read %d rows from sheet %s / %s", len(rows), key, tab.title)
    return SheetRows(key, tab.title, rows)


def _pick_worksheet(tabs: Sequence[gspread.Worksheet], wanted: str | None, key: str) -> gspread.Worksheet:
    if not tabs:
        raise SheetError(f"Google Sheet {key} has no worksheets", sheet_key=key, worksheet=wanted)
    if wanted is None:
        return tabs[0]
    for tab in tabs:
        if tab.title == wanted:
            return tab
    titles = [tab.title for tab in tabs]
    listed = ", ".join(repr(t) for t in titles[:20]) + (f" and {len(titles) - 20} more" if len(titles) > 20 else "")
    near = [t for t in titles if t.strip().casefold() == wanted.strip().casefold()]
    hint = f"did you mean {near[0]!r}? " if near else ""
    raise SheetError(f"Google Sheet {key} has no worksheet named {wanted!r}; {hint}it has: {listed}",
                     sheet_key=key, worksheet=wanted)


_SCALARS = (str, int, float, bool, type(None))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------- error translation


def _translate(exc: BaseException, client: gspread.Client, key: str, worksheet: str | None) -> SheetError:
    """One SheetError line for whatever gspread, google-auth, requests or urllib3 raised."""
    where = f"Google Sheet {key} (worksheet {worksheet!r})" if worksheet else f"Google Sheet {key} (first worksheet)"
    guard = _adapter_of(client)

    def error(problem: str, status: int | None = None) -> SheetError:
        return SheetError(f"{where}: {problem}", sheet_key=key, worksheet=worksheet, status=status)

    # gspread re-raises 403/404 on open as PermissionError / SpreadsheetNotFound;
    # google-auth wraps transport failures of the token request in TransportError.
    cause = exc
    if isinstance(exc, (PermissionError, SpreadsheetNotFound, TransportError)) and exc.__cause__ is not None:
        cause = exc.__cause__

    if isinstance(cause, APIError):
        return _from_status(cause.response, error, client)
    if isinstance(exc, WorksheetNotFound):
        return error(f"worksheet not found ({_shorten(str(exc))}); check the worksheet name")
    if isinstance(cause, RefreshError):
        # The first argument is Google's short reason (e.g. "invalid_grant: Invalid JWT Signature.").
        reason = cause.args[0] if cause.args and isinstance(cause.args[0], str) else "refused"
        email = _client_email(client) or "the service account"
        if getattr(cause, "retryable", False):  # 5xx/429 from the token endpoint, after google-auth's own retries
            return error(f"could not get an access token for {email}: Google's token endpoint kept failing "
                         f"({_shorten(reason, 80)}); try again later")
        return error(f"could not get an access token for {email} ({_shorten(reason, 120)}); check the "
                     "service account key is current (not deleted or rotated) and the clock is right")
    if isinstance(cause, GoogleAuthError):
        return error(f"authentication with Google failed ({type(cause).__name__}); check the service account key")
    if isinstance(cause, requests.exceptions.JSONDecodeError | json.JSONDecodeError):
        return error(_UNEXPECTED)

    timeout_s = guard.timeout if guard else client.http_client.timeout
    attempts = guard.max_retries.total + 1 if guard and isinstance(guard.max_retries.total, int) else None
    tries = f" after {_plural(attempts, 'attempt')}" if attempts else ""
    failure = _network_reason(cause)
    service = "Google's token endpoint" if isinstance(exc, TransportError) else "the Google Sheets API"
    if failure == "timeout":
        return error(f"no answer from {service} within {timeout_s} s{tries}; "
                     "check your network connection or try again later")
    if failure is not None and failure.startswith("HTTP "):
        return error(f"Google Sheets API kept failing ({failure}){tries}; try again later")
    if failure is not None:
        url: str = getattr(getattr(cause, "request", None), "url", None) or ""
        host = urlsplit(url).netloc or service
        what = {"connection dropped": f"the connection to {host} was dropped",
                "request failed": f"the request to {host} failed",
                }.get(failure, f"could not connect to {host} ({failure})")
        return error(f"{what}{tries}; check your network connection, any proxy, and {EMULATOR_ENV_VAR} if set")
    if isinstance(cause, (ValueError, KeyError, TypeError, IndexError)):
        return error(_UNEXPECTED)
    return error(f"request to the Google Sheets API failed ({type(cause).__name__}); try again later")


_UNEXPECTED = ("unexpected response from the Google Sheets API (not the JSON it should send); try again later, "
               f"and check any proxy or {EMULATOR_ENV_VAR} setting if it persists")


def _from_status(response: requests.Response, error: Any, client: gspread.Client) -> SheetError:
    # The HTTP status, not APIError.code: gspread sets code=-1 when the error body isn't JSON.
    status = response.status_code
    message = _google_message(response)
    if status == 403:
        email = _client_email(client)
        if re.search(r"has not been used|is disabled|SERVICE_DISABLED", message):
            return error("permission denied (HTTP 403): the Google Sheets API is not enabled for the service "
                         "account's Google Cloud project; enable it in the Cloud console", status)
        who = email or "the service account's client_email"
        return error(f"permission denied (HTTP 403); share the sheet with {who} (Viewer) and check the "
                     "Google Sheets API is enabled for its project", status)
    if status == 404:
        return error("not found (HTTP 404); check the key/URL and that the sheet was not deleted", status)
    if status == 401:
        return error("not authorised (HTTP 401); check the service account key is current "
                     "(not deleted or rotated)", status)
    if status in RETRY_STATUSES:
        retries = getattr(getattr(response, "raw", None), "retries", None)
        attempts = len(retries.history) + 1 if retries is not None else 1
        return error(f"Google Sheets API kept failing (HTTP {status}) after {_plural(attempts, 'attempt')}; "
                     "try again later", status)
    if status == 400:
        return error(f"the Google Sheets API rejected the request (HTTP 400: {_shorten(message, 120)}); "
                     "check the worksheet name", status)
    return error(f"unexpected response from the Google Sheets API (HTTP {status}); try again later", status)


def _network_reason(exc: BaseException) -> str | None:
    """'timeout', 'HTTP <status>', a short connection reason, or None if not a network failure."""
    inner: BaseException | None = exc
    if isinstance(exc, requests.RequestException) and exc.args and isinstance(exc.args[0], BaseException):
        inner = exc.args[0]  # requests wraps urllib3's MaxRetryError / ReadTimeoutError
    if isinstance(inner, MaxRetryError):
        inner = inner.reason
    # NewConnectionError subclasses ConnectTimeoutError, so it is checked first.
    if isinstance(inner, NewConnectionError):
        text = str(inner)
        if "refused" in text.lower():
            return "connection refused"
        if "Name or service not known" in text or "getaddrinfo" in text or "resolve" in text.lower():
            return "host name not found"
        return "connection failed"
    if isinstance(inner, (ReadTimeoutError, ConnectTimeoutError)) or isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(inner, ResponseError) or isinstance(exc, requests.exceptions.RetryError):
        # Only from clients built with raise_on_status=True (not ours): "too many 503 error responses".
        status = re.search(r"\b(\d{3}) error", str(inner))
        return f"HTTP {status.group(1)}" if status else "HTTP error"
    if isinstance(inner, ProtocolError) or isinstance(exc, requests.exceptions.ConnectionError):
        return "connection dropped"
    if isinstance(exc, (requests.RequestException, urllib3.exceptions.HTTPError)):
        return "request failed"
    return None


def _google_message(response: requests.Response) -> str:
    try:
        payload = response.json()
        error = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(error, dict):
            return " ".join(str(error.get(k, "")) for k in ("message", "status"))
    except ValueError:
        pass
    return ""


def _adapter_of(client: gspread.Client) -> _GuardedAdapter | None:
    session = getattr(client.http_client, "session", None)
    try:
        adapter = session.get_adapter("https://sheets.googleapis.com/") if session is not None else None
    except requests.exceptions.InvalidSchema:
        return None
    return adapter if isinstance(adapter, _GuardedAdapter) else None


def _client_email(client: gspread.Client) -> str | None:
    http = client.http_client
    credentials = getattr(http, "auth", None) or getattr(getattr(http, "session", None), "credentials", None)
    email = getattr(credentials, "service_account_email", None)
    return email if isinstance(email, str) and email else None


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return getattr(exc, "strerror", None) or type(exc).__name__


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
