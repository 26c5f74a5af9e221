"""The `trygghetskarta follow-up` command: done versus promised, reports per focus area and the
effect where we acted, as text for a BRÅ meeting or as the JSON contract of `layers.followup`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import click
from babel.numbers import format_decimal

from layers import open_store
from layers.analysis.labels import pct_text
from layers.messages import format_number
from layers.privacy import ROLES

from .cli import main
from .cli_promise import parse_period
from .i18n import t


def _at(ctx, param, value):
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-27") from None
    if day > dt.date.today():
        raise click.BadParameter(f"{value} is in the future: the follow-up counts what is done by a day that "
                                 "has come (leave --at out for today)")
    return day


def _number(value, lang: str, decimals: int = 0) -> str:
    """A number as the text shows it, in the language's way (Babel): 1,82 (sv) or 1.82 (en);
    without `decimals`, as many as it has (2, 2,5)."""
    if value is None:
        return "–"
    if decimals:
        return format_number(value, lang, decimals=decimals, grouping=False)
    return format_decimal(Decimal(str(value)), format="0.###", locale="en" if lang == "en" else "sv")


def _signed(value: int, lang: str) -> str:
    """+3 / −2: a sign always, the minus typeset as pct_text does it (U+2212 in Swedish)."""
    if value < 0:
        return ("-" if lang == "en" else "\u2212") + str(-value)
    return f"+{value}"


def text_lines(view, promise_label: str, note: str, lang: str = "sv") -> list[str]:
    """The follow-up as readable text in `lang` (the catalogue's framing, the promise's own texts)."""
    from layers.followup.pace import piece_label, status_label

    def num(value, decimals: int = 0) -> str:
        return _number(value, lang, decimals)

    cfg, result = view.config, view.result
    lines = [t("fu_cli_heading", lang, promise=promise_label, at=view.at.isoformat(), role=view.role),
             t("fu_cli_promise", lang, note=note), "", t("fu_cli_commitments", lang)]
    if not view.progress:
        lines.append("  " + t("fu_cli_no_commitments", lang))
    for progress, row in zip(view.progress, result["commitments"], strict=True):
        c = progress.commitment
        lines.append(f"  {c.id} [{c.focus_area}, {c.actor}, {c.kind}]: {progress.summary(lang)}")
        lines.append(f"    {c.text(lang)}")
        unit = " h" if c.unit == "hours" else ""
        lines.append("    " + t("fu_cli_done", lang, done=num(row["done"]), planned=num(row["planned"]),
                                 cancelled=num(row["cancelled"]), expected=num(row["expected_by_now"], 2),
                                 unit=unit))
        if row["periods"]:
            lines.append("    " + "; ".join(
                t("fu_cli_piece", lang, period=piece_label(p["period"], lang), done=num(p["done"]),
                  target=num(p["target"]), status=status_label(p["status"], lang))
                for p in row["periods"]))
    lines += ["", t("fu_cli_areas", lang)]
    for row in result["focus_areas"]:
        area = cfg.focus_areas[row["id"]]
        first, last = view.windows.get(row["id"], (None, None))
        span = f"{first.isoformat()} – {last.isoformat()}" if first else t("fu_cli_no_window", lang)
        source = t("fu_cli_from_release", lang) if view.sources.get(row["id"]) == "release" else ""
        kind = t("fu_cli_public_promise" if area.promise else "fu_cli_bra_only", lang)
        pct = "" if row["change_pct"] is None else f" ({pct_text(row['change_pct'], lang)})"
        change = "–" if row["change"] is None else f"{_signed(row['change'], lang)}{pct}"
        lines.append("  " + t("fu_cli_area", lang, name=area.name(lang), id=row["id"], kind=kind, span=span,
                              source=source, reports=num(row["reports"]), previous=num(row["reports_previous"]),
                              last_year=num(row["reports_last_year"]), change=change))
    lines += ["", t("fu_cli_effects", lang)]
    if not view.effects and "points" not in view.sources.values():
        lines.append("  " + t("fu_cli_effects_withheld", lang, role=view.role))
    elif not view.effects:
        lines.append("  " + t("fu_cli_no_effect", lang))
    for effect, row in zip(view.effects, result["effects"], strict=True):
        lines.append("  " + t("fu_cli_effect", lang, place=effect.place.label(lang), area=effect.place.focus_area,
                              start=row["start"], before=num(row["before"]), after=num(row["after"]),
                              control_before=num(row["control_before"]), control_after=num(row["control_after"]),
                              buffer_before=num(row["buffer_before"]), buffer_after=num(row["buffer_after"]),
                              estimate=num(row["estimate"], 1), low=num(row["ci_low"], 1),
                              high=num(row["ci_high"], 1), wdq=num(row["wdq"], 3)))
        lines.append(f"    {effect.words(lang)}")
    if view.notes:
        lines += ["", t("fu_cli_notes", lang)] + [f"  - {n}" for n in view.notes]
    return lines


@main.command("follow-up", context_settings={"max_content_width": 100})
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file (the promise is read from it).")
@click.option("--period", "period", callback=parse_period, metavar="YEAR|DATE",
              help="Which stored promise: a year (2026) or a day in its period. [default: the one a view shows "
                   "today: the current promise once it has data, else the previous one]")
@click.option("--at", "at", callback=_at, metavar="DATE",
              help="Count what is done by the end of this day, YYYY-MM-DD. [default: today, or the promise's last "
                   "day when it has ended]")
@click.option("--role", default="bra", show_default=True, type=click.Choice(ROLES),
              help="Whose view: the follow-up is computed from what the role may see (see below).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: for reading at a BRÅ meeting; json: the stable contract for other tools.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the text format: its framing, the promise's texts, status words, notes and "
                   "the effect explanations.")
def follow_up_command(data, period, at, role, fmt, lang):
    """Follow up a promise: done versus promised, reports per focus area, the effect where we acted.

    \b
    Commitments  per [[commitment]]: target, done, planned, cancelled, what an even pace
                 expects by --at, and a status: klart, i_fas, efter, ej_paborjat
                 (recurring ones per quarter/month too). Counted from every activity, the
                 same for every role: activities are the police's and municipality's work.
    Focus areas  reports in the period so far against the previous equal period and the
                 same days last year. A layer the role sees only as cells (narcotics for
                 bra) is counted from its published release: whole published months
                 through --at; a window the release cannot answer at k has no number.
    Effects      places with a commitment area or sustained activity: reports before and
                 after the start against a control area and a ring around the place
                 (WDD test, WDQ for displacement). Only on layers the role sees as points.

    \b
    JSON: {"commitments": [{"id", "focus_area", "actor", "kind", "target", "done",
    "planned", "cancelled", "expected_by_now", "status", "periods"}], "focus_areas":
    [{"id", "promise", "reports", "reports_previous", "reports_last_year", "change",
    "change_pct"}], "effects": [{"place", "start", "before", "after", "control_before",
    "control_after", "buffer_before", "buffer_after", "estimate", "se", "ci_low",
    "ci_high", "wdq"}]} (null where a number cannot be given).

    \b
    Examples:
      trygghetskarta follow-up --data vaggeryd.gpkg
      trygghetskarta follow-up --data vaggeryd.gpkg --period 2026 --at 2026-11-27 --format json
    """
    from layers.promises import find_promise
    from layers.role_followup import store_follow_up

    store = open_store(data)
    stored = find_promise(store.path, period)
    config = stored.config()
    today = dt.date.today()
    at = at or min(today, config.period_end)
    if at < config.period_start:
        raise click.ClickException(f"--at {at} is before the promise {stored.label} begins "
                                   f"({config.period_start}); nothing to follow up yet")
    view = store_follow_up(store, role, at, config=config, today=today, lang=lang)
    if fmt == "json":
        click.echo(json.dumps(view.result, ensure_ascii=False, indent=2))
        return
    note = t("fu_cli_source", lang, label=stored.label, name=stored.name, when=stored.imported_at,
             who=stored.imported_by)
    click.echo("\n".join(text_lines(view, stored.label, note, lang)))
