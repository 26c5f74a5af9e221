import geopandas as gpd
import pytest
from shapely import Point

from geodata import localities, nearest_locality


def test_vaggeryd_localities():
    names = localities("0665")["name"].tolist()
    assert names == ["Vaggeryd", "Skillingaryd", "Hok", "Klevshult", "Byarum"]


def test_nearest_locality_name_and_distance():
    points = gpd.GeoSeries(
        [Point(445400, 6365443), Point(456551, 6374851)], crs="EPSG:3006"
    )  # Skillingaryd and Hok stations
    result = nearest_locality(points)
    assert result["locality"].tolist() == ["Skillingaryd", "Hok"]
    assert result["distance_m"].iloc[0] == pytest.approx(90, abs=15)
    assert result["distance_m"].iloc[1] == pytest.approx(345, abs=20)


def test_municipality_without_locality_list_uses_its_own_name():
    locs = localities("0180")
    assert locs["name"].tolist() == ["Stockholm"]
