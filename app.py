"""Review Pulse: is our weekly incident review healthy, and is it getting better?

Thin entry point: settings, navigation, the shared sidebar filters, then the page.
"""

import duckdb
import streamlit as st

from core.plain_text import markdown_literal
from dashboard import navigation, startup, ui
from core.settings import SettingsError, load_settings, resolve_db_path

startup.freeze_startup_objects()
st.set_page_config(page_title="Review Pulse", page_icon=":material/monitor_heart:", layout="wide")

try:
    settings = load_settings()
except SettingsError as exc:
    st.error(f"Settings file problem: {markdown_literal(exc)}")
    st.stop()

ui.require_sign_in(settings)
startup.sweep_stale_uploads_at_start(settings.browser_load_time_limit_seconds)

db_path = resolve_db_path()
page = st.navigation(navigation.pages(with_series=ui.has_several_series(db_path, settings)))
st.sidebar.title("Review Pulse")
try:
    ui.sidebar_filters(db_path, settings)
    page.run()
except duckdb.Error as exc:  # a file that opens but is damaged inside (e.g. truncated)
    ui.show_damaged_database(db_path, str(exc).splitlines()[0])
