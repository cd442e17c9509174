"""Helpers to drive the real app in headless Chromium (tests, bench, scripts/screenshots.py).

* ``StreamlitServer``: ``streamlit run app.py`` as a subprocess on a free port,
  against a given DB, stopped (with its whole process group) on exit, even when
  the code in the ``with`` block fails.
* ``launch_chromium``: Debian's /usr/bin/chromium through Playwright (Playwright
  cannot download its own browsers here).
* Page helpers that wait for Streamlit to finish a run and for Vega to draw.

No pytest import here: the screenshot script uses the same code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

from dashboard.navigation import PAGES as APP_PAGES
from dashboard.navigation import SERIES_PAGE as APP_SERIES_PAGE

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_PATH = os.environ.get("REVIEW_PULSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

SERVER_START_TIMEOUT_S = 90
PAGE_TIMEOUT_MS = 60_000

# What each of the app's pages shows on the demo DB: its <h1> and how many charts it draws at
# least. Keyed by the app's own page list (dashboard.navigation), so a new page fails the
# browser tests until it is described here.
DEMO_PAGE_EXPECTATIONS = {
    "pages/overview.py": ("Incident review health", 1),
    "pages/agreement.py": ("Survey agreement", 2),
    "pages/attendance.py": ("Attendance", 2),
    "pages/feedback.py": ("Feedback", 0),
    "pages/actions.py": ("Follow-up actions", 3),
    "pages/talking_points.py": ("Talking points", 3),
    "pages/data.py": ("Data", 0),
    "pages/load_data.py": ("Load data", 0),
}


def _url_path(page_file: str, index: int) -> str:
    """Streamlit's URL for a page: "" for the default (first) page, else the file's stem."""
    return "" if index == 0 else Path(page_file).stem


# (title shown by st.navigation, URL path, <h1> text, charts drawn on that page with the demo DB)
PAGES = [(title, _url_path(path, index), *DEMO_PAGE_EXPECTATIONS[path])
         for index, (path, title, _icon) in enumerate(APP_PAGES)]

# The Series page (issue 26) is offered only when the DB holds two or more series (not the demo):
# (title, URL path, <h1>, charts drawn).
SERIES_PAGE = (APP_SERIES_PAGE[1], Path(APP_SERIES_PAGE[0]).stem, "Review series compared", 2)

CHART_SELECTOR = ".vega-embed canvas, .vega-embed svg.marks"
APP_IDLE_SELECTOR = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def chromium_available() -> bool:
    return os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen, timeout: float = 10) -> None:
    """End a child started with start_new_session=True, and everything it spawned."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def page_slug(url_path: str) -> str:
    """File-name stem for a page: the default page (url path ``""``) is ``overview``."""
    return url_path or "overview"


class StreamlitServer:
    """``streamlit run app.py`` against ``db_path``; use as a context manager.

    The app's own settings file is replaced by ``settings_path`` (default: a path
    that does not exist, i.e. the product defaults), so a developer's
    review_pulse.toml or database never leaks into a test or a screenshot.
    """

    def __init__(
        self,
        db_path: Path | str,
        *,
        port: int | None = None,
        log_path: Path | str | None = None,
        settings_path: Path | str | None = None,
        extra_args: list[str] | None = None,
        app_path: Path | str = ROOT / "app.py",
    ) -> None:
        self.db_path = Path(db_path)
        self.app_path = Path(app_path)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._own_log_dir: tempfile.TemporaryDirectory | None = None
        if log_path is None:
            self._own_log_dir = tempfile.TemporaryDirectory(prefix="review-pulse-server-")
            log_path = Path(self._own_log_dir.name) / "streamlit.log"
        self.log_path = Path(log_path)
        self.settings_path = Path(settings_path) if settings_path else self.log_path.parent / "no-settings.toml"
        self.extra_args = list(extra_args or [])
        self.process: subprocess.Popen | None = None
        self._log_file = None

    # --- lifecycle ---
    def start(self) -> "StreamlitServer":
        env = dict(os.environ)
        for name in ("GOOGLE_APPLICATION_CREDENTIALS", "SHEETS_EMULATOR_HOST"):
            env.pop(name, None)
        env.update(
            REVIEW_PULSE_DB=str(self.db_path),
            REVIEW_PULSE_SETTINGS=str(self.settings_path),
            PYTHONUNBUFFERED="1",
        )
        command = [
            sys.executable, "-m", "streamlit", "run", str(self.app_path),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            *self.extra_args,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "w", encoding="utf-8")
        # A session of its own, so stop() can end streamlit and anything it spawned.
        self.process = subprocess.Popen(
            command, cwd=self.app_path.parent, env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        last_error = ""
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self.process.returncode} before answering:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as response:
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            time.sleep(0.25)
        raise RuntimeError(
            f"streamlit did not answer {self.url}/_stcore/health within {SERVER_START_TIMEOUT_S}s "
            f"({last_error}):\n{self.log_tail()}"
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process, timeout=15)  # the group we created in start()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_log_dir is not None:
            self._own_log_dir.cleanup()
            self._own_log_dir = None

    def __enter__(self) -> "StreamlitServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- diagnostics ---
    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def page_url(self, url_path: str = "", query: str = "") -> str:
        url = f"{self.url}/{url_path}"
        return f"{url}?{query}" if query else url


# --- browser -------------------------------------------------------------------


def launch_chromium(playwright, **kwargs):
    """Headless Debian Chromium through Playwright."""
    if not chromium_available():
        raise RuntimeError(f"Chromium not found at {CHROMIUM_PATH}")
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS, **kwargs
    )


@contextlib.contextmanager
def chromium_session(**launch_kwargs) -> Iterator[tuple[object, object]]:
    """(playwright, browser), both closed on exit whatever happens."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, **launch_kwargs)
        try:
            yield playwright, browser
        finally:
            with contextlib.suppress(Exception):
                browser.close()


def new_page(browser, *, width: int = 1400, height: int = 1000, accept_downloads: bool = True):
    """A fresh context and page; close with ``page.context.close()``."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        accept_downloads=accept_downloads,
        locale="en-GB",
        timezone_id="UTC",
        reduced_motion="reduce",
    )
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    return context.new_page()


def wait_for_app_idle(page, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Streamlit has connected, run the script and is not running it again.

    The app root says ``data-test-script-state="notRunning"`` between runs; the
    status widget ("Running...") is gone then too. Checked twice with a pause in
    between, because a widget change can queue a rerun right after a run ends.
    """
    for _ in range(2):
        page.wait_for_selector(APP_IDLE_SELECTOR, state="attached", timeout=timeout_ms)
        page.wait_for_function(
            """() => !document.querySelector('[data-testid="stStatusWidget"]')
                     || !/running/i.test(document.querySelector('[data-testid="stStatusWidget"]').innerText)""",
            timeout=timeout_ms,
        )
        page.wait_for_timeout(300)


def wait_for_charts(page, expected: int, timeout_ms: int = PAGE_TIMEOUT_MS) -> int:
    """Wait until Vega-Embed has drawn at least ``expected`` charts; return how many there are."""
    if expected > 0:
        page.wait_for_function(
            "([selector, n]) => document.querySelectorAll(selector).length >= n",
            arg=[CHART_SELECTOR, expected],
            timeout=timeout_ms,
        )
    return page.locator(CHART_SELECTOR).count()


def open_page(page, url: str, heading: str | None = None, charts: int = 0) -> None:
    """Go to ``url`` and wait for the run to finish, the heading to show and the charts to draw."""
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app_idle(page)
    if heading:
        page.get_by_role("heading", name=heading, exact=True).first.wait_for(state="visible")
    wait_for_charts(page, charts)


_CONTENT_HEIGHT_JS = """() => {
    const heights = [window.innerHeight];
    for (const id of ["stMain", "stAppViewContainer", "stSidebarContent"]) {
        const el = document.querySelector(`[data-testid="${id}"]`);
        if (el) heights.push(el.scrollHeight);
    }
    return Math.ceil(Math.max(...heights));
}"""


def full_page_screenshot(page, path: Path | str, *, max_height: int = 12_000) -> Path:
    """A PNG of the whole page, not just the viewport.

    Streamlit scrolls inside ``stMain`` rather than the document, so Playwright's
    ``full_page`` alone stops at the viewport: the viewport is grown to the
    content's height for the shot, then put back.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    try:
        for _ in range(3):  # growing the viewport can re-flow the page once
            needed = min(int(page.evaluate(_CONTENT_HEIGHT_JS)), max_height)
            if needed <= page.viewport_size["height"]:
                break
            page.set_viewport_size({"width": original["width"], "height": needed})
            page.wait_for_timeout(400)
        wait_for_app_idle(page)
        # Vega canvases sometimes finish their last paint a frame after they exist.
        page.wait_for_timeout(500)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        if original and page.viewport_size != original:
            page.set_viewport_size(original)
    return path
