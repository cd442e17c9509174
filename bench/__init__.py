"""Review Pulse benchmark (`python -m bench`, `make bench`): not part of the test suite.

Generates a large, realistic dataset as source files, then times ingestion, every
page (AppTest, cold and warm), chart payloads, the server's peak memory in a real
browser session, PNG / retro-pack exports, the Overview's time to draw in
headless Chromium (alone and against an empty Streamlit page), and which path each
real-world corpus file takes with the Python path's memory. Results go to
``bench/results/report.md`` and ``report.json``.
"""
