"""Review Pulse benchmark (`python -m bench`, `make bench`): not part of the test suite.

Generates a large, realistic dataset as source files, then times ingestion, every
page (AppTest, cold and warm), chart payloads, the server's peak memory in a real
browser session, PNG / retro-pack exports and the Overview's time to draw in
headless Chromium. Results go to ``bench/results/report.md`` and ``report.json``.
"""
