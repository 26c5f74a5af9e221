"""CLI commands for getting data in and out (import, export): registered on the main group."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .cli import _date, main


def _fail(exc: Exception) -> click.ClickException:
    """A user mistake as one clear line (click prints 'Error: ...' and exits with 1)."""
    return click.ClickException(str(exc))


@main.command("import", context_settings={"max_content_width": 100})
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file to import into (must exist; see `trygghetskarta demo`).")
@click.option("--kind", type=click.Choice(["reports", "activities"]), default="reports", show_default=True,
              help="What the rows are: reports (rapporter) or activities (aktiviteter).")
@click.option("--layer", help="Report layer for every row (otrygg_plats, hastighet, narkotika). "
                              "[default: a 'lager' column, else from the category]")
@click.option("--crs", help="Coordinate system of the file, e.g. EPSG:3006 (SWEREF 99 TM), EPSG:3008 "
                            "(SWEREF 99 13 30), EPSG:3021 (RT90), EPSG:4326 (WGS 84). "
                            "[default: from the file, else detected from the values]")
@click.option("--mapping", "mapping", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML or JSON file naming columns, fixed values and value translations "
                   "(see docs/importera.md).")
@click.option("--dry-run", is_flag=True, help="Read and check everything, print the mapping and the "
                                              "counts, store nothing and write no files.")
@click.option("--format", "fmt", type=click.Choice(["auto", "polisen"]), default="auto", show_default=True,
              help="auto: by file extension; polisen: a saved response of the police's open events API.")
def import_command(file, data, kind, layer, crs, mapping, dry_run, fmt):
    """Import reports or activities from FILE into the data file.

    \b
    Formats: CSV (comma, semicolon or tab; decimal point or comma; UTF-8, UTF-8 with BOM
    or Windows-1252), Excel .xlsx, GeoJSON, GeoPackage (one layer, or name it in the
    mapping file), zipped Shapefile, and with --format polisen the police events feed.

    \b
    Coordinates come from the file's geometry or from columns such as lat/lon,
    latitud/longitud, N/E, northing/easting or x/y; the coordinate system from the file,
    --crs, or the values (WGS 84, SWEREF 99 TM, SWEREF 99 13 30, RT90). Columns are
    matched by common Swedish and English headers (datum, tid, datum och tid, kategori,
    typ, beskrivning, kommentar, källa, status, lager ...). Times are read as Swedish
    local time unless they carry an offset.

    \b
    Every row is stored, counted as a duplicate (same content already stored or earlier
    in the file: importing a file twice stores nothing new) or rejected with its row
    number and reason. Rejected rows go to FILE.rejected.csv with a 'reason' column.
    All accepted rows are stored in one transaction, or none.

    \b
    One import at a time per data file: while an upload in the app (or another import
    command) imports into it, this command says so and exits without touching the file,
    and uploads are refused while it runs. A dry run only reads, and always runs.

    \b
    Examples:
      trygghetskarta import enkat.csv --data vaggeryd.gpkg --layer otrygg_plats --dry-run
      trygghetskarta import gis.gpkg --data vaggeryd.gpkg --kind activities --crs EPSG:3008
      trygghetskarta import handelser.json --data vaggeryd.gpkg --format polisen
    """
    from geodata import CRSError
    from layers import StoreError, ValidationError, open_store
    from layers.imports import ImportFailed
    from layers.imports import jobs as import_jobs
    from layers.imports.run import run_import

    if not file.exists():
        raise click.ClickException(f"no such file: {file}")
    try:
        with _import_slot(data, file, kind, layer, dry_run):
            store = open_store(data)
            result, prepared = run_import(file, store, kind=kind, layer=layer, crs=crs, mapping_file=mapping,
                                          dry_run=dry_run, fmt=fmt)
    except import_jobs.JobBusy as busy:
        raise click.ClickException(
            f"an import into {data} is already running ({import_jobs.describe(busy.status)}); nothing was "
            "changed: try again when it has finished") from None
    except (ImportFailed, CRSError, StoreError, ValidationError) as exc:
        raise _fail(exc) from None
    if dry_run:
        click.echo("Mapping (field <- source):")
        for line in prepared.mapping_lines:
            click.echo(f"  {line}")
    for note in prepared.notes:
        click.echo(f"  {note}")
    shown = result.rejected[:10] if dry_run else result.rejected[:5]
    for rejection in shown:
        click.echo(f"  rejected row {rejection.row}: {rejection.reason}", err=True)
    if len(result.rejected) > len(shown):
        click.echo(f"  ... and {len(result.rejected) - len(shown)} more rejected rows", err=True)
    click.echo(result.summary())
    if result.rejected_path is not None:
        click.echo(f"Rejected rows with reasons: {result.rejected_path}")
    if dry_run:
        click.echo("Dry run: nothing stored.")


def _import_slot(data: Path, file: Path, kind: str, layer: str | None, dry_run: bool):
    """The data file's one import slot (layers.import_jobs), shared with the app's uploads;
    none for a dry run (it only reads) or a missing data file (opening it says why)."""
    import contextlib
    import getpass

    from layers.imports import jobs as import_jobs

    if dry_run or not data.is_file():
        return contextlib.nullcontext()
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = None
    try:
        import_jobs.jobs_folder(data).mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:  # the folder beside the data file cannot be written
        raise click.ClickException(f"cannot write beside {data}: {exc.strerror or exc}") from None
    return import_jobs.import_slot(data, file.name, kind=kind, layer=layer, by=user)


def _layers(ctx, param, values):
    return tuple(values) or None


@main.command("export", context_settings={"max_content_width": 100})
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file to export from.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (replaced if it exists).")
@click.option("--format", "fmt", required=True, type=click.Choice(["html", "csv", "geojson", "gpkg"]),
              help="html: standalone map; csv: for Excel (semicolons, decimal comma, lat/lon); "
                   "geojson: WGS 84; gpkg: SWEREF 99 TM, opens in QGIS.")
@click.option("--focus", "focus", multiple=True, callback=_layers,
              help="Only these focus areas (repeat the option for more), e.g. --focus trafik.")
@click.option("--layer", "layers", multiple=True, callback=_layers,
              help="Only these report layers (repeatable): otrygg_plats, hastighet, narkotika.")
@click.option("--from", "start", callback=_date, help="First day, YYYY-MM-DD (inclusive).")
@click.option("--to", "end", callback=_date, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--role", default="bra", show_default=True,
              type=click.Choice(["polis", "admin", "bra", "allmanhet"]),
              help="Whose view to export: bra (the default) gets narcotics as counts per 500 m cell "
                   "and no free text; allmanhet gets counts per cell only, never narcotics. Exact "
                   "points and free text only with an explicit --role polis (or admin).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the HTML map's title, filter, legend, notes and popups; column names "
                   "and codes in the files are the same in both languages.")
def export_command(data, out, fmt, focus, layers, start, end, role, lang):
    """Export the filtered data that ROLE may see (without --role: the bra view, never exact tips).

    \b
    html     a map that opens in any browser without a server: the municipality
             boundary, one layer per report layer in its focus-area colour, activities,
             a layer switcher, legend, heat map and clusters for dense layers; the
             filter is in the title. Leaflet is inlined, so it works offline (apart
             from the background map).
    csv      the reports the role sees as points, in the data file's columns plus
             lat/lon; counts per grid cell go to OUT-rutor.csv.
    geojson  the same as GeoJSON (WGS 84); cells to OUT-rutor.geojson.
    gpkg     layers reports, activities and report_cells in SWEREF 99 TM.

    For a role that sees a layer only as counts, the export holds the counts, never the
    points: cells of 500 m with fewer than 5 reports are left out.

    \b
    Example:
      trygghetskarta export --data vaggeryd.gpkg --out karta.html --format html \\
          --focus trafik --from 2026-01-01 --to 2026-06-30 --role bra
    """
    from layers import Query, StoreError, open_store

    from .export import ExportError, export

    try:
        store = open_store(data)
    except StoreError as exc:
        raise _fail(exc) from None
    config = store.config
    for area in focus or ():
        if area not in config.focus_areas:
            raise click.ClickException(
                f"unknown focus area {area!r}; focus areas: {', '.join(config.focus_areas)}")
    for layer in layers or ():
        if layer not in config.layers:
            raise click.ClickException(f"unknown layer {layer!r}; layers: {', '.join(config.layers)}")
    if start and end and end < start:
        raise click.ClickException(f"--to {end} is before --from {start}")
    query = Query(layers=layers, focus_areas=focus, start=start,
                  end=(end + dt.timedelta(days=1)) if end else None)
    try:
        result = export(store, out, fmt, query, role, lang=lang)
    except (ExportError, StoreError, OSError) as exc:
        raise _fail(exc) from None
    # The console speaks English as every other command's messages do; --lang is the files' language.
    click.echo(result.summary())
