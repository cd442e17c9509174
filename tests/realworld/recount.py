"""An independent recount of a real-world export, from its manifest entry (csv module / openpyxl only).

Deliberately shares nothing with pipeline/ or review_pulse/: it knows each tool's layout by hand
(Qualtrics has 3 header rows, SurveyMonkey 2, everything else 1) and reads exactly the columns the
manifest names. Figures are on the file's own scale (a 1-7 file gives 1-7 means).

Counting rules (what a correct loader must reproduce):
- a row whose time cell is blank is a reject (an abandoned LimeSurvey response, say): never counted;
- a row counts as a response when it has at least one statement answer or a non-blank feedback;
- a statement's count is its non-blank answers among responses; its mean is over those answers;
- feedback counts responses whose feedback cell is not blank after stripping whitespace;
- a row whose Status cell holds one of the manifest's ``not_response_status`` values (Qualtrics' own
  words for a preview, test or spam row, written into the entry by hand) is no response at all.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook

HEADER_ROWS = {"Qualtrics": 3, "SurveyMonkey": 2}


class RecountError(ValueError):
    """The manifest names a column the file does not have (or has twice)."""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def csv_tables(entry: dict, path: Path) -> list[list[list[str]]]:
    encoding = entry.get("encoding") or "utf-8-sig"
    delimiter = entry.get("delimiter") or ","
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [[[cell.strip() for cell in row] for row in rows]]


def xlsx_tables(entry: dict, path: Path) -> list[list[list[str]]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        names = [entry["worksheet"]] if entry.get("worksheet") else workbook.sheetnames
        tables = []
        for name in names:
            rows = [[_text(v) for v in row] for row in workbook[name].iter_rows(values_only=True)]
            if rows and entry["time_column"].strip() in rows[0]:  # a tab whose header holds the survey
                tables.append(rows)
        return tables
    finally:
        workbook.close()


def find_column(key: str, header: list[str], texts: list[str] | None, tool: str) -> int:
    """The one column a manifest key names: exact header, else the tool's way of naming grid rows."""
    key = key.strip()  # headers are compared trimmed: real headers carry stray spaces
    hits = [i for i, h in enumerate(header) if h == key]
    if not hits and texts is not None:
        if tool == "Qualtrics":  # row 2: '<question> - <row label>' or the question text itself
            hits = [i for i, t in enumerate(texts) if t == key or t.endswith(" - " + key) or t.endswith("-" + key)]
        elif tool == "SurveyMonkey":  # row 2 holds matrix row labels
            hits = [i for i, t in enumerate(texts) if t == key]
    if not hits:  # single-header grids: 'Question [Row]', 'Question - Row', 'Question\n.Row'
        hits = [i for i, h in enumerate(header)
                if h.endswith(f"[{key}]") or h.endswith(" - " + key) or h.endswith("\n." + key)]
    if len(hits) != 1:
        raise RecountError(f"{key!r} matches {len(hits)} columns")
    return hits[0]


def find_time(name: str, header: list[str], texts: list[str] | None) -> int:
    """The time column: a row-1 header, or (legacy Qualtrics, whose row 1 is V1..V10) a row-2 name."""
    if name.strip() in header:
        return header.index(name.strip())
    if texts is not None and name.strip() in texts:
        return texts.index(name.strip())
    raise RecountError(f"no time column {name!r}")


def recount(entry: dict, folder: Path) -> dict:
    """Responses, per-statement count/mean and feedback count of one manifest entry's file."""
    path = Path(folder) / entry["file"]
    tool = entry["tool"]
    skip = entry.get("header_rows") or HEADER_ROWS.get(tool, 1)
    tables = xlsx_tables(entry, path) if path.suffix.lower() == ".xlsx" else csv_tables(entry, path)
    if not tables:
        raise RecountError(f"no tab of {path.name} has the header {entry['time_column']!r}")
    labels = entry["labels"]
    sums = {text: [0, 0.0] for text in entry["statements"].values()}
    responses = feedback = 0
    for rows in tables:
        rows = rows[entry.get("title_rows", 0):]  # a title line above the header (manifest key title_rows)
        header = rows[0]
        texts = rows[1] if skip >= 2 else None
        time_at = find_time(entry["time_column"], header, texts)
        statement_at = {text: find_column(key, header, texts, tool) for key, text in entry["statements"].items()}
        feedback_at = (find_column(entry["feedback_column"], header, texts, tool)
                       if entry.get("feedback_column") else None)
        not_responses = entry.get("not_response_status") or {}
        status_at = header.index(not_responses["column"]) if not_responses else None
        for row in rows[skip:]:
            row = row + [""] * (len(header) - len(row))
            if status_at is not None and row[status_at].strip() in not_responses["values"]:
                continue
            if not any(row) or not row[time_at]:
                continue
            answers = {text: row[i] for text, i in statement_at.items() if row[i]}
            comment = row[feedback_at] if feedback_at is not None else ""
            if not answers and not comment:
                continue
            responses += 1
            feedback += bool(comment)
            for text, answer in answers.items():
                if answer not in labels:
                    raise RecountError(f"{path.name}: answer {answer!r} is not in the manifest's labels")
                sums[text][0] += 1
                sums[text][1] += labels[answer]
    return {
        "responses": responses,
        "statements": {text: {"count": n, "mean": (total / n if n else 0.0)} for text, (n, total) in sums.items()},
        "feedback": feedback,
    }


if __name__ == "__main__":  # print the recount of every replica, for eyeballing
    import json
    import sys

    here = Path(__file__).resolve().parent
    for item in json.loads((here / "manifest.json").read_text(encoding="utf-8")):
        if item.get("real"):
            continue
        if item.get("expect_refusal"):
            print(f"{item['file']}: refused ({item['expect_refusal']})")
            continue
        print(item["file"], json.dumps(recount(item, here), ensure_ascii=False), file=sys.stdout)
