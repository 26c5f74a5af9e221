"""The residents' report form on the app's server: GET/POST `/rapportera`, the status page
`/rapportera/status/<ref>` and the form's small enhancing script, open without an account
(`Auth.public_path`) even when the server has users.

A submission passes, in this order: the body size bound, the honeypot, its Origin (none or
this server's), the form's own token
(signed with the app's key, time-limited, one submission each), the per-address and global
limits (dashboard.rapportera_limits, counted in the data file for every worker process), then
the fields (layers.imports.sources.resident_form). It is audit-logged without the visitor's address.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from urllib.parse import urlsplit

import flask
import pandas as pd
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from geodata import get_municipality, localities
from layers.imports.sources.resident_form import normalise_ref, places, public_layers, status_of, submit_public_report
from layers.schema import LOCAL_TZ

from .i18n import lang_or_default, t
from .rapportera_limits import SubmitLimits
from .rapportera_page import map_svg, render_done, render_form, render_refusal, render_status, shell

PATH = "rapportera"
#: The largest request body the form accepts: a full description (4 000 characters, up to 4
#: bytes each, percent-encoded) and the other fields fit in it.
MAX_BODY = 64 * 1024
TOKEN_MAX_AGE_S = 3600
_SALT = "trygghetskarta-rapportera-form"

#: Progressive enhancement: the map pick and "use my position" write lat/lon into the form's
#: own fields; without this script the place list and the coordinate fields do the same job.
SCRIPT = r"""(function () {
  var form = document.getElementById('rapp-form');
  if (!form) { return; }
  var lat = document.getElementById('rapp-lat'), lon = document.getElementById('rapp-lon');
  var place = document.getElementById('rapp-place'), status = document.getElementById('rapp-locate-status');
  var map = document.getElementById('rapp-map'), pick = document.getElementById('rapp-pick');
  // Null-safe: the EST form (dashboard.est_page) shares this script with fewer of these elements.
  function show(id) { var el = document.getElementById(id); if (el) { el.hidden = false; } }
  function say(text) { if (status) { status.textContent = text; } }
  if (!lat || !lon) { return; }
  function mark(la, lo) {
    if (!map || !pick) { return; }
    var k = parseFloat(map.getAttribute('data-k'));
    pick.setAttribute('cx', lo * k); pick.setAttribute('cy', -la); pick.setAttribute('visibility', 'visible');
  }
  function set(la, lo, text) {
    lat.value = la.toFixed(6); lon.value = lo.toFixed(6); if (place) { place.value = ''; }
    mark(la, lo); say(text);
  }
  if (map && map.createSVGPoint) {
    show('rapp-map-box'); show('rapp-map-hint');
    map.addEventListener('click', function (ev) {
      var p = map.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
      var q = p.matrixTransform(map.getScreenCTM().inverse());
      var k = parseFloat(map.getAttribute('data-k'));
      set(-q.y, q.x / k, map.getAttribute('data-picked') || '');
    });
    if (lat.value && lon.value) { mark(parseFloat(lat.value), parseFloat(lon.value)); }
  }
  var locate = document.getElementById('rapp-locate');
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    show('rapp-locate-hint');
    locate.addEventListener('click', function () {
      say(locate.getAttribute('data-wait') || '');
      navigator.geolocation.getCurrentPosition(function (pos) {
        set(pos.coords.latitude, pos.coords.longitude, locate.getAttribute('data-done') || '');
      }, function () { say(locate.getAttribute('data-failed') || ''); },
      {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
    });
  }
})();
"""


def _lang() -> str:
    return lang_or_default(flask.request.values.get("lang"))


def install_rapportera(app, auth, store, *, limits: SubmitLimits | None = None, now=None) -> SubmitLimits:
    """Serve the residents' pages under `<prefix>rapportera` without a session (the form
    carries its own token); returns the limits in force (tests read and set them)."""
    server: flask.Flask = app.server
    prefix = app.config.routes_pathname_prefix or "/"
    public = app.config.requests_pathname_prefix or prefix
    base, url = prefix + PATH, public + PATH
    limits = limits or SubmitLimits(auth.state, clock=auth.clock)
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    kommun = store.meta.kommun
    muni = get_municipality(kommun)
    rings = [list(poly.exterior.coords) for poly in getattr(muni.geometry, "geoms", [muni.geometry])]
    towns = [(loc.name, float(loc.lon), float(loc.lat)) for loc in localities(kommun).itertuples()]
    maps = {lang: map_svg(rings, towns, lang) for lang in ("sv", "en")}

    def serializer() -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(server.secret_key, salt=_SALT)

    def new_token() -> str:
        return serializer().dumps({"n": secrets.token_urlsafe(12)})

    def page(lang: str, title: str, body: str, status: int = 200, script: bool = False, other: str | None = None):
        other_lang = "en" if lang == "sv" else "sv"
        response = flask.Response(shell(lang, title, body, other or f"{url}?lang={other_lang}",
                                        f"{url}/rapportera.js" if script else None),
                                  status=status, mimetype="text/html")
        return response

    def form(lang: str, values: dict | None = None, errors: list[str] | None = None, status: int = 200):
        local = pd.Timestamp(clock()).tz_convert(LOCAL_TZ)
        body = render_form(lang, action=url, token=new_token(), layers=public_layers(store), places=places(kommun, lang),
                           values=values or {}, errors=errors or [], map_html=maps[lang],
                           status_action=f"{url}/status", today=local.date().isoformat(), hour=local.hour)
        return page(lang, t("rapp_title", lang), body, status, script=True)

    def refuse(lang: str, status: int, title_key: str, text: str, retry_s: float = 0.0):
        response = page(lang, t(title_key, lang), render_refusal(lang, title_key, text, f"{url}?lang={lang}"), status)
        if retry_s > 0:
            response.headers["Retry-After"] = str(max(1, math.ceil(retry_s)))
        return response

    def view():
        req = flask.request
        if req.method == "GET":
            return form(_lang())
        if req.content_length is not None and req.content_length > MAX_BODY:
            return refuse(lang_or_default(req.args.get("lang")), 413, "rapp_too_big_title", t("rapp_too_big", lang_or_default(req.args.get("lang"))))
        # A body without a length (chunked) is bounded by the same number while it is read.
        req.max_content_length = MAX_BODY
        req.max_form_memory_size = MAX_BODY
        fields = req.form
        lang = _lang()
        values = {k: fields.get(k, "") for k in ("what", "place", "lat", "lon", "date", "hour", "description",
                                                  "email")}
        if fields.get("website"):
            return refuse(lang, 400, "rapp_refused_title", t("rapp_honeypot_hit", lang))
        # Another site's page posting this form (a token its server fetched) would spend each
        # visitor's own address limit: a foreign Origin is refused. None (old browsers) and
        # "null" (privacy settings) pass: the token and the limits still hold them.
        origin = req.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != req.host:
            return refuse(lang, 403, "rapp_refused_title", t("rapp_cross_site", lang))
        try:
            token = serializer().loads(fields.get("form_token", ""), max_age=TOKEN_MAX_AGE_S)
            token_id = str(token["n"])
        except (SignatureExpired, BadSignature, KeyError, TypeError):
            return form(lang, values, [t("rapp_token_bad", lang)], 400)
        verdict = limits.submit(req.remote_addr, token_id)
        if not verdict.ok:
            if verdict.reason == "token":
                return form(lang, values, [t("rapp_token_used", lang)], 400)
            minutes = max(1, math.ceil(verdict.retry_after_s / 60))
            key = "rapp_limit_address" if verdict.reason == "address" else "rapp_limit_global"
            return refuse(lang, 429, "rapp_limit_title", t(key, lang, minutes=minutes), verdict.retry_after_s)
        what = values["what"]
        layer, _, category = what.partition("|")
        ref, errors = submit_public_report(store, {**values, "layer": layer, "category": category}, lang, clock())
        if errors:
            return form(lang, values, errors, 400)
        # Audited without the visitor's address (nor anything else that names them).
        auth.audit.append("add_report", user="(medborgare)", role="", address="",
                          detail={"source": "medborgare", "ref": ref, "layer": layer, "form": PATH})
        status_url = f"{url}/status/{ref}?lang={lang}"
        return page(lang, t("rapp_done_title", lang), render_done(lang, ref, status_url, f"{url}?lang={lang}"))

    def status_view(ref: str = ""):
        lang = _lang()
        ref = ref or flask.request.args.get("ref", "")
        shown = (ref or "")[:40]
        address = flask.request.remote_addr
        blocked = limits.status_blocked(address)
        if not blocked.ok:
            return refuse(lang, 429, "rapp_limit_title", t("rapp_limit_status", lang,
                                                             minutes=max(1, math.ceil(blocked.retry_after_s / 60))),
                          blocked.retry_after_s)
        found = status_of(store, ref, lang) if normalise_ref(ref) else None
        if found is None:
            limits.status_miss(address)
        body = render_status(lang, found, shown, f"{url}/status", f"{url}?lang={lang}")
        other_lang = "en" if lang == "sv" else "sv"
        key = normalise_ref(ref)
        other = f"{url}/status/{key}?lang={other_lang}" if key else f"{url}/status?lang={other_lang}"
        return page(lang, t("rapp_status_title", lang), body, 200 if found else 404, other=other)

    def script():
        response = flask.Response(SCRIPT, mimetype="application/javascript")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    server.add_url_rule(base, "tk_rapportera", view, methods=["GET", "POST"])
    server.add_url_rule(base + "/status", "tk_rapportera_status_q", status_view, methods=["GET"])
    server.add_url_rule(base + "/status/<ref>", "tk_rapportera_status", status_view, methods=["GET"])
    server.add_url_rule(base + "/rapportera.js", "tk_rapportera_js", script, methods=["GET"])
    auth.public_path(PATH, geolocation=True)
    server.extensions["trygghetskarta_rapportera"] = limits
    return limits


__all__ = ["MAX_BODY", "PATH", "SCRIPT", "TOKEN_MAX_AGE_S", "install_rapportera"]
