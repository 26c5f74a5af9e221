"""The residents' report-back page `/uppfoljning`: "Vad vi lovade – vad vi har gjort", plain
server-rendered HTML at the public's precision, open without login (the page a municipality
links from its website).

What it shows is the `allmanhet` role's follow-up (`Views.follow_up(role="allmanhet",
public_only=True)`, `dashboard.promise`): only the focus areas that are public promises
(`promise = true`), each commitment's progress, and the reports trend from the allmanhet
release (whole published quarters, counts that are 0 or at least k) — never a point, a time,
a place finer than a published cell, free text, or a layer the public role does not see.
No scripts (the app's CSP applies); styles inline; marked fictional for demo data.
"""

from __future__ import annotations

import html

import flask

from layers.privacy import ALLMANHET

from .i18n import lang_or_default, t
from .layout import kommun_title
from .promise import PromiseFollowUp
from .promise_view import bar_percent, expected_text, periods_text, trend_text

PATH = "uppfoljning"

#: The page's texts, from the message catalogue (layers/messages, residents_*); "other" names the
#: other language in its own words, as a language switch does.
_KEYS = (
    "title", "lead", "police_area", "demo", "reports", "about", "about_text", "none", "status"
)
TEXT = {
    "sv": {**{key: t("residents_" + key, "sv") for key in _KEYS}, "other": "English", "other_lang": "en"},
    "en": {**{key: t("residents_" + key, "en") for key in _KEYS}, "other": "Svenska", "other_lang": "sv"},
}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111;
       background: #f4f5f7; line-height: 1.45; font-size: 17px; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; background: #fff; min-height: 100vh; }
h1 { font-size: 1.6rem; margin: .3rem 0 .6rem; }
h2 { font-size: 1.25rem; margin: 1.4rem 0 .4rem; border-top: 2px solid #111; padding-top: .6rem; }
.lang { float: right; }
.demo { background: #F0E442; border: 2px solid #000; font-weight: 700; padding: .4rem .6rem; }
ul.commitments { list-style: none; padding: 0; margin: 0; }
.commitment { border: 1px solid #ccc; border-left: 8px solid #777; border-radius: 4px; padding: .5rem .7rem;
              margin: .5rem 0; }
.commitment.klart { border-left-color: #009E73; }
.commitment.i_fas { border-left-color: #56B4E9; }
.commitment.efter { border-left-color: #D55E00; }
.count { font-weight: 700; font-size: 1.1rem; margin: 0; }
.commitment p { margin: .2rem 0; }
progress { width: 100%; height: 1rem; }
.small { color: #555; font-size: .9rem; }
.trend { font-weight: 600; }
"""


def render_page(follow_up: PromiseFollowUp, kommun: str, police_area: str, lang: str, demo: bool, k: int,
                action: str, unit: str = "quarter") -> str:
    """The whole page as HTML text; every value from the data is escaped."""
    lang = lang_or_default(lang)
    text = TEXT[lang]
    esc = html.escape
    parts = [f'<a class="lang" href="{esc(action)}?lang={text["other_lang"]}" lang="{text["other_lang"]}">'
             f'{esc(text["other"])}</a>',
             f"<h1>{esc(text['title'])}</h1>"]
    if demo:
        parts.append(f'<p class="demo" role="note">{esc(text["demo"])}</p>')
    parts.append("<p>" + esc(text["lead"].format(kommun=kommun, start=follow_up.period_start.isoformat(),
                                                 end=follow_up.period_end.isoformat(), at=follow_up.at.isoformat()))
                 + (" " + esc(text["police_area"].format(area=police_area)) if police_area else "") + "</p>")
    if not follow_up.areas:
        parts.append(f"<p>{esc(text['none'])}</p>")
    for area in follow_up.areas:
        parts.append(f'<section id="area-{esc(area.area.id)}"><h2>{esc(area.area.name(lang))}</h2>')
        if area.commitments:
            parts.append('<ul class="commitments">')
            for p in area.commitments:
                done, _ = bar_percent(p)
                periods = periods_text(p, lang)
                parts.append(
                    f'<li class="commitment {esc(p.status)}" id="c-{esc(p.commitment.id)}">'
                    f'<p class="count">{esc(p.summary(lang))}</p>'
                    f"<p>{esc(p.commitment.text(lang))}</p>"
                    f'<progress max="100" value="{done}" aria-label="{esc(p.summary(lang))}"></progress>'
                    f'<p class="small">{esc(expected_text(p, lang))}'
                    + (f"<br>{esc(periods)}" if periods else "") + "</p></li>")
            parts.append("</ul>")
        parts.append(f'<p><strong>{esc(text["reports"])}:</strong> '
                     f'<span class="trend">{esc(trend_text(area.trend, lang))}</span></p></section>')
    parts.append(f"<h2>{esc(text['about'])}</h2><p class=\"small\">{esc(text['about_text'].format(k=k, unit=t('unit_' + unit, lang)))}</p>")
    title = f"{text['title']} – {kommun}"
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


def install_uppfoljning(app, auth, views) -> str:
    """Serve the page at `<prefix>uppfoljning` without login (`Auth.quiet_path`: no session is
    read or made); returns the path."""
    server = app.server
    prefix = app.config.routes_pathname_prefix or "/"
    path = prefix + PATH

    def page():
        lang = lang_or_default(flask.request.args.get("lang"))
        follow_up = views.follow_up(role=ALLMANHET, public_only=True)
        data = views.data
        policy = views.policy(ALLMANHET)
        body = render_page(follow_up, kommun_title(data.municipality.name, lang), data.config.police_area, lang,
                           data.demo, policy.k, (app.config.requests_pathname_prefix or prefix) + PATH,
                           views.settings.period(ALLMANHET))
        return flask.Response(body, mimetype="text/html")

    server.add_url_rule(path, "tk_uppfoljning", page, methods=["GET"])
    auth.quiet_path(PATH)
    return path


__all__ = ["PATH", "TEXT", "install_uppfoljning", "render_page"]
