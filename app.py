"""Review Pulse: is our weekly incident review healthy, and is it getting better?

Thin entry point: settings, navigation, the shared sidebar filters, then the page.
"""

import streamlit as st

from review_pulse import navigation, ui
from review_pulse.settings import SettingsError, load_settings, resolve_db_path

st.set_page_config(page_title="Review Pulse", page_icon=":material/monitor_heart:", layout="wide")

try:
    settings = load_settings()
except SettingsError as exc:
    st.error(f"Settings file problem: {exc}")
    st.stop()

ui.require_sign_in(settings)

page = st.navigation(navigation.pages())
st.sidebar.title("Review Pulse")
ui.sidebar_filters(resolve_db_path(), settings)
page.run()
