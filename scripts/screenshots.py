"""Full-page screenshots of every dashboard page, on the demo data, for the README.

    .venv/bin/python scripts/screenshots.py                 # -> docs/screenshots/<page>.png
    .venv/bin/python scripts/screenshots.py --quarter 2026-Q2 --out /tmp/shots
    .venv/bin/python scripts/screenshots.py --width 390 --suffix _phone  # a phone: overview_phone.png …

Builds the bundled demo DB in a temporary folder, starts the app against it with
the product's default settings (never your review_pulse.toml or database), and
drives Debian's /usr/bin/chromium at a 1400-px-wide viewport (or --width). The server and the
browser are stopped and the temporary folder removed even when something fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.demo import build_demo  # noqa: E402
from core.settings import Settings  # noqa: E402
from devtools.browser_support import (  # noqa: E402
    CHROMIUM_PATH,
    PAGES,
    SERIES_PAGE,
    StreamlitServer,
    chromium_available,
    chromium_session,
    full_page_screenshot,
    new_page,
    open_page,
    page_slug,
)

WIDTH = 1400
HEIGHT = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="folder for <page>.png")
    parser.add_argument("--quarter", default=None, help="e.g. 2026-Q2 or all (default: the app's default, the latest quarter)")
    parser.add_argument("--width", type=int, default=WIDTH, help=f"viewport width in CSS pixels (default {WIDTH})")
    parser.add_argument("--settings", type=Path, default=None,
                        help="a settings file for the app (default: none, the product's defaults)")
    parser.add_argument("--db", type=Path, default=None,
                        help="screenshot this existing DB instead of the demo (read only); with two or more "
                        "review series the Series page is shot too")
    parser.add_argument("--only", nargs="+", default=None, metavar="PAGE",
                        help="only these pages, by file stem (overview, series, attendance…)")
    parser.add_argument("--suffix", default="", help="added to each file name, e.g. _phone -> overview_phone.png")
    args = parser.parse_args(argv)

    if not chromium_available():
        print(f"screenshots: no Chromium at {CHROMIUM_PATH}; install it with `make browser`", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    query = f"quarter={args.quarter}" if args.quarter else ""
    with tempfile.TemporaryDirectory(prefix="review-pulse-demo-") as folder:
        db_path = args.db or Path(folder) / "reviews.duckdb"
        if args.db is None:
            build_demo(db_path, Settings(), source_dir=Path(folder) / "sources")
        pages = [*PAGES[:1], *([SERIES_PAGE] if _several_series(db_path) else []), *PAGES[1:]]
        if args.only:
            # The entry page first all the same: it registers the app's navigation for deep links.
            pages = [p for i, p in enumerate(pages) if i == 0 or page_slug(p[1]) in args.only]
        with StreamlitServer(db_path, log_path=Path(folder) / "streamlit.log", settings_path=args.settings) as server:
            try:
                with chromium_session() as (_playwright, browser):
                    page = new_page(browser, width=args.width, height=HEIGHT)
                    # The entry page first: it registers the app's navigation for deep links.
                    for _title, url_path, heading, charts in pages:
                        open_page(page, server.page_url(url_path, query), heading, charts)
                        errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
                        if errors.count():
                            print(f"screenshots: /{url_path} shows an error:\n{errors.first.inner_text()}", file=sys.stderr)
                        path = full_page_screenshot(page, args.out / f"{page_slug(url_path)}{args.suffix}.png")
                        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
                    page.context.close()
            except Exception:
                print(f"screenshots: failed; last lines of the server log:\n{server.log_tail()}", file=sys.stderr)
                raise
    return 0


def _several_series(db_path: Path) -> bool:
    from core.quarters import ALL_TIME_PERIOD
    from review_pulse.view import DataView

    view = DataView(db_path, ALL_TIME_PERIOD, None, Settings())
    return view.status().state == "ready" and len(view.series_options()) >= 2


if __name__ == "__main__":
    sys.exit(main())
