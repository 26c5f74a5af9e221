"""The EST pages as HTML text: the reporter's form with their own list, and the week view.
Plain server-rendered HTML that works without JavaScript; every value from the data or the
form is escaped. Texts from the message catalogue (est_*)."""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
from babel.dates import format_date

from geodata import place_names
from layers.est_week import Week, WeekView
from layers.imports.sources.est import MAX_TEXT, EstCategory, EstInputError

from .i18n import REPORT_STATUS, t

esc = html.escape

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111;
       background: #f4f5f7; line-height: 1.45; font-size: 17px; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; background: #fff; min-height: 100vh; }
h1 { font-size: 1.5rem; margin: .3rem 0 .6rem; }
h2 { font-size: 1.2rem; margin: 1.4rem 0 .4rem; border-top: 2px solid #111; padding-top: .6rem; }
.top { display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
fieldset { border: 1px solid #888; border-radius: 4px; margin: .8rem 0; padding: .5rem .8rem; }
legend, label.f { font-weight: 700; }
.choice { display: block; padding: .35rem 0; }
.choice input { width: 1.3rem; height: 1.3rem; vertical-align: middle; margin-right: .4rem; }
select, input[type=text], input[type=date], input[type=time], textarea {
  width: 100%; box-sizing: border-box; font-size: 1rem; padding: .5rem; margin: .2rem 0 .6rem; }
.row { display: flex; gap: .8rem; } .row > div { flex: 1; }
button { font-size: 1.05rem; padding: .7rem 1.4rem; }
.msg { background: #fdecea; color: #611a15; padding: .6rem; border-radius: 4px; border: 2px solid #611a15; }
.ok { background: #e6f4ea; color: #0d3b1e; padding: .6rem; border-radius: 4px; border: 2px solid #0d3b1e; }
.small { color: #444; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; border-bottom: 1px solid #ccc; padding: .3rem .4rem; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
nav a { margin-right: 1rem; }
code { background: #eee; padding: .1rem .3rem; word-break: break-all; }
.map { width: 100%; height: auto; max-height: 55vh; border: 1px solid #888; background: #eef3ee; touch-action: manipulation; }
.map .area { fill: #dfe9d8; stroke: #2f4f2f; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.map .town { fill: #333; }
.map .pick { fill: #c00; stroke: #fff; stroke-width: 2; vector-effect: non-scaling-stroke; }
"""

_FIELD_LABEL = {"category": "est_field_category", "place": "est_field_place", "lat": "est_field_lat",
                "lon": "est_field_lon", "date": "est_field_date", "time": "est_field_time",
                "description": "est_field_name_description"}
_MODERATION = {"väntar": "est_mod_pending", "godkänd": "est_mod_approved", "avvisad": "est_mod_rejected"}


def page(title: str, lang: str, body: str, other_href: str | None) -> str:
    """The page shell: language switch, no inline script (the app's CSP applies)."""
    other = "en" if lang != "en" else "sv"
    switch = (f'<a href="{esc(other_href)}" lang="{other}">{"English" if other == "en" else "Svenska"}</a>'
              if other_href else "")
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="robots" content="noindex">\n'
            f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
            f'<div class="top"><span></span>{switch}</div>\n{body}\n</main>\n</body>\n</html>\n')


def error_text(error: EstInputError, lang: str, kommun: str) -> str:
    """One line naming the form's field (its label) and the value given."""
    field = t(_FIELD_LABEL.get(error.field, "est_field_category"), lang)
    reason = t(f"est_err_{error.code}", lang, kommun=kommun, n=MAX_TEXT) if error.code in (
        "outside", "too_long") else t(f"est_err_{error.code}", lang)
    value = error.value if error.code != "too_long" else ""
    if len(value) > 60:
        value = value[:57] + "…"
    return t("est_error_value", lang, field=field, value=value, reason=reason) if value else \
        t("est_error", lang, field=field, reason=reason)


def _invalid(error: EstInputError | None, *fields: str) -> str:
    return ' aria-invalid="true" aria-describedby="est-error"' if error is not None and error.field in fields else ""


def form_html(*, lang: str, action: str, csrf: str, categories: tuple[EstCategory, ...],
              places: list[tuple[str, str, float, float]], values: dict, now: dt.datetime, map_html: str,
              error: EstInputError | None, error_line: str, saved_line: str, script_src: str) -> str:
    """The observation form: category radios, a place list or a position (a map pick or the
    phone's position when scripts run), date and time (default now), a short description."""
    get = {k: str(values.get(k) or "") for k in ("category", "place", "lat", "lon", "date", "time", "description")}
    day = get["date"] or now.date().isoformat()
    clock = get["time"] or now.strftime("%H:%M")
    parts = []
    if error_line:
        parts.append(f'<p class="msg" id="est-error" role="alert">{esc(error_line)}</p>')
    if saved_line:
        parts.append(f'<p class="ok" id="est-saved" role="status">{esc(saved_line)}</p>')
    parts.append(f'<form method="post" action="{esc(action)}" id="rapp-form" novalidate>'
                 f'<input type="hidden" name="csrf_token" value="{esc(csrf)}">'
                 f'<input type="hidden" name="lang" value="{esc(lang)}">')
    radios = "".join(
        f'<label class="choice"><input type="radio" name="category" value="{esc(c.id)}"'
        f'{" checked" if get["category"] == c.id else ""}{_invalid(error, "category")}> {esc(c.name(lang))}</label>'
        for c in categories)
    parts.append(f'<fieldset><legend>{esc(t("est_field_category", lang))}</legend>{radios}</fieldset>')
    options = "".join(f'<option value="{esc(key)}"{" selected" if get["place"] == key else ""}>{esc(label)}</option>'
                      for key, label, _x, _y in places)
    # The ids are the residents' form's (dashboard.rapportera_page): its script does the map
    # pick and "use my position" here too; hidden until that script runs.
    parts.append(
        f'<fieldset><legend>{esc(t("est_field_place", lang))}</legend>'
        f'<label class="f" for="rapp-place">{esc(t("est_field_place", lang))}</label>'
        f'<select id="rapp-place" name="place"{_invalid(error, "place")}>'
        f'<option value="">{esc(t("est_place_choose", lang))}</option>{options}</select>'
        f'{map_html}'
        f'<p class="small" id="rapp-map-hint" hidden>{esc(t("rapp_map_hint", lang))}</p>'
        f'<button type="button" id="rapp-locate" hidden data-wait="{esc(t("rapp_locate_wait", lang))}" '
        f'data-done="{esc(t("rapp_locate_done", lang))}" data-failed="{esc(t("rapp_locate_failed", lang))}">'
        f'{esc(t("rapp_use_position", lang))}</button>'
        f'<p class="small" id="rapp-locate-hint" hidden>{esc(t("rapp_https_hint", lang))}</p>'
        f'<p class="small" id="rapp-locate-status" role="status" aria-live="polite"></p>'
        f'<p class="small">{esc(t("est_field_position", lang))}</p>'
        f'<div class="row"><div><label for="rapp-lat">{esc(t("est_field_lat", lang))}</label>'
        f'<input type="text" id="rapp-lat" name="lat" inputmode="decimal" autocomplete="off" value="{esc(get["lat"])}"'
        f'{_invalid(error, "lat")}></div>'
        f'<div><label for="rapp-lon">{esc(t("est_field_lon", lang))}</label>'
        f'<input type="text" id="rapp-lon" name="lon" inputmode="decimal" autocomplete="off" value="{esc(get["lon"])}"'
        f'{_invalid(error, "lon")}></div></div></fieldset>')
    parts.append(
        f'<div class="row"><div><label class="f" for="est-date">{esc(t("est_field_date", lang))}</label>'
        f'<input type="date" id="est-date" name="date" value="{esc(day)}"{_invalid(error, "date")}></div>'
        f'<div><label class="f" for="est-time">{esc(t("est_field_time", lang))}</label>'
        f'<input type="time" id="est-time" name="time" value="{esc(clock)}"{_invalid(error, "time")}></div></div>')
    parts.append(
        f'<label class="f" for="est-text">{esc(t("est_field_description", lang, n=MAX_TEXT))}</label>'
        f'<textarea id="est-text" name="description" rows="3" maxlength="{MAX_TEXT}"'
        f'{_invalid(error, "description")}>{esc(get["description"])}</textarea>')
    parts.append(f'<p><button type="submit" id="est-submit">{esc(t("est_submit", lang))}</button></p></form>')
    parts.append(f'<script src="{esc(script_src)}" defer></script>')
    return "\n".join(parts)


def own_list_html(frame: pd.DataFrame, categories: tuple[EstCategory, ...], kommun: str, lang: str) -> str:
    """The reporter's own observations (never anyone else's: the caller reads them by user name)."""
    out = [f"<h2>{esc(t('est_mine', lang))}</h2>"]
    if frame.empty:
        return out[0] + f"<p>{esc(t('est_mine_none', lang))}</p>"
    names = {c.id: c.name(lang) for c in categories}
    where = place_names(frame["x"].to_numpy(dtype=float), frame["y"].to_numpy(dtype=float), kommun, lang)
    heads = ("est_col_when", "est_col_category", "est_col_place", "est_field_name_description",
             "est_col_moderation", "est_col_status", "est_col_reply")
    out.append('<table id="est-mine"><thead><tr>' + "".join(f'<th scope="col">{esc(t(h, lang))}</th>' for h in heads)
               + "</tr></thead><tbody>")
    for row, place in zip(frame.itertuples(index=False), where, strict=True):
        when = str(row.occurred_at)[:16].replace("T", " ")
        moderation = t(_MODERATION[row.moderation], lang) if row.moderation in _MODERATION else ""
        cells = (when, names.get(row.est_category, row.category), place or t("est_no_place", lang),
                 row.description or "", moderation, REPORT_STATUS[lang].get(row.status, row.status),
                 row.public_reply or "")
        out.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else ("±0" if n == 0 else f"−{-n}")


def _table(rows, first: str, lang: str) -> str:
    heads = (first, "est_col_week", "est_col_before", "est_col_change")
    numeric = ' class="n"'
    out = ["<table><thead><tr>" + "".join(
        f'<th scope="col"{numeric if i else ""}>{esc(t(h, lang))}</th>' for i, h in enumerate(heads))
        + "</tr></thead><tbody>"]
    for r in rows:
        out.append(f"<tr><td>{esc(r.label)}</td><td class=\"n\">{r.count}</td><td class=\"n\">{r.previous}</td>"
                   f"<td class=\"n\">{_signed(r.change)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def week_title(week: Week, lang: str) -> str:
    return t("est_week_title", lang, week=week.week, year=week.year)


def week_html(v: WeekView, lang: str, role_name: str, links: dict, report_command: str | None) -> str:
    """The week view: totals, per category, per day, per place, the places that rose, and the
    command for the week's lägesbild (`report --period 2026-W48`) when the role may have it."""
    span = t("est_week_span", lang, start=format_date(v.week.monday, "d MMMM", locale=lang),
             end=format_date(v.week.sunday, "d MMMM y", locale=lang))
    parts = [f"<h1>{esc(week_title(v.week, lang))}</h1>",
             f'<nav><a href="{esc(links["prev"])}">{esc(t("est_week_prev", lang))}</a>'
             f'<a href="{esc(links["next"])}">{esc(t("est_week_next", lang))}</a></nav>',
             f"<p>{esc(span)} {esc(t('est_week_role', lang, role=role_name))}</p>",
             f'<p><strong>{esc(t("est_week_summary", lang, n=v.total, before=v.previous_total))}</strong>'
             + (f" {esc(t('est_week_pending', lang, n=v.pending))}" if v.pending else "") + "</p>"]
    parts.append(f"<h2>{esc(t('est_week_rose', lang))}</h2>")
    if v.rose:
        parts.append('<ul id="est-rose">' + "".join(
            f"<li>{esc(r.label)}: {r.count} ({esc(t('est_col_before', lang).lower())} {r.previous}, "
            f"{_signed(r.change)})</li>" for r in v.rose) + "</ul>")
    else:
        parts.append(f"<p>{esc(t('est_week_rose_none', lang))}</p>")
    parts.append(f"<h2>{esc(t('est_week_by_category', lang))}</h2>" + _table(v.categories, "est_col_category", lang))
    day_rows = "".join(f"<tr><td>{esc(name)} {d.day}/{d.month}</td><td class=\"n\">{n}</td></tr>"
                       for d, name, n in v.days)
    parts.append(f"<h2>{esc(t('est_week_by_day', lang))}</h2><table><thead><tr>"
                 f'<th scope="col">{esc(t("est_col_day", lang))}</th>'
                 f'<th scope="col" class="n">{esc(t("est_col_week", lang))}</th></tr></thead>'
                 f"<tbody>{day_rows}</tbody></table>")
    parts.append(f"<h2>{esc(t('est_week_by_place', lang))}</h2>")
    parts.append(_table(v.places, "est_col_place", lang) if v.places else
                 f"<p>{esc(t('est_week_places_none', lang))}</p>")
    if report_command:
        parts.append(f"<h2>{esc(t('est_week_link', lang))}</h2><p>{esc(t('est_week_report', lang))} "
                     f"<code>{esc(report_command)}</code></p>")
    return "\n".join(parts)


__all__ = ["error_text", "form_html", "own_list_html", "page", "week_html", "week_title"]
