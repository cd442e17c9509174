"""Reading survey inputs file by file (and tab by tab), and previewing them without writing.

``read_survey_inputs`` is what ``ingest`` runs; ``inspect_paths`` is what ``inspect`` and
``ingest --dry-run`` run: the same mapping and parsing, returned as typed results and
never written anywhere. No Streamlit here, so a page can show the same preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import Worded
from pipeline.errors import IngestError, SourceFileError
from pipeline.mapping import RunOptions, mapping_for
from pipeline.parse.surveys import NotASurvey, parse_surveys
from pipeline.progress import ProgressFactory, no_progress, report_step
from pipeline.records import MappingReport, ParsedSurveys, Reject
from pipeline.sources.files import expand_inputs, read_table, read_tabs
from core.settings import Settings, SourceMapping


@dataclass
class SurveyTable:
    """One survey table to load: parsed now, or (a plain CSV) by the DuckDB fast path later."""

    source: str
    declared: SourceMapping | None
    parse: Callable[[], ParsedSurveys]
    path: Path | None = None  # set for a CSV file the fast path may take


@dataclass
class SurveyInputs:
    tables: list[SurveyTable] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "FILE / TAB: why it was not loaded"


def read_survey_inputs(paths: list[Path], settings: Settings, series: str | None,
                       options: RunOptions | None = None,
                       progress: ProgressFactory = no_progress,
                       lazy: bool = False) -> SurveyInputs:
    """Every survey table of the given files and folders; workbooks give every tab that fits.

    ``lazy`` (ingest) maps the columns up front and leaves the rows for the loader to parse a
    batch at a time (records.ParsedSurveys.pending); a preview parses them all at once.
    """
    options = options or RunOptions()
    inputs = SurveyInputs()
    for path in expand_inputs(paths):
        inputs.sources.append(str(path))
        report_step(progress, path.name)
        tabs = read_tabs(path, options.worksheets, settings.limits)
        if tabs is None:
            declared = mapping_for(settings, str(path), None, options)

            def parse_csv(path: Path = path, declared: SourceMapping | None = declared) -> ParsedSurveys:
                return parse_surveys(read_table(path, limits=settings.limits), settings, series, progress=progress(path.name),
                                     declared=declared, lazy=lazy)

            inputs.tables.append(SurveyTable(str(path), declared, parse_csv, path))
            continue
        found: list[SurveyTable] = []
        first_problem: SourceFileError | None = None
        for tab in tabs:
            if tab.table is None:
                inputs.skipped.append(f"skipped {path} / {tab.name}: the tab is empty")
                continue
            declared = mapping_for(settings, str(path), tab.name, options)
            try:
                parsed = parse_surveys(tab.table, settings, series, declared=declared, lazy=lazy)
            except NotASurvey as exc:
                first_problem = first_problem or exc
                inputs.skipped.append(f"skipped {path} / {tab.name}: no column answers a statement")
                continue
            found.append(SurveyTable(tab.table.source, declared, lambda parsed=parsed: parsed))
        if not found:
            if first_problem is not None:
                raise first_problem
            raise SourceFileError(str(path), "the workbook has no tab with survey responses")
        inputs.tables.extend(found)
    return inputs


# --- preview ---------------------------------------------------------------------------------


@dataclass
class InspectResult:
    """What loading one table would do; ``error`` is the one-line refusal, if it is refused."""

    source: str
    report: MappingReport | None = None
    usable_rows: int = 0
    reject_count: int = 0
    first_rejects: list[Reject] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class InspectReport:
    results: list[InspectResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.error is None for r in self.results)


def inspect_paths(paths: list[Path], settings: Settings, series: str | None = None,
                  options: RunOptions | None = None, first: int = 5) -> InspectReport:
    """Map and parse every survey table of these files, writing nothing."""
    report = InspectReport()
    for path in paths:
        try:
            inputs = read_survey_inputs([path], settings, series, options)
        except IngestError as exc:
            report.results.append(InspectResult(str(path), error=Worded(str(exc), exc.page_message)))
            continue
        report.skipped.extend(inputs.skipped)
        for table in inputs.tables:
            try:
                parsed = table.parse()
            except IngestError as exc:
                report.results.append(InspectResult(table.source, error=Worded(str(exc), exc.page_message)))
                continue
            result = InspectResult(parsed.source, parsed.report, len(parsed.responses), len(parsed.rejects),
                                   parsed.rejects[:first], parsed.unused_columns)
            if not parsed.responses and parsed.rejects:
                from pipeline.loader import unusable_message

                result.error = unusable_message(parsed.source, parsed.rejects, parsed.report)
            report.results.append(result)
    return report


def inspect_lines(report: InspectReport) -> list[str]:
    from pipeline.loader import report_lines

    lines: list[str] = []
    for result in report.results:
        if result.report is not None:
            lines.extend(report_lines(result.source, result.report))
            lines.append(f"  usable rows: {result.usable_rows:,}; rejected rows: {result.reject_count:,}")
            for reject in result.first_rejects:
                lines.append(f"  reject line {reject.line}: {reject.reason}")
            if result.unused_columns:
                lines.append("  not stored (not mapped): " + ", ".join(repr(c) for c in result.unused_columns[:15])
                             + (f" and {len(result.unused_columns) - 15} more" if len(result.unused_columns) > 15 else ""))
        if result.error:
            lines.append(f"{'  ' if result.report else ''}refused: {result.error}")
    lines.extend(report.skipped)
    return lines
