"""Helpers for development only (tests, bench, scripts): a Streamlit server in a subprocess,
headless Chromium through Playwright, process groups. Never imported by the product."""
