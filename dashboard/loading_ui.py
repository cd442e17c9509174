"""Streamlit pieces of the Load data page: the preview, the mapping boxes, the run outcome.

Every file name, header and message here comes from outside, so each is shown as text
(``st.text``, dataframes, or ``core.plain_text.markdown_literal``), never as Markdown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from pipeline.app_loading import (
    BrowserLoadError, BrowserMapping, column_headers, load_outcome, save_statements, statements_with,
)
from pipeline.ingest import IngestResult
from pipeline.isolated_load import CANCELLED, IsolatedLoadError, RunningLoad
from pipeline.mapping import unrelated_mappings
from pipeline.preview import InspectReport
from pipeline.progress import Progress, progress_text
from review_pulse.view import quarters_of_days
from core.plain_text import markdown_literal
from dashboard import ui
from core.access import may_load_data
from core.errors import for_page
from core.settings import Settings
from core.words import count_text

AS_DETECTED = "(as detected)"
# The answer scales offered, as (lowest, highest) answer: 7 and 10 points and 0-based scales are rescaled onto 1-5.
SCALES = ((1, 5), (1, 7), (1, 10), (0, 4), (0, 10))


def may_load(settings: Settings) -> bool:
    """The access rule for whoever is signed in (everyone, without sign-in)."""
    configured = ui.auth_configured()
    if not configured:
        return may_load_data(settings, False, None)
    return may_load_data(settings, True, str(st.user.get("email") or ""), st.user.get("email_verified"))


def show_preview(report: InspectReport, display_name: dict[str, str], settings: Settings) -> None:
    """What loading would do, per table: tool, mapping, usable rows, first rejects, columns not stored."""
    for result in report.results:
        name = _shown_source(result.source, display_name)
        with st.container(border=True):
            st.text(name)
            if result.report is not None:
                mapping = result.report
                st.caption(markdown_literal(
                    f"{mapping.tool or 'Generic export'} · {mapping.layout} layout · {count_text(mapping.header_rows, 'header row')}"
                    f" · answers {1 - mapping.answer_shift}–{mapping.scale_max - mapping.answer_shift}"))
                cols = st.columns(2)
                cols[0].metric("Usable rows", f"{result.usable_rows:,}")
                cols[1].metric("Rejected rows", f"{result.reject_count:,}")
                rows = [("time", mapping.time_column, "")]
                rows += [(statement, column, how) for statement, column, how in mapping.statement_columns]
                if mapping.feedback_column:
                    rows.append(("feedback", mapping.feedback_column, ""))
                if mapping.series_column:
                    rows.append(("series", mapping.series_column, ""))
                st.dataframe(pd.DataFrame(rows, columns=["Reads", "From column", "How"]), hide_index=True,
                             width="stretch")
                if result.first_rejects:
                    st.caption("First rejected rows (the line in the file, and why):")
                    st.dataframe(pd.DataFrame([(r.line, r.reason) for r in result.first_rejects],
                                              columns=["Line", "Reason"]), hide_index=True, width="stretch")
                if result.unused_columns:
                    st.caption("Columns not stored (not mapped; their values are never read into the database):")
                    st.text(", ".join(result.unused_columns))
                for line in unrelated_mappings([(s, c) for s, c, _how in mapping.statement_columns], settings):
                    st.warning(markdown_literal(line), icon=":material/warning:")
                for line in [*mapping.suggestions, *mapping.notes]:
                    st.caption(markdown_literal(for_page(line)))
            if result.error:
                st.error(markdown_literal(_with_names(for_page(result.error), display_name)))
    for line in report.skipped:
        st.caption(markdown_literal(_with_names(for_page(line), display_name)))


def picked_header_rows() -> int | None:
    """The "Header rows at the top" box's value (None: as detected), read before the boxes are drawn."""
    value = st.session_state.get("map_header_rows", AS_DETECTED)
    return None if value == AS_DETECTED else int(value)


def forget_stale_picks(paths: list[Path]) -> list[str]:
    """The uploads' headers, as the header-rows box reads them (below a title row when as detected);
    a box holding a header the uploads do not have goes back to "as detected"."""
    headers: list[str] = []
    for path in paths:
        headers.extend(h for h in column_headers(path, picked_header_rows()) if h not in headers)
    for key in list(st.session_state):
        if str(key).startswith("map_") and key not in ("map_header_rows", "map_scale") \
                and st.session_state[key] not in (AS_DETECTED, *headers):
            st.session_state[key] = AS_DETECTED
    return headers


def mapping_boxes(headers: list[str], settings: Settings, report: InspectReport, expanded: bool,
                  proposed_time: str | None = None) -> None:
    """Select boxes for the time, statement, feedback and series columns, header rows and scale.

    Each box starts at "as detected" and names what detection found, from ``report``; the time
    box names ``proposed_time`` when the preview found nothing (no statement matched yet).
    """
    found = next((r.report for r in report.results if r.report is not None), None)
    detected = {} if found is None else {statement: column for statement, column, _how in found.statement_columns}
    if found is not None:
        detected |= {"time": found.time_column, "feedback": found.feedback_column, "series": found.series_column}
    detected.setdefault("time", proposed_time)
    options = [AS_DETECTED, *headers]
    with st.expander("Fix the mapping", expanded=expanded, icon=":material/tune:"):
        st.caption("Pick a column where detection is wrong or missing; the preview updates.")
        _pick("Submission time", options, "map_time", detected.get("time"))
        for index, statement in enumerate(settings.statement_texts):
            _pick(statement, options, f"map_statement_{index}", detected.get(statement))
        _pick(settings.feedback_question.text + " (free text)", options, "map_feedback", detected.get("feedback"))
        _pick("Review series", options, "map_series", detected.get("series"))
        cols = st.columns(2)
        cols[0].selectbox("Header rows at the top", [AS_DETECTED, 1, 2, 3, 4, 5], key="map_header_rows",
                          help="Qualtrics exports have 3, SurveyMonkey 2; a title row above the header counts as "
                               "one. The boxes above offer the cells of these rows.")
        cols[1].selectbox("Answer scale", SCALES, key="map_scale", format_func=lambda s: f"{s[0]}–{s[1]}",
                          help="Other scales are rescaled onto 1–5; the answers as given are kept (on a scale "
                               "from 0, one step up)")


def mapping_from_state(settings: Settings) -> BrowserMapping:
    """The mapping the boxes hold (session state keeps them between runs, before they are drawn)."""
    def picked(key: str) -> str | None:
        value = st.session_state.get(key, AS_DETECTED)
        return None if value == AS_DETECTED else value

    statements = tuple((statement, picked(f"map_statement_{index}"))
                       for index, statement in enumerate(settings.statement_texts) if picked(f"map_statement_{index}"))
    header_rows = picked_header_rows()
    return BrowserMapping(
        time_column=picked("map_time"), statements=statements, feedback_column=picked("map_feedback"),
        series_column=picked("map_series"), header_rows=header_rows,
        scale_min=int(st.session_state.get("map_scale", (1, 5))[0]),
        scale_max=int(st.session_state.get("map_scale", (1, 5))[1]),
    )


def _pick(label: str, options: list[str], key: str, detected: str | None) -> None:
    shown = f"{AS_DETECTED[:-1]}: {detected})" if detected else "(not found)"
    st.selectbox(label, options, key=key, format_func=lambda o: shown if o == AS_DETECTED else o)


POLL_SECONDS = 0.5
CANCEL_PRESSED = "load_cancel_pressed"  # session key, set by the Cancel button's callback


def run_with_status(label: str, start: Callable[[], RunningLoad], db_path: Path,
                    sources: list[str], shown_names: dict[str, str] | None = None) -> IngestResult | BrowserLoadError:
    """Start a load in its child process and poll it inside st.status, with the elapsed time, the step
    it is on (``shown_names``: an upload's name on disk -> the name its user gave it) and Cancel.

    Cancel (or any other click, or leaving the page) makes Streamlit rerun the script, which
    interrupts this loop at its next st call; the ``finally`` then kills the child and logs the
    run as failed, and the next run says so (the Cancel button's callback marks it).
    """
    outcome: IngestResult | IsolatedLoadError | None = None
    cancel = st.empty()  # outside the status box, which collapses while its label changes
    with st.status(label, expanded=True) as status:
        try:
            load = start()
        except BrowserLoadError as exc:  # refused before the child started (e.g. the mapping not saved)
            status.update(label="Nothing was changed", state="error", expanded=False)
            return exc
        cancel.button("Cancel", key="cancel_load", icon=":material/cancel:", on_click=_mark_cancel_pressed)
        try:
            while (outcome := load.poll()) is None:
                status.update(label=status_label(label, load.elapsed, load.progress(), shown_names))
                time.sleep(POLL_SECONDS)
        finally:
            if outcome is None:  # interrupted: stop the child before anything else happens
                load.cancel()
                load_outcome(load.poll(), db_path, sources)
        cancel.empty()
        result = load_outcome(outcome, db_path, sources)
        failed = isinstance(result, BrowserLoadError)
        status.update(label="Nothing was changed" if failed else f"Done in {load.elapsed:.0f} s",
                      state="error" if failed else "complete", expanded=False)
    return result


def status_label(label: str, elapsed: float, step: Progress | None, shown_names: dict[str, str] | None = None) -> str:
    """"Loading… 12 s · analysing comments: 30,000 of 74,593" (the step's words hold a file's name: escaped)."""
    shown = f"{label} {elapsed:.0f} s"
    return shown if step is None else f"{shown} · {markdown_literal(progress_text(step, shown_names), line_break=' ')}"


def _mark_cancel_pressed() -> None:
    st.session_state[CANCEL_PRESSED] = True


def show_interrupted_load() -> None:
    """The one line saying the load was cancelled, on the run that Cancel started."""
    if st.session_state.pop(CANCEL_PRESSED, False):
        st.error(markdown_literal("Nothing was loaded: " + CANCELLED))


def show_run(outcome: IngestResult | BrowserLoadError, display_name: dict[str, str],
             days: list[date] | None = None, fiscal_start_month: int = 1) -> None:
    """The run summary and where its rows went (``days``: the run's days), or the one-line reason
    nothing was loaded."""
    if isinstance(outcome, BrowserLoadError):
        st.error(markdown_literal("Nothing was loaded: " + _with_names(for_page(outcome), display_name)))
        return
    st.success(f"Loaded: run {outcome.run_id}. Every page shows the new data now.")
    if days:
        quarters = quarters_of_days(days, fiscal_start_month)
        st.markdown(markdown_literal(where_rows_went(days, [q.label for q in quarters])))
        st.page_link(OPENED_AFTER_LOAD, label=f"Open {quarters[0].label}", icon=":material/arrow_forward:",
                     query_params={"quarter": quarters[0].label})
    elif days is not None:
        st.markdown("No new rows: everything in these files was already loaded.")
    st.text(_with_names("\n".join(for_page(line) for line in outcome.lines()), display_name))


OPENED_AFTER_LOAD = "pages/overview.py"
DAYS_LISTED = 8


def where_rows_went(days: list[date], quarters: list[str]) -> str:
    """"Rows went to 2 days, 2026-03-04 and 2026-03-05, in 2026-Q1." (the first and last days past eight)."""
    if len(days) <= DAYS_LISTED:
        listed = ", ".join(f"{d:%Y-%m-%d}" for d in days[:-1]) + (" and " if len(days) > 1 else "") + f"{days[-1]:%Y-%m-%d}"
    else:
        listed = f"{days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    within = ", ".join(quarters[:-1]) + (" and " if len(quarters) > 1 else "") + quarters[-1]
    return f"Rows went to {count_text(len(days), 'day')}, {listed}, in {within}."


def _shown_source(source: str, display_name: dict[str, str]) -> str:
    return _with_names(source, display_name)


def _with_names(text: str, display_name: dict[str, str]) -> str:
    """Messages name the private temporary path; show the name the file was uploaded as."""
    for path, name in display_name.items():
        text = text.replace(path, name)
    return text


STATEMENT_SAVED = "statement_saved"  # session key: the line saying what was saved, shown after the rerun


def statements_editor(settings: Settings, settings_file: Path, answers_stored: int) -> None:
    """Add a statement of the survey's own, or rename one, written to the settings file at once.

    Renaming is offered only before any answer is stored: stored answers keep the text they were
    loaded under, and a renamed statement would no longer show them.
    """
    saved = st.session_state.pop(STATEMENT_SAVED, None)
    with st.expander("Your statements", icon=":material/edit_note:", expanded=bool(saved)):
        if saved:
            st.success(markdown_literal(saved))
        st.caption("Columns map onto these statements. If your survey asks something else, add it here "
                   f"(saved to {settings_file.name} for every page and the command line), then pick its column "
                   "under Fix the mapping.")
        st.dataframe(pd.DataFrame([(s.text, ", ".join(s.aliases)) for s in settings.statements],
                                  columns=["Statement", "Also matches"]), hide_index=True, width="stretch")
        with st.form("add_statement", clear_on_submit=True):
            text = st.text_input("New statement", key="new_statement_text", max_chars=300,
                                 placeholder="e.g. How satisfied are you with the review?")
            aliases = st.text_area("Other wordings of it in exports (optional, one per line)",
                                   key="new_statement_aliases", max_chars=2000, height=80)
            add = st.form_submit_button("Add statement", icon=":material/add:")
        with st.form("rename_statement"):
            old = st.selectbox("Rename a statement", settings.statement_texts, key="rename_statement_old")
            new = st.text_input("New text", key="rename_statement_new", max_chars=300)
            rename = st.form_submit_button("Rename", icon=":material/edit:", disabled=answers_stored > 0)
            if answers_stored:
                st.caption(f"Renaming is for a survey with nothing loaded yet: {count_text(answers_stored, 'answer')} "
                           "are stored under the current texts. Add a new statement instead.")
    try:
        if add:
            save_statements(settings_file, statements_with(settings, text, aliases.splitlines()))
            st.session_state[STATEMENT_SAVED] = f"Added the statement {' '.join(text.split())!r}."
            st.rerun()
        if rename and not answers_stored:
            save_statements(settings_file, statements_with(settings, new, replacing=old), renamed=(old, " ".join(new.split())))
            st.session_state[STATEMENT_SAVED] = (f"Renamed {old!r} to {' '.join(new.split())!r}; "
                                                 "the old text still matches a column.")
            st.rerun()
    except BrowserLoadError as exc:
        st.error(markdown_literal(for_page(exc)))
