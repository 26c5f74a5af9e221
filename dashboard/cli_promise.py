"""CLI commands for the promises kept in the data file (one medborgarlöfte per period):

    trygghetskarta promise import FILE.toml --data PATH [--period 2026]
    trygghetskarta promise list --data PATH
    trygghetskarta promise show --data PATH [--period 2026]
    trygghetskarta promise export --data PATH [--period 2026] [-o FILE]
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import click

from layers import ConfigError, open_store
from layers.promises import (
    StoredPromise,
    current_stored,
    find_promise,
    import_promise,
    list_promises,
    read_promise_file,
)

from .cli import _date, main


def _data_option(f):
    return click.option(
        "--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
        help="GeoPackage data file (the promises are kept in it).",
    )(f)


def parse_period(ctx, param, value):
    """--period: a year (2026) or a day in the promise's period (2026-03-01)."""
    if value is None:
        return None
    text = str(value).strip()
    if text.isdigit():
        year = int(text)
        if not 2000 <= year <= 2100:
            raise click.BadParameter(f"{text} is not a plausible promise year (2000-2100)")
        return year
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a year like 2026 or a date like 2026-03-01") from None


def _period_option(help_text: str):
    return click.option("--period", "period", callback=parse_period, metavar="YEAR|DATE", help=help_text)


def who() -> str:
    """Who imports, for the table and the audit log: the login name behind the command."""
    try:
        return f"(cli) {getpass.getuser()}"
    except (OSError, KeyError):
        return "(cli)"


@main.group(context_settings={"max_content_width": 100})
def promise():
    """The promise (medborgarlöfte) of each period, kept in the data file.

    A promise belongs to a period (usually a calendar year) and BRÅ follows it up after the
    period ends, so each period's promise is stored in the data file: editing the TOML for
    next year never rewrites last year's. The TOML file stays the readable, editable source
    (see the README, "Uppföljning"): focus areas, which of them are public promises, and the
    [[commitment]] entries with their targets.

    Every command (serve, export, follow-up, info) reads the promise from the data file. A
    view shows the promise whose period holds today once it has data (an activity planned
    or a report the role reads, dated in it); until then, e.g. on 1 January, last period's
    promise stays what the follow-up shows.

    \b
    Examples:
      trygghetskarta promise import lofte-2026.toml --data vaggeryd.gpkg
      trygghetskarta promise list --data vaggeryd.gpkg
      trygghetskarta promise show --data vaggeryd.gpkg --period 2026
      trygghetskarta promise export --data vaggeryd.gpkg --period 2026 -o lofte-2026.toml
    """


@promise.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_data_option
@_period_option("The year of a promise file without [promise] start/end. [default: the current year]")
def promise_import(file, data, period):
    """Store the promise in FILE for its period, replacing that period's promise if there is one.

    FILE is checked as `serve --config` checks it: a bad entry is named by file, entry and
    field, and nothing is stored. The period is [promise] start/end, or without them the
    calendar year --period says (default: this year). Periods never overlap: a promise for
    2026-01-01 – 2026-06-30 next to a stored 2026 is refused. The file's text is kept as it
    is (comments too): `promise export` gives it back byte for byte. GeoJSON files named by
    `area = "…"` are stored with it. Every import is in the audit log (promise_import, new
    or replaced).

    \b
    Example:
      trygghetskarta promise import lofte-2027.toml --data vaggeryd.gpkg --period 2027
    """
    if isinstance(period, dt.date):
        raise click.BadParameter("give a year, e.g. --period 2027 (a date names a stored promise in the other "
                                 "promise commands)", param_hint="--period")
    store = open_store(data)
    try:
        found = read_promise_file(file, year=period)
        stored, replaced = import_promise(store, found, by=who())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    cfg = stored.config()
    promised = sum(1 for a in cfg.focus_areas.values() if a.promise)
    when = "" if found.dated else f" (no [promise] start/end in {file.name}: the calendar year {stored.start.year})"
    click.echo(f"{'Replaced' if replaced else 'Stored'} the promise for {stored.label}{when}: "
               f"{len(cfg.focus_areas)} focus areas ({promised} public promises), {len(cfg.commitments)} "
               f"commitments, from {file.name}.")
    click.echo("Restart a running `trygghetskarta serve` to show it there.")


@promise.command("list")
@_data_option
@click.option("--today", "today", callback=_date, help="Mark the promise shown on this day (YYYY-MM-DD). "
                                                       "[default: today]")
def promise_list(data, today):
    """The stored promises: period, focus areas, commitments, when and by whom imported.

    The promise a view shows today (or on --today) is marked with *.
    """
    open_store(data)  # an older file is upgraded first (it then holds the promise in use)
    stored = list_promises(data)
    if not stored:
        click.echo(f"No promise stored in {data}; import one with `trygghetskarta promise import FILE.toml "
                   f"--data {data}`.")
        return
    shown = current_stored(data, today or dt.date.today())
    click.echo(f"  {'period':<25} {'focus areas':<15} {'commitments':<12} {'imported':<26} {'by':<18} file")
    for p in stored:
        cfg = p.config()
        promised = sum(1 for a in cfg.focus_areas.values() if a.promise)
        mark = "*" if shown is not None and p.id == shown.id else " "
        click.echo(f"{mark} {p.label:<25} {f'{len(cfg.focus_areas)} ({promised} promises)':<15} "
                   f"{len(cfg.commitments):<12} {p.imported_at:<26} {p.imported_by:<18} {p.name}")
    click.echo("* the promise the dashboard and follow-up show today")


def describe(p: StoredPromise, lang: str = "sv") -> list[str]:
    """A stored promise as readable text in `lang`: its focus areas in full and every commitment
    (ids and codes in brackets are the TOML's own, the same in both languages)."""
    from geodata import get_municipality
    from layers.messages import label as vocab

    from .i18n import WEEKDAYS, t

    lang = "en" if lang == "en" else "sv"
    cfg = p.config()
    muni = get_municipality(cfg.kommun)
    head = t("cli_promise_head", lang, label=p.label, start=p.start.isoformat(), end=p.end.isoformat(),
             code=muni.code, name=muni.name)
    if cfg.police_area:
        head += t("cli_promise_police_area", lang, area=cfg.police_area)
    lines = [head, t("cli_promise_imported", lang, at=p.imported_at, by=p.imported_by, file=p.name), "",
             t("cli_promise_focus_areas", lang)]
    for area in cfg.focus_areas.values():
        kind = t("cli_promise_public" if area.promise else "cli_promise_bra_only", lang)
        lines.append("  " + t("cli_promise_area", lang, id=area.id, name=area.name(lang), kind=kind,
                              layers=", ".join(area.layers) or "-"))
    lines += ["", t("cli_promise_commitments", lang, n=len(cfg.commitments))]
    for c in cfg.commitments:
        if c.unit == "hours":
            amount = t("cli_promise_hours", lang, n=f"{c.target:g}")
        else:
            noun = vocab("kind" if c.target == 1 else "kind_plural", c.kind, lang)
            amount = f"{c.target:g} {noun}"
        per = t(f"cli_promise_per_{c.per}", lang) if c.per in ("quarter", "month") else ""
        when = "" if (c.period_start, c.period_end) == (p.start, p.end) else \
            f", {c.period_start.isoformat()} – {c.period_end.isoformat()}"
        if c.places:
            where = t("cli_promise_places", lang, places=" / ".join(c.places))
        else:
            where = t("cli_promise_polygon", lang) if c.area is not None else ""
        days = ", " + " ".join(WEEKDAYS[lang][d] for d in c.weekdays) if c.weekdays else ""
        hours = f", {c.hours[0]:02d}-{c.hours[1]:02d}" if c.hours else ""
        lines.append(f"  {c.id} [{c.focus_area}, {c.actor}, {c.kind}]: {amount}{per}{when}{where}{days}{hours}")
        lines.append(f"    {c.text(lang)}")
    return lines


@promise.command("show")
@_data_option
@_period_option("Which promise: a year (2026) or a day in its period. [default: the one shown today]")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the text: its words, the focus-area names and the commitment texts "
                   "(ids and codes in brackets are the file's own).")
def promise_show(data, period, lang):
    """Print a stored promise as readable text: focus areas and commitments."""
    open_store(data)  # an older file is upgraded first (it then holds the promise in use)
    click.echo("\n".join(describe(find_promise(data, period), lang)))


@promise.command("export")
@_data_option
@_period_option("Which promise: a year (2026) or a day in its period. [default: the one shown today]")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (replaced if it exists). [default: standard output]")
def promise_export(data, period, out):
    """Write a stored promise's TOML exactly as it was imported (comments and line ends too).

    Edit the exported file and import it again to change a promise; export last year's to
    start next year's.
    """
    open_store(data)
    found = find_promise(data, period)
    raw = found.text.encode("utf-8")
    if out is None:
        stream = click.get_binary_stream("stdout")
        stream.write(raw)
        stream.flush()
        return
    out.write_bytes(raw)
    click.echo(f"Wrote the promise for {found.label} to {out} ({len(raw)} bytes).", err=True)
