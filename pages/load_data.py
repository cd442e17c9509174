"""Load data: drop in an export, see how it will be read, fix the mapping, load; or sync the sheets."""

import streamlit as st

from pipeline.app_loading import (
    UPLOAD_KINDS, BrowserLoadError, Upload, failed_since, file_pattern, last_sheet_sync, preview_surveys, proposed_time,
    remember_mapping, saved_uploads, start_sheet_sync, start_upload_load,
)
from core.plain_text import markdown_literal
from dashboard import loading_ui, ui
from core.run_log import failed_runs
from core.words import count_text
from core.settings import settings_path

view = ui.current_view()
settings = view.settings
st.title("Load data")

if not loading_ui.may_load(settings):
    if settings.browser_loading:
        st.info("Loading data is for editors. Ask an admin to add your e-mail to `editors` in review_pulse.toml.")
    else:
        st.info("Loading from the browser is turned off (`browser_loading = false`). Load with the command line:")
    st.code(ui.ingest_command(view.db_path), language="bash", wrap_lines=True)
    st.stop()

loading_ui.show_interrupted_load()
st.subheader("Upload exports")
linked_kind = st.query_params.get("kind")  # a link from an empty page, e.g. Attendance's "Load attendance"
kind = st.segmented_control("What are you loading?", list(UPLOAD_KINDS), key="upload_kind",
                            default=linked_kind if linked_kind in UPLOAD_KINDS else "surveys",
                            format_func=lambda k: UPLOAD_KINDS[k].label) or "surveys"
limit_mb = st.get_option("server.maxUploadSize")
files = st.file_uploader(
    f"{UPLOAD_KINDS[kind].label}: drop one or several files", type=list(UPLOAD_KINDS[kind].extensions),
    accept_multiple_files=True, key=f"upload_{kind}",
    help="The same files `python -m pipeline ingest` reads: CSV, TSV, TXT or XLSX exports",
)
st.caption(f"Up to {limit_mb} MB per file. Files are read for this load only, then deleted; they are never served back.")


def run_days(outcome: object) -> list | None:
    """The days the finished run's rows are on (None when nothing was loaded)."""
    if isinstance(outcome, BrowserLoadError):
        return None
    return view.run_days(outcome.run_id)


answers_stored = view.table_counts()["answers"] if view.status().state in ("ready", "empty") else 0

if files:
    uploads = [Upload(f.name, f.getvalue()) for f in files]
    with saved_uploads(uploads) as paths:
        names = {str(p): u.name for p, u in zip(paths, uploads)} | {str(paths[0].parent) + "/": ""}
        mapping = None
        if kind == "surveys":
            st.markdown("**Preview** — nothing is written until you press Load.")
            headers = loading_ui.forget_stale_picks(paths)
            mapping = loading_ui.mapping_from_state(settings)
            report = preview_surveys(paths, settings, mapping)
            loading_ui.show_preview(report, names, settings)
            loading_ui.mapping_boxes(headers, settings, report, expanded=not report.ok or not mapping.is_empty,
                                     proposed_time=proposed_time(paths))
            loading_ui.statements_editor(settings, settings_path(settings), answers_stored)
            ready = report.ok
            remember = st.checkbox("Remember this mapping for the next exports of this survey",
                                   disabled=mapping.is_empty, key="remember_mapping")
            pattern = st.text_input("Applies to files named", file_pattern(uploads[0].name), key="remember_pattern",
                                    disabled=not remember, help="* stands for any text, e.g. a date")
        else:
            ready, remember = True, False
        if st.button(f"Load {len(paths)} file{'s' if len(paths) > 1 else ''}", type="primary", disabled=not ready,
                     icon=":material/upload:"):
            def start():  # noqa: ANN202
                if remember and mapping is not None:
                    st.write("Saving the mapping to the settings file…")
                    remember_mapping(settings_path(settings), mapping, pattern)
                st.write("Reading, checking and writing in one transaction, in a process of its own "
                         f"(stopped after {settings.browser_load_time_limit_seconds:,} s)…")
                return start_upload_load(view.db_path, settings, kind, paths, mapping)

            outcome = loading_ui.run_with_status("Loading…", start, view.db_path, [f"upload {u.name}" for u in uploads],
                                                 {p.name: u.name for p, u in zip(paths, uploads)})
            loading_ui.show_run(outcome, names, run_days(outcome), settings.fiscal_year_start_month)
else:
    st.info("Drop the export you downloaded after the review. You will see how it will be read before anything is loaded.")

st.subheader("Sync from Google Sheets")
if not settings.sheets:
    st.caption("No sheets are configured. An admin lists them in review_pulse.toml (see the README, Google "
               "Sheets); they are then synced here.")
else:
    st.dataframe([{"Kind": s.kind, "Sheet": s.key, "Worksheet": s.worksheet or "(first tab)"} for s in settings.sheets],
                 hide_index=True, width="stretch")
    runs = view.ingest_runs(limit=200) if view.status().state == "ready" else None
    synced = last_sheet_sync([] if runs is None else list(zip(runs["finished_at"], runs["sources"])))
    st.caption(f"Last successful sync: {synced:%Y-%m-%d %H:%M} UTC" if synced else "Not synced yet.")
    failure = failed_since(synced, failed_runs(view.db_path).itertuples(index=False, name=None))
    if failure:
        st.warning(markdown_literal("Last sync failed: " + failure))
    if st.button("Sync now", icon=":material/sync:"):
        def sync():  # noqa: ANN202
            st.write(f"Reading {count_text(len(settings.sheets), 'sheet')} and loading them in one transaction…")
            return start_sheet_sync(view.db_path, settings)

        outcome = loading_ui.run_with_status("Syncing…", sync, view.db_path, [f"sheet {s.key}" for s in settings.sheets])
        loading_ui.show_run(outcome, {}, run_days(outcome), settings.fiscal_year_start_month)
