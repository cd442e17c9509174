"""Review Pulse: is our weekly incident review healthy, and is it getting better?

Thin entry point: settings, navigation, the shared sidebar filters, then the page.
"""

import streamlit as st

from review_pulse import ui
from review_pulse.settings import SettingsError, load_settings, resolve_db_path

st.set_page_config(page_title="Review Pulse", page_icon=":material/monitor_heart:", layout="wide")

try:
    settings = load_settings()
except SettingsError as exc:
    st.error(f"Settings file problem: {exc}")
    st.stop()

ui.require_sign_in(settings)

page = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/monitor_heart:", default=True),
        st.Page("pages/agreement.py", title="Survey agreement", icon=":material/thumb_up:"),
        st.Page("pages/attendance.py", title="Attendance", icon=":material/groups:"),
        st.Page("pages/feedback.py", title="Feedback", icon=":material/forum:"),
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
    ]
)
st.sidebar.title("Review Pulse")
ui.sidebar_filters(resolve_db_path(), settings)
page.run()
