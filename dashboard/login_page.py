"""The pages the server answers itself (login, logout confirmation) and the
Content-Security-Policy that fits Dash 4 + Plotly; every value put into a page is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import quote

from .i18n import t


def content_security_policy(script_hashes: Iterable[str] = (), extra_sources: Iterable[str] = ()
                            ) -> str:
    """A CSP for Dash 4 + Plotly (MapLibre maps): scripts only from 'self' plus hashes of
    Dash's inline scripts; no 'unsafe-eval'. Inline styles are allowed because Plotly and
    React set them. `extra_sources` are origins for map tiles (e.g. OpenStreetMap)."""
    extra = " ".join(extra_sources)
    hashes = " ".join(f"'{h}'" if not h.startswith("'") else h for h in script_hashes)
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' {hashes}".strip(),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob: {extra}".strip(),
        "font-src": "'self' data:",
        "connect-src": f"'self' {extra}".strip(),
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


# -- login page -------------------------------------------------------------------------------

#: The page's texts, from the message catalogue (layers/messages, login_*); "other" names the
#: other language in its own words, as a language switch does.
_KEYS = (
    "title", "heading", "user", "password", "submit", "lead", "expired", "logged_out", "csrf", "logout_title",
    "logout_lead", "logout", "cancel"
)
TEXT = {
    "sv": {**{key: t("login_" + key, "sv") for key in _KEYS}, "other": "English", "other_lang": "en"},
    "en": {**{key: t("login_" + key, "en") for key in _KEYS}, "other": "Svenska", "other_lang": "sv"},
}

_SHELL = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }}
main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
        border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
label {{ display: block; margin-top: 1rem; font-weight: 600; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: .5rem;
        font-size: 1rem; margin-top: .25rem; }}
button {{ margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; }}
.msg {{ background: #fdecea; color: #611a15; padding: .6rem; border-radius: 4px; }}
.info {{ background: #e8f0fe; color: #1a3e72; padding: .6rem; border-radius: 4px; }}
.lang {{ float: right; font-size: .9rem; }}
</style>
</head>
<body>
<main>
{main}
</main>
</body>
</html>
"""

_LOGIN = """<a class="lang" href="{other_href}" lang="{other_lang}">{other}</a>
<h1>{heading}</h1>
<p>{lead}</p>
{message}
<form method="post" action="{action}" autocomplete="on">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<input type="hidden" name="lang" value="{lang}">
<label for="username">{user}</label>
<input type="text" id="username" name="username" value="{username}" autocomplete="username"
 autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">{password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form>"""

#: GET /logout only asks: a link or an <img> on another site must not log anyone out.
_LOGOUT = """<h1>{heading}</h1>
<p>{lead}</p>
<form method="post" action="{action}">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="lang" value="{lang}">
<button type="submit" id="logout-confirm">{logout}</button>
</form>
<p><a href="{home}">{cancel}</a></p>"""


def render_login_page(lang: str, action: str, csrf: str, next_url: str, message: str = "",
                      kind: str = "msg", username: str = "") -> str:
    """The login page; every value is HTML-escaped."""
    lang = "en" if lang == "en" else "sv"
    text = TEXT[lang]
    esc = html.escape
    query = f"?lang={text['other_lang']}"
    if next_url:
        query += f"&next={quote(next_url, safe='/')}"
    main = _LOGIN.format(
        lang=lang, heading=esc(text["heading"]), lead=esc(text["lead"]),
        user=esc(text["user"]), password=esc(text["password"]), submit=esc(text["submit"]),
        other=esc(text["other"]), other_lang=text["other_lang"],
        other_href=esc(action + query), action=esc(action), csrf=esc(csrf),
        next=esc(next_url), username=esc(username),
        message=f'<p class="{kind}" role="alert">{esc(message)}</p>' if message else "",
    )
    return _SHELL.format(lang=lang, title=esc(text["title"]), main=main)


def render_logout_page(lang: str, action: str, csrf: str, home: str) -> str:
    """The confirmation a GET /logout gets: a button that POSTs with the CSRF token."""
    lang = "en" if lang == "en" else "sv"
    text = TEXT[lang]
    esc = html.escape
    main = _LOGOUT.format(heading=esc(text["heading"]), lead=esc(text["logout_lead"]),
                          action=esc(action), csrf=esc(csrf), lang=lang,
                          logout=esc(text["logout"]), home=esc(home), cancel=esc(text["cancel"]))
    return _SHELL.format(lang=lang, title=esc(text["logout_title"]), main=main)


__all__ = ["TEXT", "content_security_policy", "render_login_page", "render_logout_page"]
