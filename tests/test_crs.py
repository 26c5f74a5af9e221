import numpy as np
import pytest

from geodata import CRSError, parse_crs, transform

# Railway stations (Trafikverket): WGS 84 lat/lon and SWEREF 99 TM E/N.
STATIONS = [
    ("Vaggeryd", 57.498204, 14.145410, 448782, 6373168),
    ("Skillingaryd", 57.428425, 14.090713, 445400, 6365443),
    ("Hok", 57.514132, 14.274726, 456551, 6374851),
    ("Klevshult", 57.351566, 14.097317, 445683, 6356882),
    ("Byarum", 57.536254, 14.143768, 448737, 6377405),
    ("Värnamo", 57.186379, 14.035996, 441733, 6338545),
]


@pytest.mark.parametrize("name,lat,lon,east,north", STATIONS)
def test_wgs84_to_sweref99tm_matches_trafikverket_to_a_metre(name, lat, lon, east, north):
    e, n = transform([lon], [lat], "EPSG:4326", "EPSG:3006")
    assert abs(e[0] - east) < 1.0
    assert abs(n[0] - north) < 1.0


@pytest.mark.parametrize("name,lat,lon,east,north", STATIONS)
def test_sweref99tm_to_wgs84(name, lat, lon, east, north):
    lo, la = transform([east], [north], "EPSG:3006", "EPSG:4326")
    # 1 m is about 1e-5 degrees here.
    assert abs(lo[0] - lon) < 2e-5
    assert abs(la[0] - lat) < 1e-5


@pytest.mark.parametrize("crs", ["EPSG:3008", "EPSG:3021"])
def test_local_and_legacy_grids_round_trip_within_a_centimetre(crs):
    lat = np.array([s[1] for s in STATIONS])
    lon = np.array([s[2] for s in STATIONS])
    x, y = transform(lon, lat, "EPSG:4326", crs)
    e, n = transform(x, y, crs, "EPSG:3006")
    assert np.allclose(e, [s[3] for s in STATIONS], atol=1.0)
    assert np.allclose(n, [s[4] for s in STATIONS], atol=1.0)


def test_sweref99_1330_puts_vaggeryd_east_of_its_central_meridian():
    x, y = transform([14.145410], [57.498204], "EPSG:4326", "EPSG:3008")
    # Central meridian 13°30' with false easting 150 000 m: Vaggeryd is ~38.6 km east of it.
    assert 188_000 < x[0] < 189_500
    assert 6_375_000 < y[0] < 6_376_500  # scale factor 1.0, not 0.9996 as in TM


def test_parse_crs_accepts_numbers_and_rejects_nonsense():
    assert parse_crs(3006) == "EPSG:3006"
    assert parse_crs(" epsg:3021 ") == "EPSG:3021"
    with pytest.raises(CRSError, match="unknown coordinate system 'EPSG:99999'.*SWEREF 99 TM"):
        parse_crs("EPSG:99999")
