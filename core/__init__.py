"""The core every part imports: settings, schema, store, errors, run log, quarters and the
small rules shared by the pipeline, the read layer and the app (anonymity wording, plain text,
links, who may load). No Streamlit, no pandas at import, nothing from pipeline/, review_pulse/ or dashboard/."""
