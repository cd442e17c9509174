"""The talking-point views' rows stored at publish time (core.stored_polls, issue #23).

Every talking-points figure is read twice: through the stored rows (the file as the loader leaves it)
and through the views themselves (the same file without the stored tables, as a version from before
them wrote it). They must be equal on every variant, period and series. Stored rows not made from the
file's current polls, options and meetings, or by another rule, must never be read.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from core.quarters import ALL_TIME_PERIOD, parse_period
from core.settings import Settings
from core.stored_polls import STORED_RELATIONS, STORED_TABLES, on_stored_polls, polls_are_fresh, refresh_stored_polls
from review_pulse import series_queries, talking_points_queries
from review_pulse.view import DataView
from tests.db_variants import assert_same_figures, demo_variant, without_tables

# The polls copied under new ids, in another series or an hour later in the same week (as in
# tests/test_talking_points_app.py), votes scattered into ties, and a review whose meeting moved.
VARIANTS = {
    "demo": [],
    "two series, scattered votes": [
        "UPDATE poll_options SET votes = hash(poll_id || point) % 4",
        "INSERT INTO poll_options SELECT poll_id || '-b', option_order, point, kind, theme, votes + option_order, "
        "discussed FROM poll_options",
        "INSERT INTO polls SELECT poll_id || '-b', 'Another review', held_utc, held_local, title, app, edited_ts, "
        "source_file, run_id FROM polls",
    ],
    "two polls a week, nobody voted on one": [
        "INSERT INTO poll_options SELECT poll_id || '-c', option_order, point, kind, theme, 0, discussed "
        "FROM poll_options",
        "INSERT INTO polls SELECT poll_id || '-c', series, held_utc + INTERVAL 1 HOUR, held_local + INTERVAL 1 HOUR, "
        "title, app, edited_ts, source_file, run_id FROM polls",
    ],
    "no meetings (each poll in its own week)": ["DELETE FROM meetings"],
    "no polls": ["DELETE FROM poll_options", "DELETE FROM polls"],
}
PERIODS = {"all": ALL_TIME_PERIOD, "2026-Q3": parse_period("2026-Q3")}
SERIES = (None, "Incident review", "Another review")


def figures(db: Path) -> dict[str, object]:
    """Everything the read layer reads from talking_points or weekly_topics, for each period and series."""
    found: dict[str, object] = {}
    for period_name, period in PERIODS.items():
        for series in SERIES:
            view = DataView(db, period, series, Settings())
            at = f"{period_name}.{series}"
            for method in ("poll_count", "talking_points", "incident_points", "weekly_topics", "poll_headline_counts",
                           "recurring_themes", "theme_timeline", "topic_balance", "beside_survey",
                           "beside_survey_hidden_weeks"):
                found[f"{at}.{method}"] = getattr(view, method)()
            found[f"{at}.latest"] = view.latest_talking_points(10)
            found[f"{at}.series_themes"] = series_queries.series_frames(
                db, view.filters(), view.filters(), date(2026, 12, 6)).themes
    return found


def without_stored_rows(db: Path, copy: Path) -> Path:
    """The file as a version from before the stored rows wrote it."""
    return without_tables(db, copy, STORED_TABLES)


def published(demo_db: Path, folder: Path, variant: str) -> Path:
    """The variant as the loader would publish it: its statements, then the stored rows refreshed."""
    db = demo_variant(demo_db, folder, VARIANTS[variant])
    with duckdb.connect(str(db)) as con:
        refresh_stored_polls(con)
        assert polls_are_fresh(con)
    return db


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_talking_points_figure_read_through_the_stored_rows_equals_the_views(demo_db: Path, tmp_path: Path,
                                                                                    variant: str) -> None:
    db = published(demo_db, tmp_path, variant)
    stored, views = figures(db), figures(without_stored_rows(db, tmp_path / "older.duckdb"))
    assert_same_figures(stored, views)
    polls = 0 if variant == "no polls" else 26 * (2 if "two" in variant else 1)
    assert stored["all.None.poll_count"] == polls  # the demo's 26 polls (doubled by a copy)


def test_the_stored_rows_are_the_views_rows(demo_db: Path) -> None:
    """What the loader stored for the demo is each view's rows, types included."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        assert polls_are_fresh(con)
        for view, stored in STORED_RELATIONS.items():
            order = " ORDER BY ALL"
            assert con.execute(f"SELECT * FROM {stored}{order}").fetchall() == con.execute(
                f"SELECT * FROM {view}{order}").fetchall()
            assert con.execute(f"DESCRIBE {stored}").fetchall() == con.execute(f"DESCRIBE {view}").fetchall()
        assert con.execute("SELECT count(*) FROM stored_weekly_topics").fetchall()[0][0] == 26


# Writers that change what the views are made from without refreshing the stored rows (none of ours does),
# and whether that changes a figure. The counts stay the same in all but the last, so only the row hashes
# can tell. (A meeting moved within its week leaves every poll in that week: no figure changes, but the
# stored rows are not read either.)
STALE_WRITES = {
    "votes moved between options": ([
        "UPDATE poll_options SET votes = CASE WHEN option_order = 1 THEN votes + 3 WHEN option_order = 2 "
        "THEN greatest(votes - 3, 0) ELSE votes END"], True),
    "a poll moved to another series": (["UPDATE polls SET series = 'Another review' WHERE poll_id = "
                                        "(SELECT min(poll_id) FROM polls)"], True),
    "a meeting moved a day": (["UPDATE meetings SET meeting_date = meeting_date + 1 WHERE meeting_date = "
                               "(SELECT min(meeting_date) FROM meetings)"], False),
    "a poll deleted": (["DELETE FROM poll_options WHERE poll_id = (SELECT min(poll_id) FROM polls)",
                        "DELETE FROM polls WHERE poll_id = (SELECT min(poll_id) FROM polls)"], True),
}


@pytest.mark.parametrize("write", sorted(STALE_WRITES))
def test_stored_rows_not_made_from_the_current_rows_are_not_read(demo_db: Path, tmp_path: Path, write: str) -> None:
    db = published(demo_db, tmp_path, "demo")
    before = figures(db)
    statements, changes_a_figure = STALE_WRITES[write]
    with duckdb.connect(str(db)) as con:
        for statement in statements:
            con.execute(statement)
        assert not polls_are_fresh(con)
    after = figures(db)
    assert_same_figures(after, figures(without_stored_rows(db, tmp_path / "older.duckdb")))
    if changes_a_figure:  # had the stored rows been read, no figure would have changed
        with pytest.raises(AssertionError):
            assert_same_figures(after, before)


def test_stored_rows_made_by_another_rule_are_not_read(demo_db: Path, tmp_path: Path) -> None:
    """The stored rows carry the fingerprint of the rule that made them; here they are also made wrong,
    so reading them would show."""
    db = published(demo_db, tmp_path, "demo")
    views = figures(without_stored_rows(db, tmp_path / "older.duckdb"))
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE stored_weekly_topics SET top_kind = 'other'")  # what another rule might pick
    with pytest.raises(AssertionError):  # with the current fingerprint the (wrong) stored rows are read
        assert_same_figures(figures(db), views)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE stored_polls_rule SET fingerprint = 'an older rule'")
    assert_same_figures(figures(db), views)


def test_a_file_from_before_the_stored_rows_is_read_from_the_views_and_its_next_load_stores_them(
        demo_db: Path, tmp_path: Path) -> None:
    from tests.test_anonymity import ingest, response, write_survey

    older = without_stored_rows(demo_db, tmp_path / "older.duckdb")
    headline = DataView(older, ALL_TIME_PERIOD, None, Settings()).poll_headline_counts()
    assert headline[0] == 26
    survey = tmp_path / "more.csv"
    write_survey(survey, [response(f"2026-03-18 16:0{i}", (2, 2, 2, 2)) for i in range(5)], series=False)
    ingest(older, survey)
    with duckdb.connect(str(older), read_only=True) as con:
        assert polls_are_fresh(con)
    assert DataView(older, ALL_TIME_PERIOD, None, Settings()).poll_headline_counts() == headline


def test_every_query_on_the_views_is_rewritten_whole() -> None:
    """Each read-layer query naming a view reads the stored table instead, and names no view after."""
    queries = {name: value for module in (talking_points_queries, series_queries)
               for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}
    rewritten = {name: on_stored_polls(sql) for name, sql in queries.items()
                 if any(f"{view} AS" in sql for view in STORED_RELATIONS)}
    assert {"POLL_COUNT", "TALKING_POINTS", "LATEST_TALKING_POINTS", "INCIDENT_POINTS", "WEEKLY_TOPICS", "POLL_HEADLINE",
            "RECURRING_THEMES", "THEME_TIMELINE", "BALANCE", "BESIDE_SURVEY", "SERIES_THEMES"} <= rewritten.keys()
    for name, sql in rewritten.items():
        for view, stored in STORED_RELATIONS.items():
            assert sql.count(f"{view} AS") == sql.count(f"{stored} AS"), name  # every use, nothing else
        assert on_stored_polls(sql) == sql  # a rewritten query is left as it is
    assert on_stored_polls("SELECT * FROM stored_talking_points AS tp") == "SELECT * FROM stored_talking_points AS tp"
