"""The app's cache in front of the read layer: a ``DataView`` whose queries run through
``st.cache_data``, keyed on the query, its arguments and the DB file's identity (inode,
mtime, size), so a newly published ingestion shows on the next rerun without a restart."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from core.quarters import Period
from core.settings import Settings
from core.store import data_version
from review_pulse.queries import Filters
from review_pulse.view import DataView

CACHE_TTL_SECONDS = 600

# Query and chart functions are keyed by their name and identity (the caches live in this process, and
# two wrappers of one name must not share an entry), filters by their values.
# Settings (and the views holding them) by their repr, every field's value: hashing the nested
# dataclasses field by field took most of a warm rerun (3,000 hasher calls per page).
CACHE_KEYS = {types.FunctionType: lambda f: f"{f.__module__}.{f.__qualname__}@{id(f)}", Filters: dataclasses.astuple,
              Settings: repr,
              DataView: lambda v: (str(v.db_path), repr(v.period), v.series, repr(v.settings))}


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=512, hash_funcs=CACHE_KEYS)
def _cached(function: Callable[..., Any], db_path: str, version: tuple | None, *args: Any) -> Any:
    # ``version`` is unused in the body: it is part of the cache key.
    return function(Path(db_path), *args)


def run_cached(function: Callable[..., Any], db_path: Path, *args: Any) -> Any:
    return _cached(function, str(db_path), data_version(db_path), *args)


def cached_view(db_path: Path, period: Period, series: str | None, settings: Settings) -> DataView:
    return DataView(db_path, period, series, settings, runner=run_cached)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256, hash_funcs=CACHE_KEYS)
def _cached_on_view(function: Callable[..., Any], db_path: str, version: tuple | None, period: Period,
                    series: str | None, settings: Settings, *args: Any) -> Any:
    return function(cached_view(Path(db_path), period, series, settings), *args)


def run_on_view(function: Callable[..., Any], view: DataView, *args: Any) -> Any:
    """``function(view, *args)`` for a read-layer function of a whole view (its queries and the pandas work
    on them, e.g. the attendance outlook), cached like a query: a warm rerun does not redo the pandas.
    ``args`` are part of the key (e.g. today's date, so a figure counted from it never outlives the day)."""
    return _cached_on_view(function, str(view.db_path), data_version(view.db_path), view.period, view.series,
                           view.settings, *args)
