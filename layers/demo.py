"""Deterministic, clearly fictional demo data: reports and activities for 24 months.

Places are real (stations, town centres of the localities, through-roads); every event
is invented. Patterns follow what the promise is about: unsafe places in dark months and
evenings, speeding at school hours and summer evenings, narcotics tips on weekend nights,
and a true drop in reports at the stations where weekly patrols started a year before the
end. The activities tell the promise's story (`layers.demo_story`): some commitments kept, one
behind, one not started; the rest are background activities across the focus areas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata import METRIC, get_municipality, localities, to_metric

from .config import PromiseConfig, load_config
from .demo_story import keep_story_apart, patrol_start, story_rows
from .store import GeoPackageStore

MONTHS = 24
DEFAULT_REPORTS = 3000
DEFAULT_ACTIVITIES = 400
#: Share of each layer in the reports.
LAYER_SHARE = {"otrygg_plats": 0.5, "hastighet": 0.35, "narkotika": 0.15}
#: At most this share of the activities is the story; with fewer activities, a random part of it.
STORY_SHARE = 0.65
#: Reports at an intervention spot after the patrols start: this share of the earlier rate.
DROP_FACTOR = 0.35


@dataclass(frozen=True)
class Hotspot:
    name: str
    lat: float
    lon: float
    #: Relative weight per layer (0: this layer never reported here).
    weights: dict
    sigma_m: float = 120.0
    #: Weekly patrols from a year before the end cut reports here (the follow-up story).
    intervention: bool = False


# Real places in Vaggeryds kommun (stations from Trafikverket; centres approximate).
VAGGERYD_HOTSPOTS = (
    Hotspot("Vaggeryds station", 57.498204, 14.145410, {"otrygg_plats": 8, "narkotika": 5}, 90, True),
    Hotspot("Vaggeryd centrum", 57.4985, 14.1500, {"otrygg_plats": 7, "narkotika": 4, "hastighet": 2}, 140),
    Hotspot("Vaggeryd, park vid Hjortsjön", 57.5020, 14.1410, {"otrygg_plats": 4, "narkotika": 3}, 150),
    Hotspot("Vaggeryd, skolområdet", 57.4945, 14.1565, {"otrygg_plats": 3, "hastighet": 3, "narkotika": 1}, 120),
    Hotspot("Skillingaryds station", 57.428425, 14.090713, {"otrygg_plats": 7, "narkotika": 4}, 90, True),
    Hotspot("Skillingaryd centrum", 57.4300, 14.0945, {"otrygg_plats": 6, "narkotika": 3, "hastighet": 2}, 140),
    Hotspot("Skillingaryd, parken", 57.4262, 14.0880, {"otrygg_plats": 3, "narkotika": 2}, 130),
    Hotspot("Skillingaryd, skolområdet", 57.4325, 14.0868, {"otrygg_plats": 2, "hastighet": 3}, 120),
    Hotspot("Hoks station", 57.514132, 14.274726, {"otrygg_plats": 2, "narkotika": 1}, 100),
    Hotspot("Hok centrum", 57.5172, 14.2744, {"otrygg_plats": 1.5, "hastighet": 1}, 150),
    Hotspot("Klevshults station", 57.351566, 14.097317, {"otrygg_plats": 1, "narkotika": 0.5}, 100),
    Hotspot("Byarum station", 57.536254, 14.143768, {"otrygg_plats": 0.8}, 100),
)

# Through-roads as (lat, lon) polylines, approximate: speed complaints are drawn along them.
VAGGERYD_ROADS = {
    "Gamla E4, Klevshult": ((57.3450, 14.1030), (57.3552, 14.1014), (57.3700, 14.0990)),
    "Gamla E4, Skillingaryd": ((57.4150, 14.0960), (57.4289, 14.0920), (57.4420, 14.0990)),
    "Storgatan, Vaggeryd": ((57.4900, 14.1430), (57.4981, 14.1485), (57.5060, 14.1540)),
    "Jönköpingsvägen, Vaggeryd": ((57.4985, 14.1330), (57.4985, 14.1500), (57.4990, 14.1660)),
    "Riksväg 30, Hok": ((57.5330, 14.2900), (57.5172, 14.2744), (57.5020, 14.2650)),
    "Länsväg 152, Skillingaryd": ((57.4270, 14.0900), (57.4230, 14.0700), (57.4200, 14.0500)),
}
ROAD_WEIGHTS = {
    "Gamla E4, Klevshult": 2, "Gamla E4, Skillingaryd": 4, "Storgatan, Vaggeryd": 4,
    "Jönköpingsvägen, Vaggeryd": 3, "Riksväg 30, Hok": 3, "Länsväg 152, Skillingaryd": 1.5,
}

# Month (1-12) and hour (0-23) profiles per layer; Monday = 0 for weekdays.
_DARK = np.array([1.5, 1.4, 1.1, 0.9, 0.8, 0.6, 0.6, 0.8, 1.0, 1.2, 1.5, 1.6])
_SUMMER = np.array([0.7, 0.7, 0.8, 1.0, 1.3, 1.5, 1.4, 1.3, 1.1, 0.9, 0.7, 0.6])
_FLAT = np.array([0.9, 0.9, 1.0, 1.0, 1.1, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 0.9])
MONTH_PROFILE = {"otrygg_plats": _DARK, "hastighet": _SUMMER, "narkotika": _FLAT}
HOUR_PROFILE = {
    "otrygg_plats": np.array([4, 3, 2, 1, 0.5, 0.3, 0.3, 0.5, 0.6, 0.6, 0.7, 0.8,
                              0.9, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0, 4.0, 5.0, 5.5, 5.5, 5.0]),
    "hastighet": np.array([0.3, 0.2, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 4.5, 1.5, 1.0, 1.0,
                           1.2, 1.5, 3.0, 3.5, 3.0, 2.0, 2.0, 2.5, 3.0, 2.5, 1.5, 0.8]),
    "narkotika": np.array([4, 3.5, 2.5, 1.5, 0.5, 0.2, 0.2, 0.2, 0.3, 0.3, 0.4, 0.5,
                           0.6, 0.7, 0.8, 1.0, 1.5, 2.0, 2.5, 3.5, 4.5, 5.0, 5.0, 4.5]),
}
WEEKDAY_PROFILE = {
    "otrygg_plats": np.array([0.8, 0.8, 0.9, 1.0, 1.5, 1.7, 1.1]),
    "hastighet": np.array([1.1, 1.1, 1.1, 1.1, 1.2, 0.8, 0.7]),
    "narkotika": np.array([0.6, 0.6, 0.8, 0.9, 1.6, 1.9, 1.0]),
}
SOURCES = {
    "otrygg_plats": (("medborgare", 0.45), ("sociala_medier", 0.2), ("medborgardialog", 0.2), ("kommun", 0.15)),
    "hastighet": (("medborgare", 0.6), ("kommun", 0.15), ("polis", 0.15), ("sociala_medier", 0.1)),
    "narkotika": (("polis", 0.5), ("medborgare", 0.4), ("kommun", 0.1)),
}
CATEGORY_WEIGHTS = {
    "otrygg_plats": {"belysning": 5, "skymd sikt": 2, "folksamling": 4, "skadegörelse": 3,
                     "nedskräpning": 2, "hot/trakasserier": 1.5, "övrigt": 1},
    "hastighet": {"fortkörning": 6, "buskörning": 2, "moped/EPA": 3, "vårdslös körning": 1.5, "övrigt": 0.5},
    "narkotika": {"försäljning": 3, "användning": 4, "langning": 1, "tillhåll": 2, "övrigt": 0.5},
}
# Invented texts; no person is ever named, as real tips must never be either.
DESCRIPTIONS = {
    "belysning": "Trasig belysning på gångvägen, mörkt och otryggt på kvällen.",
    "skymd sikt": "Buskage skymmer sikten vid gångtunneln.",
    "folksamling": "Stora grupper samlas sent på kvällen, känns otryggt att gå förbi.",
    "skadegörelse": "Klotter och krossade rutor vid väntkuren.",
    "nedskräpning": "Mycket skräp och glas på marken efter helgen.",
    "hot/trakasserier": "Blev ropad efter på väg hem, känner mig otrygg här.",
    "fortkörning": "Bilar kör alldeles för fort förbi skolan.",
    "buskörning": "Buskörning med bil på parkeringen nattetid.",
    "moped/EPA": "Mopeder och EPA-traktorer kör fort genom centrum.",
    "vårdslös körning": "Omkörningar nära övergångsstället.",
    "försäljning": "Misstänkt försäljning vid platsen under kvällstid.",
    "användning": "Sprutor och folie hittade på marken.",
    "langning": "Misstänkt langning till ungdomar.",
    "tillhåll": "Tillhåll i övergiven byggnad.",
    "övrigt": "Övrig iakttagelse.",
}


def _local_iso(local_naive: np.ndarray) -> np.ndarray:
    """Local Swedish wall-clock datetime64 → ISO 8601 text with the right offset (+01/+02)."""
    index = pd.DatetimeIndex(local_naive)
    aware = index.tz_localize(
        "Europe/Stockholm", ambiguous=np.zeros(len(index), dtype=bool), nonexistent="shift_forward"
    )
    wall = aware.tz_localize(None)
    utc = aware.tz_convert("UTC").tz_localize(None)
    offset_h = ((wall - utc) / pd.Timedelta(hours=1)).to_numpy()
    text = np.datetime_as_string(wall.to_numpy().astype("datetime64[s]"), unit="s")
    return np.char.add(text.astype("U19"), np.where(offset_h >= 2, "+02:00", "+01:00"))


def _sample_days(rng, days: pd.DatetimeIndex, layer: str, n: int, drop_from=None) -> np.ndarray:
    weights = MONTH_PROFILE[layer][days.month - 1] * WEEKDAY_PROFILE[layer][days.day_of_week]
    if drop_from is not None:
        weights = np.where(days >= drop_from, weights * DROP_FACTOR, weights)
    return rng.choice(len(days), size=n, p=weights / weights.sum())


def _pick(rng, options, n):
    names = [o[0] for o in options]
    p = np.array([o[1] for o in options], dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=n, p=p / p.sum())]


def _along_roads(rng, roads: dict, weights: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Metric points along road polylines with ~25 m scatter."""
    names = list(roads)
    p = np.array([weights.get(k, 1.0) for k in names], dtype=float)
    which = rng.choice(len(names), size=n, p=p / p.sum())
    x = np.empty(n)
    y = np.empty(n)
    for k, name in enumerate(names):
        sel = which == k
        lat, lon = np.array(roads[name]).T
        rx, ry = to_metric(lon, lat)
        seg = np.hypot(np.diff(rx), np.diff(ry))
        cum = np.concatenate([[0], np.cumsum(seg)])
        t = rng.random(sel.sum()) * cum[-1]
        x[sel] = np.interp(t, cum, rx)
        y[sel] = np.interp(t, cum, ry)
    return x + rng.normal(0, 25, n), y + rng.normal(0, 25, n)


def _hotspots_for(kommun: str, rng) -> tuple[tuple[Hotspot, ...], dict]:
    if kommun == "0665":
        return VAGGERYD_HOTSPOTS, VAGGERYD_ROADS
    # Any other municipality: invented places around its localities and random points inside.
    muni = get_municipality(kommun)
    locs = localities(kommun)
    minx, miny, maxx, maxy = muni.geometry_metric.bounds
    spots: list[Hotspot] = []
    while len(spots) < 10:
        px, py = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if muni.contains_metric([px], [py], tolerance_m=-800)[0]:
            lon, lat = _wgs(px, py)
            spots.append(Hotspot(f"Plats {len(spots) + 1}", lat, lon,
                                 {"otrygg_plats": 3, "narkotika": 1.5, "hastighet": 1}, 150,
                                 intervention=len(spots) < 2))
    for row in locs.itertuples():
        spots.append(Hotspot(f"{row.name} centrum", row.lat, row.lon,
                             {"otrygg_plats": 6, "narkotika": 3, "hastighet": 2}, 200))
    roads = {}
    for i in range(0, 6, 2):
        a, b = spots[i], spots[i + 1]
        roads[f"Väg {i // 2 + 1}"] = ((a.lat, a.lon), ((a.lat + b.lat) / 2, (a.lon + b.lon) / 2), (b.lat, b.lon))
    return tuple(spots), roads


def _wgs(x, y):
    from geodata import to_wgs84

    lon, lat = to_wgs84([x], [y])
    return float(lon[0]), float(lat[0])


def generate(
    seed: int = 1, reports: int = DEFAULT_REPORTS, activities: int = DEFAULT_ACTIVITIES,
    end: dt.date | None = None, kommun: str = "0665", config: PromiseConfig | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The demo reports and activities (SWEREF 99 TM); same arguments give identical rows."""
    end = end or dt.date.today()
    # The promise of the demo's last year: its commitments are what the story fills.
    config = config or load_config(today=end)
    rng = np.random.default_rng(seed)
    muni = get_municipality(kommun)
    spots, roads = _hotspots_for(muni.code, rng)
    first = (pd.Timestamp(end) - pd.DateOffset(months=MONTHS)).date() + dt.timedelta(days=1)
    days = pd.date_range(first, end, freq="D")
    drop_from = pd.Timestamp(patrol_start(end))
    report_frame = _reports(rng, reports, spots, roads, days, drop_from, config, seed)
    activity_frame = _activities(rng, activities, spots, roads, days, config, seed, muni.code, end)
    # Scatter can cross the generalised boundary: pull such points back to their spot.
    for frame in (report_frame, activity_frame):
        has = ~frame["x"].isna()
        out = has & ~pd.Series(muni.contains_metric(frame["x"].fillna(0), frame["y"].fillna(0)))
        frame.loc[out, "x"] = frame.loc[out, "spot_x"]
        frame.loc[out, "y"] = frame.loc[out, "spot_y"]
    return _to_gdf(report_frame, "report"), _to_gdf(activity_frame, "activity")


def _to_gdf(frame: pd.DataFrame, kind: str) -> gpd.GeoDataFrame:
    from .schema import ACTIVITY_COLUMNS, REPORT_COLUMNS

    columns = REPORT_COLUMNS if kind == "report" else ACTIVITY_COLUMNS
    geometry = gpd.points_from_xy(frame["x"], frame["y"], crs=METRIC)
    gdf = gpd.GeoDataFrame(frame.drop(columns=["x", "y", "spot_x", "spot_y"]), geometry=geometry, crs=METRIC)
    if kind == "activity":
        # No place (EST meetings): a true empty point rather than POINT (NaN NaN).
        gdf.loc[frame["x"].isna().to_numpy(), "geometry"] = gpd.GeoSeries.from_wkt(["POINT EMPTY"]).iloc[0]
    return gdf[list(columns)]


def _empty_frame(kind: str) -> pd.DataFrame:
    """No rows (`demo --reports 0`): the columns the rest of the pipeline expects."""
    from .schema import ACTIVITY_COLUMNS, REPORT_COLUMNS

    columns = [c for c in (REPORT_COLUMNS if kind == "report" else ACTIVITY_COLUMNS) if c != "geometry"]
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    for c in ("x", "y", "spot_x", "spot_y"):
        frame[c] = pd.Series(dtype="float64")
    if kind == "activity":
        frame["duration_min"] = pd.Series(dtype="int64")
    return frame


def _reports(rng, n, spots, roads, days, drop_from, config, seed) -> pd.DataFrame:
    spot_xy = np.column_stack(to_metric([s.lon for s in spots], [s.lat for s in spots]))
    counts = rng.multinomial(n, [LAYER_SHARE[k] for k in LAYER_SHARE])
    parts = []
    for layer, count in zip(LAYER_SHARE, counts, strict=True):
        if count == 0:
            continue
        # Most speed complaints are about a through-road, the rest about a place.
        on_road = rng.random(count) < 0.8 if layer == "hastighet" else np.zeros(count, dtype=bool)
        w = np.array([s.weights.get(layer, 0.0) for s in spots])
        spot = rng.choice(len(spots), size=count, p=w / w.sum())
        sigma = np.array([s.sigma_m for s in spots])[spot]
        x = spot_xy[spot, 0] + rng.normal(0, 1, count) * sigma
        y = spot_xy[spot, 1] + rng.normal(0, 1, count) * sigma
        if on_road.any():
            rx, ry = _along_roads(rng, roads, ROAD_WEIGHTS, int(on_road.sum()))
            x[on_road], y[on_road] = rx, ry
        intervened = np.array([s.intervention for s in spots])[spot] & ~on_road
        day_index = np.empty(count, dtype=int)
        for flag in (False, True):
            sel = intervened == flag
            if sel.any():
                day_index[sel] = _sample_days(rng, days, layer, int(sel.sum()), drop_from if flag else None)
        hours = rng.choice(24, size=count, p=HOUR_PROFILE[layer] / HOUR_PROFILE[layer].sum())
        minutes = rng.integers(0, 60, count)
        occurred = (
            days.to_numpy()[day_index]
            + hours.astype("timedelta64[h]")
            + minutes.astype("timedelta64[m]")
        ).astype("datetime64[s]")
        delay_min = np.minimum(rng.exponential(600, count), 60 * 24 * 20).astype("int64") + 5
        reported = occurred + delay_min.astype("timedelta64[m]")
        cats = CATEGORY_WEIGHTS[layer]
        category = np.array(list(cats), dtype=object)[
            rng.choice(len(cats), size=count, p=np.array(list(cats.values())) / sum(cats.values()))
        ]
        parts.append(pd.DataFrame({
            "layer": layer, "focus_area": config.layers[layer].focus_area,
            "occurred_np": occurred, "reported_np": reported, "category": category,
            "source_hint": _pick(rng, SOURCES[layer], count), "x": x, "y": y,
            "spot_x": spot_xy[spot, 0], "spot_y": spot_xy[spot, 1],
        }))
    if not parts:
        return _empty_frame("report")
    frame = pd.concat(parts, ignore_index=True).sort_values("occurred_np", kind="stable").reset_index(drop=True)
    end_time = days[-1] + pd.Timedelta(days=1)
    # Reporting delay must not run past the end of the data period.
    frame["reported_np"] = np.minimum(frame["reported_np"].to_numpy(), np.datetime64(end_time.to_pydatetime(), "s") - np.timedelta64(1, "s"))
    frame["reported_np"] = np.maximum(frame["reported_np"].to_numpy(), frame["occurred_np"].to_numpy())
    age_days = (end_time - pd.DatetimeIndex(frame["occurred_np"])).days.to_numpy()
    u = rng.random(len(frame))
    status = np.where(age_days < 21, np.where(u < 0.8, "ny", "bekräftad"),
                      np.where(u < 0.55, "åtgärdad", np.where(u < 0.9, "bekräftad", "avvisad")))
    frame["id"] = [f"demo-{seed}-r{i:07d}" for i in range(len(frame))]
    frame["occurred_at"] = _local_iso(frame.pop("occurred_np").to_numpy())
    frame["reported_at"] = _local_iso(frame.pop("reported_np").to_numpy())
    frame["description"] = frame["category"].map(DESCRIPTIONS).fillna("Övrig iakttagelse.")
    # Every demo row says where it came from: fictional demo data.
    frame["source"] = "demo"
    frame = frame.drop(columns=["source_hint"])
    frame["status"] = status
    return frame


# (kind, actor, focus area, share, duration range, place: 'spot:<layer>' | 'road' | None)
ACTIVITY_PLAN = (
    ("närvaro/patrull", "polis", "trygghet", 0.34, (60, 180), "spot:otrygg_plats"),
    ("hastighetskontroll", "polis", "trafik", 0.22, (60, 150), "road"),
    ("trygghetsvandring", "gemensam", "trygghet", 0.08, (90, 150), "spot:otrygg_plats"),
    ("informationsinsats", "kommun", "trafik", 0.07, (45, 120), "spot:hastighet"),
    ("informationsinsats", "kommun", "narkotika", 0.06, (45, 120), "spot:narkotika"),
    ("narkotikainsats", "polis", "narkotika", 0.13, (120, 240), "spot:narkotika"),
    ("EST-möte", "gemensam", "trygghet", 0.10, (60, 90), None),
)


def _activities(rng, n, spots, roads, days, config, seed, kommun: str, end: dt.date) -> pd.DataFrame:
    """The story (`layers.demo_story`, at most STORY_SHARE of n) and background activities."""
    until = min(max(config.period_end, end), end + dt.timedelta(days=60))
    story = pd.DataFrame(story_rows(rng, spots, roads, config, kommun, end, until))
    take = min(len(story), int(STORY_SHARE * n))
    if take < len(story):
        story = story.iloc[np.sort(rng.choice(len(story), size=take, replace=False))]
    background = _background(rng, n - take, spots, roads, days, config)
    background = keep_story_apart(background, config, kommun, end, _local_iso)
    parts = [p for p in (story, background) if len(p)]
    if not parts:
        return _empty_frame("activity")
    frame = pd.concat(parts, ignore_index=True).sort_values("planned_np", kind="stable").reset_index(drop=True)
    planned = frame.pop("planned_np").to_numpy().astype("datetime64[s]")
    outcome = frame.pop("outcome").to_numpy()
    # Whatever the plan, nothing after the demo's last day has happened yet.
    future = planned >= np.datetime64(end + dt.timedelta(days=1), "s")
    status = np.where(future | (outcome == "planned"), "planerad",
                      np.where(outcome == "cancelled", "inställd", "genomförd"))
    duration = frame["duration_min"].to_numpy().astype("int64")
    frame["duration_min"] = duration
    frame["status"] = status
    frame["done_at"] = np.where(status == "genomförd", _local_iso(planned + duration.astype("timedelta64[m]")), "")
    frame["description"] = [f"{k.capitalize()} (fiktiv demoaktivitet)." for k in frame["kind"]]
    frame["id"] = [f"demo-{seed}-a{i:05d}" for i in range(len(frame))]
    frame["planned_at"] = _local_iso(planned)
    return frame


def _background(rng, n, spots, roads, days, config) -> pd.DataFrame:
    """Activities across the plan's kinds and places, any day of the 24 months, some still ahead."""
    spot_xy = np.column_stack(to_metric([s.lon for s in spots], [s.lat for s in spots]))
    shares = np.array([p[3] for p in ACTIVITY_PLAN])
    counts = rng.multinomial(max(n, 0), shares / shares.sum())
    areas = set(config.focus_areas)
    fallback = next(iter(config.focus_areas))
    parts = []
    for (kind, actor, area, _share, (dmin, dmax), place), count in zip(ACTIVITY_PLAN, counts, strict=True):
        if count == 0:
            continue
        x = np.full(count, np.nan)
        y = np.full(count, np.nan)
        sx = np.full(count, np.nan)
        sy = np.full(count, np.nan)
        if place == "road":
            x, y = _along_roads(rng, roads, ROAD_WEIGHTS, count)
            sx, sy = x.copy(), y.copy()
        elif place is not None:
            layer = place.split(":", 1)[1]
            w = np.array([s.weights.get(layer, 0.0) for s in spots])
            spot = rng.choice(len(spots), size=count, p=w / w.sum())
            sx, sy = spot_xy[spot, 0], spot_xy[spot, 1]
            x = sx + rng.normal(0, 60, count)
            y = sy + rng.normal(0, 60, count)
        planned_day = days.to_numpy()[(rng.random(count) * len(days)).astype(int)]
        future = rng.random(count) < 0.08
        planned_day = np.where(future, (days[-1] + pd.to_timedelta(rng.integers(1, 60, count), "D")).to_numpy(), planned_day)
        hour = np.where(np.isin(kind, ["närvaro/patrull", "narkotikainsats", "trygghetsvandring"]),
                        rng.integers(17, 23, count), rng.integers(8, 16, count))
        planned = (planned_day + hour.astype("timedelta64[h]")).astype("datetime64[s]")
        cancelled = ~future & (rng.random(count) < 0.08)
        duration = (rng.integers(dmin // 15, dmax // 15 + 1, count) * 15).astype("int64")
        parts.append(pd.DataFrame({
            "focus_area": area if area in areas else fallback, "actor": actor, "kind": kind,
            "planned_np": planned, "outcome": np.where(future, "planned", np.where(cancelled, "cancelled", "done")),
            "duration_min": duration, "x": x, "y": y, "spot_x": sx, "spot_y": sy,
        }))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def write_demo(
    path, seed: int = 1, reports: int = DEFAULT_REPORTS, activities: int = DEFAULT_ACTIVITIES,
    end: dt.date | None = None, kommun: str = "0665", overwrite: bool = False,
    config: PromiseConfig | None = None,
) -> GeoPackageStore:
    """Generate demo data into a new GeoPackage store marked as demo."""
    report_frame, activity_frame = generate(seed, reports, activities, end, kommun, config)
    # The file stores the promise the story fills: the built-in one for the demo's last year.
    promise = config or load_config(today=end or dt.date.today())
    store = GeoPackageStore.create(path, kommun=kommun, demo=True, overwrite=overwrite, config=promise)
    try:
        store.add_reports(report_frame)
        store.add_activities(activity_frame)
        store.set_meta("demo_seed", str(seed))
    except BaseException:
        store.path.unlink(missing_ok=True)
        raise
    return store
