"""Places named as people name them (geodata.places) and their use in the "where" table."""

import numpy as np
import pytest

from geodata import (
    cell_id_place_names,
    cell_place_names,
    get_municipality,
    localities,
    named_places,
    place_name,
    place_names,
    unique_labels,
)

# SWEREF 99 TM (E, N) of Trafikverket's stations and of the localities' points (places.csv).
SKILLINGARYD_STATION = (445400, 6365443)
VAGGERYD_STATION = (448782, 6373168)
SKILLINGARYD_CENTRE = (445478, 6365495)


def test_a_point_at_a_station_is_named_by_its_locality_and_the_station():
    assert place_name(*SKILLINGARYD_STATION) == "Skillingaryd – stationen"
    assert place_name(SKILLINGARYD_STATION[0] + 100, SKILLINGARYD_STATION[1] - 100) == "Skillingaryd – stationen"
    assert place_name(*SKILLINGARYD_STATION, lang="en") == "Skillingaryd – the station"


def test_a_point_a_few_hundred_metres_away_gets_the_direction_from_the_place():
    x, y = VAGGERYD_STATION
    # 300 m north of the station (the centre's point is 364 m away): still "at" the station's name.
    assert place_name(x, y + 300) == "Vaggeryd – norr om stationen"
    assert place_name(x - 250, y) == "Vaggeryd – väster om stationen"
    assert place_name(x, y + 300, lang="en") == "Vaggeryd – north of the station"


def test_inside_a_locality_but_far_from_named_places_the_part_of_the_locality():
    x, y = SKILLINGARYD_CENTRE
    # 1 000 m north-east of the centre: beyond 400 m of every place, inside Skillingaryd's 1 249 m.
    assert place_name(x + 707, y + 707) == "Skillingaryd – nordost"
    assert place_name(x, y - 900, lang="en") == "Skillingaryd – south"


def test_outside_every_locality_the_countryside_near_the_nearest():
    x, y = SKILLINGARYD_CENTRE
    assert place_name(x - 4000, y) == "Landsbygd 4 km väster om Skillingaryd"
    assert place_name(x - 4000, y, lang="en") == "Countryside 4 km west of Skillingaryd"
    # Hok reaches only 510 m (650 inhabitants): 700 m east of its point (456 535, 6 375 193) is countryside.
    assert place_name(456535 + 700, 6375193) == "Landsbygd 1 km öster om Hok"


def test_vectorised_names_keep_order_and_leave_unplaced_points_empty():
    names = place_names([SKILLINGARYD_STATION[0], np.nan, VAGGERYD_STATION[0]],
                        [SKILLINGARYD_STATION[1], np.nan, VAGGERYD_STATION[1]])
    assert names.tolist() == ["Skillingaryd – stationen", "", "Vaggeryd – stationen"]
    assert place_names([], []).tolist() == []


def test_a_cell_is_named_by_its_centre():
    # The cell the issue saw as "500mN12730E890": centre (445 250, 6 365 250), 244 m south-west
    # of Skillingaryd's station.
    assert cell_id_place_names(["500mN12730E890"]).tolist() == ["Skillingaryd – sydväst om stationen"]
    assert cell_place_names([890], [12730], 500).tolist() == ["Skillingaryd – sydväst om stationen"]
    # A 1 000 m cell holding the station: its centre (445 500, 6 365 500) is 22 m from the centre's point.
    assert cell_place_names([445], [6365], 1000).tolist() == ["Skillingaryd – centrum"]
    with pytest.raises(ValueError, match="not a grid cell id: 'Skillingaryd'"):
        cell_id_place_names(["Skillingaryd"])


def test_a_municipality_without_named_places_falls_back_to_its_localities():
    assert named_places("0180").empty
    lon, lat = get_municipality("0180").center_wgs84
    from geodata import to_metric

    x, y = to_metric([lon], [lat])
    assert place_name(float(x[0]), float(y[0]), "0180") == "Stockholm – norr"


def test_packaged_places_name_their_source_and_lie_in_their_municipality():
    places = named_places("0665")
    assert len(places) == 9 and len(named_places(665)) == 9
    assert set(places["kind"]) <= {"station", "centrum", "school", "square", "park", "road"}
    assert places["source"].str.len().min() > 10
    assert set(places["locality"]) <= set(localities("0665")["name"])
    assert get_municipality("0665").contains_metric(places["x"].to_numpy(), places["y"].to_numpy()).all()
    # Trafikverket's own SWEREF 99 TM for Skillingaryd station, within a metre.
    row = places[(places["locality"] == "Skillingaryd") & (places["kind"] == "station")].iloc[0]
    assert (round(row["x"]), round(row["y"])) == SKILLINGARYD_STATION


def test_unique_labels_add_the_key_only_to_names_shared_by_rows():
    assert unique_labels(["A – norr", "B", "A – norr"], ["k1", "k2", "k3"]) == ["A – norr · k1", "B", "A – norr · k3"]


def test_area_names_group_without_directions_from_places():
    x, y = VAGGERYD_STATION
    names = place_names([x, x, SKILLINGARYD_CENTRE[0] - 4000], [y, y + 300, SKILLINGARYD_CENTRE[1]], detail=False)
    assert names.tolist() == ["Vaggeryd – stationen", "Vaggeryd – stationen", "Landsbygd nära Skillingaryd"]
    assert place_names([x], [y + 300], lang="en", detail=False).tolist() == ["Vaggeryd – the station"]
