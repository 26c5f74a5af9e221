"""The `trygghetskarta report` command: the meeting report (lägesbild) of a period as PDF or HTML."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from layers.privacy import BRA, ROLES

from .cli import _date, main


@main.command(context_settings={"max_content_width": 100})
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file.")
@click.option("--period", required=True, metavar="2026|2026-Q3|2026-10|2026-W48",
              help="A year, a quarter, a month or an ISO week (not finer than the role's published "
                   "periods: a week is for polis and admin, the EST weekly lägesbild).")
@click.option("--role", type=click.Choice(ROLES), default=BRA, show_default=True,
              help="Whose view the report shows; reduced roles never see exact data.")
@click.option("--lang", type=click.Choice(("sv", "en")), default="sv", show_default=True, help="Language.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.pdf (A4) or FILE.html (one self-contained page).")
@click.option("--today", callback=_date, help="Date the release schedule applies for, YYYY-MM-DD. [default: today]")
def report(data, period, role, lang, out, today):
    """The meeting report (lägesbild) for BRÅ and the municipal board: the role's view of one period.

    The cover names the municipality, police area, promise period and role; a short summary
    follows, every sentence a computed number (this period against the one before). Then per
    focus area: the map, the trend, weekday × hour (not for allmanhet, which sees months only),
    the places with most reports and the activities done and planned. The numbers are the
    dashboard's for the same role and dates. The role (and "Demodata" for demo data) is printed
    on every page. Figures are drawn offline with the system's Chromium.

    \b
    Examples:
      trygghetskarta report --data vaggeryd.gpkg --period 2026-10 --out oktober.pdf
      trygghetskarta report --data vaggeryd.gpkg --period 2026-Q3 --role allmanhet --out q3.html
      trygghetskarta report --data vaggeryd.gpkg --period 2026-W48 --role polis --out vecka-48.pdf
    """
    from .report import ReportError, make_report

    started = time.monotonic()

    def progress(step: str) -> None:
        click.echo(f"[{time.monotonic() - started:5.1f} s] {step}", err=True)

    try:
        made = make_report(data, period, role, lang, out, today=today or dt.date.today(), progress=progress)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    pages = f", {made.pages} pages" if made.pages else ""
    click.echo(f"Wrote {made.path}{pages} in {time.monotonic() - started:.1f} s")
