"""The Feedback page's themes in headless Chromium: the chart draws, a theme chip filters, screenshot to look at."""

from __future__ import annotations

import pytest

from devtools.browser_support import CHART_SELECTOR, full_page_screenshot, open_page
from tests.test_browser import SCREENSHOTS, assert_no_errors, browser, expect, page, server  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser]


def test_feedback_themes_page_draws_and_filters(server, page) -> None:  # noqa: F811
    open_page(page, server.page_url("feedback", "quarter=2026-Q3"), "Feedback", 1)
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_contain_text("What people said")
    expect(main).to_contain_text("Focus and topics · ")
    assert page.locator(CHART_SELECTOR).count() >= 1
    full_page_screenshot(page, SCREENSHOTS / "feedback-themes.png")
    page.get_by_role("button", name="Focus and topics").first.click()
    expect(main).to_contain_text("answers in Focus and topics")
    assert_no_errors(page, server, "Feedback with a theme chip")
    full_page_screenshot(page, SCREENSHOTS / "feedback-focus-chip.png")


def test_the_theme_trend_draws_when_its_expander_is_opened(server, page) -> None:  # noqa: F811
    open_page(page, server.page_url("feedback", "quarter=2026-Q3"), "Feedback", 1)
    before = page.locator(CHART_SELECTOR).count()  # the trend is not built while its expander is closed
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Themes per quarter").click()
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length > n", arg=[CHART_SELECTOR, before],
                           timeout=30_000)
    assert_no_errors(page, server, "Feedback with the theme trend open")
    full_page_screenshot(page, SCREENSHOTS / "feedback-theme-trend.png")
