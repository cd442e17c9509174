"""A local fake of the Google Sheets API v4 (plus the OAuth2 token endpoint) for tests.

It answers exactly what gspread 6.2.1 sends for
``client.open_by_key(key).worksheets() / .worksheet(name) / .sheet1`` and
``worksheet.get_all_values()``:

* ``GET  /v4/spreadsheets/{key}?includeGridData=false``      -> spreadsheet metadata
* ``GET  /v4/spreadsheets/{key}/values/{range}``             -> a ValueRange
  (range URL-quoted by gspread, e.g. ``%27Form%20Responses%201%27``)
* ``POST /token`` (also ``/oauth2/v4/token``, ``/o/oauth2/token``) -> an access token
  for google-auth's service-account JWT-bearer grant

Point a client at it with ``open_client(info, emulator_host=server.host)`` or
``SHEETS_EMULATOR_HOST=server.host``.

Like the real API, values come back formatted as strings, with trailing blank
cells of each row and trailing blank rows dropped (gspread pads them back).

Faults are scripted per request kind and consumed in arrival order::

    server.script([("status", 429, {"Retry-After": "1"}), ("status", 503)], on="values")

A fault is one of ``("status", code[, headers])`` (a Google-shaped error body),
``("hang", seconds)`` (answer normally after a delay), ``("malformed",)`` (200 with
broken JSON), ``("drop",)`` (close the connection without answering) or
``("payload", obj[, status])`` (any JSON you like). Faults on "token" answer in
OAuth2's error shape; note google-auth retries 5xx token answers itself, with
sleeps of a second or more, on top of the client's own retries.

Anything else (batchGet, Drive, writes) gets a 501 naming the unimplemented call.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

KINDS = ("any", "api", "metadata", "values", "token")
TOKEN_PATHS = ("/token", "/oauth2/v4/token", "/o/oauth2/token")

# (google "status", message) as the real API words them.
_GOOGLE_ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                             "login cookie or other valid authentication credential."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                                "minute per user' of service 'sheets.googleapis.com'."),
    500: ("INTERNAL", "Internal error encountered."),
    502: ("UNAVAILABLE", "Bad Gateway"),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request timed out."),
    501: ("UNIMPLEMENTED", "Not implemented."),
}


class _RequestFields(NamedTuple):
    method: str
    path: str
    headers: CaseInsensitiveDict[str]


class RecordedRequest(_RequestFields):
    """``(method, path, headers)``; also ``.kind`` ("metadata", "values", "token",
    "drive" or "other") and ``.at`` (``time.monotonic()`` when it arrived).

    ``path`` includes the query string; ``headers`` is case-insensitive.
    """

    kind: str
    at: float


class TokenGrant(NamedTuple):
    """One accepted JWT-bearer grant: the raw assertion, its decoded parts, the token issued."""

    assertion: str
    header: dict[str, Any]
    claims: dict[str, Any]
    access_token: str


class SheetsApiServer:
    """Threaded fake on 127.0.0.1 (a free port). Use as a context manager or start()/stop().

    ``require_auth=True`` answers 401 to API requests without a Bearer token it issued.
    """

    def __init__(self, *, require_auth: bool = False) -> None:
        self.require_auth = require_auth
        self.requests: list[RecordedRequest] = []
        self.token_grants: list[TokenGrant] = []
        self._sheets: dict[str, tuple[str, dict[str, list[list[Any]]]]] = {}
        self._faults: dict[str, deque[tuple[Any, ...]]] = {kind: deque() for kind in KINDS}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SheetsApiServer:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        assert httpd.server_address[0] == "127.0.0.1"
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="sheets-api-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes any ("hang", s) early
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # idle keep-alive connections would otherwise linger
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> SheetsApiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``, the value for ``emulator_host`` / ``SHEETS_EMULATOR_HOST``."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    # ------------------------------------------------------------------ test set-up

    def add_sheet(self, key: str, worksheets: Mapping[str, Sequence[Sequence[Any]]], title: str = "Untitled") -> None:
        """Register a spreadsheet: ``{worksheet_title: rows}`` in tab order."""
        with self._lock:
            self._sheets[key] = (title, {name: [list(row) for row in rows] for name, rows in worksheets.items()})

    def script(self, faults: Sequence[tuple[Any, ...]], *, on: str = "api") -> None:
        """Queue faults for the next requests of a kind: "api" (any Sheets/Drive request,
        the default), "metadata", "values", "token" or "any". Specific kinds are served
        before "api", which is served before "any"."""
        if on not in KINDS:
            raise ValueError(f"on must be one of {KINDS}")
        for fault in faults:
            _check_fault(fault)
        with self._lock:
            self._faults[on].extend(tuple(f) for f in faults)

    def requests_of(self, kind: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.kind == kind]

    def clear(self) -> None:
        """Forget recorded requests, grants and pending faults (sheets stay)."""
        with self._lock:
            self.requests.clear()
            self.token_grants.clear()
            for queue in self._faults.values():
                queue.clear()

    # ------------------------------------------------------------------ used by the handler

    def _record(self, method: str, path: str, headers: CaseInsensitiveDict[str]) -> RecordedRequest:
        kind = _kind_of(method, path)
        entry = RecordedRequest(method, path, headers)
        entry.kind = kind
        entry.at = time.monotonic()
        with self._lock:
            self.requests.append(entry)
        return entry

    def _next_fault(self, kind: str) -> tuple[Any, ...] | None:
        order = [kind, "api", "any"] if kind in ("metadata", "values", "drive", "other") else [kind, "any"]
        with self._lock:
            for name in order:
                queue = self._faults.get(name)
                if queue:
                    return queue.popleft()
        return None

    def _issue_token(self, assertion: str) -> TokenGrant:
        header, claims = _decode_jwt(assertion)
        with self._lock:
            token = f"fake-access-token-{len(self.token_grants) + 1}"
            grant = TokenGrant(assertion, header, claims, token)
            self.token_grants.append(grant)
        return grant

    def _token_is_valid(self, authorization: str | None) -> bool:
        with self._lock:
            issued = {f"Bearer {g.access_token}" for g in self.token_grants}
        return authorization in issued

    def _sheet(self, key: str) -> tuple[str, dict[str, list[list[Any]]]] | None:
        with self._lock:
            return self._sheets.get(key)


@pytest.fixture
def sheets_api() -> Iterator[SheetsApiServer]:
    """A started fake, stopped after the test. Import it into a test module to use it."""
    with SheetsApiServer() as server:
        yield server


# ---------------------------------------------------------------------- internals


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: SheetsApiServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping keep-alive connections (e.g. after their timeout) are normal here.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Google serves it
    server: _Server
    timeout = 30  # an idle keep-alive connection cannot pin a thread forever

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, delayed ACKs add ~40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake._lock:
            self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.fake._lock:
            self.server.fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # keep pytest output clean

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        entry = fake._record(method, self.path, CaseInsensitiveDict(dict(self.headers.items())))

        fault = fake._next_fault(entry.kind)
        if fault is not None:
            name = fault[0]
            if name == "hang":
                fake._stopping.wait(float(fault[1]))
            elif name == "drop":
                self.close_connection = True
                return
            elif name == "malformed":
                self._send(200, b'{"spreadsheetId": "truncated", "sheets": [{"properti')
                return
            elif name == "payload":
                self._json(fault[2] if len(fault) > 2 else 200, fault[1])
                return
            elif name == "status":
                self._error(entry.kind, int(fault[1]), dict(fault[2]) if len(fault) > 2 else {})
                return

        try:
            self._route(method, entry, body)
        except Exception as exc:  # a bug in the fake must show up as a 500, not a hung client
            self._error(entry.kind, 500, {}, message=f"fake server error: {type(exc).__name__}: {exc}")

    def _route(self, method: str, entry: RecordedRequest, body: bytes) -> None:
        fake = self.server.fake
        parts = urlsplit(entry.path)
        query = parse_qs(parts.query)
        if entry.kind == "token":
            form = parse_qs(body.decode("utf-8", "replace"))
            grant_type = form.get("grant_type", [""])[0]
            assertion = form.get("assertion", [""])[0]
            if grant_type != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not assertion:
                self._json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."})
                return
            grant = fake._issue_token(assertion)
            self._json(200, {"access_token": grant.access_token, "expires_in": 3600, "token_type": "Bearer"})
            return
        if fake.require_auth and not fake._token_is_valid(self.headers.get("Authorization")):
            self._error(entry.kind, 401, {})
            return
        if entry.kind not in ("metadata", "values") or method != "GET":
            # Be honest about gaps rather than answer with something plausible but wrong.
            self._error(entry.kind, 501, {}, message=f"the fake Sheets API does not implement {method} {parts.path}")
            return
        # ['', 'v4', 'spreadsheets', key] or ['', 'v4', 'spreadsheets', key, 'values', range...]
        segments = [unquote(s) for s in parts.path.split("/")]
        sheet = fake._sheet(segments[3])
        if sheet is None:
            self._error(entry.kind, 404, {})
            return
        title, tabs = sheet
        key = segments[3]
        if entry.kind == "metadata":
            self._json(200, _metadata(key, title, tabs))
            return
        range_name = "/".join(segments[5:])
        found = _resolve_range(range_name, tabs)
        if found is None:
            self._error(entry.kind, 400, {}, message=f"Unable to parse range: {range_name}")
            return
        tab, rows, first_row, first_col = found
        raw = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0] != "FORMATTED_VALUE"
        self._json(200, _value_range(tab, rows, first_row, first_col, raw))

    def _error(self, kind: str, status: int, headers: dict[str, str], message: str | None = None) -> None:
        if kind == "token":  # OAuth2 errors have their own shape
            oauth, text = (("invalid_grant", "Invalid JWT Signature.") if status in (400, 401)
                           else ("internal_failure", "Internal error encountered."))
            payload: dict[str, Any] = {"error": oauth, "error_description": message or text}
        else:
            google_status, default = _GOOGLE_ERRORS.get(status, ("UNKNOWN", "Unknown error."))
            payload = {"error": {"code": status, "message": message or default, "status": google_status}}
        self._json(status, payload, headers)

    def _json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), headers)

    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (e.g. after its timeout)


def _check_fault(fault: Sequence[Any]) -> None:
    ok = bool(fault) and (
        (fault[0] == "status" and len(fault) in (2, 3) and isinstance(fault[1], int))
        or (fault[0] == "hang" and len(fault) == 2 and isinstance(fault[1], (int, float)))
        or (fault[0] in ("malformed", "drop") and len(fault) == 1)
        or (fault[0] == "payload" and len(fault) in (2, 3))
    )
    if not ok:
        raise ValueError(f"unknown fault {fault!r}")


def _kind_of(method: str, path: str) -> str:
    route = urlsplit(path).path
    if method == "POST" and route in TOKEN_PATHS:
        return "token"
    if route.startswith("/v4/spreadsheets/"):
        rest = route[len("/v4/spreadsheets/"):]
        if "/values/" in rest:
            return "values"
        if "/" not in rest and ":" not in rest:
            return "metadata"
    if route.startswith("/drive/"):
        return "drive"
    return "other"


def _decode_jwt(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def part(segment: str) -> dict[str, Any]:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}

    pieces = assertion.split(".")
    return (part(pieces[0]), part(pieces[1])) if len(pieces) == 3 else ({}, {})


def _metadata(key: str, title: str, tabs: dict[str, list[list[Any]]]) -> dict[str, Any]:
    sheets = []
    for index, (name, rows) in enumerate(tabs.items()):
        width = max((len(r) for r in rows), default=0)
        sheets.append({"properties": {
            "sheetId": index, "title": name, "index": index, "sheetType": "GRID",
            "gridProperties": {"rowCount": max(len(rows), 1000), "columnCount": max(width, 26)},
        }})
    return {
        "spreadsheetId": key,
        "properties": {"title": title, "locale": "en_GB", "autoRecalc": "ON_CHANGE", "timeZone": "Europe/London"},
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{key}/edit",
    }


def _split_sheet_name(range_name: str) -> tuple[str | None, str]:
    """Split "'Bob''s tab'!A1:C3" into ("Bob's tab", "A1:C3"), and "A1:C3" into (None, "A1:C3")."""
    if range_name.startswith("'"):
        name, i = [], 1
        while i < len(range_name):
            char = range_name[i]
            if char == "'":
                if range_name[i + 1:i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                break
            name.append(char)
            i += 1
        rest = range_name[i + 1:]
        return "".join(name), rest[1:] if rest.startswith("!") else rest
    if "!" in range_name:
        name_part, _, a1 = range_name.partition("!")
        return name_part, a1
    return None, range_name


def _col_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - ord("A") + 1
    return index


def _col_letters(index: int) -> str:
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _resolve_range(range_name: str, tabs: dict[str, list[list[Any]]]
                   ) -> tuple[str, list[list[Any]], int, int] | None:
    """(tab, rows of the range, first row, first column) or None if the range is not valid."""
    name, a1 = _split_sheet_name(range_name)
    if name is None:
        if range_name in tabs:
            name, a1 = range_name, ""
        else:
            name = next(iter(tabs), None)  # a bare A1 range means the first tab
    if name not in tabs:
        return None
    rows = tabs[name]
    if not a1:
        return name, rows, 1, 1
    match = re.fullmatch(r"([A-Z]*)(\d*)(?::([A-Z]*)(\d*))?", a1.upper())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    c1, r1, c2, r2 = match.groups()
    first_col, first_row = _col_index(c1) if c1 else 1, int(r1) if r1 else 1
    last_col = _col_index(c2) if c2 else (_col_index(c1) if match.group(3) is None and c1 else 10**6)
    last_row = int(r2) if r2 else (int(r1) if match.group(3) is None and r1 else 10**9)
    picked = [row[first_col - 1:last_col] for row in rows[first_row - 1:last_row]]
    return name, picked, first_row, first_col


def _value_range(tab: str, rows: list[list[Any]], first_row: int, first_col: int, raw: bool) -> dict[str, Any]:
    def cell(value: Any) -> Any:
        if raw:
            return value
        if value is None:
            return ""
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        return value if isinstance(value, str) else str(value)

    values = [[cell(v) for v in row] for row in rows]
    # The real API drops trailing empty cells and trailing empty rows.
    values = [row[: max((i + 1 for i, v in enumerate(row) if v not in ("", None)), default=0)] for row in values]
    while values and not values[-1]:
        values.pop()
    width = max((len(r) for r in values), default=1)
    quoted = "'" + tab.replace("'", "''") + "'"
    last = f"{_col_letters(first_col + max(width, 1) - 1)}{first_row + max(len(values), 1) - 1}"
    body: dict[str, Any] = {"range": f"{quoted}!{_col_letters(first_col)}{first_row}:{last}", "majorDimension": "ROWS"}
    if values:
        body["values"] = values
    return body
