"""Role policy and privacy-safe views: exact expectations on small hand-made frames."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata import METRIC, to_wgs84
from layers.privacy import (
    CELLS,
    HIDDEN,
    POINTS,
    PrivacyError,
    PrivacySettings,
    ReportView,
    activities_view,
    aggregate_cells,
    policy,
    role_view,
    safe_count,
    safe_counts,
    truncate_times,
)

# Cell (890, 12730) of the 500 m grid lies at Skillingaryd; (891, 12730) is its east neighbour.
A_X, A_Y = 890 * 500, 12730 * 500
B_X = 891 * 500
SECRET = "<script>alert('x')</script> Adress: Storgatan 1"


def _reports(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame({
        "id": [f"r{i}" for i in range(n)],
        "layer": [r[0] for r in rows],
        "focus_area": ["narkotika" if r[0] == "narkotika" else "trygghet" for r in rows],
        "occurred_at": ["2026-07-04T23:47:13+02:00"] * n,
        "reported_at": ["2026-07-05T00:02:59+02:00"] * n,
        "category": ["övrigt"] * n,
        "description": [SECRET] * n,
        "source": ["medborgare"] * n,
        "status": ["ny"] * n,
        "x": [float(r[1]) for r in rows],
        "y": [float(r[2]) for r in rows],
    })


@pytest.fixture
def frame() -> pd.DataFrame:
    """7 narcotics tips in cell A, 3 in cell B, and 2 unsafe places."""
    rows = [("narkotika", A_X + 40 + 50 * i, A_Y + 30 + 60 * i) for i in range(7)]
    rows += [("narkotika", B_X + 100 + 70 * i, A_Y + 200 + 10 * i) for i in range(3)]
    rows += [("otrygg_plats", A_X + 123.0, A_Y + 321.0), ("otrygg_plats", B_X + 11.0, A_Y + 22.0)]
    return _reports(rows)


def _all_numbers(view: ReportView) -> set[float]:
    out: set[float] = set()
    for part in (view.points, view.cells, view.scattered, view.tallies):
        for col in part.columns:
            if pd.api.types.is_numeric_dtype(part[col]):
                out.update(float(v) for v in part[col].dropna())
    return out


def _all_text(view: ReportView) -> str:
    parts = [view.points, view.cells, view.scattered, view.tallies]
    return json.dumps([p.astype(str).to_dict("records") for p in parts], ensure_ascii=False)


# -- policy ----------------------------------------------------------------------------------

def test_policy_table_defaults():
    assert dict(policy("polis").layers) == {
        "otrygg_plats": POINTS, "hastighet": POINTS, "narkotika": POINTS}
    assert dict(policy("bra").layers) == {
        "otrygg_plats": POINTS, "hastighet": POINTS, "narkotika": CELLS}
    assert dict(policy("allmanhet").layers) == {
        "otrygg_plats": CELLS, "hastighet": CELLS, "narkotika": HIDDEN}
    assert dict(policy("admin").layers) == dict(policy("polis").layers)
    assert [policy(r).free_text for r in ("polis", "bra", "allmanhet", "admin")] == [
        True, False, False, True]
    assert [policy(r).time_precision for r in ("polis", "bra", "allmanhet", "admin")] == [
        "exact", "hour", "month", "exact"]
    assert policy("admin").manage_users and not policy("polis").manage_users
    assert policy("bra").k == 5 and policy("bra").cell_m == 500
    # A layer the policy has never heard of is treated as sensitive.
    assert policy("bra").mode("ny_kanslig") == CELLS
    assert policy("allmanhet").mode("ny_kanslig") == HIDDEN


def test_policy_settings_are_checked():
    with pytest.raises(PrivacyError, match="unknown role"):
        policy("chef")
    with pytest.raises(PrivacyError, match="≥ 250"):
        PrivacySettings(cell_m=200)
    with pytest.raises(PrivacyError, match="k"):
        PrivacySettings(k=1)
    with pytest.raises(PrivacyError, match="cannot be shown as points"):
        policy("bra", PrivacySettings(layer_modes={"bra": {"narkotika": "points"}}))
    stricter = policy("bra", PrivacySettings.from_mapping(
        {"k": 7, "cell_m": 1000, "layer_modes": {"bra": {"hastighet": "cells"}, "allmanhet": {"hastighet": "hidden"}}}))
    assert stricter.mode("hastighet") == CELLS and stricter.k == 7 and stricter.cell_m == 1000
    # Two roles' releases of one layer could be subtracted from each other.
    with pytest.raises(PrivacyError, match="hastighet is shown as cells to both bra and allmanhet"):
        PrivacySettings(layer_modes={"bra": {"hastighet": "cells"}})
    with pytest.raises(PrivacyError, match="period.bra: 'week'"):
        PrivacySettings.from_mapping({"period": {"bra": "week"}})
    with pytest.raises(PrivacyError, match="unknown setting"):
        PrivacySettings.from_mapping({"kk": 3})


# -- cells ----------------------------------------------------------------------------------

def test_bra_sees_one_cell_of_seven_and_no_small_counts(frame):
    view = role_view(frame, "bra")
    points, cells = view  # unpacks like a pair
    assert cells[["layer", "cell_id", "count", "locality"]].to_dict("records") == [
        {"layer": "narkotika", "cell_id": "500mN12730E890", "count": 7, "locality": "Skillingaryd"}
    ]
    lon, lat = to_wgs84([A_X + 250.0], [A_Y + 250.0])
    assert cells["lon"].iloc[0] == pytest.approx(lon[0]) and cells["lat"].iloc[0] == pytest.approx(
        lat[0])
    # The 3 in cell B fold into Skillingaryd's 'spridda', which is itself < 5: suppressed.
    assert view.scattered.empty
    assert view.layer_total("narkotika") == 7
    # No narcotics row, no metric coordinate, no coordinate of any input narcotics point.
    assert set(points["layer"]) == {"otrygg_plats"}
    assert "x" not in points.columns and "y" not in points.columns
    nlon, nlat = to_wgs84(frame["x"][:10], frame["y"][:10])
    numbers = _all_numbers(view)
    for value in [*frame["x"][:10], *frame["y"][:10], *nlon, *nlat]:
        assert float(value) not in numbers
    # No count below k anywhere for the cells layer.
    assert (view.cells["count"] >= 5).all() and (view.tallies["count"] >= 5).all()
    assert view.tallies.to_dict("records") == [
        {"layer": "narkotika", "month": "2026-07-01T00:00:00+02:00", "count": 10}]


def test_spridda_are_counted_per_locality_when_at_least_k():
    rows = [("narkotika", A_X + 10 + 20 * i, A_Y + 10) for i in range(3)]  # cell A: 3
    rows += [("narkotika", B_X + 10 + 20 * i, A_Y + 10) for i in range(3)]  # cell B: 3
    cells, scattered = aggregate_cells(_reports(rows), cell_m=500, k=5)
    assert cells.empty
    assert scattered.to_dict("records") == [
        {"layer": "narkotika", "locality": "Skillingaryd", "count": 6}]
    # A larger cell holds all six: shown as one cell, nothing left to fold.
    cells, scattered = aggregate_cells(_reports(rows), cell_m=1000, k=5)
    assert cells["count"].tolist() == [6] and scattered.empty


def test_aggregate_cells_refuses_small_cells_and_k(frame):
    with pytest.raises(ValueError, match="250"):
        aggregate_cells(frame, cell_m=100)
    with pytest.raises(PrivacyError):
        aggregate_cells(frame, k=2)


def test_rows_without_place_are_ignored_in_cells():
    rows = [("narkotika", A_X + 10 + 20 * i, A_Y + 10) for i in range(5)]
    rows += [("narkotika", np.nan, np.nan)]
    cells, _ = aggregate_cells(_reports(rows))
    assert cells["count"].tolist() == [5]


def test_allmanhet_never_sees_narcotics_and_unsafe_places_only_as_cells(frame):
    many = pd.concat([frame, _reports([("otrygg_plats", A_X + 5.0 * i, A_Y + 7.0) for i in
                                       range(1, 6)])], ignore_index=True)
    view = role_view(many, "allmanhet")
    assert view.points.empty
    assert set(view.cells["layer"]) == {"otrygg_plats"}
    assert view.cells["count"].tolist() == [6]  # 5 new + the one at A+123
    assert "narkotika" not in _all_text(view)
    assert view.layer_total("narkotika") is None


def test_free_text_and_time_precision_per_role(frame):
    polis = role_view(frame, "polis")
    assert polis.points["description"].tolist() == [SECRET] * len(frame)
    assert polis.points["occurred_at"].iloc[0] == "2026-07-04T23:47:13+02:00"
    assert len(polis.points) == len(frame) and polis.cells.empty
    bra = role_view(frame, "bra")
    assert "description" not in bra.points.columns
    assert "Storgatan" not in _all_text(bra) and "<script" not in _all_text(bra)
    assert bra.points["occurred_at"].tolist() == ["2026-07-04T23:00:00+02:00"] * 2
    assert bra.points["reported_at"].tolist() == ["2026-07-05T00:00:00+02:00"] * 2
    allm = role_view(frame, "allmanhet")
    assert "Storgatan" not in _all_text(allm)


def test_view_from_a_geodataframe_in_wgs84(frame):
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]),
        geometry=gpd.points_from_xy(frame["x"], frame["y"], crs=METRIC),
    ).to_crs("EPSG:4326")
    view = role_view(gdf, "bra")
    assert view.cells["count"].tolist() == [7]
    assert "geometry" not in view.points.columns


def test_view_holds_no_reference_to_the_input(frame):
    view = role_view(frame, "bra")
    frame.loc[:, "description"] = "changed"
    assert not any(isinstance(v, pd.DataFrame) and "x" in v.columns for v in vars(view).values())
    with pytest.raises(AttributeError):
        view.points = frame  # frozen


# -- selections -----------------------------------------------------------------------------

def test_selection_around_few_tips_reveals_no_count_below_k(frame):
    view = role_view(frame, "bra")
    # A lasso around the 3 tips of cell B only (whose cell is not shown).
    bx, by = to_wgs84([B_X, B_X + 500], [A_Y, A_Y + 500])
    lasso = shapely.box(bx[0], by[0], bx[1], by[1])
    sel = view.selection(lasso).set_index("layer")
    assert sel.loc["narkotika", "label"] == "färre än 5"
    assert pd.isna(sel.loc["narkotika", "count"])
    assert sel.loc["otrygg_plats", "count"] == 1
    # A lasso around a part of cell A (not its centre) counts nothing of it.
    ax, ay = to_wgs84([A_X, A_X + 200], [A_Y, A_Y + 200])
    sel = view.selection(shapely.box(ax[0], ay[0], ax[1], ay[1])).set_index("layer")
    assert sel.loc["narkotika", "label"] == "färre än 5"
    # The whole area: the shown cell only.
    sel = view.selection(None).set_index("layer")
    assert sel.loc["narkotika", "count"] == 7 and sel.loc["narkotika", "label"] == "7"
    assert view.selection(None, lang="en").set_index("layer").loc["narkotika", "label"] == "7"


def test_safe_count():
    assert safe_count(0) == "färre än 5"
    assert safe_count(4) == "färre än 5"
    assert safe_count(5) == "5"
    assert safe_count(3, k=7, lang="en") == "fewer than 7"
    assert safe_counts(pd.Series([1, 5, 9])).tolist()[1:] == [5, 9]
    assert pd.isna(safe_counts(pd.Series([1, 5, 9])).iloc[0])


# -- times ----------------------------------------------------------------------------------

def test_truncate_to_hour_across_autumn_dst_change():
    # 2026-10-25: 03:00 CEST becomes 02:00 CET; the hour 02:00-03:00 happens twice.
    values = pd.Series([
        "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-25T00:59:59Z",
        "2026-10-25T01:15:00Z", "2026-03-29T03:10:00+02:00", "2026-03-29T01:59:00+01:00", "",
    ])
    assert truncate_times(values, "hour").tolist() == [
        "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T01:00:00+01:00",
        "",
    ]


def test_truncate_to_month_keeps_the_right_offset():
    values = pd.Series([
        "2026-03-31T23:30:00+02:00",  # summer time, but 1 March is winter time
        "2026-10-31T23:30:00+01:00",  # winter time, but 1 October is summer time
        "2026-04-30T22:30:00Z",  # 1 May 00:30 local
        "2026-01-15T12:00:00+01:00",
        None,
    ])
    assert truncate_times(values, "month").tolist() == [
        "2026-03-01T00:00:00+01:00", "2026-10-01T00:00:00+02:00", "2026-05-01T00:00:00+02:00",
        "2026-01-01T00:00:00+01:00", "",
    ]


def test_truncate_exact_is_unchanged_and_unknown_precision_refused():
    values = pd.Series(["2026-03-31T23:30:17+02:00", ""])
    assert truncate_times(values, "exact").tolist() == ["2026-03-31T23:30:17+02:00", ""]
    with pytest.raises(PrivacyError):
        truncate_times(values, "minute")


# -- activities -------------------------------------------------------------------------------

def test_activities_without_free_text_outside_polis():
    acts = pd.DataFrame({
        "id": ["a1", "a2"], "focus_area": ["narkotika", "trafik"], "actor": ["polis", "kommun"],
        "kind": ["narkotikainsats", "hastighetskontroll"],
        "planned_at": ["2026-07-04T21:15:00+02:00", "2026-07-05T08:05:00+02:00"],
        "done_at": ["2026-07-04T23:40:00+02:00", ""], "status": ["genomförd", "planerad"],
        "duration_min": [120, 60], "description": [SECRET, "Kontroll vid skolan"],
        "x": [A_X + 1.0, np.nan], "y": [A_Y + 1.0, np.nan],
    })
    bra = activities_view(acts, "bra")
    assert "description" not in bra.columns
    assert bra["planned_at"].tolist() == ["2026-07-04T21:00:00+02:00", "2026-07-05T08:00:00+02:00"]
    assert bra["done_at"].tolist() == ["2026-07-04T23:00:00+02:00", ""]
    assert np.isnan(bra["lon"].iloc[1]) and not np.isnan(bra["lon"].iloc[0])
    public = activities_view(acts, "allmanhet")
    assert public["planned_at"].tolist() == ["2026-07-01T00:00:00+02:00"] * 2
    assert "description" not in public.columns
    polis = activities_view(acts, "polis")
    assert polis["description"].tolist() == [SECRET, "Kontroll vid skolan"]
    assert polis["planned_at"].tolist() == acts["planned_at"].tolist()


# -- the demo data ---------------------------------------------------------------------------

def test_demo_data_every_role(tmp_path):
    from layers.demo import write_demo

    store = write_demo(tmp_path / "demo.gpkg", reports=600, activities=40)
    reports = store.read_table("reports")
    narc = reports[reports["layer"] == "narkotika"]
    exact = set(narc["x"]) | set(narc["y"])
    nlon, nlat = to_wgs84(narc["x"], narc["y"])
    exact |= set(nlon) | set(nlat)
    for role in ("bra", "allmanhet"):
        view = role_view(reports, role)
        assert not (_all_numbers(view) & exact), role
        assert "narkotika" not in set(view.points["layer"])
        assert "description" not in view.points.columns
        assert (view.cells["count"] >= 5).all() and (view.scattered["count"] >= 5).all()
        minutes = view.points["occurred_at"].str[14:19]
        assert (minutes == "00:00").all()
    assert len(role_view(reports, "polis").points) == len(reports)


def test_activity_places_follow_the_focus_areas_layers():
    """A narcotics operation is placed no more exactly than the role sees narcotics tips."""
    acts = pd.DataFrame({
        "id": ["a1", "a2"], "focus_area": ["narkotika", "trafik"], "actor": ["polis", "polis"],
        "kind": ["narkotikainsats", "hastighetskontroll"],
        "planned_at": ["2026-07-04T21:15:00+02:00"] * 2, "done_at": ["", ""],
        "status": ["planerad", "planerad"], "duration_min": [60, 60],
        "x": [444_123.0, 444_123.0], "y": [6_370_377.0, 6_370_377.0],
    })
    centre = to_wgs84(np.array([444_250.0]), np.array([6_370_250.0]))
    exact = to_wgs84(np.array([444_123.0]), np.array([6_370_377.0]))
    # Rows of reduced roles leave in a keyed-hash order: compare by focus area.
    bra = activities_view(acts, "bra").set_index("focus_area").loc[["narkotika", "trafik"]]
    # narkotika: the 500 m cell's centre; trafik (points for bra): exact.
    assert bra["lon"].tolist() == pytest.approx([centre[0][0], exact[0][0]])
    assert bra["lat"].tolist() == pytest.approx([centre[1][0], exact[1][0]])
    public = activities_view(acts, "allmanhet").set_index("focus_area").loc[["narkotika", "trafik"]].reset_index()
    # narkotika hidden for the public: no place; trafik (cells for the public): the cell centre.
    assert np.isnan(public["lon"].iloc[0]) and np.isnan(public["lat"].iloc[0])
    assert public["lon"].iloc[1] == pytest.approx(centre[0][0])
    polis = activities_view(acts, "polis")
    assert polis["lon"].tolist() == pytest.approx([exact[0][0]] * 2)


def test_privacy_settings_come_from_the_config_file(tmp_path):
    from layers.config import ConfigError, load_config

    base = (tmp_path / "base.toml")
    area = '[[focus_area]]\nid = "a"\nname_sv = "A"\ncolor = "#E69F00"\nlayers = ["narkotika"]\n'
    base.write_text(area + "[privacy]\nk = 7\ncell_m = 1000\n", encoding="utf-8")
    settings = load_config(base).privacy
    assert (settings.k, settings.cell_m) == (7, 1000)
    assert load_config().privacy == PrivacySettings()
    base.write_text(area + "[privacy]\nk = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="k \\(minimum count\\) must be a whole number ≥ 3, got 2"):
        load_config(base)


def test_reduced_roles_get_rows_by_cut_time_then_an_id_hash():
    from layers.privacy import order_key

    rows = _reports([("otrygg_plats", A_X + 10.0 * i, A_Y + 10.0) for i in range(6)])
    rows["occurred_at"] = [f"2026-07-04T21:{59 - i:02d}:00+02:00" for i in range(6)]  # stored latest first
    rows.loc[5, "occurred_at"] = "2026-07-04T20:30:00+02:00"
    bra = role_view(rows, "bra")
    hour21 = np.lexsort((order_key([f"r{i}" for i in range(5)]), np.zeros(5)))
    # The 20:00 row first, then the 21:00 rows in hash order (not the stored or the true order).
    assert bra.points["lon"].tolist() == pytest.approx(
        to_wgs84(A_X + 10.0 * np.array([5, *hour21]), np.full(6, A_Y + 10.0))[0].tolist())
    assert list(hour21) not in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0])
    assert role_view(rows, "polis").points["occurred_at"].tolist() == rows["occurred_at"].tolist()
