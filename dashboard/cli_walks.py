"""The `trygghetskarta walk` commands: import a safety walk from GPX/GeoJSON, list, show (with what
became of a repeated walk's points) and export it, and mark further points (e.g. from a photo)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from geodata import to_metric
from layers import RecordError, ValidationError, open_store

from .cli import main
from .cli_promise import who


@main.group(context_settings={"max_content_width": 100})
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file.")
@click.pass_context
def walk(ctx, data):
    """Trygghetsvandringar: safety walks with their route, participant counts and marked points.

    Each point becomes a report (source trygghetsvandring) that waits for moderation before any
    role counts it. A repeat walk (--repeats) shows what became of the earlier walk's points.

    \b
    Examples:
      trygghetskarta walk --data vaggeryd.gpkg import vandring.gpx --date 2026-03-01 \\
          --title "Skillingaryd centrum" --participants boende=8,polis=2
      trygghetskarta walk --data vaggeryd.gpkg show w-20260301-5b4c5e
      trygghetskarta walk --data vaggeryd.gpkg export w-20260301-5b4c5e --out vandring.geojson
    """
    ctx.obj = {"data": data}


def _store(ctx):
    return open_store(ctx.obj["data"])


@walk.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date", "held_on", metavar="YYYY-MM-DD", help="The day of the walk. [default: the file's]")
@click.option("--title", help="The walk's title. [default: the file's name of the route]")
@click.option("--repeats", metavar="WALK_ID", help="The earlier walk this one repeats (see `walk list`).")
@click.option("--participants", metavar="GROUP=N,...",
              help="Counts by group, never names: e.g. boende=8,polis=2. [default: the file's]")
@click.option("--photo", "photos", multiple=True, metavar="POINT=FILE",
              help="A photo of a point of the file (p1 is its first waypoint); repeatable.")
@click.pass_context
def import_walk(ctx, file, held_on, title, repeats, participants, photos):
    """Store a walk from FILE.gpx (a track and waypoints) or FILE.geojson (a LineString and Points).

    Every place must lie in the data file's municipality. Nothing is stored when anything is
    wrong; the message names the field and its value.
    """
    from layers.imports.sources.walk_files import read_walk_file
    from layers.walks import parse_participants, save_walk

    store = _store(ctx)
    draft = read_walk_file(file)
    counts = parse_participants(participants) if participants is not None else None
    walk_ = draft.walk(held_on=held_on, title=title, participants=counts, repeats=repeats)
    walk_ = _with_photos(walk_, photos)
    saved = save_walk(store, walk_, by=who(), file=file.name)
    click.echo(f"Stored walk {saved.walk_id} ({saved.held_on}, {saved.title!r}) with {len(saved.points)} points "
               "awaiting moderation.")


def _with_photos(walk_, photos):
    from dataclasses import replace

    points = list(walk_.points)
    for spec in photos:
        label, sep, name = spec.partition("=")
        label = label.strip()
        if not sep or not label.startswith("p") or not label[1:].isdigit():
            raise ValidationError([RecordError("photo", "--photo", spec, "must be POINT=FILE, e.g. p1=lampa.jpg")], "walk")
        n = int(label[1:])
        if not 1 <= n <= len(points):
            raise ValidationError([RecordError("photo", "--photo", spec,
                                               f"names no point of the file (it has p1–p{len(points)})")], "walk")
        points[n - 1] = replace(points[n - 1], photo=Path(name).read_bytes())
    return replace(walk_, points=tuple(points))


@walk.command("list")
@click.pass_context
def list_command(ctx):
    """Every walk, oldest first: id, date, points, route length, participants and title."""
    from layers.walks import list_walks

    walks = list_walks(_store(ctx))
    if not walks:
        click.echo("No walks in the data file.")
        return
    for w in walks:
        repeat = f"  repeats {w.repeats}" if w.repeats else ""
        click.echo(f"{w.walk_id}  {w.held_on}  {w.points:>3} points  {w.length_m:>6.0f} m  "
                   f"{sum(w.participants.values()):>3} participants  {w.title}{repeat}")


@walk.command("show")
@click.argument("walk_id")
@click.pass_context
def show(ctx, walk_id):
    """A walk and its points with their status and moderation; for a repeat walk, the earlier
    walks' points as they stand today (what was done since)."""
    from layers.walk_followup import RADIUS_M, done_since
    from layers.walks import earlier_walks, get_walk

    store = _store(ctx)
    found = get_walk(store, walk_id)
    for line in _walk_lines(found):
        click.echo(line)
    for earlier in earlier_walks(store, found):
        click.echo("")
        click.echo(f"Earlier walk {earlier.walk_id} ({earlier.held_on}, {earlier.title!r}): its points today, "
                   f"with activities done within {RADIUS_M:.0f} m until {found.held_on}")
        click.echo(_summary(earlier.points))
        since = done_since(store, earlier, found.held_on)
        for line, point in zip(_point_lines(earlier.points), since, strict=True):
            click.echo(line)
            if point.activities:
                shown = "; ".join(f"{a.kind} ({a.actor}) {a.done_on} {a.distance_m:.0f} m" for a in point.activities[:3])
                more = f"; and {len(point.activities) - 3} more" if len(point.activities) > 3 else ""
                click.echo(f"       done near: {shown}{more}")


def _walk_lines(w) -> list[str]:
    people = ", ".join(f"{g} {n}" for g, n in w.participants.items()) or "not recorded"
    lines = [f"{w.walk_id}  {w.held_on}  {w.title}",
             f"Route: {w.route.length:.0f} m, {len(w.route.coords)} points; participants: {people} "
             f"({sum(w.participants.values())})"]
    if w.repeats:
        lines.append(f"Repeats: {w.repeats}")
    lines.append(f"Points ({len(w.points)}):")
    return lines + _point_lines(w.points)


def _point_lines(points) -> list[str]:
    lines = []
    for p in points:
        label = p.id.rsplit("-", 1)[-1]
        extra = [f"merged into {p.duplicate_of}"] if p.duplicate_of else []
        if p.has_photo:
            extra.append("photo")
        if p.public_reply:
            extra.append(f"reply: {p.public_reply}")
        tail = f"  [{'; '.join(extra)}]" if extra else ""
        kind = f"{p.layer}/{p.category}"
        lines.append(f"  {label:<4} {kind:<30} {p.status:<10} {p.moderation or '-':<8} "
                     f"{p.description}{tail}")
    return lines


def _summary(points) -> str:
    counts: dict[str, int] = {}
    for p in points:
        counts[p.status] = counts.get(p.status, 0) + 1
    return "  Status: " + (", ".join(f"{s} {n}" for s, n in counts.items()) or "no points")


@walk.command("export")
@click.argument("walk_id")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.gpx or FILE.geojson.")
@click.pass_context
def export(ctx, walk_id, out):
    """Write a walk with its route and points as GPX or GeoJSON (WGS 84); photos stay in the data file."""
    from layers.imports.sources.walk_files import write_walk_file
    from layers.walks import get_walk

    found = get_walk(_store(ctx), walk_id)
    path = write_walk_file(found, out)
    click.echo(f"Wrote {path}: walk {found.walk_id}, {len(found.route.coords)} route points, "
               f"{len(found.points)} points")


@walk.command("add-point")
@click.argument("walk_id")
@click.option("--category", default="övrigt", show_default=True, help="The point's category.")
@click.option("--layer", default="otrygg_plats", show_default=True, help="The point's layer.")
@click.option("--description", default="", help="What was seen.")
@click.option("--at", metavar="LON,LAT", help="Where (WGS 84). [default: the photo's GPS position]")
@click.option("--time", "occurred_at", metavar="ISO", help="When. [default: the walk's day at 18:00]")
@click.option("--photo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A photo (JPEG, PNG, WebP up to 5 MB); stored smaller and without EXIF.")
@click.pass_context
def add_point(ctx, walk_id, category, layer, description, at, occurred_at, photo):
    """Mark one more point on a stored walk, placed by --at or by the photo's GPS position (which is
    read to place the point and then dropped with the rest of the EXIF)."""
    from layers.imports.sources.walk_photos import prepare_photo
    from layers.walks import WalkPoint, add_points

    data = photo.read_bytes() if photo else None
    if at:
        lon, lat = _lon_lat(at)
    elif data is not None and (found := prepare_photo(data).position) is not None:
        lon, lat = found
    else:
        raise ValidationError([RecordError("point", "--at", at or "",
                                           "is required: give LON,LAT (the photo has no GPS position)"
                                           if data else "is required: give LON,LAT or a photo with a GPS position")],
                              "walk point")
    x, y = to_metric(np.array([lon]), np.array([lat]))
    point = WalkPoint(x=float(x[0]), y=float(y[0]), category=category, layer=layer, description=description,
                      occurred_at=occurred_at, photo=data)
    store = _store(ctx)
    (rid,) = add_points(store, walk_id, [point], by=who())
    click.echo(f"Stored point {rid} awaiting moderation" + (" with its photo (EXIF removed)." if data else "."))


def _lon_lat(text: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise ValidationError([RecordError("point", "--at", text, "must be LON,LAT in degrees, e.g. 14.09,57.43")],
                              "walk point") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError([RecordError("point", "--at", text, "must be LON,LAT in degrees, e.g. 14.09,57.43")],
                              "walk point")
    return lon, lat
