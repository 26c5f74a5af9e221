import pytest

from layers import GeoPackageStore, ValidationError
from tests.helpers import VARNAMO, activity, report, reports_frame


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "s.gpkg")


def messages(exc):
    return [str(e) for e in exc.value.errors]


def test_each_bad_field_is_named_with_its_value(store):
    rows = [
        report(1),
        report(2, status="klar"),
        report(3, layer="graffiti", category="övrigt"),
        report(4, category="mopeder"),
        report(5, when="2026-03-01 18:30"),
        report(6, when="2026-02-30T18:30:00+01:00"),
        report(7, at=VARNAMO),
        report(8, source="facebook"),
        report(1),
    ]
    with pytest.raises(ValidationError) as exc:
        store.add_reports(reports_frame(rows))
    got = messages(exc)
    assert "row 1: status='klar': must be one of ny, bekräftad, åtgärdad, avvisad" in got
    assert any(m.startswith("row 2: layer='graffiti': must be one of otrygg_plats") for m in got)
    assert any(m.startswith("row 3: category='mopeder': must be one of belysning") for m in got)
    assert any(m.startswith("row 4: occurred_at='2026-03-01 18:30': must be an ISO 8601 time") for m in got)
    assert "row 5: occurred_at='2026-02-30T18:30:00+01:00': is not a real date and time" in got
    assert any(m.startswith("row 6: geometry=") and m.endswith("lies outside the municipality") for m in got)
    assert "row 7: source='facebook': must be one of medborgare, polis, kommun, sociala_medier, " \
           "medborgardialog, import, demo, est, trygghetsvandring" in got
    assert "row 8: id='t-1': appears more than once" in got
    # Nothing stored: a bad batch is never partly written.
    assert store.counts() == {"reports": 0, "activities": 0}
    assert str(exc.value).startswith(f"{len(got)} invalid reports, nothing stored: row 1: status='klar'")


def test_reported_before_occurred_is_refused(store):
    row = report(1, reported_at="2026-03-01T17:00:00+01:00")
    with pytest.raises(ValidationError) as exc:
        store.add_reports(reports_frame([row]))
    assert messages(exc) == ["row 0: reported_at='2026-03-01T17:00:00+01:00': is before occurred_at"]


def test_activity_rules(store):
    import geopandas as gpd

    rows = [
        activity(1),
        activity(2, status="genomförd", done=""),
        activity(3, status="planerad", done_at="2026-03-02T21:00:00+01:00"),
        activity(4, actor="brandkår"),
        activity(5, duration_min=12.5),
        activity(6, at=None),  # an EST meeting has no place: allowed
    ]
    with pytest.raises(ValidationError) as exc:
        store.add_activities(gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3006"))
    assert messages(exc) == [
        "row 1: done_at='': is required when status is genomförd",
        "row 2: done_at='2026-03-02T21:00:00+01:00': must be empty while status is planerad",
        "row 3: actor='brandkår': must be one of polis, kommun, gemensam",
        "row 4: duration_min=12.5: must be whole minutes between 0 and 10080",
    ]


def test_times_outside_the_plausible_range_or_with_impossible_offsets_are_refused(store):
    # An API caller bypasses the importer: the store bounds times itself, before any conversion
    # (3000-01-01 and 0001-01-01 used to be accepted and then overflowed wherever they were read).
    rows = [
        report(1, when="3000-01-01T00:00:00+01:00"),
        report(2, when="0001-01-01T00:00:00+00:00"),
        report(3, when="1989-12-31T22:59:59Z"),
        report(4, when="2026-03-01T18:30:00+99:99"),
        report(5, when="2026-03-01T18:30:00+14:30"),
        report(6, when="1989-12-31T23:00:00Z"),  # 1990-01-01 00:00 in Sweden: the first allowed
        report(7, when="2026-03-01T18:30:00-12:00"),
    ]
    errors = store.validate_reports(reports_frame(rows))
    got = sorted({str(e) for e in errors if e.field == "occurred_at"})
    assert got == [
        "row 0: occurred_at='3000-01-01T00:00:00+01:00': is in the future",
        "row 1: occurred_at='0001-01-01T00:00:00+00:00': is before 1990-01-01",
        "row 2: occurred_at='1989-12-31T22:59:59Z': is before 1990-01-01",
        "row 3: occurred_at='2026-03-01T18:30:00+99:99': has an impossible UTC offset (at most ±14:00, minutes below 60)",
        "row 4: occurred_at='2026-03-01T18:30:00+14:30': has an impossible UTC offset (at most ±14:00, minutes below 60)",
    ]
    import geopandas as gpd

    plans = gpd.GeoDataFrame([activity(1, planned="2101-01-01T10:00:00+01:00", status="planerad"),
                              activity(2, planned="2100-12-31T10:00:00+01:00", status="planerad")],
                             geometry="geometry", crs="EPSG:3006")
    assert [str(e) for e in store.validate_activities(plans)] == [
        "row 0: planned_at='2101-01-01T10:00:00+01:00': is after 2100-12-31"]


def test_store_reasons_in_swedish_and_values_cut_to_80_characters():
    from layers.imports.messages import store_reason
    from layers.schema import RecordError

    assert store_reason("is in the future", "sv") == "ligger i framtiden"
    assert store_reason("is before 1990-01-01", "sv") == "är före 1990-01-01"
    assert store_reason("is after 2100-12-31", "sv") == "är efter 2100-12-31"
    assert store_reason("has an impossible UTC offset (at most ±14:00, minutes below 60)", "sv") == (
        "har en omöjlig tidszon (högst ±14:00, minuter under 60)")
    text = str(RecordError(3, "description", "x" * 100_000, "is longer than 4000 characters"))
    assert text == "row 3: description='" + "x" * 79 + "…': is longer than 4000 characters"


def test_parse_iso_checks_bounds_before_converting():
    import pandas as pd

    from layers.schema import parse_iso, past_span

    utc, codes = parse_iso(pd.Series(["2026-03-01T18:30:00+01:00", "3000-01-01T00:00:00Z", "2026-02-30T10:00:00Z",
                                      "2026-03-01T18:30:00+01:60", "", "18:30", "٢٠٢٦-03-01T18:30:00Z",
                                      "2026-03-01T18:30:00.25-00:00"]),
                           past_span(now=pd.Timestamp("2026-06-01T12:00Z")))
    assert list(codes) == ["", "future", "unreal", "offset", "empty", "format", "format", ""]
    assert utc[0] == pd.Timestamp("2026-03-01T17:30Z") and utc[7] == pd.Timestamp("2026-03-01T18:30:00.25Z")
    assert utc[1:7].isna().all()


# -- schema version 4: the server state (layers.server_state) -------------------------------------

def test_a_version_3_file_gets_the_server_state_of_version_4_after_a_backup(tmp_path, capsys):
    import sqlite3
    from contextlib import closing

    from layers import SCHEMA_VERSION, open_store
    from layers.server_state import SECRET_KEY, TABLES, ServerState
    from layers.store import has_integer_key
    from layers.users import UserStore
    from tests.test_auth import FAST, PW
    from tests.test_gpkg_conformance import validate

    path = tmp_path / "v3.gpkg"
    store = GeoPackageStore.create(path)
    store.add_reports(reports_frame([report(1), report(2)]))
    UserStore(store, hasher=FAST).add("anna", "polis", PW)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:  # as version 3 wrote it
        conn.execute("PRAGMA journal_mode = DELETE")
        for table in TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM trygghetskarta_meta WHERE key = ?", (SECRET_KEY,))
        conn.execute("UPDATE trygghetskarta_meta SET value = '3' WHERE key = 'schema_version'")

    upgraded = open_store(path)
    assert upgraded.meta.schema_version == SCHEMA_VERSION  # 4 and any later step
    message = capsys.readouterr().err
    assert message.startswith(f"Upgraded {path} to schema version {SCHEMA_VERSION} (sessions, login backoff and "
                              "the cookie key shared by every server process")
    assert message.endswith(f"; the old file is kept as {path}.v3.bak\n")
    with closing(sqlite3.connect(f"{path}.v3.bak")) as conn:
        assert conn.execute("SELECT value FROM trygghetskarta_meta WHERE key = 'schema_version'").fetchone() == ("3",)
        assert not {t for (t,) in conn.execute("SELECT name FROM sqlite_master")} & set(TABLES)
    with closing(sqlite3.connect(path)) as conn:
        names = {t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        registered = {t for (t,) in conn.execute("SELECT table_name FROM gpkg_contents")}
        assert set(TABLES) <= names and not set(TABLES) & registered  # no data layers: QGIS does not list them
        assert all(has_integer_key(conn, t) for t in TABLES)
    key = ServerState(path).secret_key()
    assert len(key) == 64 and open_store(path).meta.schema_version == SCHEMA_VERSION  # upgraded once
    assert ServerState(path).secret_key() == key
    assert upgraded.counts() == {"reports": 2, "activities": 0}
    assert UserStore(path, hasher=FAST).verify("anna", PW) is not None
    assert validate(path) == []


# -- validation in blocks (a huge file's checks keep one block's temporaries) ---------------------

def by_row(errors):
    """The messages in row order, each row's in the order of the checks (as ValidationError shows them)."""
    return [str(e) for e in ValidationError(errors).errors]


def _mixed_reports():
    # Bad rows spread over the blocks, a repeated id two blocks after its first row, and row
    # labels that are not positions (as the importer's input row numbers).
    rows = [report(1), report(2, status="klar"), report(3), report(4, when="3000-01-01T00:00:00+01:00"),
            report(5, at=VARNAMO), report(1), report(7, source="facebook", category="mopeder"), report(8, id="")]
    frame = reports_frame(rows)
    frame.index = [10, 11, 12, 13, 14, 15, 16, 17]
    return frame


def test_reports_checked_in_blocks_give_the_same_errors_with_their_row_labels(store, monkeypatch):
    import layers.schema as schema

    whole = by_row(store.validate_reports(_mixed_reports()))
    monkeypatch.setattr(schema, "VALIDATE_BLOCK", 3)
    blocked = by_row(store.validate_reports(_mixed_reports()))
    assert blocked == whole
    assert [m for m in blocked if not m.startswith("row 14: geometry=")] == [
        "row 11: status='klar': must be one of ny, bekräftad, åtgärdad, avvisad",
        "row 13: occurred_at='3000-01-01T00:00:00+01:00': is in the future",
        "row 13: reported_at='3000-01-01T00:00:00+01:00': is in the future",
        "row 15: id='t-1': appears more than once",
        "row 16: category='mopeder': must be one of belysning, skymd sikt, folksamling, skadegörelse, "
        "nedskräpning, hot/trakasserier, övrigt for otrygg_plats",
        "row 16: source='facebook': must be one of medborgare, polis, kommun, sociala_medier, medborgardialog, "
        "import, demo, est, trygghetsvandring",
        "row 17: id='': must not be empty",
    ]
    assert sum(m.startswith("row 14: geometry=") and m.endswith("lies outside the municipality")
               for m in blocked) == 1
    with pytest.raises(ValidationError) as exc:
        store.add_reports(_mixed_reports())
    assert str(exc.value).startswith("8 invalid reports, nothing stored: row 11: status='klar'")
    assert store.counts() == {"reports": 0, "activities": 0}


def test_activities_checked_in_blocks_give_the_same_errors(store, monkeypatch):
    import geopandas as gpd

    import layers.schema as schema

    rows = [activity(1), activity(2, status="genomförd", done=""), activity(3), activity(4, actor="brandkår"),
            activity(5, duration_min=12.5), activity(1)]
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3006")
    whole = by_row(store.validate_activities(frame))
    monkeypatch.setattr(schema, "VALIDATE_BLOCK", 2)
    assert by_row(store.validate_activities(frame)) == whole == [
        "row 1: done_at='': is required when status is genomförd",
        "row 3: actor='brandkår': must be one of polis, kommun, gemensam",
        "row 4: duration_min=12.5: must be whole minutes between 0 and 10080",
        "row 5: id='a-1': appears more than once",
    ]
