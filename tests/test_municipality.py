import geopandas as gpd
import pytest
from shapely import Point

from geodata import UnknownMunicipality, get_municipality, list_municipalities, normalise_code


def test_vaggeryd_boundary_and_area():
    muni = get_municipality("0665")
    assert muni.name == "Vaggeryd"
    assert round(muni.area_km2) == 874


def test_every_code_works_and_there_are_290():
    codes = list_municipalities()
    assert len(codes) == 290
    assert ("0680", "Jönköping") in codes
    assert get_municipality("0180").name == "Stockholm"


def test_neighbours_of_vaggeryd():
    neighbours = get_municipality("0665").neighbours()
    assert sorted(neighbours["kommun_kod"]) == ["0617", "0662", "0680", "0682", "0683", "0684"]


def test_code_normalisation_and_unknown_code_message():
    assert normalise_code(665) == "0665"
    with pytest.raises(UnknownMunicipality, match=r"unknown kommun code '9999'.*trygghetskarta kommuner"):
        normalise_code("9999")


def test_inside_with_tolerance():
    muni = get_municipality("0665")
    # Stations: five inside, Värnamo outside (SWEREF 99 TM).
    east = [448782, 445400, 456551, 445683, 448737, 441733]
    north = [6373168, 6365443, 6374851, 6356882, 6377405, 6338545]
    assert muni.contains_metric(east, north).tolist() == [True] * 5 + [False]
    # Walk due east from Vaggeryd station across the boundary.
    y = 6373168.0
    line = muni.geometry_metric.boundary.intersection(
        __import__("shapely").LineString([(448782, y), (480000, y)])
    )
    x_edge = min(p.x for p in getattr(line, "geoms", [line]))
    near, far = x_edge + 300, x_edge + 900
    d_near, d_far = muni.distance_outside_m([near, far], [y, y])
    assert 0 < d_near <= 300 and d_far > 500
    assert muni.contains_metric([near, far], [y, y]).tolist() == [True, False]
    assert muni.contains_metric([near], [y], tolerance_m=0).tolist() == [False]


def test_contains_accepts_any_crs():
    muni = get_municipality("0665")
    points = gpd.GeoSeries([Point(14.0907, 57.4284), Point(14.036, 57.1864)], crs="EPSG:4326")
    assert muni.contains(points).tolist() == [True, False]
