"""The EST pages on the Flask server: `/est`, the mobile observation form of a logged-in EST
reporter (role `rapportor`) with their own observations, and `/est/vecka/2026-W48`, the week
view for polis, admin and moderator (a moderator never sees the narcotics category).

The form is a plain HTML form posted to the server (it works without JavaScript); a small
script from `/est/est.js` (the residents' form's, dashboard.rapportera) only adds the map pick
and "use my position". A saved observation waits for moderation (`layers.imports.sources.est.save_observation`). The reporter's list is read by their user name,
so it never holds anyone else's. The category file is the packaged one unless the
environment names another (`TRYGGHETSKARTA_EST_CATEGORIES=FILE`, read by every worker).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from urllib.parse import urlencode

import flask
import pandas as pd

from geodata import get_municipality, localities, place_name
from layers.est_week import WEEK_ROLES, parse_week, week_layers, week_of, week_view
from layers.imports.sources.est import (
    PENDING,
    SOURCE,
    TZ,
    EstError,
    EstInputError,
    category_of,
    load_categories,
    own_observations,
    parse_observation,
    read_observations,
    save_observation,
)
from layers.imports.sources.resident_form import places
from layers.privacy import ADMIN, POLIS, ROLE_NAMES
from layers.schema import parse_times

from .est_page_html import error_text, form_html, own_list_html, page, week_html, week_title
from .filters import FilterState
from .i18n import lang_or_default, t
from .rapportera import SCRIPT
from .rapportera_page import map_svg

PATH = "est"
WEEK_PATH = "est/vecka"
#: POST: make the week's lägesbild (the report command's, as a background job); GET …/<job>: its progress.
REPORT_PATH = "est/lagesbild"
RAPPORTOR = "rapportor"
esc = html.escape
CATEGORIES_ENV = "TRYGGHETSKARTA_EST_CATEGORIES"

def _role_name(role: str, lang: str) -> str:
    names = ROLE_NAMES.get(role)
    return (names[1] if lang == "en" else names[0]) if names else role


def install_est(app, auth, store, categories=None, now=None) -> str:
    """Serve the EST pages under the app's prefix; returns the form's path. `now`: a clock for tests."""
    server = app.server
    prefix = app.config.routes_pathname_prefix or "/"
    public = app.config.requests_pathname_prefix or prefix
    path = prefix + PATH
    cats = categories if categories is not None else load_categories(os.environ.get(CATEGORIES_ENV) or None)
    clock = now or (lambda: dt.datetime.now(TZ))
    kommun = store.meta.kommun
    muni = get_municipality(kommun)
    kommun_name = muni.name
    # The residents' form's map for the pick (no tiles, no library): the same drawing.
    rings = [list(poly.exterior.coords) for poly in getattr(muni.geometry, "geoms", [muni.geometry])]
    towns = [(loc.name, float(loc.lon), float(loc.lat)) for loc in localities(kommun).itertuples()]
    maps = {lang: map_svg(rings, towns, lang) for lang in ("sv", "en")}
    # A plain form posts its CSRF token as a field, and only this page may ask for the position:
    # the auth's own lists (it has no public setter for a page behind login).
    auth._form_paths = frozenset({*auth._form_paths, path, prefix + REPORT_PATH})
    if hasattr(auth, "_geolocation_prefixes"):
        auth._geolocation_prefixes += (path,)

    def lang_now() -> str:
        return lang_or_default(flask.request.values.get("lang"))

    def other_href(base: str, lang: str, **query) -> str:
        return f"{base}?{urlencode({**query, 'lang': 'en' if lang != 'en' else 'sv'})}"

    def form_page(lang: str, values: dict, error: EstInputError | None = None, saved_id: str = "",
                  status: int = 200):
        role = auth.current_role()
        if role != RAPPORTOR:
            body = f"<h1>{t('est_title', lang)}</h1><p>{esc(t('est_only_rapportor', lang, role=_role_name(role, lang)))}</p>"
            if role in WEEK_ROLES:
                code = week_of(clock().date()).code
                body += f'<p><a href="{public}{WEEK_PATH}/{code}">{esc(t("est_week_link", lang))}</a></p>'
            return flask.Response(page(t("est_title", lang), lang, body, other_href(public + PATH, lang)),
                                  status=403, mimetype="text/html")
        user = auth.current_user()
        mine = own_observations(store, user)
        saved_line = ""
        if saved_id:
            found = mine[mine["id"] == saved_id]
            if len(found):
                row = found.iloc[0]
                names = {c.id: c.name(lang) for c in cats}
                where = "" if math.isnan(row["x"]) else place_name(float(row["x"]), float(row["y"]), kommun, lang)
                saved_line = t("est_saved", lang, category=names.get(row["est_category"], row["category"]),
                               place=where or t("est_no_place", lang),
                               when=str(row["occurred_at"])[:16].replace("T", " "))
        forms = auth.page_forms()
        body = "\n".join([
            f"<h1>{esc(t('est_title', lang))}</h1>",
            f"<p>{esc(t('est_lead', lang))}</p>",
            form_html(lang=lang, action=public + PATH, csrf=forms.get("csrf_token") or "", categories=cats,
                      places=places(kommun, lang), values=values, now=clock(), map_html=maps[lang], error=error,
                      error_line=error_text(error, lang, kommun_name) if error else "", saved_line=saved_line,
                      script_src=f"{public}{PATH}/est.js"),
            own_list_html(mine, cats, kommun, lang),
            _logout(forms, lang),
        ])
        return flask.Response(page(t("est_title", lang), lang, body, other_href(public + PATH, lang)),
                              status=status, mimetype="text/html")

    def est():
        lang = lang_now()
        if flask.request.method == "POST":
            if auth.current_role() != RAPPORTOR:
                return form_page(lang, {})
            values = {k: flask.request.form.get(k, "") for k in
                      ("category", "place", "lat", "lon", "date", "time", "description")}
            try:
                obs = parse_observation(values, cats, kommun, now=clock())
                rid = save_observation(store, obs, auth.current_user(), now=clock())
            except EstInputError as exc:
                return form_page(lang, values, error=exc, status=400)
            auth.audit_event("add_report", {"id": rid, "source": "est", "est_category": obs.category.id})
            # Post/redirect/get: a reload does not send the observation twice.
            return flask.redirect(f"{public}{PATH}?{urlencode({'saved': rid, 'lang': lang})}", code=303)
        return form_page(lang, {}, saved_id=flask.request.args.get("saved", ""))

    def script():
        return flask.Response(SCRIPT, mimetype="text/javascript")

    def week_now():
        return flask.redirect(f"{public}{WEEK_PATH}/{week_of(clock().date()).code}?lang={lang_now()}", code=302)

    def week(code: str):
        lang = lang_now()
        role = auth.current_role()
        try:
            week_layers(role, (), auth.settings)
        except EstError:
            body = f"<h1>{esc(t('est_week_link', lang))}</h1><p>{esc(t('est_week_forbidden', lang))}</p>"
            return flask.Response(page(t("est_week_link", lang), lang, body, None), status=403, mimetype="text/html")
        try:
            chosen = parse_week(code)
        except EstError:
            body = f"<h1>{esc(t('est_week_link', lang))}</h1><p>{esc(t('est_week_bad', lang, week=code))}</p>"
            return flask.Response(page(t("est_week_link", lang), lang, body, None), status=404, mimetype="text/html")
        view = week_view(_week_frame(app, store, chosen, role, lang), chosen, cats, role, kommun, lang, auth.settings)
        sensitive = {c.id for c in cats if c.sensitive}
        if any(r.key in sensitive and (r.count or r.previous) for r in view.categories):
            # Exact counts of the narcotics layer per place and week: logged as the map's points are.
            auth.audit_view_sensitive({"view": "est_week", "week": chosen.code})
        following = week_of(chosen.sunday + dt.timedelta(days=1))
        links = {"prev": f"{public}{WEEK_PATH}/{chosen.previous().code}?lang={lang}",
                 "next": f"{public}{WEEK_PATH}/{following.code}?lang={lang}"}
        command = (f"trygghetskarta report --data {os.path.basename(str(store.path))} --period {chosen.code} "
                   f"--role {role} --out vecka-{chosen.week:02d}.pdf") if role in (POLIS, ADMIN) else None
        forms = auth.page_forms()
        button = (f'<form method="post" action="{public}{REPORT_PATH}"><input type="hidden" name="csrf_token" '
                  f'value="{esc(forms.get("csrf_token") or "")}"><input type="hidden" name="week" '
                  f'value="{chosen.code}"><input type="hidden" name="lang" value="{lang}">'
                  f'<p><button type="submit">{esc(t("est_week_make_report", lang))}</button></p></form>'
                  if command else "")
        body = week_html(view, lang, _role_name(role, lang), links, command) + button + _logout(forms, lang)
        return flask.Response(page(week_title(chosen, lang), lang, body,
                                   other_href(f"{public}{WEEK_PATH}/{chosen.code}", lang)), mimetype="text/html")

    def make_report():
        """One click: the week's lägesbild for the session's role (polis/admin), as the button of
        the dashboard makes it (`dashboard.report.jobs`); then its progress page."""
        from .jobs import request_owner
        from .report import jobs
        from .report.period import ReportError, check_period, parse_period

        lang = lang_now()
        role = auth.current_role()
        owner = request_owner()
        if role not in (POLIS, ADMIN) or owner is None:
            return flask.Response(page(t("est_week_link", lang), lang, f"<p>{esc(t('est_week_forbidden', lang))}</p>",
                                       None), status=403, mimetype="text/html")
        try:
            period = parse_period(flask.request.form.get("week", ""))
            if period.kind != "week":
                raise ReportError(t("est_week_bad", lang, week=period.code))
            check_period(period, auth.current_policy(), auth.settings, None)
            job = jobs.start_report(store.path, period.code, role, lang, clock().date().isoformat(), owner)
        except ReportError as exc:
            return flask.Response(page(t("est_week_link", lang), lang, f"<p>{esc(str(exc))}</p>", None), status=400,
                                  mimetype="text/html")
        except jobs.ReportBusy:
            return flask.Response(page(t("est_week_link", lang), lang, f"<p>{esc(t('est_report_busy', lang))}</p>",
                                       None), status=409, mimetype="text/html")
        return flask.redirect(f"{public}{REPORT_PATH}/{job}?lang={lang}", code=303)

    def report_progress(job: str):
        from .callbacks_report import ROUTE, failure_text, progress_text
        from .jobs import request_owner
        from .report import jobs
        from .report.period import parse_period

        lang = lang_now()
        owner = request_owner()
        status = jobs.report_status(store.path, job, owner) if owner else None
        if status is None or status.get("role") != auth.current_role():
            flask.abort(404)
        refresh = ""
        if status["state"] in jobs.ACTIVE:
            # No script: the page asks again by itself until the files are there.
            refresh, body = '<meta http-equiv="refresh" content="3">', f'<p role="status">{esc(progress_text(status, lang))}</p>'
        elif status["state"] == jobs.FAILED:
            body = f'<p class="msg" role="alert">{esc(failure_text(status, lang))}</p>'
        else:
            label = parse_period(status["period"]).label(lang)
            links = " · ".join(f'<a href="{public}{ROUTE}/{esc(status["id"])}/{fmt}" download="'
                               f'{esc(jobs.file_name(status, fmt))}">{fmt.upper()}</a>' for fmt in jobs.FORMATS)
            body = f'<p role="status">{esc(t("est_report_done", lang, period=label))} {links}</p>'
        week_code = parse_period(status["period"]).code
        body = (f"<h1>{esc(t('est_week_link', lang))}</h1>{body}"
                f'<p><a href="{public}{WEEK_PATH}/{week_code}?lang={lang}">{esc(t("est_week_back", lang))}</a></p>')
        html_text = page(t("est_week_link", lang), lang, body, None).replace("<head>\n", "<head>\n" + refresh, 1)
        return flask.Response(html_text, mimetype="text/html")

    server.add_url_rule(path, "tk_est", est, methods=["GET", "POST"])
    server.add_url_rule(prefix + REPORT_PATH, "tk_est_report", make_report, methods=["POST"])
    server.add_url_rule(f"{prefix}{REPORT_PATH}/<job>", "tk_est_report_progress", report_progress, methods=["GET"])
    server.add_url_rule(f"{path}/est.js", "tk_est_script", script, methods=["GET"])
    server.add_url_rule(prefix + WEEK_PATH, "tk_est_week_now", week_now, methods=["GET"])
    server.add_url_rule(f"{prefix}{WEEK_PATH}/<code>", "tk_est_week", week, methods=["GET"])
    return path


def _week_frame(app, store, week, role: str, lang: str) -> pd.DataFrame:
    """The role's counted EST observations of the week and the one before from its own view
    (`Views.get` → RoleFrames.points: only what the role may see, only counted reports), and
    beside them the ones still waiting (layers the role sees only: a count, never shown one by one)."""
    views = app._trygghetskarta["views"]
    cfg = views.data.config
    state = FilterState(focus_areas=tuple(cfg.focus_areas), layers=tuple(cfg.layers), preset="custom",
                        start=week.previous().monday.isoformat(), end=week.sunday.isoformat(), lang=lang)
    points = views.get(state, role).points
    points = points[(points["source"] == SOURCE).to_numpy()]
    counted = pd.DataFrame({"id": points["id"].astype(str).to_numpy(), "layer": points["layer"].astype(str).to_numpy(),
                            "category": points["category"].astype(str).to_numpy(),
                            "t": points["t"].to_numpy(dtype="int64"), "x": points["x"].to_numpy(dtype=float),
                            "y": points["y"].to_numpy(dtype=float), "moderation": None})
    counted["est_category"] = [category_of(i) for i in counted["id"]]
    waiting = read_observations(store)
    waiting = waiting[(waiting["moderation"] == PENDING).to_numpy()]
    nanos = parse_times(waiting["occurred_at"]).dt.as_unit("ns").astype("int64").to_numpy()
    waiting = waiting.assign(t=nanos)[list(counted.columns)]
    return pd.concat([counted, waiting], ignore_index=True) if len(waiting) else counted


def _logout(forms: dict, lang: str) -> str:
    if not forms.get("logout_url"):
        return ""
    return (f'<form method="post" action="{esc(forms["logout_url"])}"><input type="hidden" name="csrf_token" '
            f'value="{esc(forms.get("csrf_token") or "")}"><p><button type="submit">'
            f'{esc(t("login_logout", lang))}</button></p></form>')


__all__ = ["CATEGORIES_ENV", "PATH", "WEEK_PATH", "install_est"]
