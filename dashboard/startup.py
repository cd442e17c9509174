"""What app.py does once per server process before any page, kept apart from ``dashboard.loading_ui``
so that every page's first run does not import the loading pipeline (pipeline.ingest and its
parsers, about 0.2 s); only the Load data page needs it."""

from __future__ import annotations

import gc

import streamlit as st

from pipeline.private_dirs import sweep_stale_folders


@st.cache_resource(show_spinner=False)
def sweep_stale_uploads_at_start(older_than_seconds: int) -> int:
    """Once per server process: folders of uploads a killed server left behind."""
    return len(sweep_stale_folders(older_than_seconds))


_startup_frozen = False


def freeze_startup_objects() -> None:
    """Once per server process, on its first run: every object alive now (the imported modules, Altair's
    schema, Streamlit's runtime; about 130,000) moves to the collector's permanent generation.

    Python's full garbage collection walks every tracked object. Without this, the first one to fall in a
    page's run walks all the modules as well (measured 55-75 ms on the Series page's cold run, in one
    pause); after it, only what was made since. Those objects live as long as the process anyway, so
    never collecting them loses nothing (https://docs.python.org/3/library/gc.html#gc.freeze)."""
    global _startup_frozen
    if not _startup_frozen:
        _startup_frozen = True
        gc.freeze()
