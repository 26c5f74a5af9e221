"""The analysis commands: `hotspots` (Getis-Ord Gi* of one layer, as a role may see it) and `near-repeat`
(the Knox test of one layer, police only)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from layers import open_store
from layers.messages import format_number
from layers.privacy import BRA, EXACT_ROLES, POLIS, ROLES

from .cli import _date, main
from .i18n import t

FORMATS = ("text", "json", "geojson")
#: The JSON contract's keys per cell, in order.
JSON_KEYS = ("cell_id", "locality", "count", "gi_z", "p", "q", "class")

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

    span = (f"{counts.span[0] or '…'} – {counts.span[1] or '…'}" if counts.span else t("hs_all_time", lang))
    lines = [t("hs_title", lang, layer=layer, role=role), t("hs_range", lang, span=span)]
    lines += [f"  {note}" for note in counts.notes]
    lines.append(t("hs_grid", lang, cell_m=result.cell_m, cells=len(result.cells)))
    lines.append(t("hs_in_cells", lang, n=int(counts.counts["count"].sum()) if len(counts.counts) else 0))
    if counts.source == "release":
        lines.append(t("hs_source_release", lang, k=counts.k))
        if counts.outside_cells:
            lines.append(t("hs_outside", lang, n=counts.outside_cells, k=counts.k))
    elif counts.outside_cells:
        lines.append(t("hs_outside_points", lang, n=counts.outside_cells))
    lines.append(t("hs_method", lang))
    tally = result.class_counts()
    lines.append(t("hs_classes", lang) + " " + ", ".join(f"{label(CLASS_LABELS, c, lang)} {n}" for c, n in tally.items()))
    significant = [r for r in rows if r["class"] != "ns"]
    if not significant:
        lines += ["", t("hs_none", lang)]
        return lines
    order = {name: i for i, name in enumerate(("hot99", "hot95", "hot90", "cold"))}
    significant.sort(key=lambda r: (order[r["class"]], -r["gi_z"], r["cell_id"]))
    fewer = t("hs_fewer", lang, k=counts.k) if counts.k else "0"
    table = [(r["cell_id"], r["locality"], fewer if r["count"] is None else str(r["count"]), f"{r['gi_z']:.2f}",
              f"{r['p']:.2g}", f"{r['q']:.2g}", label(CLASS_LABELS, r["class"], lang)) for r in significant]
    head = (t("hs_header_cell", lang), t("hs_header_locality", lang), "n", "gi_z", "p", "q", t("hs_header_class", lang))
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


def near_repeat_lines(result, layer: str, role: str, start, end, left_out: int, lang: str) -> list[str]:
    """The near-repeat text report: what was tested, what it means, the band table."""
    from layers.analysis.near_repeat import meaning

    def num(value, decimals=0):
        return format_number(value, lang, decimals=decimals)

    span = f"{start or '…'} – {end or '…'}" if start or end else t("nr_all_time", lang)
    lines = [t("nr_title", lang, layer=layer, role=role), t("nr_range", lang, span=span),
             t("nr_reports", lang, n=num(result.reports))]
    if left_out:
        lines.append(t("nr_left_out", lang, n=num(left_out)))
    lines += [t("nr_method", lang, distance=num(result.distance_m), days=result.days,
                permutations=result.permutations), "", *meaning(result, lang), "", t("nr_bands", lang)]
    head = (t("nr_col_distance", lang), t("nr_col_days", lang), t("nr_col_observed", lang),
            t("nr_col_expected", lang), t("nr_col_ratio", lang), "p")
    table = [(f"{num(b.distance_from_m)}–{num(b.distance_to_m)}", f"{b.days_from}–{b.days_to}", num(b.observed),
              num(b.expected, 1), "–" if b.ratio is None else num(b.ratio, 2), "–" if b.p is None else num(b.p, 2)) for b in result.bands]
    widths = [max(len(str(x)) for x in column) for column in zip(head, *table, strict=True)]
    for line in (head, *table):
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
    return lines


@main.command("near-repeat", context_settings={"max_content_width": 100})
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file.")
@click.option("--layer", required=True, help="Report layer, e.g. otrygg_plats, hastighet or narkotika.")
@click.option("--from", "start", callback=_date, help="First day (YYYY-MM-DD, local). [default: the first report]")
@click.option("--to", "end", callback=_date, help="Last day (YYYY-MM-DD, local). [default: the last report]")
@click.option("--distance", type=click.FloatRange(min=0, min_open=True), default=200, show_default=True,
              help="Close in space: at most this many metres apart (also the width of a distance band).")
@click.option("--days", type=click.IntRange(min=0), default=7, show_default=True,
              help="Close in time: at most this many calendar days apart (also the width of a day band).")
@click.option("--bands", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Distance bands and day bands in the table.")
@click.option("--permutations", type=click.IntRange(1, 9999), default=99, show_default=True,
              help="Permutations of the days for the p-values (p cannot go below 1/(permutations+1)).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="text for reading or json (the contract below).")
@click.option("--role", type=click.Choice(ROLES), default=POLIS, show_default=True,
              help="polis or admin; reduced roles are refused.")
@click.option("--lang", type=click.Choice(("sv", "en")), default="sv", show_default=True,
              help="Language of the text report.")
def near_repeat(data, layer, start, end, distance, days, bands, permutations, fmt, role, lang):
    """Near repeat of one layer: does a report make another one nearby within days more likely?

    The Knox test (pointpats): the pairs of reports at most --distance metres and --days
    calendar days apart (local time), against the number expected if time and place had
    nothing to do with each other (the pairs close in space times the pairs close in time over
    all pairs); ratio is observed/expected and p the one-sided permutation p-value (the days
    shuffled among the places). The table splits the pairs by distance band (0–200 m,
    200–400 m, ...) and day band (0–7, 8–14, ... days), as the Near Repeat Calculator does.
    Police-feed reports (placed only at a locality's centre) are left out. A ratio above 1
    with a small p is an input to patrol planning, not proof of cause: the same incident
    reported twice or a place busy for some weeks make close pairs too.

    Police only (polis, admin): the test works on exact places and times, which the reduced
    roles (bra, allmanhet) may not see; they are refused.

    \b
    JSON (--format json):
      {"distance_m", "days", "pairs_close_in_space_and_time", "expected", "ratio", "p",
       "bands": [{"distance_from_m", "distance_to_m", "days_from", "days_to",
                  "observed", "expected", "ratio", "p"}]}
    \b
    Examples:
      trygghetskarta near-repeat --data vaggeryd.gpkg --layer otrygg_plats --from 2026-01-01 --to 2026-06-30
      trygghetskarta near-repeat --data vaggeryd.gpkg --layer narkotika --distance 300 --days 14 --format json
    """
    from layers.analysis.near_repeat import NearRepeatError, knox_test, layer_points
    from layers.analysis.roles import AnalysisError

    if role not in EXACT_ROLES:
        raise click.ClickException(t("nr_police_only", lang, role=role))
    store = open_store(data)
    try:
        points, left_out = layer_points(store, role, layer, start, end)
        result = knox_test(points, distance_m=distance, days=days, bands=bands, permutations=permutations)
    except (AnalysisError, NearRepeatError) as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
        return
    click.echo("\n".join(near_repeat_lines(result, layer, role, start, end, left_out, lang)))
