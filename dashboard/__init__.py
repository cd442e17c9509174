"""The Streamlit app's own pieces: the shared UI helpers, navigation, the cached view and the
Load data page's widgets. app.py and pages/ import this; nothing else does."""
