"""The `trygghetskarta hotspots` command: Getis-Ord Gi* hot spots of one layer, as a role may see them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from layers import open_store
from layers.privacy import BRA, ROLES

from .cli import _date, main

FORMATS = ("text", "json", "geojson")
#: The JSON contract's keys per cell, in order.
JSON_KEYS = ("cell_id", "locality", "count", "gi_z", "p", "q", "class")

#: The text report's own words (sv, en); the class names come from layers.analysis.labels.
WORDS = {
    "title": ("Hotspots (Getis-Ord Gi*) för {layer}, som rollen {role} ser dem",
              "Hot spots (Getis-Ord Gi*) of {layer}, as the role {role} sees them"),
    "range": ("Period: {span}", "Period: {span}"),
    "all_time": ("alla rapporter", "all reports"),
    "grid": ("Rutor: {cell_m} m, {cells} rutor i kommunen (också tomma), grannar: de 8 runtom",
             "Grid: {cell_m} m, {cells} cells in the municipality (empty ones too), neighbours: the 8 around"),
    "in_cells": ("{n} rapporter i rutorna", "{n} reports in the cells"),
    "source_release": ("Räknat ur publiceringen: publicerade rutor (minst {k}); övriga rutor räknas som 0 och "
                       "visas som \"färre än {k}\"",
                       "Counted from the release: published cells (at least {k}); other cells count 0 and "
                       "show as \"fewer than {k}\""),
    "outside": ("{n} rapporter utan ruta (ingen exakt plats, polisens flöde eller under {k} i en ruta) ingår inte",
                "{n} reports in no cell (no exact place, the police feed, or below {k} in a cell) are not included"),
    "outside_points": ("{n} rapporter utan exakt plats ingår inte", "{n} reports without an exact place are not included"),
    "method": ("Signifikans: exakta permutations-p-värden, falsk upptäcktsgrad (Benjamini–Hochberg) över alla rutor",
               "Significance: exact permutation p-values, false discovery rate (Benjamini–Hochberg) across all cells"),
    "classes": ("Klasser:", "Classes:"),
    "none": ("Inga signifikanta rutor.", "No significant cells."),
    "header": ("ruta", "cell"),
    "fewer": ("färre än {k}", "fewer than {k}"),
}


def _w(key: str, lang: str, **values) -> str:
    sv, en = WORDS[key]
    return (en if lang == "en" else sv).format(**values)


def cell_rows(cells, all_cells: bool = False) -> list[dict]:
    """The JSON contract's cells: every cell with reports or a significant class (all with `all_cells`)."""
    rows = []
    for rec in cells.to_dict("records"):
        count = rec["count"]
        count = None if count is None or count != count else int(count)
        if not (all_cells or rec["class"] != "ns" or count):
            continue
        rows.append({"cell_id": rec["cell_id"], "locality": rec["locality"], "count": count,
                     "gi_z": round(float(rec["gi_z"]), 4), "p": float(f"{rec['p']:.4g}"),
                     "q": float(f"{rec['q']:.4g}"), "class": rec["class"]})
    return rows


def geojson(rows: list[dict], cell_m: int, lang: str) -> dict:
    """The cells as a GeoJSON FeatureCollection of WGS 84 squares, with the JSON keys and a label."""
    from geodata import cell_rings_wgs84, parse_cell_id
    from layers.analysis.labels import CLASS_LABELS, label

    if not rows:
        return {"type": "FeatureCollection", "features": []}
    parsed = [parse_cell_id(r["cell_id"]) for r in rows]
    rings = cell_rings_wgs84([p[1] for p in parsed], [p[2] for p in parsed], cell_m)
    features = [{"type": "Feature", "id": r["cell_id"],
                 "geometry": {"type": "Polygon", "coordinates": [[[round(float(x), 6), round(float(y), 6)]
                                                                  for x, y in ring]]},
                 "properties": {**r, "label": label(CLASS_LABELS, r["class"], lang)}}
                for r, ring in zip(rows, rings, strict=True)]
    return {"type": "FeatureCollection", "features": features}


def text_lines(result, counts, layer: str, role: str, rows: list[dict], lang: str) -> list[str]:
    from layers.analysis.labels import CLASS_LABELS, label

    span = (f"{counts.span[0] or '…'} – {counts.span[1] or '…'}" if counts.span else _w("all_time", lang))
    lines = [_w("title", lang, layer=layer, role=role), _w("range", lang, span=span)]
    lines += [f"  {note}" for note in counts.notes]
    lines.append(_w("grid", lang, cell_m=result.cell_m, cells=len(result.cells)))
    lines.append(_w("in_cells", lang, n=int(counts.counts["count"].sum()) if len(counts.counts) else 0))
    if counts.source == "release":
        lines.append(_w("source_release", lang, k=counts.k))
        if counts.outside_cells:
            lines.append(_w("outside", lang, n=counts.outside_cells, k=counts.k))
    elif counts.outside_cells:
        lines.append(_w("outside_points", lang, n=counts.outside_cells))
    lines.append(_w("method", lang))
    tally = result.class_counts()
    lines.append(_w("classes", lang) + " " + ", ".join(f"{label(CLASS_LABELS, c, lang)} {n}" for c, n in tally.items()))
    significant = [r for r in rows if r["class"] != "ns"]
    if not significant:
        lines += ["", _w("none", lang)]
        return lines
    order = {name: i for i, name in enumerate(("hot99", "hot95", "hot90", "cold"))}
    significant.sort(key=lambda r: (order[r["class"]], -r["gi_z"], r["cell_id"]))
    fewer = _w("fewer", lang, k=counts.k) if counts.k else "0"
    table = [(r["cell_id"], r["locality"], fewer if r["count"] is None else str(r["count"]), f"{r['gi_z']:.2f}",
              f"{r['p']:.2g}", f"{r['q']:.2g}", label(CLASS_LABELS, r["class"], lang)) for r in significant]
    head = (_w("header", lang), "locality" if lang == "en" else "ort", "n", "gi_z", "p", "q",
            "class" if lang == "en" else "klass")
    widths = [max(len(str(x)) for x in column) for column in zip(head, *table, strict=True)]
    lines.append("")
    for line in (head, *table):
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
    return lines


@main.command(context_settings={"max_content_width": 100})
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file.")
@click.option("--layer", required=True, help="Report layer, e.g. otrygg_plats, hastighet or narkotika.")
@click.option("--from", "start", callback=_date, help="First day (YYYY-MM-DD, local). [default: the first report]")
@click.option("--to", "end", callback=_date, help="Last day (YYYY-MM-DD, local). [default: the last report]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for reading, json (the contract below) or geojson (cells as WGS 84 squares).")
@click.option("--role", type=click.Choice(ROLES), default=BRA, show_default=True,
              help="Whose view to analyse; reduced roles never see exact data.")
@click.option("--lang", type=click.Choice(("sv", "en")), default="sv", show_default=True,
              help="Language of the text report and of the GeoJSON labels.")
@click.option("--all-cells", is_flag=True,
              help="List every analysed cell, not only cells with reports or a significant class.")
@click.option("--today", callback=_date, help="Date the release schedule applies for, YYYY-MM-DD. [default: today]")
def hotspots(data, layer, start, end, fmt, role, lang, all_cells, today):
    """Hot spots of one layer: cells whose neighbourhood has significantly many reports.

    Getis-Ord Gi* on the data file's grid (cell_m, see `trygghetskarta info`): each cell with
    its 8 neighbours against all the municipality's cells, the empty ones included, so a hot
    spot is busier than its surroundings, not merely a busy town centre. p-values are exact
    permutation p-values; a false-discovery-rate correction (Benjamini–Hochberg) across all
    cells decides the class: hot99, hot95, hot90 (hot spot at 99/95/90 %), cold (cold spot,
    90 %) or ns (not significant). q is the FDR-adjusted p-value; gi_z is Getis and Ord's
    standardised Gi*. The test holds each cell's own count fixed and asks whether its
    neighbours are unusually busy, so one busy cell among quiet ones is not a hot spot: a
    cluster is.

    Reduced roles (bra, allmanhet) are analysed on what they may see: a layer they see as
    cells is counted from the published release only (published cells, each at least k;
    the range snaps to whole published periods and the output says so); cells below k count
    0 and show count null. A layer hidden for the role is refused.

    \b
    JSON (--format json):
      {"cells": [{"cell_id", "locality", "count", "gi_z", "p", "q", "class"}]}
    \b
    Examples:
      trygghetskarta hotspots --data vaggeryd.gpkg --layer otrygg_plats --from 2026-01-01 --to 2026-06-30
      trygghetskarta hotspots --data vaggeryd.gpkg --layer narkotika --role bra --format json
      trygghetskarta hotspots --data vaggeryd.gpkg --layer hastighet --format geojson > hastighet.geojson
    """
    from layers.analysis.roles import AnalysisError, role_hotspots

    store = open_store(data)
    try:
        # The classes use exact permutation p-values; esda's sampled ones are not needed here.
        result, counts = role_hotspots(store, role, layer, start, end, today or dt.date.today(), permutations=0)
    except AnalysisError as exc:
        raise click.ClickException(str(exc)) from None
    rows = cell_rows(result.cells, all_cells)
    if fmt == "text":
        click.echo("\n".join(text_lines(result, counts, layer, role, rows, lang)))
        return
    for note in counts.notes:  # stdout stays pure JSON
        click.echo(f"Note: {note}", err=True)
    payload = {"cells": rows} if fmt == "json" else geojson(rows, result.cell_m, lang)
    click.echo(json.dumps(payload, ensure_ascii=False))
