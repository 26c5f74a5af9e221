"""The `trygghetskarta est-week` command: the EST week view (layers.est_week) as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click
from babel.dates import format_date

from layers import StoreError, open_store
from layers.est_week import WEEK_ROLES, WeekView, parse_week, week_view
from layers.imports.sources.est import EstError, load_categories, read_observations

from .cli import main
from .i18n import t


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else (f"−{-n}" if n < 0 else "±0")


def week_text(v: WeekView, lang: str) -> str:
    """The week view as plain text lines (a meeting's notes, an email)."""
    lines = [t("est_week_title", lang, week=v.week.week, year=v.week.year) + " "
             + t("est_week_span", lang, start=format_date(v.week.monday, "d MMMM", locale=lang),
                 end=format_date(v.week.sunday, "d MMMM y", locale=lang)),
             t("est_week_summary", lang, n=v.total, before=v.previous_total)]
    if v.pending:
        lines.append(t("est_week_pending", lang, n=v.pending))
    header = f"{t('est_col_week', lang)} / {t('est_col_before', lang)} / {t('est_col_change', lang)}"

    def table(title: str, rows) -> None:
        lines.extend(["", f"{t(title, lang)} ({header})"])
        width = max((len(r.label) for r in rows), default=0)
        lines.extend(f"  {r.label:<{width}}  {r.count:>3}  {r.previous:>3}  {_signed(r.change):>4}" for r in rows)

    lines.extend(["", t("est_week_rose", lang)])
    lines.extend([f"  {r.label}: {r.count} ({_signed(r.change)})" for r in v.rose] or
                 [f"  {t('est_week_rose_none', lang)}"])
    table("est_week_by_category", v.categories)
    lines.extend(["", t("est_week_by_day", lang)])
    lines.extend(f"  {name:<8} {d.isoformat()}  {n:>3}" for d, name, n in v.days)
    if v.places:
        table("est_week_by_place", v.places)
    else:
        lines.extend(["", t("est_week_places_none", lang)])
    return "\n".join(lines)


@main.command("est-week", context_settings={"max_content_width": 100})
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file.")
@click.option("--week", required=True, metavar="2026-W48", help="An ISO week (Monday to Sunday, Swedish time).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--role", type=click.Choice(WEEK_ROLES), default="polis", show_default=True,
              help="Whose view: a moderator never sees the narcotics category.")
@click.option("--lang", type=click.Choice(("sv", "en")), default="sv", show_default=True, help="Language.")
@click.option("--categories", "categories", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="EST categories TOML (default: the packaged layers/est_categories.toml).")
def est_week(data, week, fmt, role, lang, categories):
    """The EST week: counted observations by category, day and place, the week before, and the
    places that rose. Observations waiting for moderation are counted apart.

    \b
    Example:
      trygghetskarta est-week --data vaggeryd.gpkg --week 2026-W48
    """
    try:
        chosen = parse_week(week)
        cats = load_categories(categories)
        store = open_store(data)
        view = week_view(read_observations(store), chosen, cats, role, store.meta.kommun, lang,
                         store.privacy_settings())
    except (EstError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(view.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(week_text(view, lang))


__all__ = ["est_week", "week_text"]
