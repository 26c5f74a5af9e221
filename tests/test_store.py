import datetime as dt
import sqlite3

import geopandas as gpd
import pytest
import shapely

from layers import GeoPackageStore, Query, StoreError, open_store
from layers.intake_schema import REPORT_INTAKE_COLUMNS
from layers.schema import ACTIVITY_COLUMNS, REPORT_COLUMNS, SCHEMA_VERSION
from tests.helpers import SKILLINGARYD, VAGGERYD, activity, report, reports_frame


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "s.gpkg", kommun="0665")


def test_round_trip_through_geopandas_and_the_store(store):
    rows = [report(1), report(2, layer="hastighet", focus="trafik", at=VAGGERYD,
                                 when="2026-07-01T08:00:00+02:00")]
    assert store.add_reports(reports_frame(rows)).added == 2
    acts = gpd.GeoDataFrame([activity(1), activity(2, at=None, kind="EST-möte", actor="gemensam")],
                            geometry="geometry", crs="EPSG:3006")
    assert store.add_activities(acts).added == 2

    read = gpd.read_file(store.path, layer="reports")
    # Schema 6 adds the intake columns (NULL for staff entries and imports: counted as before).
    assert list(read.columns) == [*REPORT_COLUMNS[:-1], *REPORT_INTAKE_COLUMNS, "geometry"]
    assert read["moderation"].isna().tolist() == [True, True]
    assert read.crs.to_epsg() == 3006
    assert read["id"].tolist() == ["t-1", "t-2"]
    assert (read.geometry.x.tolist(), read.geometry.y.tolist()) == (
        [SKILLINGARYD[0], VAGGERYD[0]], [SKILLINGARYD[1], VAGGERYD[1]]
    )
    read_acts = gpd.read_file(store.path, layer="activities")
    # Schema 5 adds the optional commitment column (NULL: the activity counts by its fields).
    assert list(read_acts.columns) == [*ACTIVITY_COLUMNS[:-1], "commitment", "geometry"]
    assert read_acts["commitment"].isna().tolist() == [True, True]
    assert read_acts.geometry.isna().tolist() == [False, True]

    got = store.reports()
    assert got.equals(store.reports(Query()))
    assert got.iloc[1]["occurred_at"] == "2026-07-01T08:00:00+02:00"
    assert store.activities().geometry.isna().tolist() == [False, True]


def test_query_filters(store):
    rows = [
        report(1, when="2026-03-01T10:00:00+01:00"),
        report(2, when="2026-03-31T23:30:00+02:00"),  # 21:30 UTC on 31 March, local 23:30
        report(3, layer="hastighet", focus="trafik", at=VAGGERYD, when="2026-04-01T00:30:00+02:00"),
        report(4, status="åtgärdad", when="2026-05-01T12:00:00+02:00"),
    ]
    store.add_reports(reports_frame(rows))
    ids = lambda q: store.reports(q)["id"].tolist()  # noqa: E731
    assert ids(Query(layers=("hastighet",))) == ["t-3"]
    assert ids(Query(focus_areas=("trygghet",), statuses=("ny",))) == ["t-1", "t-2"]
    # Local calendar days: March is 1 March 00:00 to 1 April 00:00 Swedish time.
    assert ids(Query(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1))) == ["t-1", "t-2"]
    around_vaggeryd = shapely.box(14.13, 57.49, 14.16, 57.51)
    assert ids(Query(polygon=around_vaggeryd)) == ["t-3"]
    assert ids(Query(bbox=(14.08, 57.42, 14.10, 57.44), statuses=("åtgärdad",))) == ["t-4"]


def test_duplicates_fail_whole_batch_or_are_skipped(store):
    store.add_reports(reports_frame([report(1)]))
    with pytest.raises(StoreError, match="1 reports already in the store, nothing stored: id 't-1'"):
        store.add_reports(reports_frame([report(2), report(1)]))
    assert store.counts()["reports"] == 1
    result = store.add_reports(reports_frame([report(2), report(1)]), skip_existing=True)
    assert (result.added, result.skipped) == (1, 1)


def test_failed_write_leaves_the_file_as_it_was(store, monkeypatch):
    store.add_reports(reports_frame([report(1)]))
    before = store.path.read_bytes()
    # Fail in the middle of the insert, after some rows went in.
    real_connect = store._connect

    def failing_connect():
        conn = real_connect()

        class Wrapped:
            def __getattr__(self, name):
                return getattr(conn, name)

            def executemany(self, sql, rows):
                rows = list(rows)
                conn.executemany(sql, rows[:1])
                raise sqlite3.OperationalError("disk I/O error (simulated)")

        return Wrapped()

    monkeypatch.setattr(store, "_connect", failing_connect)
    with pytest.raises(sqlite3.OperationalError):
        store.add_reports(reports_frame([report(2), report(3)]))
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert store.counts()["reports"] == 1


def test_status_updates(store):
    store.add_reports(reports_frame([report(1)]))
    store.update_report_status("t-1", "bekräftad")
    assert store.reports()["status"].tolist() == ["bekräftad"]
    with pytest.raises(StoreError, match="no report with id 'nope'"):
        store.update_report_status("nope", "åtgärdad")
    acts = gpd.GeoDataFrame([activity(1, status="planerad")], geometry="geometry", crs="EPSG:3006")
    store.add_activities(acts)
    store.update_activity_status("a-1", "genomförd", done_at="2026-03-02T21:00:00+01:00")
    got = store.activities().iloc[0]
    assert (got["status"], got["done_at"]) == ("genomförd", "2026-03-02T21:00:00+01:00")


def test_other_schema_version_and_foreign_files_are_clear_errors(tmp_path, store):
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE trygghetskarta_meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError, match=f"has schema version 99; this Trygghetskarta reads up to version {SCHEMA_VERSION}"):
        open_store(store.path)
    other = tmp_path / "notes.gpkg"
    other.write_text("hello")
    with pytest.raises(StoreError, match="is not a Trygghetskarta data file"):
        open_store(other)
    with pytest.raises(StoreError, match="no data file at"):
        open_store(tmp_path / "missing.gpkg")
    with pytest.raises(StoreError, match="already exists"):
        GeoPackageStore.create(store.path)


def test_metadata(store):
    assert (store.meta.kommun, store.meta.schema_version, store.meta.demo, store.meta.crs) == (
        "0665", SCHEMA_VERSION, False, "EPSG:3006"
    )


def test_a_large_batch_streams_into_one_transaction_block_by_block(store, monkeypatch):
    import layers.store as store_module

    # Blocks of 2 rows: 5 reports stream in three blocks.
    monkeypatch.setattr(store_module, "INSERT_BLOCK", 2)
    rows = [report(i) for i in range(1, 6)]
    assert store.add_reports(reports_frame(rows)).added == 5
    read = store.read_table("reports")
    assert read["id"].tolist() == ["t-1", "t-2", "t-3", "t-4", "t-5"]
    assert read["x"].round().tolist() == [float(SKILLINGARYD[0])] * 5
    # Skipping known ids counts across blocks; a clash without skipping stores nothing.
    result = store.add_reports(reports_frame([report(i) for i in range(4, 8)]), skip_existing=True)
    assert (result.added, result.skipped) == (2, 2)
    with pytest.raises(StoreError, match="already in the store"):
        store.add_reports(reports_frame([report(8), report(9), report(1)]))
    assert len(store.read_table("reports")) == 7
