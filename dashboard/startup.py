"""What app.py does once per server process before any page, kept apart from ``dashboard.loading_ui``
so that every page's first run does not import the loading pipeline (pipeline.ingest and its
parsers, about 0.2 s); only the Load data page needs it."""

from __future__ import annotations

import streamlit as st

from pipeline.private_dirs import sweep_stale_folders


@st.cache_resource(show_spinner=False)
def sweep_stale_uploads_at_start(older_than_seconds: int) -> int:
    """Once per server process: folders of uploads a killed server left behind."""
    return len(sweep_stale_folders(older_than_seconds))
