"""File import of CSV files: encodings, every row accounted for, blocks, rejections, idempotence,
mapping files, dry runs, Swedish messages and the CLI (other formats: test_importer_formats.py;
times: test_importer_times.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.cli import main
from layers.imports import (
    ImportFailed,
    choose_crs,
    decode_text,
    prepare_import,
    read_csv_text,
    run_import,
    sniff_delimiter,
)
from layers.store import GeoPackageStore


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "t.gpkg", kommun="0665")


def xy(frame):
    return list(zip(frame.geometry.x.round(1), frame.geometry.y.round(1), strict=True))


# -- CSV: Windows-1252, semicolons, decimal commas, SWEREF 99 TM ----------------------------

WIN_CSV = (
    "Datum;Tid;Kategori;Beskrivning;Källa;N;E\r\n"
    "2026-03-01;18:30;Belysning;Mörkt vid stationen;Medborgare;6365443,0;445400,0\r\n"
    "2026-03-02;07:45;fortkörning;Bilar kör fort på Storgatan;kommun;6373168,5;448782,2\r\n"
    "01/03/2026;22:10;Försäljning;Langning vid skolan?;polis;6374851;456551\r\n"
    "2026-03-05;;Skadegörelse;Klotter på väntkuren;;6356882;445683\r\n"
)


def test_windows_1252_semicolon_csv_with_decimal_commas_in_sweref99tm(tmp_path, store):
    path = tmp_path / "enkät.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    result, prepared = run_import(path, store)
    assert (result.total, result.stored, result.duplicate, len(result.rejected)) == (4, 4, 0, 0)
    assert "Windows-1252" in prepared.notes[0] and "semicolon" in prepared.notes[0]
    assert any("SWEREF 99 TM (EPSG:3006)" in n for n in prepared.notes)
    rows = store.reports().sort_values("occurred_at").reset_index(drop=True)
    assert list(rows["occurred_at"]) == [
        "2026-03-01T18:30:00+01:00", "2026-03-01T22:10:00+01:00", "2026-03-02T07:45:00+01:00",
        "2026-03-05T00:00:00+01:00",
    ]
    assert list(rows["layer"]) == ["otrygg_plats", "narkotika", "hastighet", "otrygg_plats"]
    assert list(rows["category"]) == ["belysning", "försäljning", "fortkörning", "skadegörelse"]
    assert list(rows["source"]) == ["medborgare", "polis", "kommun", "import"]
    assert list(rows["description"])[0] == "Mörkt vid stationen"
    assert list(rows["reported_at"]) == list(rows["occurred_at"])
    assert set(rows["status"]) == {"ny"}
    assert xy(rows) == [(445400.0, 6365443.0), (456551.0, 6374851.0), (448782.2, 6373168.5),
                        (445683.0, 6356882.0)]
    assert not (tmp_path / "enkät.csv.rejected.csv").exists()


def test_reimport_is_idempotent(tmp_path, store):
    path = tmp_path / "a.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    run_import(path, store)
    again, _ = run_import(path, store)
    assert (again.stored, again.in_store, again.repeated, len(again.rejected)) == (0, 4, 0, 0)
    assert store.counts()["reports"] == 4


def test_utf8_bom_and_tab_and_utf16():
    text = "datum\tlat\tlon\n2026-01-01\t57,4\t14,1\n"
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "UTF-8 with BOM")
    assert decode_text(text.encode("utf-16")) == (text, "UTF-16")
    assert decode_text("Källa".encode("cp1252")) == ("Källa", "Windows-1252")
    assert sniff_delimiter(text) == "\t"
    assert sniff_delimiter("a,b;c,d\n") == ","
    assert sniff_delimiter('"x;y",b,c\n') == ","


# -- problem rows: every row stored, duplicate or rejected with its reason ---------------------

PROBLEM_CSV = """datum,kategori,beskrivning,lat,lon
2026-04-01 12:00,belysning,ok 1,57.428425,14.090713
2026-04-01 12:00,belysning,ok 1,57.428425,14.090713
,belysning,no date,57.498204,14.145410
2026-02-30 10:00,belysning,impossible,57.498204,14.145410
2026-04-02 10:00,belysning,Paris,48.8566,2.3522
2026-04-02 11:00,belysning,Stockholm,59.3293,18.0686
2026-04-03 10:00,belysning,swapped,14.145410,57.498204
2026-04-03 11:00,belysning,ok 2,57.514132,14.274726
2026-04-03 12:00,okänd kategori,bad category,57.514132,14.274726
2026-04-04 13:00,belysning,no coordinates,,
2026-03-29 02:30,belysning,clocks went forward,57.514132,14.274726
2026-10-25 02:30,belysning,repeated hour,57.514132,14.274726
"""


def test_problem_rows_are_each_accounted_for(tmp_path, store):
    path = tmp_path / "problem.csv"
    path.write_text(PROBLEM_CSV, encoding="utf-8")
    result, _ = run_import(path, store, layer="otrygg_plats")
    assert (result.total, result.stored, result.repeated, result.in_store) == (12, 3, 1, 0)
    reasons = {r.row: r.reason for r in result.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 9, 10, 11]
    assert reasons[3] == "date is missing (column 'datum')"
    assert reasons[4] == "date 'datum': '2026-02-30 10:00' is not a real date and time"
    assert reasons[5] == "coordinates (2.3522, 48.8566) are not in Sweden in WGS 84 (lat/lon)"
    assert reasons[6].startswith("lies ") and reasons[6].endswith(" km outside Vaggeryd municipality")
    assert 180 < float(reasons[6].split()[1]) < 300
    assert reasons[7] == "coordinates (57.4982, 14.1454) look swapped (latitude and longitude exchanged)"
    assert reasons[9].startswith("category 'okänd kategori' is not one of belysning")
    assert reasons[10] == "coordinates are missing"
    assert "does not exist in Swedish time" in reasons[11]
    assert result.accounted() == result.total
    stored = store.reports().sort_values("occurred_at")
    # The repeated autumn hour is read as summer time (the first of the two).
    assert list(stored["occurred_at"]) == [
        "2026-04-01T12:00:00+02:00", "2026-04-03T11:00:00+02:00", "2026-10-25T02:30:00+02:00"]
    rejected = pd.read_csv(tmp_path / "problem.csv.rejected.csv", sep=";", encoding="utf-8-sig",
                           dtype=str, keep_default_na=False)
    assert list(rejected.columns[:2]) == ["row", "reason"]
    assert list(rejected["row"].astype(int)) == [3, 4, 5, 6, 7, 9, 10, 11]
    assert list(rejected["beskrivning"])[:2] == ["no date", "impossible"]
    again, _ = run_import(path, store, layer="otrygg_plats")
    assert (again.stored, again.in_store, again.repeated, len(again.rejected)) == (0, 3, 1, 8)


def _prepared_view(prepared):
    """What an import makes of a file: accepted rows, rejections, repeats, notes and mapping."""
    frame = prepared.frame
    return (list(frame.index), frame.drop(columns="geometry").to_dict("records"), xy(frame),
            [(r.row, r.reason) for r in prepared.rejected], prepared.repeated, prepared.notes,
            prepared.mapping_lines)


@pytest.mark.parametrize("block", [1, 5])
def test_rows_prepared_in_blocks_give_the_same_import(tmp_path, store, monkeypatch, block):
    import layers.imports.prepare as prepare_module
    import layers.schema as schema

    path = tmp_path / "problem.csv"
    path.write_text(PROBLEM_CSV, encoding="utf-8")
    whole = _prepared_view(prepare_import(path, store, layer="otrygg_plats"))
    monkeypatch.setattr(prepare_module, "PREPARE_BLOCK", block)
    monkeypatch.setattr(schema, "VALIDATE_BLOCK", 2)
    blocked = _prepared_view(prepare_import(path, store, layer="otrygg_plats"))
    assert blocked == whole
    rows, records, _, rejected, repeated, _, _ = blocked
    assert rows == [1, 8, 12] and repeated == {2: 1}  # a repeat found across blocks too
    assert [r["occurred_at"] for r in records] == [
        "2026-04-01T12:00:00+02:00", "2026-04-03T11:00:00+02:00", "2026-10-25T02:30:00+02:00"]
    assert [row for row, _ in rejected] == [3, 4, 5, 6, 7, 9, 10, 11]


def test_the_coordinate_system_is_decided_once_for_every_block(tmp_path, store, monkeypatch):
    import layers.imports.prepare as prepare_module

    # SWEREF 99 TM, and rows 3-4 (a block of their own) without coordinates: each block alone
    # could not decide (or would refuse the file), the file as a whole does.
    path = tmp_path / "sweref.csv"
    path.write_text("datum,kategori,n,e\n"
                    "2026-04-01 12:00,belysning,6365443,445400\n2026-04-01 13:00,belysning,6373168,448782\n"
                    "2026-04-01 14:00,belysning,,\n2026-04-01 15:00,belysning,,\n"
                    "2026-04-01 16:00,belysning,6374851,456551\n", encoding="utf-8")
    monkeypatch.setattr(prepare_module, "PREPARE_BLOCK", 2)
    prepared = prepare_import(path, store, layer="otrygg_plats")
    assert [(r.row, r.reason) for r in prepared.rejected] == [(3, "coordinates are missing"),
                                                              (4, "coordinates are missing")]
    assert xy(prepared.frame) == [(445400.0, 6365443.0), (448782.0, 6373168.0), (456551.0, 6374851.0)]
    assert any("SWEREF 99 TM" in note for note in prepared.notes)


def test_whole_file_with_swapped_lat_lon_columns_is_read_the_other_way_round(tmp_path, store):
    path = tmp_path / "swapped.csv"
    path.write_text("datum;kategori;lat;lon\n2026-05-01 10:00;belysning;14,090713;57,428425\n",
                    encoding="utf-8")
    result, prepared = run_import(path, store, layer="otrygg_plats")
    assert result.stored == 1
    assert any("lat/lon columns hold each other's values" in n for n in prepared.notes)
    assert xy(store.reports()) == [(445400.0, 6365443.0)]


def test_rejected_file_never_runs_a_formula_and_imports_back_unchanged(tmp_path, store):
    path = tmp_path / "formel.csv"
    path.write_text("datum;kategori;kommentar;lat;lon\n"
                    "2026-13-01;belysning;=HYPERLINK(\"http://x\");57,428425;14,090713\n", encoding="utf-8")
    result, _ = run_import(path, store)
    rejected = pd.read_csv(tmp_path / "formel.csv.rejected.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert list(rejected["kommentar"]) == ["'=HYPERLINK(\"http://x\")"]
    fixed = rejected.drop(columns=["row", "reason"]).assign(datum="2026-03-01")
    again = tmp_path / "rättad.csv"
    fixed.to_csv(again, sep=";", index=False)
    result, _ = run_import(again, store)
    assert result.stored == 1 and list(store.reports()["description"]) == ['=HYPERLINK("http://x")']


def test_importing_the_same_file_again_leaves_the_data_file_untouched(tmp_path, store):
    import hashlib

    path = tmp_path / "a.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    run_import(path, store)
    before = hashlib.sha256(store.path.read_bytes()).hexdigest()
    again, _ = run_import(path, store)
    assert (again.stored, again.in_store) == (0, 4)
    assert hashlib.sha256(store.path.read_bytes()).hexdigest() == before


# -- mapping file, dry run ---------------------------------------------------------------------------


def test_mapping_file_and_dry_run(tmp_path, store):
    data = tmp_path / "enkat.csv"
    data.write_text(
        "När hände det;Vad;Fritt;Nordlig;Östlig;Kanal\n"
        "2026-02-01 20:00;Mopeder;Mopedåkning på torget;6365443;445400;Enkät 2026\n"
        "2026-02-02 20:00;Mopeder;Igen;6365443;445400;Enkät 2026\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\noccurred_at = "När hände det"\ncategory = "Vad"\ndescription = "Fritt"\n'
        'n = "Nordlig"\ne = "Östlig"\nsource = "Kanal"\n'
        '[defaults]\nlayer = "hastighet"\n'
        '[values.category]\n"Mopeder" = "moped/EPA"\n'
        '[values.source]\n"Enkät 2026" = "medborgardialog"\n',
        encoding="utf-8",
    )
    result, prepared = run_import(data, store, mapping_file=mapping, dry_run=True)
    assert (result.stored, len(result.rejected)) == (2, 0)
    assert store.counts()["reports"] == 0
    assert any(line.startswith("occurred_at   <- column 'När hände det' (mapping file)")
               for line in prepared.mapping_lines)
    result, _ = run_import(data, store, mapping_file=mapping)
    rows = store.reports()
    assert set(rows["category"]) == {"moped/EPA"} and set(rows["source"]) == {"medborgardialog"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\noccurred_at = "Saknas"\n', encoding="utf-8")
    with pytest.raises(ImportFailed, match="column 'Saknas' \\(for occurred_at\\) is not in the file"):
        run_import(data, store, mapping_file=bad)


def test_atomic_a_failing_store_leaves_nothing(tmp_path, store, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_text(PROBLEM_CSV, encoding="utf-8")

    def boom(frame, skip_existing=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "add_reports", boom)
    with pytest.raises(KeyboardInterrupt):
        run_import(path, store, layer="otrygg_plats")
    assert store.counts()["reports"] == 0
    assert not (tmp_path / "a.csv.rejected.csv").exists()


def test_file_level_errors(tmp_path, store):
    nocoords = tmp_path / "n.csv"
    nocoords.write_text("datum,kategori\n2026-01-01,belysning\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="found no coordinates"):
        run_import(nocoords, store)
    with pytest.raises(ImportFailed, match="unknown file type .doc"):
        run_import(tmp_path / "x.doc", store) if (tmp_path / "x.doc").write_text("x") else None
    with pytest.raises(ImportFailed, match="unknown layer 'gatubelysning'"):
        run_import(nocoords, store, layer="gatubelysning")


# -- property test: the CSV reader never crashes and accounts for every row ---------------------------

CELL = st.one_of(
    st.sampled_from(["", "2026-05-01 12:00", "01/05/2026", "2026-02-30", "57,428425", "14.090713",
                     "57.498204", "belysning", "fortkörning", "x", "14,1", "6365443", '"', ";", ",", "\n",
                     "Å", "\t", "46100"]),
    st.text(max_size=8),
)


LAT = st.sampled_from(["57.428425", "57,498204", "57.514132", "57.43", "14.09", "59.33", "", "x", "6365443"])
LON = st.sampled_from(["14.090713", "14,145410", "14.274726", "14.1", "57.43", "18.07", "", "1e400", "-"])
ROW = st.tuples(CELL, CELL, LAT, LON, CELL, st.lists(CELL, max_size=2), st.integers(0, 5)).map(
    lambda t: (list(t[:5]) + t[5])[: max(t[6], 3) if t[6] < 5 else None]
)
COUNTS = {"checked": 0}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=0, max_size=12), delimiter=st.sampled_from([";", ",", "\t"]))
def test_csv_reader_property(store, rows, delimiter):
    """No crash; every record is accepted, repeated, rejected (once, with a reason) or empty."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["datum", "kategori", "lat", "lon", "beskrivning"])
    for row in rows:
        writer.writerow(row)
    text = buffer.getvalue()
    table = read_csv_text(text)
    records = len(table.frame) + len(table.empty_rows)
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    expected = list(csv.reader(io.StringIO(normalised, newline=""), delimiter=sniff_delimiter(normalised)))
    assert records == len(expected) - 1
    try:
        prepared = prepare_import("prop.csv", store, layer="otrygg_plats", table=table)
    except ImportFailed:
        return  # a file-level problem (no usable coordinates, ambiguous CRS): one clear error
    COUNTS["checked"] += 1
    accepted = len(prepared.frame)
    assert accepted + len(prepared.repeated) + len(prepared.rejected) + len(table.empty_rows) == records
    rejected_rows = [r.row for r in prepared.rejected]
    assert len(set(rejected_rows)) == len(rejected_rows)
    assert all(r.reason for r in prepared.rejected)
    assert not set(rejected_rows) & set(prepared.frame.index)
    assert not set(prepared.repeated) & set(prepared.frame.index)


# -- a survey-sized file ------------------------------------------------------------------------


def test_20000_rows_are_each_stored_with_their_own_time_and_place(tmp_path, store):
    # The size a municipal survey export reaches; its speed is measured in bench/bench_import.py.
    rng = np.random.default_rng(1)
    n = 20_000
    x = 445400 + rng.normal(0, 300, n).round(1)
    y = 6365443 + rng.normal(0, 300, n).round(1)
    minutes = rng.integers(0, 60 * 24 * 300, n)
    when = (pd.Timestamp("2025-01-01") + pd.to_timedelta(minutes, "m")).strftime("%Y-%m-%d %H:%M")
    frame = pd.DataFrame({"Datum": when, "Kategori": "belysning", "Beskrivning": [f"rad {i}" for i in range(n)],
                          "N": y, "E": x})
    path = tmp_path / "big.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
    result, _ = run_import(path, store, progress=False)
    assert (result.total, result.stored, result.duplicate) == (20_000, 19_997, 0)
    # The only rejections: three times in the hour the clocks skipped on 2025-03-30.
    assert [(r.row, r.reason) for r in result.rejected] == [
        (row, f"date 'Datum': 2025-03-30 {clock} does not exist in Swedish time (the clocks went forward)")
        for row, clock in ((5252, "02:52"), (7051, "02:54"), (7200, "02:53"))]
    stored = store.reports().set_index("description").loc[frame["Beskrivning"].drop([5251, 7050, 7199])]
    # No stored time or place differs from its source row (local time, SWEREF 99 TM as written).
    source = frame.set_index("Beskrivning").loc[stored.index]
    assert (stored["occurred_at"].str[:16].str.replace("T", " ") == source["Datum"]).all()
    assert set(stored["occurred_at"].str[16:]) == {":00+01:00", ":00+02:00"}
    assert stored.loc["rad 0", "occurred_at"] == "2025-09-23T00:01:00+02:00"
    assert (stored.geometry.x.round(1) == source["E"]).all() and (stored.geometry.y.round(1) == source["N"]).all()
    again, _ = run_import(path, store, progress=False)
    assert (again.stored, again.in_store, again.repeated, len(again.rejected)) == (0, 19_997, 0, 3)


# -- Swedish messages (the web app) -------------------------------------------------------------------

SV_CSV = """Datum;Kategori;Beskrivning;Lat;Lon
2026-03-01;belysning;ok;57,428425;14,090713
2026-02-30;belysning;omöjligt datum;57,498204;14,145410
2026-03-02;belysning;strax utanför;57,40;13,85
"""


def test_swedish_rejection_reasons_notes_and_rejected_file(tmp_path, store):
    path = tmp_path / "sv.csv"
    path.write_text(SV_CSV, encoding="utf-8")
    result, _ = run_import(path, store, layer="otrygg_plats", progress=False, lang="sv")
    assert result.stored == 1
    reasons = {r.row: r.reason for r in result.rejected}
    assert reasons == {
        2: "datum 'Datum': '2026-02-30' är inget riktigt datum",
        3: "platsen ligger 2,4 km utanför Vaggeryds kommun",
    }
    assert result.notes == [
        "fil: CSV (UTF-8), semikolonseparerad; antal rader: 3",
        "koordinater: kolumnerna 'Lat'/'Lon', WGS 84 (lat/lon) (EPSG:4326), avgjort utifrån värdenas storlek",
    ]
    rejected = pd.read_csv(tmp_path / "sv.csv.rejected.csv", sep=";", encoding="utf-8-sig", dtype=str,
                           keep_default_na=False)
    assert list(rejected["reason"]) == [reasons[2], reasons[3]]
    # The same file in English: the same facts, today's texts.
    english, _ = run_import(path, store, layer="otrygg_plats", progress=False, dry_run=True)
    assert [r.reason for r in english.rejected] == [
        "date 'Datum': '2026-02-30' is not a real date and time", "lies 2.4 km outside Vaggeryd municipality"]


def test_swedish_file_level_errors(tmp_path, store):
    empty = tmp_path / "tom.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        run_import(empty, store, lang="sv")
    assert str(info.value) == "filen är tom: den saknar rubrikrad"
    with pytest.raises(ImportFailed) as info:
        choose_crs(np.array([300000.0, 301000.0]), np.array([6400000.0, 6401000.0]), "0665", lang="sv")
    assert str(info.value) == (
        "kan inte avgöra koordinatsystemet: koordinaterna (t.ex. 300000; 6400000) passar både SWEREF 99 TM och "
        "SWEREF 99 13 30; ange koordinatsystem med --crs EPSG:3006 eller --crs EPSG:3008 eller i en mappningsfil"
    )
    nocoords = tmp_path / "n.csv"
    nocoords.write_text("datum,kategori\n2026-01-01,belysning\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="^hittade inga koordinater: .*; filens kolumner: datum, kategori$"):
        run_import(nocoords, store, lang="sv")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        run_import(nocoords, store, lang="de")


def test_message_catalogue_variants_use_the_same_values():
    import string

    from layers.imports.messages import MESSAGES, STORE_REASONS, store_reason

    def fields(template):
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        return {"muni" if name == "muni_genitive" else name for name in names}

    for message_id, (en, sv) in MESSAGES.items():
        assert fields(en) == fields(sv), message_id
    for reason_id, (en, sv) in STORE_REASONS.items():
        assert fields(en) == fields(sv), reason_id
    assert store_reason("must be one of ny, avvisad", "sv") == "måste vara någon av ny, avvisad"
    assert store_reason("something new", "sv") == "something new"


# -- CLI ----------------------------------------------------------------------------------------------


def test_cli_import_dry_run_and_errors(tmp_path, store):
    path = tmp_path / "a.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    runner = CliRunner()
    res = runner.invoke(main, ["import", str(path), "--data", str(store.path), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "Mapping (field <- source):" in res.output
    assert "would store 4 reports" in res.output and "Dry run: nothing stored." in res.output
    res = runner.invoke(main, ["import", str(path), "--data", str(store.path)])
    assert res.exit_code == 0 and "stored 4 reports" in res.output
    res = runner.invoke(main, ["import", str(tmp_path / "missing.csv"), "--data", str(store.path)])
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [f"Error: no such file: {tmp_path / 'missing.csv'}"]
    res = runner.invoke(main, ["import", str(path), "--data", str(store.path), "--crs", "EPSG:99999"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1 and "unknown coordinate system" in res.output
    res = runner.invoke(main, ["import", str(path), "--data", str(tmp_path / "none.gpkg")])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(main, ["import", "--help"])
    assert res.exit_code == 0 and "FILE.rejected.csv" in res.output


def test_docs_example_files_import(tmp_path, store):
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    result, _ = run_import(examples / "otrygga-platser.csv", store, dry_run=True)
    assert (result.stored, len(result.rejected)) == (4, 0)
    survey = tmp_path / "enkat.csv"
    survey.write_text("När hände det,Vad gäller det,Berätta mer,Latitud,Longitud\n"
                      "2026-02-01 20:00,Dålig belysning,Mörk gångtunnel,57.428425,14.090713\n", encoding="utf-8")
    result, _ = run_import(survey, store, mapping_file=examples / "mapping.toml")
    assert result.stored == 1
    row = store.reports().iloc[0]
    assert (row["layer"], row["category"], row["source"]) == ("otrygg_plats", "belysning", "medborgardialog")
