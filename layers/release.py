"""Releases: what reduced roles see of cells-mode layers — fixed cells × fixed, closed periods.

A reduced role (bra, allmanhet, any role with a cells-mode layer) never queries the live
reports of a cells-mode layer. It reads a *release*: counts per unit and block, built by the
rules of statistical disclosure control and frozen when built:

* **Blocks** are whole calendar periods of the role (month, quarter or year), only periods
  that have ended, from a fixed origin (never from the first report). Consecutive periods
  are merged into one block until every cells-mode layer of the role has at least k reports
  in it (an empty period counts as fewer than k, so the block layout never tells 0 from
  1..k−1), or until the block is a year long (a layer below k is then not published in it);
  the merge is decided once, when the block is first published, and never undone. A
  trailing run that does not reach k yet is not published (it waits for the next period).
* **Units** partition every report of a block and layer exactly once: a grid cell with ≥ k
  reports; else the locality of the cell's centre ("spridda rapporter") when its remainder
  is ≥ k and cannot pin a cell (see `_pins_a_cell`); else the municipality's remainder
  ("övriga platser", which also holds reports without an exact place). When that remainder
  is 1..k-1, the smallest locality unit (then the smallest cell) is folded into it until it
  reaches k — complementary suppression, so that no difference of published figures is a
  count below k. Every published count is therefore 0 or ≥ k, and every figure a view shows
  is a sum of whole published units over whole published blocks.
* **Revisions.** A release is rebuilt when a period closes (the schedule). Blocks already
  published keep their units; late reports are added to the unit they fall in, and a unit's
  count only grows, by at least k at a time (smaller changes are held back until they add
  up), so every sum of units changes by 0 or ≥ k and comparing two releases never reveals
  fewer than k reports either.

Pure functions of frames; `layers.release_store` keeps releases in the data file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from geodata import cell_id, cell_index, get_municipality, localities, nearest_locality_xy

from .imports.sources.polisen import is_approximate
from .privacy import CELLS, Policy
from .schema import parse_times

TZ = "Europe/Stockholm"
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
CELL, LOCALITY, KOMMUN = "cell", "locality", "kommun"
UNIT_KINDS = (CELL, LOCALITY, KOMMUN)
COUNT_COLUMNS = ("block", "layer", "kind", "unit", "count")
#: Integer cell keys: ix * CELL_KEY + iy (iy < 100 000 for any cell ≥ 250 m in Sweden).
CELL_KEY = 100_000


# -- periods ---------------------------------------------------------------------------------

def _months(kind: str) -> int:
    if kind not in PERIOD_MONTHS:
        raise ValueError(f"unknown release period {kind!r}; use one of {', '.join(PERIOD_MONTHS)}")
    return PERIOD_MONTHS[kind]


def period_of(year, month, kind: str) -> np.ndarray:
    """Period index (months since year 0 // months per period) of local calendar months."""
    months = np.asarray(year, dtype="int64") * 12 + np.asarray(month, dtype="int64") - 1
    return months // _months(kind)


def period_start(index: int, kind: str) -> dt.date:
    """First local day of a period."""
    months = int(index) * _months(kind)
    return dt.date(months // 12, months % 12 + 1, 1)


def current_period(today: dt.date, kind: str) -> int:
    return int(period_of(today.year, today.month, kind))


def last_closed(today: dt.date, kind: str) -> int:
    """The newest period that has ended by `today` (local date)."""
    return current_period(today, kind) - 1


@dataclass(frozen=True)
class Block:
    """Consecutive whole periods published as one bin: periods first..last (inclusive)."""

    first: int
    last: int
    kind: str

    @property
    def start(self) -> dt.date:
        return period_start(self.first, self.kind)

    @property
    def end(self) -> dt.date:
        """The day after the block (exclusive end)."""
        return period_start(self.last + 1, self.kind)

    @property
    def periods(self) -> int:
        return self.last - self.first + 1

    def overlaps(self, start: dt.date | None, end: dt.date | None) -> bool:
        """Whether the block meets the inclusive date range [start, end] (None: open)."""
        return (start is None or self.end > start) and (end is None or self.start <= end)


# -- the input rows ----------------------------------------------------------------------------

def release_rows(reports: pd.DataFrame, pol: Policy, kommun: str, kind: str) -> pd.DataFrame:
    """The cells-mode rows of a role as release input: layer, period, placed, cell, locality.

    `reports` holds layer, x, y (SWEREF 99 TM; NaN: no place) and `t` (UTC ns) or
    `occurred_at`. Police-feed reports (only a locality's centre as position) and reports
    without a place count in the municipality's remainder, never in a cell or locality.
    """
    layers = np.asarray(reports["layer"], dtype=object).astype(str)
    mine = np.array([pol.mode(lid) == CELLS for lid in layers], dtype=bool) if len(layers) else \
        np.zeros(0, dtype=bool)
    frame = reports[mine]
    if "t" in frame.columns:
        utc = pd.to_datetime(frame["t"].to_numpy(dtype="int64"), utc=True)
    else:
        utc = pd.DatetimeIndex(parse_times(frame["occurred_at"]))
    local = utc.tz_convert(TZ)
    x = frame["x"].to_numpy(dtype="float64")
    y = frame["y"].to_numpy(dtype="float64")
    placed = ~(np.isnan(x) | np.isnan(y))
    if "id" in frame.columns:
        placed &= ~is_approximate(frame["id"].to_numpy())
    ix, iy = cell_index(np.where(placed, x, 0.0), np.where(placed, y, 0.0), pol.cell_m)
    cell = np.where(placed, ix * CELL_KEY + iy, -1)
    locality = np.full(len(frame), -1, dtype="int64")
    if placed.any():
        locality[placed] = _cell_locality(cell[placed], pol.cell_m, kommun)
    return pd.DataFrame({
        "layer": layers[mine],
        "period": period_of(local.year, local.month, kind).astype("int64"),
        "placed": placed,
        "cell": cell.astype("int64"),
        "locality": locality,
    })


def _cell_locality(keys: np.ndarray, cell_m: int, kommun: str) -> np.ndarray:
    """Nearest locality (index) of each cell's centre, computed once per distinct cell."""
    unique, inverse = np.unique(keys, return_inverse=True)
    cx = (unique // CELL_KEY + 0.5) * cell_m
    cy = (unique % CELL_KEY + 0.5) * cell_m
    index, _ = nearest_locality_xy(cx, cy, kommun)
    return np.asarray(index, dtype="int64")[inverse.reshape(-1)]


@lru_cache(maxsize=16)
def candidate_cells(kommun: str, cell_m: int) -> tuple[int, ...]:
    """Per locality (index), how many grid cells have their centre inside the municipality and
    that locality as nearest: the cells an observer must consider for a locality's remainder."""
    muni = get_municipality(kommun)
    minx, miny, maxx, maxy = muni.geometry_metric.bounds
    ix = np.arange(int(np.floor(minx / cell_m)), int(np.floor(maxx / cell_m)) + 1)
    iy = np.arange(int(np.floor(miny / cell_m)), int(np.floor(maxy / cell_m)) + 1)
    gx, gy = np.meshgrid(ix, iy)
    cx = (gx.ravel() + 0.5) * cell_m
    cy = (gy.ravel() + 0.5) * cell_m
    inside = muni.contains_metric(cx, cy)
    index, _ = nearest_locality_xy(cx[inside], cy[inside], kommun)
    counts = np.bincount(index, minlength=len(localities(kommun)))
    return tuple(int(c) for c in counts)


# -- the release -------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Release:
    """One role's published counts: blocks and units (see the module docstring)."""

    role: str
    kind: str  # month | quarter | year
    through: int  # the last closed period this release considered
    k: int
    cell_m: int
    layers: tuple[str, ...]  # the role's cells-mode layers
    blocks: tuple[Block, ...]
    counts: pd.DataFrame  # COUNT_COLUMNS; block = index into blocks
    version: int = 0
    built_at: str = ""
    settings: Mapping = field(default_factory=dict)
    summary: Mapping = field(default_factory=dict)

    @property
    def origin(self) -> int:
        """The period the series starts at; its first block also holds everything before."""
        return int(self.settings.get("origin", self.blocks[0].first if self.blocks else 0))

    def open_start(self, block: Block) -> bool:
        """Whether a block is the first of the series (named 'up to …': it holds all before)."""
        return block.first <= self.origin

    @property
    def next_due(self) -> dt.date:
        """When the next scheduled release is due: the day after the next period closes."""
        return period_start(self.through + 2, self.kind)

    def total(self, layer: str | None = None) -> int:
        counts = self.counts if layer is None else self.counts[self.counts["layer"] == layer]
        return int(counts["count"].sum())


def default_origin(today: dt.date) -> dt.date:
    """Where a new release series starts: 1 January two years back, whatever the data."""
    return dt.date(today.year - 2, 1, 1)


def build_release(rows: pd.DataFrame, pol: Policy, kommun: str, today: dt.date, kind: str,
                  previous: Release | None = None, origin: dt.date | None = None) -> Release:
    """The release due at `today` for a role, from its `release_rows`; `previous` (same
    settings) keeps its blocks, units and origin and is revised by the ≥ k rule.

    The series starts at `origin` (default `default_origin(today)`), never at the first
    report: a first block starting where the data starts would say its first period held
    1..k−1. Reports before the origin count in the first block, which is named 'up to …'.
    """
    k, cell_m = pol.k, pol.cell_m
    layers = tuple(lid for lid, mode in pol.layers.items() if mode == CELLS)
    through = last_closed(today, kind)
    if previous is not None and not compatible(previous, pol, kind):
        previous = None
    if previous is not None and "origin" in previous.settings:
        first = int(previous.settings["origin"])
    else:
        start = origin or default_origin(today)
        first = int(period_of(start.year, start.month, kind))
    rows = rows[np.isin(rows["layer"].to_numpy(), layers) & (rows["period"].to_numpy() <= through)]
    rows = rows.assign(period=np.maximum(rows["period"].to_numpy(), first))
    frozen = tuple(previous.blocks) if previous is not None else ()
    revised = _empty_counts()
    if frozen:
        # A layer that a frozen block published as 0 (e.g. history imported after the first
        # release) is partitioned afresh once it has k reports there: every new unit is ≥ k and
        # the old figure was 0, so no comparison of the two releases shows fewer than k.
        block = _block_of(rows["period"].to_numpy(), frozen)
        pairs = pd.MultiIndex.from_arrays([block, rows["layer"].to_numpy(dtype=object)])
        published = previous.counts.groupby(["block", "layer"])["count"].sum()
        empty = ~pairs.isin(published[published > 0].index) & (block >= 0)
        sizes = pd.Series(1, index=pairs[empty]).groupby(level=[0, 1]).sum()
        fresh_pairs = sizes[sizes >= k].index
        fresh = empty & pairs.isin(fresh_pairs)
        parts = [_revise(rows[~empty], frozen, previous.counts, k, kommun)]
        if fresh.any():
            parts.append(_partition(rows[fresh], frozen, k, cell_m, kommun))
        revised = pd.concat(parts, ignore_index=True)
    new_blocks = _new_blocks(rows, frozen, layers, k, through, kind, first)
    blocks = tuple(sorted(frozen + new_blocks, key=lambda b: b.first))
    renumber = {b: i for i, b in enumerate(blocks)}
    parts = []
    if len(revised):
        revised = revised.assign(block=[renumber[frozen[i]] for i in revised["block"]])
        parts.append(revised)
    if new_blocks:
        fresh = _partition(rows, new_blocks, k, cell_m, kommun)
        fresh["block"] = [renumber[new_blocks[i]] for i in fresh["block"]]
        parts.append(fresh)
    counts = pd.concat(parts, ignore_index=True) if parts else _empty_counts()
    counts = counts.sort_values(["block", "layer", "kind", "unit"], kind="stable").reset_index(drop=True)
    counts["count"] = counts["count"].astype("int64")
    counts["block"] = counts["block"].astype("int64")
    summary = {
        "considered": {lid: int((rows["layer"] == lid).sum()) for lid in layers},
        "published": {lid: int(counts.loc[counts["layer"] == lid, "count"].sum()) for lid in layers},
    }
    return Release(role=pol.role, kind=kind, through=through, k=k, cell_m=cell_m, layers=layers, blocks=blocks,
                   counts=counts[list(COUNT_COLUMNS)], settings={**settings_key(pol, kind), "origin": first},
                   summary=summary)


def settings_key(pol: Policy, kind: str) -> dict:
    """What a release's partition depends on: a change starts a new release series."""
    return {"k": pol.k, "cell_m": pol.cell_m, "period": kind,
            "layers": [lid for lid, mode in pol.layers.items() if mode == CELLS]}


def compatible(release: Release, pol: Policy, kind: str) -> bool:
    mine = {key: value for key, value in dict(release.settings).items() if key != "origin"}
    return mine == settings_key(pol, kind)


def is_due(release: Release | None, pol: Policy, today: dt.date, kind: str) -> bool:
    """The schedule: a release is due when none exists, the settings changed, or a period
    closed since it was built."""
    return release is None or not compatible(release, pol, kind) or last_closed(today, kind) > release.through


def _empty_counts() -> pd.DataFrame:
    return pd.DataFrame({"block": pd.Series(dtype="int64"), "layer": pd.Series(dtype=object),
                         "kind": pd.Series(dtype=object), "unit": pd.Series(dtype=object),
                         "count": pd.Series(dtype="int64")})


def _block_of(periods: np.ndarray, blocks: tuple[Block, ...]) -> np.ndarray:
    """Index into `blocks` (sorted, disjoint) for each period; -1 outside every block."""
    if not blocks:
        return np.full(len(periods), -1, dtype="int64")
    order = sorted(range(len(blocks)), key=lambda i: blocks[i].first)
    firsts = np.array([blocks[i].first for i in order])
    lasts = np.array([blocks[i].last for i in order])
    pos = np.searchsorted(firsts, periods, side="right") - 1
    ok = (pos >= 0) & (periods <= lasts[np.clip(pos, 0, None)])
    out = np.full(len(periods), -1, dtype="int64")
    out[ok] = np.array(order)[pos[ok]]
    return out


#: The longest a block may grow (periods): then it is published with what reached k.
MAX_BLOCK = {"month": 12, "quarter": 4, "year": 1}


def _new_blocks(rows: pd.DataFrame, frozen: tuple[Block, ...], layers: tuple[str, ...], k: int,
                through: int, kind: str, origin: int) -> tuple[Block, ...]:
    """Blocks for the closed periods no frozen block covers: consecutive periods merged until
    every layer has ≥ k reports in them; a trailing run below that waits (is not published).

    0 counts as 'fewer than k': were an empty month its own block, a merged one would say that
    its first month held 1..k−1. Every layer takes part (whether a layer counts must not
    depend on its data); a block that reaches MAX_BLOCK periods closes anyway, and a layer
    with fewer than k in it is then not published there. The first block starts at `origin`."""
    periods = rows["period"].to_numpy()
    origin = min([origin, *[b.first for b in frozen]])
    if through < origin:
        return ()
    covered = np.zeros(through - origin + 1, dtype=bool)
    for b in frozen:
        covered[b.first - origin:b.last - origin + 1] = True
    totals = np.zeros((len(layers), len(covered)), dtype="int64")
    if len(rows):
        li = pd.Index(layers).get_indexer(rows["layer"].to_numpy())
        np.add.at(totals, (li, periods - origin), 1)
    longest = MAX_BLOCK[kind]
    blocks = []
    group: list[int] = []
    acc = np.zeros(len(layers), dtype="int64")
    for offset in range(len(covered)):
        if covered[offset]:
            group, acc = [], np.zeros(len(layers), dtype="int64")  # a run before a frozen block waits
            continue
        group.append(offset)
        acc += totals[:, offset]
        if np.all(acc >= k) or len(group) >= longest:
            blocks.append(Block(origin + group[0], origin + group[-1], kind))
            group, acc = [], np.zeros(len(layers), dtype="int64")
    return tuple(blocks)


def _pins_a_cell(remainder: int, cells: int, k: int) -> bool:
    """Whether a remainder spread over `cells` unpublished cells (each 0..k-1 to an observer)
    forces some cell above 0: then it would say that a report exists there."""
    return remainder > (cells - 1) * (k - 1)


def _partition(rows: pd.DataFrame, blocks: tuple[Block, ...], k: int, cell_m: int, kommun: str) -> pd.DataFrame:
    """Units of new blocks: cells ≥ k, locality remainders ≥ k, the municipality's remainder."""
    block = _block_of(rows["period"].to_numpy(), blocks)
    rows = rows.assign(block=block)[block >= 0]
    names = localities(kommun)["name"].tolist()
    candidates = np.array(candidate_cells(kommun, cell_m), dtype="int64")
    placed = rows[rows["placed"].to_numpy()]
    per_cell = placed.groupby(["block", "layer", "cell", "locality"], sort=True).size().reset_index(name="count")
    shown = per_cell["count"].to_numpy() >= k
    cells = per_cell[shown]
    rest = per_cell[~shown]
    shown_per_loc = cells.groupby(["block", "layer", "locality"]).size()
    per_loc = rest.groupby(["block", "layer", "locality"], sort=True)["count"].sum().reset_index()
    free = candidates[per_loc["locality"].to_numpy()] - np.array(
        [int(shown_per_loc.get(key, 0)) for key in zip(per_loc["block"], per_loc["layer"], per_loc["locality"],
                                                      strict=True)], dtype="int64")
    loc_ok = (per_loc["count"].to_numpy() >= k) & ~np.array(
        [_pins_a_cell(int(r), int(f), k) for r, f in zip(per_loc["count"], free, strict=True)], dtype=bool)
    loc_units = per_loc[loc_ok]
    out: list[dict] = []
    units: dict[tuple, list[list]] = {}
    for b, lid, cell, count in zip(cells["block"], cells["layer"], cells["cell"], cells["count"], strict=True):
        units.setdefault((int(b), lid), []).append([CELL, int(cell), int(count)])
    for b, lid, loc, count in zip(loc_units["block"], loc_units["layer"], loc_units["locality"],
                                  loc_units["count"], strict=True):
        units.setdefault((int(b), lid), []).append([LOCALITY, int(loc), int(count)])
    totals = rows.groupby(["block", "layer"]).size()
    for (b, lid), total in totals.items():
        mine = units.get((int(b), lid), [])
        remainder = int(total) - sum(u[2] for u in mine)
        while 0 < remainder < k and mine:
            # Fold the smallest locality unit (then cell) into the remainder: complementary
            # suppression, so that total minus what is shown is never 1..k-1.
            smallest = min(mine, key=lambda u: (u[0] == CELL, u[2], u[1]))
            mine.remove(smallest)
            remainder += smallest[2]
        if remainder and remainder < k:
            continue  # a layer with fewer than k in the whole block: nothing of it is published
        for unit_kind, key, count in mine:
            unit = _cell_text(key, cell_m) if unit_kind == CELL else names[key]
            out.append({"block": int(b), "layer": lid, "kind": unit_kind, "unit": unit, "count": count})
        if remainder:
            out.append({"block": int(b), "layer": lid, "kind": KOMMUN, "unit": kommun, "count": remainder})
    return pd.DataFrame(out, columns=list(COUNT_COLUMNS)) if out else _empty_counts()


def _cell_text(key: int, cell_m: int) -> str:
    return str(cell_id(np.array([key // CELL_KEY]), np.array([key % CELL_KEY]), cell_m)[0])


def _cell_keys(ids) -> np.ndarray:
    from geodata import parse_cell_id

    parsed = [parse_cell_id(str(c)) for c in ids]
    return np.array([p[1] * CELL_KEY + p[2] for p in parsed], dtype="int64")


def _revise(rows: pd.DataFrame, blocks: tuple[Block, ...], published: pd.DataFrame, k: int,
            kommun: str) -> pd.DataFrame:
    """Published units of frozen blocks with late changes applied where they reach k.

    Each row goes to the unit it falls in: its cell if that cell is published in the block,
    else its locality's remainder if published, else the municipality's remainder (created
    when the block had none, once it reaches k)."""
    block = _block_of(rows["period"].to_numpy(), blocks)
    rows = rows[block >= 0]
    block = block[block >= 0]
    names = np.array(localities(kommun)["name"].tolist() + [""], dtype=object)
    layer = rows["layer"].to_numpy(dtype=object)
    placed = rows["placed"].to_numpy()
    cell_units = published[published["kind"] == CELL]
    loc_units = published[published["kind"] == LOCALITY]
    in_cell = placed & pd.MultiIndex.from_arrays([block, layer, rows["cell"].to_numpy()]).isin(
        pd.MultiIndex.from_arrays([cell_units["block"].to_numpy(), cell_units["layer"].to_numpy(dtype=object),
                                   _cell_keys(cell_units["unit"])]))
    loc_name = names[rows["locality"].to_numpy()]
    in_loc = placed & ~in_cell & pd.MultiIndex.from_arrays([block, layer, loc_name]).isin(
        pd.MultiIndex.from_arrays([loc_units["block"].to_numpy(), loc_units["layer"].to_numpy(dtype=object),
                                   loc_units["unit"].to_numpy(dtype=object)]))
    kind = np.where(in_cell, CELL, np.where(in_loc, LOCALITY, KOMMUN)).astype(object)
    cell_text = np.full(len(rows), "", dtype=object)
    if in_cell.any():
        cells = rows["cell"].to_numpy()[in_cell]
        cell_text[in_cell] = cell_id(cells // CELL_KEY, cells % CELL_KEY, _cell_size(cell_units))
    unit = np.where(in_cell, cell_text, np.where(in_loc, loc_name, kommun)).astype(object)
    true = pd.DataFrame({"block": block, "layer": layer, "kind": kind, "unit": unit}).value_counts()
    old = published.set_index(["block", "layer", "kind", "unit"])["count"]
    merged = pd.concat([old.rename("old"), true.rename("now")], axis=1).fillna(0).astype("int64")
    # A unit only grows, by k or more at a time: then every sum of units changes by 0 or ≥ k
    # too. Reports removed from the file (edited in QGIS) leave the published figure as it
    # was until the settings are republished.
    change = (merged["now"] - merged["old"]) >= k
    merged["count"] = np.where(change, merged["now"], merged["old"])
    merged = merged[merged["count"] > 0].reset_index()
    return merged[list(COUNT_COLUMNS)] if len(merged) else _empty_counts()


def _cell_size(cell_units: pd.DataFrame) -> int:
    from geodata import parse_cell_id

    return parse_cell_id(str(cell_units["unit"].iloc[0]))[0] if len(cell_units) else 500
