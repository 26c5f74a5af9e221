"""The HTML of the residents' pages (`/rapportera`: the form, the thank-you page, the status
page, the refusals): plain server-rendered forms that work without JavaScript on a phone;
every value put into a page is HTML-escaped, a visitor's text only ever as element text or a
quoted attribute value."""

from __future__ import annotations

import html

from layers.messages import label
from layers.schema import MAX_DESCRIPTION

from .i18n import lang_or_default, t

esc = html.escape

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111;
       background: #f4f5f7; line-height: 1.45; font-size: 17px; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; background: #fff; min-height: 100vh; box-sizing: border-box; }
h1 { font-size: 1.5rem; margin: .3rem 0 .6rem; }
.lang { float: right; padding: .3rem; }
a { color: #0b4f9c; }
.notice { background: #fff4e5; border-left: 6px solid #8a4b00; padding: .6rem .8rem; margin: .8rem 0; }
.errors { background: #fdecea; color: #611a15; border-left: 6px solid #611a15; padding: .6rem .8rem; }
.ok { background: #e6f4ea; color: #0d3d1f; border-left: 6px solid #0d3d1f; padding: .6rem .8rem; }
fieldset { border: 1px solid #888; border-radius: 6px; margin: 1rem 0; padding: .6rem .8rem; }
legend { font-weight: 700; padding: 0 .3rem; }
label { display: block; margin-top: .7rem; font-weight: 600; }
.hint { color: #444; font-size: .92rem; margin: .2rem 0; font-weight: 400; }
select, input[type=text], input[type=email], input[type=date], textarea {
  width: 100%; box-sizing: border-box; padding: .55rem; font-size: 1rem; margin-top: .25rem;
  border: 1px solid #555; border-radius: 4px; }
textarea { min-height: 7rem; }
button { margin-top: 1rem; padding: .7rem 1.3rem; font-size: 1.05rem; border-radius: 6px; border: 2px solid #0b4f9c;
         background: #0b4f9c; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #0b4f9c; }
:focus-visible { outline: 3px solid #b35c00; outline-offset: 2px; }
.hp { position: absolute; left: -10000px; top: auto; width: 1px; height: 1px; overflow: hidden; }
.map { width: 100%; height: auto; max-height: 60vh; border: 1px solid #888; background: #eef3ee; touch-action: manipulation; }
.map .area { fill: #dfe9d8; stroke: #2f4f2f; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.map .town { fill: #333; }
.map text { font-size: 11px; fill: #111; }
.map .pick { fill: #c00; stroke: #fff; stroke-width: 2; vector-effect: non-scaling-stroke; }
.status { font-size: 1.3rem; font-weight: 700; }
.ref { font-family: ui-monospace, monospace; font-size: 1.3rem; font-weight: 700; letter-spacing: .05em; }
dl { margin: .5rem 0; } dt { font-weight: 700; margin-top: .5rem; } dd { margin: 0; }
.reply { white-space: pre-wrap; background: #f2f6fb; padding: .6rem; border-radius: 4px; }
"""


def shell(lang: str, title: str, body: str, other_href: str, script_src: str | None = None) -> str:
    """A whole page: the language switch, the body and (on the form) the enhancing script."""
    lang = lang_or_default(lang)
    other = "en" if lang == "sv" else "sv"
    switch = (f'<a class="lang" href="{esc(other_href)}" lang="{other}" hreflang="{other}">'
              f'{esc(t("rapp_other_lang", lang))}</a>')
    script = f'<script src="{esc(script_src)}" defer></script>\n' if script_src else ""
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="robots" content="noindex">\n'
            f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n{script}</head>\n<body>\n<main>\n"
            f"{switch}\n{body}\n</main>\n</body>\n</html>\n")


def police_notice(lang: str) -> str:
    """Crimes go to the police, emergencies to 112: said plainly at the top of the form."""
    return (f'<div class="notice" role="note"><p><strong>{esc(t("rapp_police_title", lang))}</strong></p>'
            f'<p>{esc(t("rapp_police_text", lang))} '
            f'<a href="https://polisen.se/">polisen.se</a></p></div>')


def _options(pairs, selected: str, placeholder: str | None = None) -> str:
    out = [f'<option value="">{esc(placeholder)}</option>'] if placeholder is not None else []
    for value, text in pairs:
        mark = " selected" if value == selected else ""
        out.append(f'<option value="{esc(value)}"{mark}>{esc(text)}</option>')
    return "".join(out)


def map_svg(area_rings, towns, lang: str) -> str:
    """The municipality as an inline SVG in lon/lat (equirectangular, x scaled by cos(lat)):
    a click there is a lon/lat the script writes into the form (no tiles, no library)."""
    import math

    lons = [lon for ring in area_rings for lon, _ in ring]
    lats = [lat for ring in area_rings for _, lat in ring]
    if not lons:
        return ""
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    x0, x1, y0, y1 = min(lons) * k, max(lons) * k, -max(lats), -min(lats)
    pad = (x1 - x0) * 0.03
    view = f"{x0 - pad:.5f} {y0 - pad:.5f} {x1 - x0 + 2 * pad:.5f} {y1 - y0 + 2 * pad:.5f}"
    paths = []
    for ring in area_rings:
        d = "M" + " L".join(f"{lon * k:.5f},{-lat:.5f}" for lon, lat in ring) + " Z"
        paths.append(f'<path class="area" d="{d}"/>')
    size = (x1 - x0) / 120
    font = (x1 - x0) / 32
    for name, lon, lat in towns:
        paths.append(f'<circle class="town" cx="{lon * k:.5f}" cy="{-lat:.5f}" r="{size:.5f}"/>'
                     f'<text x="{lon * k + size * 1.5:.5f}" y="{-lat + size:.5f}" style="font-size:{font:.5f}px">'
                     f"{esc(name)}</text>")
    return (f'<div id="rapp-map-box" hidden><svg id="rapp-map" class="map" viewBox="{view}" data-k="{k:.8f}" role="img" '
            f'data-picked="{esc(t("rapp_map_picked", lang))}" '
            f'aria-label="{esc(t("rapp_map_label", lang))}">' + "".join(paths)
            + f'<circle id="rapp-pick" class="pick" r="{size * 1.6:.5f}" cx="0" cy="0" visibility="hidden"/></svg></div>')


def render_form(lang: str, *, action: str, token: str, layers, places, values: dict, errors: list[str],
                map_html: str, status_action: str, today: str, hour: int) -> str:
    """The report form, with the visitor's values kept after an error (escaped) and the
    errors listed first (role=alert)."""
    v = {k: ("" if val is None else str(val)) for k, val in values.items()}
    what = v.get("what") or (f"{v['layer']}|{v['category']}" if v.get("layer") and v.get("category") else "")
    groups = []
    for spec in layers:
        opts = [(f"{spec.id}|{c}", label("category", c, lang)) for c in spec.categories]
        groups.append(f'<optgroup label="{esc(spec.name(lang))}">{_options(opts, what)}</optgroup>')
    hours = [(str(h), f"{h:02d}–{(h + 1) % 24:02d}") for h in range(24)]
    chosen_hour = v.get("hour") if v.get("hour") not in (None, "") else str(hour)
    parts = [f"<h1>{esc(t('rapp_title', lang))}</h1>", f"<p>{esc(t('rapp_lead', lang))}</p>", police_notice(lang)]
    if errors:
        items = "".join(f"<li>{esc(e)}</li>" for e in errors)
        parts.append(f'<div class="errors" role="alert" id="rapp-errors"><p><strong>{esc(t("rapp_errors_title", lang))}'
                     f"</strong></p><ul>{items}</ul></div>")
    parts.append(f'<form method="post" action="{esc(action)}" id="rapp-form" novalidate>'
                 f'<input type="hidden" name="form_token" value="{esc(token)}">'
                 f'<input type="hidden" name="lang" value="{esc(lang)}">'
                 f'<div class="hp" aria-hidden="true"><label for="rapp-website">{esc(t("rapp_honeypot", lang))}</label>'
                 f'<input type="text" id="rapp-website" name="website" value="" tabindex="-1" autocomplete="off"></div>')
    parts.append(f'<fieldset><legend>{esc(t("rapp_field_layer", lang))}</legend>'
                 f'<label for="rapp-what">{esc(t("rapp_field_category", lang))}</label>'
                 f'<select id="rapp-what" name="what" required>'
                 f'<option value="">{esc(t("rapp_choose", lang))}</option>{"".join(groups)}</select></fieldset>')
    place_opts = [(key, text) for key, text, _x, _y in places]
    parts.append(
        f'<fieldset><legend>{esc(t("rapp_where", lang))}</legend>'
        f'<p class="hint">{esc(t("rapp_where_hint", lang))}</p>'
        f'{map_html}'
        f'<p class="hint" id="rapp-map-hint" hidden>{esc(t("rapp_map_hint", lang))}</p>'
        f'<button type="button" class="secondary" id="rapp-locate" hidden data-wait="{esc(t("rapp_locate_wait", lang))}" '
        f'data-done="{esc(t("rapp_locate_done", lang))}" data-failed="{esc(t("rapp_locate_failed", lang))}">{esc(t("rapp_use_position", lang))}</button>'
        f'<p class="hint" id="rapp-locate-hint" hidden>{esc(t("rapp_https_hint", lang))}</p>'
        f'<p class="hint" id="rapp-locate-status" role="status" aria-live="polite"></p>'
        f'<label for="rapp-place">{esc(t("rapp_field_place", lang))}</label>'
        f'<select id="rapp-place" name="place">{_options(place_opts, v.get("place", ""), t("rapp_no_place_chosen", lang))}'
        f'</select>'
        f'<details{" open" if v.get("lat") or v.get("lon") else ""}><summary>{esc(t("rapp_coords", lang))}</summary>'
        f'<label for="rapp-lat">{esc(t("rapp_lat", lang))}</label>'
        f'<input type="text" id="rapp-lat" name="lat" inputmode="decimal" value="{esc(v.get("lat", ""))}">'
        f'<label for="rapp-lon">{esc(t("rapp_lon", lang))}</label>'
        f'<input type="text" id="rapp-lon" name="lon" inputmode="decimal" value="{esc(v.get("lon", ""))}">'
        f"</details></fieldset>")
    parts.append(
        f'<fieldset><legend>{esc(t("rapp_when", lang))}</legend>'
        f'<label for="rapp-date">{esc(t("rapp_field_date", lang))}</label>'
        f'<input type="date" id="rapp-date" name="date" value="{esc(v.get("date") or today)}" max="{esc(today)}">'
        f'<label for="rapp-hour">{esc(t("rapp_field_hour", lang))}</label>'
        f'<select id="rapp-hour" name="hour">{_options(hours, chosen_hour)}</select></fieldset>')
    parts.append(
        f'<label for="rapp-description">{esc(t("rapp_field_description", lang))}</label>'
        f'<p class="hint" id="rapp-description-hint">{esc(t("rapp_description_hint", lang, n=MAX_DESCRIPTION))}</p>'
        f'<textarea id="rapp-description" name="description" maxlength="{MAX_DESCRIPTION}" '
        f'aria-describedby="rapp-description-hint">{esc(v.get("description", ""))}</textarea>'
        f'<label for="rapp-email">{esc(t("rapp_field_email", lang))}</label>'
        f'<p class="hint" id="rapp-email-hint">{esc(t("rapp_email_hint", lang))}</p>'
        f'<input type="email" id="rapp-email" name="email" autocomplete="email" value="{esc(v.get("email", ""))}" '
        f'aria-describedby="rapp-email-hint">'
        f'<button type="submit" id="rapp-submit">{esc(t("rapp_submit", lang))}</button></form>')
    parts.append(status_lookup(lang, status_action))
    return "\n".join(parts)


def status_lookup(lang: str, action: str, value: str = "") -> str:
    """A small form: type a reference, see its status (GET, no token needed)."""
    return (f'<form method="get" action="{esc(action)}"><h2>{esc(t("rapp_lookup_title", lang))}</h2>'
            f'<input type="hidden" name="lang" value="{esc(lang)}">'
            f'<label for="rapp-ref">{esc(t("rapp_ref_label", lang))}</label>'
            f'<input type="text" id="rapp-ref" name="ref" value="{esc(value)}" autocapitalize="characters" '
            f'spellcheck="false"><button type="submit" class="secondary">{esc(t("rapp_lookup", lang))}</button></form>')


def render_done(lang: str, ref: str, status_url: str, form_url: str) -> str:
    return (f"<h1>{esc(t('rapp_done_title', lang))}</h1>"
            f'<div class="ok" role="status"><p>{esc(t("rapp_done_ref", lang))}</p>'
            f'<p class="ref" id="rapp-ref-number">{esc(ref)}</p></div>'
            f"<p>{esc(t('rapp_done_text', lang))}</p>"
            f'<p><a href="{esc(status_url)}" id="rapp-status-link">{esc(t("rapp_done_status", lang))}</a></p>'
            f'<p><a href="{esc(form_url)}">{esc(t("rapp_done_again", lang))}</a></p>')


def render_status(lang: str, status: dict | None, ref: str, lookup_action: str, form_url: str) -> str:
    if status is None:
        return (f"<h1>{esc(t('rapp_status_title', lang))}</h1>"
                f'<p class="errors" role="alert">{esc(t("rapp_status_unknown", lang, ref=ref))}</p>'
                + status_lookup(lang, lookup_action, ref)
                + f'<p><a href="{esc(form_url)}">{esc(t("rapp_back", lang))}</a></p>')
    state = status["state"]
    rows = [(t("rapp_ref_label", lang), f'<span class="ref">{esc(status["ref"])}</span>'),
            (t("rapp_status_state", lang), f'<span class="status" id="rapp-state">{esc(t("rapp_state_" + _STATE_KEYS[state], lang))}</span>'
             f'<br><span class="hint">{esc(t("rapp_state_explain_" + _STATE_KEYS[state], lang))}</span>'),
            (t("rapp_field_category", lang), esc(f"{status['layer']}: {status['category']}")),
            (t("rapp_sent_on", lang), esc(status["sent_on"]))]
    if status.get("merged"):
        rows.append((t("rapp_status_merged_title", lang), esc(t("rapp_status_merged", lang))))
    reply = status.get("public_reply") or ""
    rows.append((t("rapp_reply", lang), f'<div class="reply" id="rapp-reply">{esc(reply)}</div>' if reply
                 else esc(t("rapp_no_reply", lang))))
    items = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return (f"<h1>{esc(t('rapp_status_title', lang))}</h1><dl>{items}</dl>"
            + police_notice(lang) + f'<p><a href="{esc(form_url)}">{esc(t("rapp_back", lang))}</a></p>')


_STATE_KEYS = {"ny": "new", "bekräftad": "confirmed", "åtgärdad": "resolved", "avvisad": "rejected"}


def render_refusal(lang: str, title_key: str, text: str, form_url: str) -> str:
    return (f"<h1>{esc(t(title_key, lang))}</h1><p class=\"errors\" role=\"alert\">{esc(text)}</p>"
            f'<p><a href="{esc(form_url)}">{esc(t("rapp_back", lang))}</a></p>' + police_notice(lang))


__all__ = ["map_svg", "police_notice", "render_done", "render_form", "render_refusal", "render_status", "shell",
           "status_lookup"]
