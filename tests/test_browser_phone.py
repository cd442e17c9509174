"""Every page at a phone's viewport (390 × 844) and a desktop one, in real Chromium (issue 24, items 1, 2,
12, 13): every chart fits the page, its plot is at least half of its width and its marks at least half of
the plot's width, and no two texts it draws overlap.

Charts are drawn as SVG (dashboard/ui.show_chart), so every label is a DOM <text> whose box the
browser measures; the numbers come from the page, not from the chart builders.
"""

from __future__ import annotations

import pytest

from devtools.browser_support import (
    CHROMIUM_PATH,
    PAGES,
    ROOT,
    StreamlitServer,
    chromium_available,
    chromium_session,
    full_page_screenshot,
    new_page,
    open_page,
    page_slug,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason=f"no Chromium at {CHROMIUM_PATH} (run `make browser`)"),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

SHOTS = ROOT / "test-output" / "phone"
PHONE = (390, 844)
DESKTOP = (1440, 1000)
MIN_PLOT_SHARE = 0.5  # of the chart's width: axis labels and legends never squeeze the plot below this
MIN_MARK_FILL = 0.5  # of the plot's width, for the horizontal extent of the data marks
OVERLAP_TOLERANCE_PX = 2.0  # a line's box is its font's full ascent + descent, a little more than the glyphs

# Per chart on the page: its box, the horizontal extent of its data marks, and every visible text box.
# Hidden texts (labelOverlap sets opacity 0; a filtered label is not drawn at all) are left out. The
# target label and its white halo are the same text at the same place: one box.
MEASURE_JS = """() => {
  const visible = (el, root) => {
    for (let e = el; e && e !== root.parentNode; e = e.parentNode) {
      if (!e.getAttribute) continue;
      if (e.getAttribute('opacity') === '0' || e.getAttribute('fill-opacity') === '0') return false;
      if (e.getAttribute('visibility') === 'hidden' || e.getAttribute('display') === 'none') return false;
    }
    return true;
  };
  return [...document.querySelectorAll('.vega-embed svg.marks')].map((svg) => {
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll('g.role-mark')]
      .filter((g) => !/mark-text/.test(g.getAttribute('class') || ''))
      .flatMap((g) => [...g.children])
      .map((el) => el.getBoundingClientRect())
      .filter((r) => r.width > 0 || r.height > 0);
    const seen = new Set();
    const texts = [];
    // One box per drawn line: a multi-line text (a wrapped label, a title) is a <text> of <tspan>s.
    const lines = [...svg.querySelectorAll('text')].flatMap((t) => {
      const spans = [...t.querySelectorAll('tspan')];
      return spans.length ? spans.map((s) => [s, t]) : [[t, t]];
    });
    for (const [t, owner] of lines) {
      const text = (t.textContent || '').trim();
      if (!text || !visible(owner, svg)) continue;
      const r = t.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const key = `${text}@${Math.round(r.left)},${Math.round(r.top)}`;
      if (seen.has(key)) continue;  // a halo under its label
      seen.add(key);
      texts.push({text, left: r.left, right: r.right, top: r.top, bottom: r.bottom});
    }
    const title = svg.querySelector('.role-title-text');
    // The data rectangle: the root group's background, as wide as the plot.
    const frame = svg.querySelector('.role-frame.root > g > g > path.background, .role-frame.root path.background');
    const plot = frame ? frame.getBoundingClientRect() : box;
    return {
      title: title ? title.textContent : '(untitled)',
      left: box.left, right: box.right, width: box.width, plotWidth: plot.width,
      marksLeft: marks.length ? Math.min(...marks.map((r) => r.left)) : null,
      marksRight: marks.length ? Math.max(...marks.map((r) => r.right)) : null,
      texts,
    };
  });
}"""


def overlapping(texts: list[dict]) -> list[tuple[str, str]]:
    pairs = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            dx = min(a["right"], b["right"]) - max(a["left"], b["left"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if dx > OVERLAP_TOLERANCE_PX and dy > OVERLAP_TOLERANCE_PX:
                pairs.append((a["text"], b["text"], round(dx, 1), round(dy, 1)))
    return pairs


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    logs = tmp_path_factory.mktemp("phone-server")
    with StreamlitServer(demo_db, log_path=logs / "streamlit.log", settings_path=logs / "no-settings.toml") as app:
        yield app


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as (_playwright, chromium):
        yield chromium


@pytest.mark.parametrize(("width", "height"), [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(("title", "url_path", "heading", "charts"), PAGES, ids=[p[1] or "overview" for p in PAGES])
def test_charts_fit_and_no_text_overlaps(server, browser, width, height, title, url_path, heading, charts):
    page = new_page(browser, width=width, height=height)
    try:
        open_page(page, server.page_url(url_path), heading, charts)
        page.wait_for_timeout(500)  # SVG text is laid out a frame after the marks exist
        full_page_screenshot(page, SHOTS / f"{page_slug(url_path)}-{width}.png")
        measured = page.evaluate(MEASURE_JS)
        viewport = page.evaluate("() => document.documentElement.clientWidth")
    finally:
        page.context.close()
    assert len(measured) >= charts
    for chart in measured:
        where = f"{title} at {width} px: {chart['title']!r}"
        assert chart["right"] <= viewport + 0.5, f"{where} is wider than the page ({chart['right']:.0f} > {viewport})"
        for text in chart["texts"]:
            assert text["right"] <= viewport + 0.5, f"{where}: {text['text']!r} runs off the page"
        if chart["marksLeft"] is not None:  # a message chart has no data marks
            share = chart["plotWidth"] / chart["width"]
            assert share >= MIN_PLOT_SHARE, f"{where}: the plot is {share:.0%} of the chart's width"
            fill = (chart["marksRight"] - chart["marksLeft"]) / chart["plotWidth"]
            assert fill >= MIN_MARK_FILL, f"{where}: marks use {fill:.0%} of the plot's width"
        assert overlapping(chart["texts"]) == [], f"{where}: texts overlap"


@pytest.mark.parametrize(("width", "height"), [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_review_health_table_shows_every_row_without_scrolling(server, browser, width, height):
    page = new_page(browser, width=width, height=height)
    try:
        open_page(page, server.page_url("actions"), "Follow-up actions", 3)
        table = page.get_by_test_id("stDataFrame").last
        table.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        # The grid's scroller: a scroll height beyond its client height means rows are hidden behind a scroll.
        sizes = table.evaluate("""(el) => [...el.querySelectorAll('div')]
            .filter((d) => ['auto', 'scroll'].includes(getComputedStyle(d).overflowY))
            .map((d) => [d.scrollHeight, d.clientHeight])""")
    finally:
        page.context.close()
    assert sizes, "no scroller found in the table"
    assert all(scroll <= client + 1 for scroll, client in sizes), sizes
