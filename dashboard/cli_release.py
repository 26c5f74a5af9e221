"""CLI commands for what reduced roles see: the privacy settings and the published releases.

    trygghetskarta privacy show --data PATH
    trygghetskarta privacy set --data PATH k=5 cell_m=500 period.bra=month
    trygghetskarta release --data PATH [--role R] [--build] [--units]
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from layers import open_store
from layers.privacy import ROLES, PrivacyError, PrivacySettings

from .cli import _date, main


def _data_option(f):
    return click.option(
        "--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
        help="GeoPackage data file (the settings and releases are kept in it).",
    )(f)


def settings_lines(settings: PrivacySettings) -> list[str]:
    lines = [f"k (minimum count):  {settings.k}", f"cell_m (grid cell): {settings.cell_m} m"]
    for role in ROLES:
        lines.append(f"period.{role}: {' ' * (10 - len(role))}{settings.period(role)}")
    for role, modes in sorted(settings.layer_modes.items()):
        for layer, mode in sorted(modes.items()):
            lines.append(f"layer_modes.{role}.{layer}: {mode}")
    return lines


def parse_assignments(settings: PrivacySettings, assignments: tuple[str, ...]) -> PrivacySettings:
    """New settings from NAME=VALUE words: k, cell_m, period.ROLE, layer_modes.ROLE.LAYER."""
    data = settings.to_mapping()
    for word in assignments:
        name, sep, value = word.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise PrivacyError(f"{word!r}: write NAME=VALUE, e.g. k=5 or period.bra=month")
        parts = name.split(".")
        if name in ("k", "cell_m"):
            if not value.isdigit():
                raise PrivacyError(f"{name}={value!r}: must be a whole number")
            data[name] = int(value)
        elif parts[0] == "period" and len(parts) == 2:
            data["period"][parts[1]] = value
        elif parts[0] == "layer_modes" and len(parts) == 3:
            data["layer_modes"].setdefault(parts[1], {})[parts[2]] = value
        else:
            raise PrivacyError(f"unknown setting {name!r}; settings: k, cell_m, period.ROLE, "
                               "layer_modes.ROLE.LAYER")
    return PrivacySettings.from_mapping(data)


@main.group(context_settings={"max_content_width": 100})
def privacy():
    """The privacy settings of a data file: k, cell size, release periods, layer modes.

    They are stored in the data file, so the dashboard, exports and every command use the
    same numbers. Changing them starts a new release series: the next view of a reduced
    role is built afresh with the new settings.
    """


@privacy.command("show")
@_data_option
def privacy_show(data):
    """Print the data file's privacy settings."""
    store = open_store(data)
    click.echo("\n".join(settings_lines(store.config.privacy)))


@privacy.command("set")
@_data_option
@click.argument("assignments", nargs=-1, required=True)
@click.option("--republish", is_flag=True,
              help="Accept that periods already published are published again with the new settings.")
def privacy_set(data, assignments, republish):
    """Change settings: NAME=VALUE words.

    \b
    k=N                      minimum count shown for cells-mode layers (≥ 3; default 5)
    cell_m=M                 grid cell in metres (≥ 250; default 500)
    period.ROLE=P            release period of a role: month, quarter or year
                             (defaults: bra month, allmanhet quarter)
    layer_modes.ROLE.LAYER=M points, cells or hidden for one layer and role
                             (a sensitive layer is never points for bra or allmanhet;
                             a layer is cells for one role only)

    Once releases exist, new settings re-partition the periods already published: anyone who
    saw the old figures could subtract the new ones and learn counts below k. Such a change
    therefore needs --republish (do it before the figures have been shown, or accept it).

    \b
    Example:
      trygghetskarta privacy set --data vaggeryd.gpkg k=8 period.allmanhet=year
    """
    from layers.audit import AuditLog

    store = open_store(data)
    old = store.config.privacy
    try:
        new = parse_assignments(old, assignments)
    except PrivacyError as exc:
        raise click.ClickException(str(exc)) from None
    if new == old:
        click.echo("No change.")
        return
    from layers.release_store import list_releases

    published = list_releases(store.path)
    if len(published) and not republish:
        raise click.ClickException(
            f"{len(published)} releases are already published with the current settings; new settings would "
            "publish the same periods again, cut another way, and comparing the two can reveal counts below "
            f"k. Add --republish to do it anyway (audited), e.g. `trygghetskarta privacy set --data {data} "
            f"{' '.join(assignments)} --republish`.")
    store.set_privacy(new)
    AuditLog(store.path).append("privacy_set", user="(cli)", detail={"old": old.to_mapping(),
                                                                      "new": new.to_mapping(),
                                                                      "republish": bool(len(published))})
    click.echo("\n".join(settings_lines(new)))
    click.echo("Saved. Reduced roles get a new release built with these settings at their next view; "
               "restart a running `trygghetskarta serve` to apply them there.")


@main.command(context_settings={"max_content_width": 100})
@_data_option
@click.option("--role", type=click.Choice(ROLES), help="Only this role. [default: every role with cells-mode layers]")
@click.option("--build", is_flag=True, help="Build the release the schedule says is due now (nothing if none is).")
@click.option("--units", is_flag=True, help="Also print every published unit (block, layer, unit, count).")
@click.option("--today", callback=_date, help="Date to apply the schedule for, YYYY-MM-DD. [default: today]")
def release(data, role, build, units, today):
    """What reduced roles see of cells-mode layers, and when it was published.

    A reduced role (bra, allmanhet) never sees live counts of a cells-mode layer: it sees
    the latest *release*, counts per grid cell and whole calendar period (month for bra,
    quarter for allmanhet), only for periods that have ended, every count at least k. A
    release is built automatically on the first view or command after a period ends and
    then frozen, so numbers do not change between two meetings; late reports enter at the
    next release, and only once a change is at least k. See docs/roller.md.

    \b
    Example:
      trygghetskarta release --data vaggeryd.gpkg --role bra --units
    """
    from layers.privacy import policy
    from layers.release import is_due, period_start
    from layers.release_store import current_release, load_release, reduced_roles, release_frame

    if today is not None and today > dt.date.today() and build:
        raise click.ClickException(f"--today {today} is in the future: a release publishes only periods that "
                                   "have ended")
    store = open_store(data)
    today = today or dt.date.today()
    settings = store.config.privacy
    roles = [role] if role else reduced_roles(settings, store.config.layers)
    if role and role not in reduced_roles(settings, store.config.layers):
        click.echo(f"{role}: sees every layer as points or not at all; it reads no release.")
        return
    for name in roles:
        pol = policy(name, settings, store.config.layers)
        kind = settings.period(name)
        current = load_release(store.path, name)
        if build and is_due(current, pol, today, kind):
            current = current_release(store, name, today)
            click.echo(f"{name}: built release {current.version}.")
        elif build:
            click.echo(f"{name}: nothing due; the next release is due {current.next_due.isoformat()}.")
        if current is None:
            click.echo(f"{name}: no release yet (one is built at the first view, or with --build).")
            continue
        blocks = current.blocks
        span = (f"{blocks[0].start.isoformat()} – {(blocks[-1].end - dt.timedelta(days=1)).isoformat()}"
                if blocks else "no published period")
        merged = sum(1 for b in blocks if b.periods > 1)
        click.echo(f"{name}: release {current.version}, built {current.built_at}, {current.kind}s, "
                   f"through {period_start(current.through + 1, current.kind) - dt.timedelta(days=1)}")
        click.echo(f"  published: {span}; {len(blocks)} blocks ({merged} merged), k={current.k}, "
                   f"cells {current.cell_m} m")
        for lid in current.layers:
            click.echo(f"  {lid}: {current.total(lid)} reports in published units")
        due = "now (use --build)" if is_due(current, pol, today, kind) else current.next_due.isoformat()
        click.echo(f"  next release due: {due}")
        if units:
            frame = release_frame(current)
            click.echo(frame.to_string(index=False) if len(frame) else "  (no units)")
