"""Where: counts per place for the \"where\" table and the list of reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata import cell_id, cell_id_place_names, cell_index, place_names, unique_labels

from ..data import AppData
from ..i18n import REPORT_STATUS, t

OTHER_PLACE = "__other__"


def _point_place_counts(reports: pd.DataFrame, names: np.ndarray, group_by: str, size: int) -> pd.DataFrame:
    """Points per (place, layer) with the nearest locality of each group's first point:
    counted on integer keys, so the frame of strings is as small as the number of places."""
    loc = reports["locality"].to_numpy()
    placed = loc >= 0
    layer_codes, layer_names = pd.factorize(reports["layer"], sort=False)
    if group_by == "cell":
        rows = np.flatnonzero(placed)
        if size == 500:
            ix, iy = reports["cell_ix"].to_numpy()[rows], reports["cell_iy"].to_numpy()[rows]
        else:
            ix, iy = cell_index(reports["x"].to_numpy()[rows], reports["y"].to_numpy()[rows], size)
        keys = np.column_stack([np.asarray(ix, dtype="int64"), np.asarray(iy, dtype="int64"), layer_codes[rows]])
        unique, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
        place = cell_id(unique[:, 0], unique[:, 1], size) if len(unique) else np.array([], dtype=object)
        layer = unique[:, 2]
        first = rows[first]
    else:
        n_layers = max(len(layer_names), 1)
        keys = (loc.astype("int64") + 1) * n_layers + layer_codes
        unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
        place_index, layer = np.divmod(unique, n_layers)
        place_index -= 1
        place = np.where(place_index >= 0, names[np.clip(place_index, 0, len(names) - 1)], OTHER_PLACE)
    near_index = loc[first]
    near = np.where(near_index >= 0, names[np.clip(near_index, 0, len(names) - 1)], "")
    return pd.DataFrame({"place": np.asarray(place, dtype=object), "near": near.astype(object),
                         "layer": np.asarray(layer_names, dtype=object)[layer], "count": counts.astype("int64")})


def _place_layer_counts(reports: pd.DataFrame, data: AppData, group_by: str, policy, release
                        ) -> dict[tuple[str, str], list]:
    """{(place, layer): [count, near]}: points counted on integer keys, then the release's
    units; `near` is the first group's nearest locality (points before units)."""
    names = data.localities["name"].to_numpy()
    cells_mode = release is not None and bool(release.layers)
    size = policy.cell_m if (cells_mode and policy is not None) else 500
    totals: dict[tuple[str, str], list] = {}

    def add(places, nears, layers, counts) -> None:
        for place, near, layer, count in zip(places, nears, layers, counts, strict=True):
            entry = totals.get((place, layer))
            if entry is None:
                totals[(place, layer)] = [int(count), near]
            else:
                entry[0] += int(count)

    if len(reports):
        points = _point_place_counts(reports, names, group_by, size)
        add(points["place"], points["near"], points["layer"], points["count"])
    if cells_mode:
        units = release.per_unit
        if group_by == "cell":
            units = units[units["kind"] == "cell"]
            place = units["key"].to_numpy(dtype=object)
        else:
            place = np.where(units["kind"] == "kommun", OTHER_PLACE, units["locality"]).astype(object)
        add(place, units["locality"].to_numpy(dtype=object), units["layer"].to_numpy(dtype=object),
            units["count"].to_numpy(dtype="int64"))
    return totals


def place_counts(reports: pd.DataFrame, data: AppData, group_by: str = "locality", policy=None,
                 release=None) -> pd.DataFrame:
    """Reports per place and layer: columns place (locality name, cell id or OTHER_PLACE),
    layer, count, near (nearest locality), sorted by place and layer. Points-mode rows count
    one each; a release counts its units (a cell under its centre's locality, 'spridda' under
    their locality, the municipality's remainder as OTHER_PLACE). Per cell only cells count
    (a report without a cell has no row there)."""
    totals = _place_layer_counts(reports, data, group_by, policy, release)
    keys = sorted(totals)
    return pd.DataFrame({"place": [k[0] for k in keys], "layer": [k[1] for k in keys],
                         "count": [totals[k][0] for k in keys], "near": [totals[k][1] for k in keys]})


def places_rows(reports: pd.DataFrame, activities: pd.DataFrame, data: AppData,
                group_by: str = "locality", lang: str = "sv", limit: int | None = 10, policy=None,
                release=None) -> list[dict]:
    """Ranked places (locality or cell) by reports, with activities done there.

    Every count is a point the role sees or a whole published unit of its release
    (`place_counts`); per locality the places add up to the view's total (the remainder and
    reports without a place are the row 'Övriga platser i kommunen'). Ties keep the places'
    alphabetical order.
    """
    totals = _place_layer_counts(reports, data, group_by, policy, release)
    if not totals:
        return []
    names = data.localities["name"].to_numpy()
    cells_mode = release is not None and bool(release.layers)
    size = policy.cell_m if (cells_mode and policy is not None) else 500
    done = (activities["status"] == "genomförd").to_numpy() & ~np.isnan(activities["x"].to_numpy())
    acts: dict = {}
    if done.any():
        if group_by == "cell":
            ix, iy = cell_index(activities["x"].to_numpy()[done], activities["y"].to_numpy()[done], size)
            places = cell_id(ix, iy, size)
        else:
            places = names[activities["locality"].to_numpy()[done]]
        found, counts = np.unique(np.asarray(places, dtype=str), return_counts=True)
        acts = dict(zip(found.tolist(), counts.tolist(), strict=True))
    per_place: dict[str, dict[str, int]] = {}
    for place, layer in sorted(totals):
        per_place.setdefault(place, {})[layer] = totals[(place, layer)][0]
    ranked = sorted(((sum(layers.values()), place) for place, layers in per_place.items()),
                    key=lambda item: -item[0])
    ranked = [(total, place) for total, place in ranked if total > 0]
    if limit is not None:
        ranked = ranked[:limit]
    kommun = data.municipality.code
    cells = [place for _, place in ranked if place != OTHER_PLACE] if group_by == "cell" else []
    # A cell is named by its centre (locality and nearest named place): no finer than the cell.
    cell_names = dict(zip(cells, unique_labels(cell_id_place_names(cells, kommun, lang), cells), strict=True))
    rows = []
    for total, place in ranked:
        if place == OTHER_PLACE:
            label = t("other_row", lang)
        elif group_by == "cell":
            label = cell_names[place]
        else:
            label = place
        entry = {"place": label, "key": place, "total": int(total),
                 "activities_done": int(acts.get(place, 0)) if place != OTHER_PLACE else 0}
        layers = per_place[place]
        for layer_id in data.config.layers:
            entry[layer_id] = int(layers.get(layer_id, 0))
        rows.append(entry)
    return rows


def report_list(reports: pd.DataFrame, data: AppData, lang: str = "sv", limit: int = 15) -> list[dict]:
    """The latest reports the role may see one by one (points-mode rows only), newest first:
    time (at the role's precision), layer, category, nearest locality, status, and the
    description only when the frame holds it (roles with free text)."""
    if reports.empty:
        return []
    # The newest `limit` without sorting every row: all rows at or after the limit-th newest
    # time, then ties (same hour for a role with hour precision) by id, which says nothing
    # about order.
    t_ns = reports["t"].to_numpy()
    if len(t_ns) > limit:
        cutoff = np.partition(t_ns, len(t_ns) - limit)[len(t_ns) - limit]
        reports = reports[t_ns >= cutoff]
    # Within one cut time: the keyed hash order of a reduced role (ids may follow time), else id.
    tie = "order" if "order" in reports.columns else "id"
    rows = reports.sort_values(["t", tie], ascending=[False, True], kind="stable").head(limit)
    # Named from the coordinates the role's frame holds: never finer than its map shows.
    where = place_names(rows["x"].to_numpy(), rows["y"].to_numpy(), data.municipality.code, lang)
    out = []
    for row, place in zip(rows.itertuples(index=False), where, strict=True):
        spec = data.config.layers.get(row.layer)
        entry = {
            "time": row.local_time,
            "layer": spec.name(lang) if spec else row.layer,
            "category": spec.category_label(row.category, lang) if spec else row.category,
            "place": place or "–",
            "status": REPORT_STATUS[lang].get(row.status, row.status),
        }
        if "description" in reports.columns:
            entry["description"] = "" if pd.isna(row.description) else str(row.description)
        out.append(entry)
    return out
