"""A local HTTP server standing in for Slack (issue 25): an incoming webhook, and the Web API methods the
digest calls (chat.postMessage, files.getUploadURLExternal, the upload URL it returns,
files.completeUploadExternal). It records every request and answers from a per-path script.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WEBHOOK_PATH = "/services/T0001/B0001/webhooksecretpart42"
UPLOAD_PATH = "/upload/v1/fake-upload"


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict -> JSON; str -> text
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> dict:
        content_type = self.headers.get("content-type", "")
        if "json" in content_type:
            return json.loads(self.raw or b"{}")
        return {k: v[0] for k, v in parse_qs(self.raw.decode("utf-8", "replace")).items()}


class FakeSlack:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.scripts: dict[str, list[Reply]] = {}
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def webhook_url(self) -> str:
        return self.url + WEBHOOK_PATH

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def script(self, path: str, *replies: Reply) -> None:
        """The next answers to ``path`` (then the default answer)."""
        self.scripts.setdefault(path, []).extend(replies)

    def to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def default(self, path: str) -> Reply:
        if path == WEBHOOK_PATH:
            return Reply(200, "ok")
        if path == "/api/chat.postMessage":
            return Reply(200, {"ok": True, "channel": "C0DIGEST", "ts": "1700000000.000100"})
        if path == "/api/files.getUploadURLExternal":
            return Reply(200, {"ok": True, "upload_url": self.url + UPLOAD_PATH, "file_id": "F0CHART"})
        if path == UPLOAD_PATH:
            return Reply(200, "OK - 1234")
        if path == "/api/files.completeUploadExternal":
            return Reply(200, {"ok": True, "files": [{"id": "F0CHART", "title": "chart"}]})
        return Reply(404, {"ok": False, "error": "unknown_method"})

    def answer(self, path: str) -> Reply:
        queue = self.scripts.get(path)
        return queue.pop(0) if queue else self.default(path)


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fake.requests.append(Request(path, {k.lower(): v for k, v in self.headers.items()}, raw))
            reply = fake.answer(path)
            body = json.dumps(reply.body).encode() if isinstance(reply.body, dict) else str(reply.body or "").encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json" if isinstance(reply.body, dict) else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
