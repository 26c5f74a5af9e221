"""The "Skriv ut lägesbild" button's callbacks and the download of its files: the period is
checked for the session's role (the CLI's refusal), the report made as a background job
(`dashboard.report.jobs`), its progress polled into the page, the PDF and HTML served behind the
login to the session that started it only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import flask
from dash import Input, Output, State, html, no_update

from .auth import narrower_role
from .filters import FilterState
from .i18n import lang_or_default, number, t
from .jobs import request_owner
from .report import data_span, jobs
from .report.period import ReportError, check_period, parse_period
from .report.scope import Scope, scope_of
from .report_controls import period_options

#: The download route below the app's prefix: lagesbild/<job id>/<pdf|html>.
ROUTE = "lagesbild"


def progress_text(status: dict, lang: str) -> str:
    label = parse_period(status["period"]).label(lang)
    stage = status.get("stage")
    if stage == "area":
        return t("report_job_area", lang, period=label, area=status.get("area", ""))
    if stage == "figures" and status.get("total"):
        return t("report_job_figures", lang, period=label, done=number(status.get("done") or 0, lang),
                 total=number(status["total"], lang))
    if stage == "pdf":
        return t("report_job_pdf", lang, period=label)
    if stage == "read":
        return t("report_job_read", lang, period=label)
    return t("report_job_queued", lang, period=label)


def failure_text(status: dict, lang: str) -> str:
    if status.get("error") == "report":
        return t("report_job_failed", lang, message=status.get("message", ""))
    if status.get("error") == "killed":
        return t("report_job_killed", lang)
    return t("report_job_internal", lang)


def register_report(app, store, views, today) -> None:
    prefix = app.config.requests_pathname_prefix or "/"

    @app.callback(
        Output("r-job", "data"), Output("r-poll", "disabled"), Output("r-message", "children"),
        Input("r-go", "n_clicks"), State("r-period", "value"), State("lang", "value"), State("filters", "data"),
        prevent_initial_call=True,
    )
    def report_start(_clicks, code, lang, filters_data=None):
        lang = lang_or_default(lang)
        role = views.role()
        try:
            period = parse_period(code if isinstance(code, str) else "")
            check_period(period, views.policy(role), views.settings, data_span(views.data))
        except ReportError as exc:
            return None, True, str(exc)
        owner = request_owner()
        if owner is None:
            return None, True, t("report_job_gone", lang)
        try:
            # The page's focus areas, layers and map selection (its dates are the period's).
            scope = scope_of(FilterState.from_dict(filters_data), views.data) if filters_data else Scope()
            job = jobs.start_report(store.path, period.code, role, lang, today().isoformat(), owner,
                                    scope=scope.to_dict())
        except jobs.ReportBusy as busy:
            started = dt.datetime.fromtimestamp(float(busy.status.get("created") or 0), ZoneInfo("Europe/Stockholm"))
            return no_update, no_update, t("report_job_busy", lang, time=f"{started:%H:%M}")
        return job, False, t("report_job_queued", lang, period=period.label(lang))

    # The period list in the language switched to: the server's own list for the session's role
    # (never the labels of the page's first language, never options the page sent).
    @app.callback(Output("r-period", "options"), Input("lang", "value"), prevent_initial_call=True)
    def report_period_language(lang):
        return period_options(views.data, lang_or_default(lang), views.policy(), today())

    @app.callback(
        Output("r-message", "children", allow_duplicate=True), Output("r-poll", "disabled", allow_duplicate=True),
        Input("r-poll", "n_intervals"), State("r-job", "data"), State("lang", "value"),
        prevent_initial_call=True,
    )
    def report_poll(_n, job, lang):
        lang = lang_or_default(lang)
        status = session_job(job)
        if status is None:
            return t("report_job_gone", lang), True
        if status["state"] in jobs.ACTIVE:
            return progress_text(status, lang), False
        if status["state"] == jobs.FAILED:
            return failure_text(status, lang), True
        label = parse_period(status["period"]).label(lang)
        links = [html.A(fmt.upper(), href=f"{prefix}{ROUTE}/{status['id']}/{fmt}", id=f"r-link-{fmt}",
                        download=jobs.file_name(status, fmt)) for fmt in jobs.FORMATS]
        return [t("report_job_done", lang, period=label, pages=number(status.get("pages") or 0, lang)), " ",
                links[0], " · ", links[1]], True

    def session_job(job) -> dict | None:
        """This session's job while its role shows no more than the session's role now: a police
        report started before `/view-as bra` is not offered on the shared screen's session."""
        owner = request_owner()
        status = jobs.report_status(store.path, job, owner) if owner else None
        if status is None or narrower_role(str(status.get("role")), views.role()) != status.get("role"):
            return None
        return status

    def download(job_id: str, fmt: str):
        # Behind the login like every page (auth.before_request); the owner is this session.
        owner = request_owner()
        path = jobs.report_file(store.path, job_id, owner, fmt) if session_job(job_id) is not None else None
        if path is None:
            flask.abort(404)
        mimetype = "application/pdf" if fmt == "pdf" else "text/html"
        return flask.send_file(path, mimetype=mimetype, as_attachment=True, download_name=path.name)

    app.server.add_url_rule(f"{prefix}{ROUTE}/<job_id>/<fmt>", "tk_report_file", download, methods=["GET"])


__all__ = ["ROUTE", "failure_text", "progress_text", "register_report"]
