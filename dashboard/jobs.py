"""The web side of import jobs: who owns a job, and what the page says about it.

`layers.import_jobs` runs an upload in a worker process and keeps its state on disk; here a
request's owner key (its session) and the texts: progress while it runs ("Läser filen…
40 000 av 120 000 rader"), the outcome the upload has always shown (counts, the first
rejected rows, the importer's notes) when it is done, and one clear sentence when it failed.
A reloaded page picks its session's running job up again (`register_resume`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import flask

from layers.imports import jobs as import_jobs

from .i18n import number, t

TZ = "Europe/Stockholm"
#: Owner of jobs started outside a request (tests and benchmarks call the callbacks directly).
LOCAL_OWNER = "local"


def request_owner() -> str | None:
    """The key a job is kept for: the browser's session (its login session id, or without
    login the per-browser CSRF token every write request carries) with the user's name. None
    inside a request that has neither (the job could not be found again)."""
    if not flask.has_request_context():
        return LOCAL_OWNER
    from .auth import current_user

    key = flask.session.get("sid") or flask.session.get("csrf")
    if not key:
        return None
    return f"{current_user()}\0{key}"


def register_resume(app, store, views) -> None:
    """On page load: follow the session's running (or finished, not yet shown) import again, so
    a reload during an upload shows its progress and then its outcome, as the first page would."""
    from dash import Input, Output, State, no_update

    from . import entry

    @app.callback(
        Output("u-job", "data", allow_duplicate=True), Output("u-poll", "disabled", allow_duplicate=True),
        Output("u-message", "children", allow_duplicate=True),
        Output("u-message", "className", allow_duplicate=True),
        Input("url", "pathname"), State("lang", "value"),
        prevent_initial_call="initial_duplicate",
    )
    def upload_resume(_path, lang):
        lang = "en" if lang == "en" else "sv"
        nothing = (no_update,) * 4
        if not entry.can_edit(views.role()):
            return nothing
        owner = request_owner()
        status = import_jobs.owners_job(store.path, owner) if owner else None
        if status is None:
            return nothing
        # The poll delivers a finished one's outcome (once, as for the page that started it).
        text = progress_text(status, lang) if status.get("state") in import_jobs.ACTIVE else no_update
        return status["id"], False, text, "edit-message"


def deliver(store, views, status: dict, lang: str, log) -> tuple:
    """A finished job's answer to its page's poll: (message, css class, the rejected rows as a
    download, the new data revision), everything no_update/None when another poll delivered it.

    The first poll (`claim_result`) writes the audit entry and reloads the data, once. A poll
    that arrives while that one is still at work crossed it: the browser drops an interval
    callback's answer when the next tick's request goes out before it comes back (plotly/dash
    #1613, a reload at 100 000 reports takes longer than the 1 s tick), so the crossing poll
    waits for the first and gives the same answer (no second audit entry or reload).
    """
    from dash import dcc, no_update

    first = import_jobs.claim_result(store.path, status)
    if not first and not import_jobs.crossed_delivery(store.path, status):
        return no_update, no_update, no_update, None  # another poll delivered it
    try:
        message, error = outcome_text(status, lang)
        css = "edit-message error" if error else "edit-message"
        if status["state"] == import_jobs.FAILED:
            if first:
                log("import", {"file": status.get("name"), "stored": 0, "failed": status.get("error")})
            return message, css, no_update, None
        result = status["result"]
        if first:
            log("import", {"file": status.get("name"), "stored": result["stored"], "rejected": result["rejected"]})
        csv_bytes = import_jobs.rejected_csv(store.path, status)
        rejected = dcc.send_bytes(csv_bytes, status["rejected_file"]) if csv_bytes else no_update
        if result["stored"] == 0:
            return message, css, rejected, None
        if first:
            return message, css, rejected, views.reload(store)
        views.refresh_if_changed()  # another server process may have been the one that reloaded
        return message, css, rejected, views.version
    finally:
        if first:
            import_jobs.mark_delivered(store.path, status)


def request_user() -> str | None:
    """Who starts a job, to name to whoever is refused meanwhile (None without users)."""
    if not flask.has_request_context():
        return None
    from .auth import current_user

    return current_user() or None


def progress_text(status: dict, lang: str) -> str:
    """What a running job is doing, in words."""
    stage, done, total = status.get("stage"), status.get("done") or 0, status.get("total")
    if status.get("state") == import_jobs.QUEUED or stage == "queued":
        return t("upload_queued", lang, name=status.get("name", ""))
    if stage == "read":
        if total and total >= done:
            return t("upload_reading", lang, done=number(done, lang), total=number(total, lang))
        return t("upload_reading_rows", lang, done=number(done, lang))
    if stage == "store":
        return t("upload_storing", lang, n=number(done, lang))
    return t("upload_checking", lang, n=number(done, lang))


def outcome_text(status: dict, lang: str) -> tuple[str, bool]:
    """A finished job's message (one line each: summary, rejected rows, then what the importer
    assumed or changed) and whether it is an error (rows rejected, or no rows at all)."""
    if status.get("state") == import_jobs.FAILED:
        return failure_text(status, lang), True
    result = status.get("result") or {}
    lines = [t("upload_done", lang, name=status.get("name", ""), stored=result.get("stored", 0),
               duplicates=result.get("in_store", 0) + result.get("repeated", 0), rejected=result.get("rejected", 0))]
    no_rows = result.get("total", 0) == result.get("empty", 0)
    if no_rows:
        lines.append(t("upload_no_rows", lang))
    lines += [t("upload_rejected_row", lang, row=r["row"], reason=r["reason"]) for r in result.get("first_rejected", [])]
    more = result.get("rejected", 0) - len(result.get("first_rejected", []))
    if more > 0:
        lines.append(t("upload_more_rejected", lang, n=more))
    if result.get("empty"):
        lines.append(t("upload_empty_rows", lang, n=result["empty"]))
    lines += result.get("notes", [])
    return "\n".join(lines), bool(result.get("rejected")) or no_rows


def failure_text(status: dict, lang: str) -> str:
    name = status.get("name", "")
    error = status.get("error")
    if error == "import":
        return status.get("message") or name
    if error == "killed":
        key = "upload_killed_storing" if status.get("stage") == "store" else "upload_killed"
        return t(key, lang, name=name)
    return t("upload_internal", lang, name=name)


def busy_text(status: dict, lang: str) -> str:
    """Why an upload is refused: the running import's file, start time and, where known, who
    started it (in the app, or on the command line)."""
    started = dt.datetime.fromtimestamp(float(status.get("created") or 0), ZoneInfo(TZ)).strftime("%H:%M")
    who = status.get("by")
    if status.get("via") == "cli":
        who = t("upload_busy_cli", lang, who=who or "?")
    if not who:
        return t("upload_busy", lang, name=status.get("name", ""), time=started)
    return t("upload_busy_by", lang, name=status.get("name", ""), time=started, who=who)


__all__ = ["LOCAL_OWNER", "busy_text", "deliver", "failure_text", "outcome_text", "progress_text", "register_resume",
           "request_owner", "request_user"]
