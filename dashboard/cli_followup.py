"""The `trygghetskarta follow-up` command: done versus promised, reports per focus area and the
effect where we acted, as text for a BRÅ meeting or as the JSON contract of `layers.followup`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from layers import open_store
from layers.privacy import ROLES

from .cli import main
from .cli_promise import parse_period


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


def _number(value, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:.{decimals}f}" if decimals else f"{value:g}"


def text_lines(view, promise_label: str, note: str, lang: str = "sv") -> list[str]:
    """The follow-up as readable text (English labels; promise texts and effect words in `lang`)."""
    from layers.followup.pace import piece_label, status_label

    cfg, result = view.config, view.result
    lines = [f"Follow-up of the promise {promise_label} at {view.at.isoformat()}, as the role {view.role} sees it",
             f"Promise: {note}", "", "Commitments (done of target, status):"]
    if not view.progress:
        lines.append("  (the promise has no [[commitment]] entries)")
    for progress, row in zip(view.progress, result["commitments"], strict=True):
        c = progress.commitment
        lines.append(f"  {c.id} [{c.focus_area}, {c.actor}, {c.kind}]: {progress.summary(lang)}")
        lines.append(f"    {c.text(lang)}")
        unit = " h" if c.unit == "hours" else ""
        lines.append(f"    done {_number(row['done'])}{unit}, planned {_number(row['planned'])}{unit}, cancelled "
                     f"{_number(row['cancelled'])}{unit}; expected by now at an even pace "
                     f"{_number(row['expected_by_now'], 2)}{unit}")
        if row["periods"]:
            lines.append("    " + "; ".join(f"{piece_label(p['period'], lang)}: {_number(p['done'])} of "
                                            f"{_number(p['target'])} ({status_label(p['status'], lang)})"
                                            for p in row["periods"]))
    lines += ["", "Reports per focus area (this period so far; the previous equal period; the same days last year):"]
    for row in result["focus_areas"]:
        area = cfg.focus_areas[row["id"]]
        first, last = view.windows.get(row["id"], (None, None))
        span = f"{first.isoformat()} – {last.isoformat()}" if first else "no window"
        source = " from the published release" if view.sources.get(row["id"]) == "release" else ""
        kind = "public promise" if area.promise else "BRÅ only"
        pct = "" if row["change_pct"] is None else f" ({row['change_pct']:+.1f} %)"
        change = "–" if row["change"] is None else f"{row['change']:+d}{pct}"
        lines.append(f"  {area.name(lang)} ({row['id']}, {kind}), {span}{source}: {_number(row['reports'])} reports; "
                     f"previous {_number(row['reports_previous'])}; last year {_number(row['reports_last_year'])}; "
                     f"change against last year {change}")
    lines += ["", "Effect where we acted (Weighted Displacement Difference, 95 % interval):"]
    if not view.effects and "points" not in view.sources.values():
        lines.append(f"  (none shown to the role {view.role}: see the notes)")
    elif not view.effects:
        lines.append("  (no treated place: no commitment area with done activities and no sustained activity)")
    for effect, row in zip(view.effects, result["effects"], strict=True):
        lines.append(f"  {effect.place.label(lang)} ({effect.place.focus_area}), from {row['start']}: before "
                     f"{_number(row['before'])}, after {_number(row['after'])}; control {_number(row['control_before'])}"
                     f" -> {_number(row['control_after'])}; ring {_number(row['buffer_before'])} -> "
                     f"{_number(row['buffer_after'])}; estimate {_number(row['estimate'], 1)} "
                     f"({_number(row['ci_low'], 1)} to {_number(row['ci_high'], 1)}), WDQ {_number(row['wdq'], 3)}")
        lines.append(f"    {effect.words(lang)}")
    if view.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in view.notes]
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
              help="Language of the promise's texts, status words and the effect explanations (text format).")
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
    view = store_follow_up(store, role, at, config=config, today=today)
    if fmt == "json":
        click.echo(json.dumps(view.result, ensure_ascii=False, indent=2))
        return
    note = f"{stored.label} from the data file ({stored.name}, imported {stored.imported_at} by {stored.imported_by})"
    click.echo("\n".join(text_lines(view, stored.label, note, lang)))
