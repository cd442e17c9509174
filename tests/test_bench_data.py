"""The benchmark's inputs are what they say (issue #23): the follow-ups of every review, and the
corpus files grown for the memory step. Counts are recounted from the written files with the csv
and zipfile modules, not by the code under test. No timing here: speed lives in `make bench`."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from bench.corpus_paths import CORPUS, grow, manifest
from bench.dataset import generate, generate_followups
from pipeline.cli import main


@pytest.fixture(scope="module")
def followups(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    folder = tmp_path_factory.mktemp("bench-data")
    info = generate(folder, series_count=3, years=0.5, mean_responses=8)
    return folder, info, generate_followups(folder, Path(info.attendance), seed=5)


def test_one_poll_of_five_options_per_review_in_its_series_channel(followups) -> None:  # noqa: ANN001
    folder, info, made = followups
    with open(info.attendance, encoding="utf-8", newline="") as handle:
        reviews = Counter(row["Series"] for row in csv.DictReader(handle))
    channels = dict(line.split(" = ") for line in Path(made.settings).read_text().split("[poll_channels]\n")[1].splitlines())
    series_of = {json.loads(k): json.loads(v) for k, v in channels.items()}
    polls: Counter = Counter()
    with zipfile.ZipFile(made.polls) as archive:
        for name in archive.namelist():
            if "/" in name:
                for message in json.loads(archive.read(name)):
                    polls[series_of[name.split("/")[0]]] += 1
                    votes = [b for b in message["blocks"] if b["type"] == "actions"][0]["elements"] \
                        if message.get("bot_id") == "B0POLLY0001" else \
                        [b for b in message["blocks"] if "-vote-" in b.get("block_id", "")]
                    assert len(votes) == 5
    assert polls == reviews
    assert made.poll_count == sum(reviews.values()) and made.option_count == 5 * made.poll_count


def test_followups_load_into_the_bench_db(followups, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    folder, info, made = followups
    with open(made.actions, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    monkeypatch.setenv("REVIEW_PULSE_SETTINGS", made.settings)
    db = tmp_path / "bench.duckdb"
    assert main(["ingest", "--db", str(db), "--surveys", info.surveys, "--attendance", info.attendance]) == 0
    assert main(["ingest", "--db", str(db), "--polls", made.polls, "--actions", made.actions]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        polls = dict(con.execute("SELECT series, count(*) FROM polls GROUP BY series").fetchall())
        actions = dict(con.execute("SELECT series, count(*) FROM actions GROUP BY series").fetchall())
        columns = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    with open(info.attendance, encoding="utf-8", newline="") as handle:
        assert polls == Counter(row["Series"] for row in csv.DictReader(handle))
    assert actions == Counter(row["Series"] for row in rows)
    assert made.open_actions == sum(row["Status"] in ("To do", "In progress", "Blocked") for row in rows) > 0
    assert "owner" not in {c.lower() for c in columns}  # the Owner column is a person: dropped, never stored


@pytest.mark.parametrize("name", [e["file"] for e in manifest()
                                  if e["file"] in ("qualtrics_incident_review.csv", "msforms_fr_excel_semicolon_cp1252.csv",
                                                   "typeform_title_row.csv", "surveymonkey_team_review.csv")])
def test_a_grown_csv_repeats_its_data_rows_under_its_own_header(name: str, tmp_path: Path) -> None:
    entry = next(e for e in manifest() if e["file"] == name)
    encoding = entry.get("encoding") or "utf-8-sig"
    skip = int(entry.get("title_rows") or 0) + int(entry.get("header_rows") or 1)

    def rows(path: Path) -> list[list[str]]:
        text = path.read_bytes().decode(encoding)
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=entry.get("delimiter") or ","))

    assert grow(entry, CORPUS / name, tmp_path / name, 0.5) is None
    small, grown = rows(CORPUS / name), rows(tmp_path / name)
    head, body = small[:skip], small[skip:]
    copies, rest = divmod(len(grown) - skip, len(body))
    assert grown[:skip] == head and rest == 0 and copies > 1
    assert grown[skip:] == body * copies
    assert (tmp_path / name).stat().st_size >= 0.5 * 2**20
    assert (tmp_path / name).read_bytes()[:3] == (CORPUS / name).read_bytes()[:3]  # a BOM stays, none is added
