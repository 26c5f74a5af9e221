"""Differencing attacks through exports: `export`, the CLI and the dashboard's download.

Ranges a day apart, selections, polygon and bbox queries, layers, focus areas and formats.

The method, the hand-made data and `observe`: tests/privacy_harness.py. The attacks, by kind:
test_differencing.py (time ranges, imports), test_differencing_selections.py, test_differencing_filters.py,
test_differencing_exports.py, test_differencing_releases.py (the release, its revisions and settings),
test_differencing_blocks.py (what the block layout tells).
"""

from __future__ import annotations

import datetime as dt
import inspect
import re

import geopandas as gpd
import pytest
import shapely

from layers.store import Query, open_store
from tests import privacy_harness
from tests.privacy_harness import (
    HOK,
    HOK_CELL,
    SPAN,
    TODAY,
    _circle,
    _export_counts,
    _ring,
    check_pairs,
    custom,
    days,
    filters,
    observe,
)

# The harness's module fixtures, bound here so that this module has its own instances.
base_path, fresh_path, apps = privacy_harness.base_path, privacy_harness.fresh_path, privacy_harness.apps


# -- exports -----------------------------------------------------------------------------------------

def _html_counts(text: str) -> dict:
    """Cell popups ('7 rapporter', layer, 'Plats: <place>', 'Ruta 500 m: id'), the layer
    control's totals and the legend notes of an HTML export."""
    out: dict[tuple, int] = {}
    for n, layer, cid in re.findall(r'"t":\["(\d+) rapporter","([^"]+)","Plats: [^"]*","Ruta \d+ m: ([^"]+)"\]',
                                    text):
        out[("html", layer, cid)] = int(n)
    for layer, n in re.findall(r"([\w åäöÅÄÖ]+): antal per \d+ m-ruta \((\d+)\)", text):
        out[("html-layer", layer.strip())] = int(n)
    for layer, n, place in re.findall(r"([\w åäöÅÄÖ]+): (\d+) spridda rapporter kring ([^.<]+)\.", text):
        out[("html-spridda", layer.strip(), place)] = int(n)
    for layer, n in re.findall(r"([\w åäöÅÄÖ]+): (\d+) på övriga platser", text):
        out[("html-övriga", layer.strip())] = int(n)
    return out


def _export(path, role, start: dt.date | None, end: dt.date | None, tmp_path, fmt="csv") -> dict:
    from dashboard.export import export

    out = tmp_path / f"trygghetskarta.{fmt}"
    kwargs = {"today": TODAY} if "today" in inspect.signature(export).parameters else {}
    result = export(open_store(path), out, fmt, query=Query(start=start, end=end + dt.timedelta(days=1)
                                                              if end else None), role=role, **kwargs)
    files = {p.name: p.read_bytes() for p in result.files}
    for p in result.files:
        p.unlink()
    if fmt == "html":
        return _html_counts(files[out.name].decode("utf-8"))
    return _export_counts(files, role)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_exports_one_day_apart(fresh_path, tmp_path, role):
    """`export(--from/--to)` with the end (and the start) one day apart, across the months
    around block edges."""
    first, _last = SPAN[role]
    obs, pairs = {}, []
    edges = days(dt.date(2026, 6, 30), dt.date(2026, 7, 1)) + days(dt.date(2026, 9, 30), dt.date(2026, 10, 1))
    window = sorted(edges + days(dt.date(2026, 7, 11), dt.date(2026, 7, 13)))
    for d in window:
        obs[("to", d)] = _export(fresh_path, role, first, d, tmp_path)
    for d in edges:
        obs[("from", d)] = _export(fresh_path, role, d, dt.date(2026, 11, 26), tmp_path)
    for d in (dt.date(2026, 7, 1), dt.date(2026, 7, 12)):
        obs[("day", d)] = _export(fresh_path, role, d, d, tmp_path)
        pairs.append((("day", d), ("to", d)))
    for a, b in zip(window, window[1:], strict=False):
        if (b - a).days == 1:
            pairs += [(("to", a), ("to", b))] + ([(("from", a), ("from", b))] if ("from", b) in obs else [])
    # The HTML map's popups, layer totals and notes, one day apart.
    for d in (dt.date(2026, 7, 12), dt.date(2026, 7, 13)):
        obs[("html", d)] = _export(fresh_path, role, first, d, tmp_path, "html")
    pairs.append((("html", dt.date(2026, 7, 12)), ("html", dt.date(2026, 7, 13))))
    assert obs[("html", dt.date(2026, 7, 13))], "the HTML export showed no cell counts"
    check_pairs(f"{role}: exports one day apart", obs, pairs)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_dashboard_exports_of_selections_and_ranges(apps, base_path, role):
    """The dashboard's download (export_files) for a cell, its locality, the whole view, and
    ranges one day apart: the same rule as the screen."""
    from dashboard.callbacks_edit import export_files
    from dashboard.filters import FilterState

    app = apps[role]
    views = app._trygghetskarta["views"]
    store = open_store(base_path)
    hok_cell = HOK_CELL
    states = {
        "all": filters(app, "?t=all"), "hok": filters(app, "?t=all", {"type": "locality", "name": "Hok"}),
        "cell": filters(app, "?t=all", {"type": "cell", "id": hok_cell}),
        "jul": filters(app, custom(dt.date(2026, 7, 1), dt.date(2026, 7, 31))),
        "jul+1": filters(app, custom(dt.date(2026, 7, 1), dt.date(2026, 8, 1))),
        "sep": filters(app, custom(dt.date(2026, 6, 30), dt.date(2026, 9, 30))),
        "sep+1": filters(app, custom(dt.date(2026, 6, 30), dt.date(2026, 10, 1))),
        "lasso": filters(app, "?t=all", _circle(*HOK, 800)),
    }
    obs = {name: _export_counts(dict(export_files(store, views, FilterState.from_dict(s), "csv", role, TODAY)), role)
           for name, s in states.items()}
    pairs = [("all", "hok"), ("hok", "cell"), ("all", "cell"), ("jul", "jul+1"), ("sep", "sep+1"), ("all", "lasso"),
             ("lasso", "cell")]
    check_pairs(f"{role}: dashboard exports", obs, pairs)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_cli_exports_one_day_apart(fresh_path, tmp_path, role):
    from click.testing import CliRunner

    from dashboard.cli import main

    def run(start, end):
        out = tmp_path / "cli.csv"
        result = CliRunner().invoke(main, ["export", "--data", str(fresh_path), "--out", str(out), "--format", "csv",
                                           "--role", role, "--from", start, "--to", end])
        assert result.exit_code == 0, result.output
        files = {p.name: p.read_bytes() for p in tmp_path.glob("cli*.csv")}
        for p in tmp_path.glob("cli*.csv"):
            p.unlink()
        return _export_counts({k.replace("cli", "trygghetskarta"): v for k, v in files.items()}, role)

    obs = {(a, b): run(a, b) for a, b in [("2026-01-01", "2026-07-30"), ("2026-01-01", "2026-07-31"),
                                          ("2026-01-01", "2026-08-01"), ("2026-07-02", "2026-11-26"),
                                          ("2026-07-01", "2026-11-26"), ("2026-06-30", "2026-11-26")]}
    keys = list(obs)
    check_pairs(f"{role}: CLI exports one day apart", obs, [(keys[0], keys[1]), (keys[1], keys[2]),
                                                             (keys[3], keys[4]), (keys[4], keys[5])])


# -- second review (attacks on the rules added by the fixes) -----------------------------------------

def test_export_polygon_and_bbox_take_whole_cells_as_the_lasso(fresh_path, tmp_path, apps):
    """`export(Query(polygon=..., bbox=...))` through release_for: whole published cells by
    centre, the same figures as the dashboard's lasso with that polygon, and polygon, bbox,
    both, and none pairwise 0 or >= k apart."""
    from dashboard.export import export

    def run(**query):
        out = tmp_path / "q.csv"
        result = export(open_store(fresh_path), out, "csv", query=Query(**query), role="bra", today=TODAY)
        files = {p.name.replace("q", "trygghetskarta", 1): p.read_bytes() for p in result.files}
        for p in result.files:
            p.unlink()
        return _export_counts(files, "bra")

    circle = _circle(*HOK, 800)
    polygon = shapely.Polygon(circle["coords"])
    ring = _ring(HOK_CELL)
    box = (float(ring[:, 0].min()) - 0.01, float(ring[:, 1].min()) - 0.01, float(ring[:, 0].max()) + 0.01,
           float(ring[:, 1].max()) + 0.01)
    holed = shapely.Polygon(shapely.Polygon(circle["coords"]).buffer(0.02).exterior, [polygon.exterior.coords])
    obs = {"none": run(), "polygon": run(polygon=polygon), "bbox": run(bbox=box), "both": run(polygon=polygon, bbox=box),
           "holed": run(polygon=holed), "far": run(bbox=(13.0, 55.0, 13.1, 55.1))}
    check_pairs("bra: export polygon/bbox", obs, [(a, b) for a in obs for b in obs if a < b])
    lasso = {k[2]: v for k, v in observe(apps["bra"], "bra", "?t=all", circle, where=False).items() if k[0] == "map"}
    assert {k[3]: v for k, v in obs["polygon"].items() if len(k) == 4 and k[2] == "ruta"} == lasso
    assert obs["far"].get(("export-total",), 0) == 0


def test_cli_exports_by_layer_focus_and_format(fresh_path, tmp_path):
    """`export --role allmanhet` with --layer/--focus (whole layers), in csv, geojson and gpkg:
    the per-unit figures of one layer, of a focus area and of all layers, pairwise 0 or >= k
    apart, and every format the same units and total."""
    from click.testing import CliRunner

    from dashboard.cli import main

    def run(fmt, *extra):
        out = tmp_path / f"cli.{fmt}"
        result = CliRunner().invoke(main, ["export", "--data", str(fresh_path), "--out", str(out), "--format", fmt,
                                           "--role", "allmanhet", "--from", "2026-01-01", "--to", "2026-11-26",
                                           *extra])
        assert result.exit_code == 0, result.output
        if fmt == "csv":
            return _export_counts({"trygghetskarta.csv": out.read_bytes()}, "allmanhet")
        frame = gpd.read_file(out, layer="report_cells") if fmt == "gpkg" else gpd.read_file(out)
        counts: dict[tuple, int] = {}
        for row in frame.to_dict("records"):
            unit = row.get("enhet") or "ruta"
            key = ("export", row["layer"], unit, row["cell_id"] if unit == "ruta" else row.get("locality") or "")
            counts[key] = counts.get(key, 0) + int(row["count"])
        counts[("export-total",)] = sum(int(n) for n in frame["count"])
        return counts

    obs = {("csv", x): run("csv", *x) for x in [(), ("--layer", "otrygg_plats"), ("--layer", "hastighet"),
                                                ("--focus", "trafik")]}
    check_pairs("allmanhet: CLI exports by layer/focus", obs, [(a, b) for a in obs for b in obs if a < b])
    assert obs[("csv", ("--layer", "hastighet"))] == obs[("csv", ("--focus", "trafik"))]
    assert obs[("csv", ())][("export-total",)] > 0
    assert run("gpkg") == obs[("csv", ())]
