"""The promise TOML: focus areas' promise flag and [[commitment]] entries, with one clear message per mistake."""

import datetime as dt
import json
import re

import pytest
import shapely

from layers.config import ConfigError, load_config, loads_config

AREAS = '''
[promise]
kommun = "0665"
start = 2026-01-01
end = 2026-12-31

[[focus_area]]
id = "trygghet"
name_sv = "Trygghet"
color = "#E69F00"
layers = ["otrygg_plats"]

[[focus_area]]
id = "trafik"
name_sv = "Trafik"
color = "#0072B2"
layers = ["hastighet"]
promise = false
'''

OK = '''
[[commitment]]
id = "kontroll"
focus_area = "trafik"
text_sv = "En hastighetskontroll per kvartal."
actor = "polis"
kind = "hastighetskontroll"
target = 1
per = "quarter"
'''


def write(tmp_path, text, name="promise.toml"):
    path = tmp_path / name
    path.write_text(AREAS + text, encoding="utf-8")
    return path


def commitment(**fields):
    """One [[commitment]] table; values are TOML text (strings quoted), None leaves the field out."""
    base = {"id": '"c1"', "focus_area": '"trygghet"', "text_sv": '"Ett löfte."', "actor": '"polis"',
            "kind": '"närvaro/patrull"', "target": "2"}
    base.update({k: None if v is None else str(v) for k, v in fields.items()})
    return "[[commitment]]\n" + "".join(f"{k} = {v}\n" for k, v in base.items() if v is not None)


def error_of(tmp_path, text) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return str(info.value)


def test_built_in_promise_lifts_two_focus_areas_and_has_the_commitments():
    config = load_config(today=dt.date(2026, 11, 27))
    assert [(a.id, a.promise) for a in config.focus_areas.values()] == [
        ("trygghet", True), ("trafik", True), ("narkotika", False)]
    assert [a.id for a in config.promise_areas()] == ["trygghet", "trafik"]
    by_id = {c.id: c for c in config.commitments}
    assert list(by_id) == ["hastighet-gamla-e4", "hastighet-rv30", "narvaro-helgkvallar",
                           "trygghetsvandring-skillingaryd", "trygghetsvandring-vaggeryd", "information-skolor"]
    e4 = by_id["hastighet-gamla-e4"]
    assert (e4.actor, e4.kind, e4.target, e4.unit, e4.per) == ("polis", "hastighetskontroll", 1, "count", "quarter")
    assert (e4.period_start, e4.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    # The corridor holds the old E4 through Skillingaryd (SWEREF 99 TM) but not Vaggeryd's station.
    assert e4.area.contains(shapely.Point(445560, 6365400)) and not e4.area.contains(shapely.Point(448782, 6373168))
    presence = by_id["narvaro-helgkvallar"]
    assert (presence.unit, presence.target, presence.places, presence.weekdays, presence.hours) == (
        "hours", 260, ("Vaggeryd", "Skillingaryd"), (4, 5), (18, 24))
    assert by_id["trygghetsvandring-vaggeryd"].actor == "gemensam"
    assert config.commitment("information-skolor").places == ("Vaggeryd", "Skillingaryd")
    assert config.commitment("nope") is None


def test_the_built_in_file_quotes_the_decision():
    from importlib import resources

    text = resources.files("layers").joinpath("focus_areas.toml").read_text(encoding="utf-8")
    assert "De två förstnämnda fokusområdena lyfts ut som löften till medborgarna." in text


def test_existing_config_api_keeps_working_without_commitments(tmp_path):
    config = load_config(write(tmp_path, ""))
    assert config.commitments == ()
    assert config.focus_areas["trygghet"].promise is True  # left out: a promise
    assert config.focus_areas["trafik"].promise is False
    assert config.color("trafik") == "#0072B2" and config.layers["hastighet"].focus_area == "trafik"
    assert (config.period_start, config.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_a_commitment_parses_with_defaults(tmp_path):
    config = load_config(write(tmp_path, OK))
    (c,) = config.commitments
    assert (c.id, c.focus_area, c.text_sv, c.text_en, c.target, c.unit, c.per) == (
        "kontroll", "trafik", "En hastighetskontroll per kvartal.", "En hastighetskontroll per kvartal.", 1, "count",
        "quarter")
    assert (c.period_start, c.period_end, c.places, c.area, c.weekdays, c.hours) == (
        dt.date(2026, 1, 1), dt.date(2026, 12, 31), (), None, (), None)


@pytest.mark.parametrize(("period", "expected"), [
    ("2025", (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    ("{start = 2026-01-01, end = 2026-06-30}", (dt.date(2026, 1, 1), dt.date(2026, 6, 30))),
    ('{start = "2026-07-01"}', (dt.date(2026, 7, 1), dt.date(2026, 12, 31))),
])
def test_period_forms(tmp_path, period, expected):
    (c,) = load_config(write(tmp_path, commitment(period=period))).commitments
    assert (c.period_start, c.period_end) == expected


def test_place_weekdays_hours_and_hours_target(tmp_path):
    text = commitment(place='["skillingaryd", "Vaggeryd"]', weekdays='["fredag", "lör", "sunday", 1]',
                      hours="[22, 2]", target=None, target_hours=12.5, per='"månad"')
    (c,) = load_config(write(tmp_path, text)).commitments
    assert (c.places, c.weekdays, c.hours, c.target, c.unit, c.per) == (
        ("Skillingaryd", "Vaggeryd"), (0, 4, 5, 6), (22, 2), 12.5, "hours", "month")


def test_area_from_a_geojson_file_relative_to_the_toml(tmp_path):
    ring = [[14.085, 57.425], [14.097, 57.425], [14.097, 57.432], [14.085, 57.432], [14.085, 57.425]]
    (tmp_path / "areas").mkdir()
    (tmp_path / "areas" / "torget.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    (c,) = load_config(write(tmp_path, commitment(area='"areas/torget.geojson"'))).commitments
    assert c.area_wgs84.equals(shapely.Polygon(ring))
    # Skillingaryd's station (SWEREF 99 TM) is inside, Vaggeryd's is not.
    assert c.area.contains(shapely.Point(445400, 6365443)) and not c.area.contains(shapely.Point(448782, 6373168))
    inline = commitment(area='{type = "Polygon", coordinates = [' + json.dumps(ring) + ']}')
    (c2,) = load_config(write(tmp_path, inline, "inline.toml")).commitments
    assert c2.area.equals(c.area)
    assert c.area_geojson() == {"type": "Polygon", "coordinates": (tuple(tuple(p) for p in ring),)}


def test_loads_config_parses_text():
    config = loads_config(AREAS + OK, source="stored promise 2026")
    assert [c.id for c in config.commitments] == ["kontroll"] and config.source == "stored promise 2026"


BAD = [
    (commitment(kind='"fartkontroll"'),
     "commitment #1 (id 'c1'): kind = 'fartkontroll' is not an activity kind; known: närvaro/patrull, "
     "hastighetskontroll, trygghetsvandring, informationsinsats, narkotikainsats, EST-möte, övrigt"),
    (commitment(actor='"länsstyrelsen"'), "commitment #1 (id 'c1'): actor = 'länsstyrelsen' must be one of polis, kommun, gemensam"),
    (commitment(focus_area='"skola"'), "commitment #1 (id 'c1'): focus_area = 'skola' is not a focus area; known: trygghet, trafik"),
    (commitment(target=0), "commitment #1 (id 'c1'): target = 0 must be a whole number of activities ≥ 1"),
    (commitment(target=1.5), "commitment #1 (id 'c1'): target = 1.5 must be a whole number of activities ≥ 1"),
    (commitment(target=None), "commitment #1 (id 'c1'): 'target' (a count) or 'target_hours' is required"),
    (commitment(target_hours=10), "commitment #1 (id 'c1'): target_hours = 10 cannot be given together with target"),
    (commitment(target=None, target_hours=-3), "commitment #1 (id 'c1'): target_hours = -3 must be a number of hours > 0"),
    (commitment(per='"week"'), "commitment #1 (id 'c1'): per = 'week' must be \"quarter\" or \"month\""),
    (commitment(period='{start = 2026-07-01, end = 2026-03-31}'),
     "commitment #1 (id 'c1'): period.end = '2026-03-31' is before period.start 2026-07-01"),
    (commitment(period='"våren"'), "commitment #1 (id 'c1'): period = 'våren' must be a year like 2026"),
    (commitment(period='{start = "1 mars"}'), "commitment #1 (id 'c1'): period.start = '1 mars' is not a date like 2026-01-31"),
    (commitment(place='"Jönköping"'),
     "commitment #1 (id 'c1'): place = 'Jönköping' is not a locality of kommun 0665; known: Vaggeryd, Skillingaryd, Hok, Klevshult, Byarum"),
    (commitment(weekdays='["helg"]'), "commitment #1 (id 'c1'): weekdays = 'helg' is not a day"),
    (commitment(hours="[18]"), "commitment #1 (id 'c1'): hours = [18] must be [start, end] in whole hours 0-24"),
    (commitment(hours="[18, 25]"), "commitment #1 (id 'c1'): hours = [18, 25] must be [start, end]"),
    (commitment(targt=3), "commitment #1 (id 'c1'): targt = 3 is not a commitment field; known: id, focus_area"),
    (commitment(id=None), "commitment #1 (no id): 'id' is required"),
    (commitment(text_sv='""'), "commitment #1 (id 'c1'): text_sv = '' must be non-empty text"),
    (commitment() + commitment(), "commitment #2 (id 'c1'): id = 'c1' is used twice"),
    (OK + commitment(id='"c2"', place='"Hok"', area='"x.geojson"'),
     "commitment #2 (id 'c2'): area = 'x.geojson' cannot be given together with place = 'Hok'"),
    (commitment(area='"saknas.geojson"'),
     "commitment #1 (id 'c1'): area = 'saknas.geojson' cannot be read (No such file or directory; a path is relative to the TOML file)"),
    (commitment(area='{type = "Point", coordinates = [14.1, 57.4]}'),
     "commitment #1 (id 'c1'): area = '{\"type\": \"Point\", \"coordinates\": [14.1, 57.4]}' must be a Polygon or MultiPolygon, got Point"),
    (commitment(area='{type = "Polygon", coordinates = [[[57.42, 14.08], [57.43, 14.08], [57.43, 14.09], [57.42, 14.08]]]}'),
     "lies outside kommun 0665 Vaggeryd; GeoJSON order is [lon, lat] — are they swapped?"),
    (commitment(area='{type = "Polygon", coordinates = [[[14.08, 57.42], [14.09, 57.43], [14.09, 57.42], [14.08, 57.43], [14.08, 57.42]]]}'),
     "is not a valid polygon: Self-intersection"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_commitment_names_file_entry_field_and_value(tmp_path, text, message):
    got = error_of(tmp_path, text)
    assert got.startswith(str(tmp_path / "promise.toml") + ": "), got
    assert message in got, got
    assert "\n" not in got


def test_promise_flag_must_be_true_or_false(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[[focus_area]]\nid = "a"\nname_sv = "A"\ncolor = "#E69F00"\npromise = "ja"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: focus_area #1: promise = 'ja' must be true or false")):
        load_config(path)
