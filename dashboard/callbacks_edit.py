"""Dash callbacks that change or take out data: entry, status change, upload and export.

Thin like the others: read the form, call `dashboard.entry` / `layers.import_jobs` /
`dashboard.export`, write, reload the views, answer with a message. Every write checks the
request's role on the server (`entry.can_edit`), whatever the page showed. An upload starts
an import job in a worker process; the page polls it (`u-poll`, on only while a job runs).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
from dash import Input, Output, State, ctx, dcc, no_update

from geodata import METRIC
from layers import StoreError, ValidationError
from layers.imports import jobs as import_jobs
from layers.privacy import ROLE_NAMES

from . import entry, jobs
from .filters import FilterState, time_range
from .i18n import number, t, vocab

#: Field message slots in the form (ids e-err-FIELD).
FIELDS = ("place", "layer", "category", "source", "focus_area", "actor", "kind", "status", "duration", "date",
          "date_time", "description")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: How uploads' import jobs start (`layers.import_jobs.spawn_worker`: a worker process); tests
#: may set `import_jobs.inline_launcher` to run them in the test's process.
job_launcher = None
EXPORT_NAMES = {"html": "trygghetskarta.html", "csv": "trygghetskarta.csv", "geojson": "trygghetskarta.geojson",
                "gpkg": "trygghetskarta.gpkg"}


def _labels(fields, lang: str) -> str:
    """The fields' names as the form shows them, for the summary line above the field messages."""
    return ", ".join(t(f"field_{f}", lang) for f in fields)


def _role_name(role: str, lang: str) -> str:
    sv, en = ROLE_NAMES.get(role, (role, role))
    return en if lang == "en" else sv


def _bump(filters: dict | None, version: int):
    """The filters store with the data revision: every view callback redraws from new data."""
    if not filters:
        return no_update
    return {**filters, "rev": version}


def register_edit(app, store, views, today: Callable[[], dt.date],
                  now: Callable[[], dt.datetime] | None = None, audit: Callable[[str, dict], object] | None = None):
    now = now or (lambda: dt.datetime.now(dt.UTC))
    log = audit or (lambda event, detail: None)
    jobs.register_resume(app, store, views)  # a reloaded page follows its running upload again

    # The form comes when the panel is first opened (layout.edit_form), drawn in the page's
    # language with the right fields shown: its callbacks run on a change only, never on its arrival.
    @app.callback(Output("edit-body", "children"), Output("edit-body", "className"),
                  Input("edit-summary", "n_clicks"), State("edit-body", "className"), State("lang", "value"),
                  prevent_initial_call=True)
    def open_form(_clicks, built, lang):
        if "built" in (built or "").split() or not entry.can_edit(views.role()):
            return no_update, no_update
        from .layout import edit_form

        return edit_form(views.data, "en" if lang == "en" else "sv", today()), "edit-body built"

    @app.callback(Output("e-report-fields", "style"), Output("e-activity-fields", "style"), Input("e-kind", "value"),
                  prevent_initial_call=True)
    def toggle_kind(kind):
        hide = {"display": "none"}
        return (None, hide) if kind != "activity" else (hide, None)

    @app.callback(Output("e-category", "options"), Output("e-category", "value"), Input("e-layer", "value"),
                  Input("lang", "value"), State("e-category", "value"), prevent_initial_call=True)
    def categories(layer, lang, current):
        spec = views.data.config.layers.get(layer)
        if spec is None:
            return [], None
        # A change of language relabels the list and keeps the chosen category.
        keep = ctx.triggered_id == "lang" and current in spec.categories
        return entry.category_options(spec, lang), current if keep else spec.categories[0]

    @app.callback(*[Output(name, "options") for name in entry.FORM_OPTIONS], Input("lang", "value"),
                  prevent_initial_call=True)
    def form_labels(lang):
        # The form is drawn in the page's language; a switch relabels its lists in place.
        options = entry.form_options(views.data, lang)
        return tuple(options[name] for name in entry.FORM_OPTIONS)

    @app.callback(Output("e-date", "placeholder"), Input("lang", "value"), prevent_initial_call=True)
    def date_label(lang):
        return t("date_pick", "en" if lang == "en" else "sv")

    @app.callback(Output("e-lat", "value"), Output("e-lon", "value"), Output("s-id", "value"),
                  Input("map", "clickData"), Input("e-centre", "n_clicks"), State("view", "data"),
                  prevent_initial_call=True)
    def pick_place(click, _centre, view):
        if ctx.triggered_id == "e-centre":
            from .figures import default_view

            view = view or default_view(views.data)
            return f"{view['lat']:.6f}", f"{view['lon']:.6f}", no_update
        point = ((click or {}).get("points") or [{}])[0]
        if "lon" not in point or "lat" not in point:
            return no_update, no_update, no_update
        custom = point.get("customdata")
        record_id = custom[-1] if isinstance(custom, list) and len(custom) == 5 else no_update
        return f"{point['lat']:.6f}", f"{point['lon']:.6f}", record_id

    @app.callback(
        Output("e-message", "children"), Output("e-message", "className"),
        *[Output(f"e-err-{f}", "children") for f in FIELDS],
        Output("filters", "data", allow_duplicate=True),
        Input("e-save", "n_clicks"),
        State("e-kind", "value"), State("e-layer", "value"), State("e-category", "value"),
        State("e-source", "value"), State("e-focus", "value"), State("e-actor", "value"),
        State("e-akind", "value"), State("e-astatus", "value"), State("e-duration", "value"),
        State("e-lat", "value"), State("e-lon", "value"), State("e-date", "date"), State("e-time", "value"),
        State("e-description", "value"), State("lang", "value"), State("filters", "data"),
        prevent_initial_call=True,
    )
    def save(_n, kind, layer, category, source, focus, actor, akind, astatus, duration, lat, lon, date, clock,
             description, lang, filters):
        lang = "en" if lang == "en" else "sv"
        blank = [""] * len(FIELDS)
        role = views.role()
        if not entry.can_edit(role):
            return (t("edit_not_allowed", lang, role=_role_name(role, lang)), "edit-message error", *blank,
                    no_update)
        values = {"layer": layer, "category": category, "source": source, "focus_area": focus, "actor": actor,
                  "kind": akind, "status": astatus, "duration": duration, "lat": lat, "lon": lon, "date": date,
                  "time": clock, "description": description}
        user = _current_user()
        try:
            if kind == "activity":
                frame = entry.new_activity(values, views.data, user, now(), lang)
                added = store.add_activities(frame, skip_existing=True)
            else:
                frame = entry.new_report(values, views.data, user, now(), lang)
                added = store.add_reports(frame, skip_existing=True)
        except entry.EntryError as exc:
            messages = [exc.fields.get(f, "") for f in FIELDS]
            return (t("edit_fix", lang, fields=_labels(exc.fields, lang)), "edit-message error", *messages,
                    no_update)
        except (ValidationError, StoreError) as exc:
            return str(exc), "edit-message error", *blank, no_update
        row = frame.iloc[0]
        if added.added == 0:
            return t("edit_exists", lang), "edit-message", *blank, no_update
        log("add_" + ("activity" if kind == "activity" else "report"), {"id": row["id"]})
        version = views.reload(store)
        if kind == "activity":
            message = t("edit_saved_activity", lang, id=row["id"], kind=vocab("kind", row["kind"], lang))
        else:
            spec = views.data.config.layers[row["layer"]]
            message = t("edit_saved_report", lang, id=row["id"], layer=spec.name(lang), place=_near(views, row))
        note = entry.repeated_hour_note(date, clock, lang)
        message = f"{message}\n{note}" if note else message
        return message, "edit-message", *blank, _bump(filters, version)

    @app.callback(
        Output("s-message", "children"), Output("s-message", "className"),
        Output("s-err-id", "children"), Output("s-err-status", "children"),
        Output("filters", "data", allow_duplicate=True),
        Input("s-save", "n_clicks"), State("s-id", "value"), State("s-new", "value"), State("lang", "value"),
        State("filters", "data"), prevent_initial_call=True,
    )
    def change_status(_n, record_id, new, lang, filters):
        lang = "en" if lang == "en" else "sv"
        role = views.role()
        if not entry.can_edit(role):
            return t("edit_not_allowed", lang, role=_role_name(role, lang)), "edit-message error", "", "", no_update
        record_id = str(record_id or "").strip()
        if not record_id:
            message = t("entry_give_id", lang)
            return t("edit_fix", lang, fields=_labels(["id"], lang)), "edit-message error", message, "", no_update
        kind, current = _status_of(store, record_id)
        try:
            entry.check_status_change(kind or "report", current, new, lang)
            if kind == "report":
                store.update_report_status(record_id, new)
            else:
                done = now().astimezone(entry.TZ).isoformat(timespec="seconds") if new == "genomförd" else None
                store.update_activity_status(record_id, new, done_at=done)
        except entry.EntryError as exc:
            return (t("edit_fix", lang, fields=_labels(exc.fields, lang)), "edit-message error",
                    exc.fields.get("id", ""), exc.fields.get("status", ""), no_update)
        except (ValidationError, StoreError) as exc:
            return str(exc), "edit-message error", "", "", no_update
        log("status", {"id": record_id, "from": current, "to": new})
        version = views.reload(store)
        field = "report_status" if kind == "report" else "activity_status"
        saved = t("status_saved", lang, id=record_id, old=vocab(field, current, lang), new=vocab(field, new, lang))
        return (saved, "edit-message", "", "",
                _bump(filters, version))

    @app.callback(
        Output("u-message", "children"), Output("u-message", "className"), Output("u-job", "data"),
        Output("u-poll", "disabled"),
        Input("u-file", "contents"), State("u-file", "filename"), State("u-kind", "value"),
        State("u-layer", "value"), State("lang", "value"),
        prevent_initial_call=True,
    )
    def upload(contents, filename, kind, layer, lang):
        # Starts the import as a job (layers.import_jobs) and lets the page poll it: the import
        # runs in a worker process at a lower priority, never in this request.
        lang = "en" if lang == "en" else "sv"
        role = views.role()
        if not entry.can_edit(role):
            return (t("edit_not_allowed", lang, role=_role_name(role, lang)), "edit-message error", no_update,
                    no_update)
        if not contents or "," not in contents:
            return no_update, no_update, no_update, no_update
        owner = jobs.request_owner()
        if owner is None:
            return t("upload_no_session", lang), "edit-message error", no_update, no_update
        raw = base64.b64decode(contents.split(",", 1)[1])
        name = upload_name(filename)
        if len(raw) > MAX_UPLOAD_BYTES:
            size = t("upload_too_big", lang, name=name, size=number(-(-len(raw) // 2**20), lang),
                     limit=number(MAX_UPLOAD_BYTES // 2**20, lang))
            return size, "edit-message error", no_update, no_update
        kind = "activities" if kind == "activities" else "reports"
        try:
            job_id = import_jobs.start_job(store.path, name, raw, kind=kind, layer=layer if kind == "reports" else None,
                                           lang=lang, owner=owner, launch=job_launcher, by=jobs.request_user())
        except import_jobs.JobBusy as busy:
            return jobs.busy_text(busy.status, lang), "edit-message error", no_update, no_update
        except OSError as exc:
            return f"{name}: {exc.strerror or exc}", "edit-message error", no_update, no_update
        return t("upload_queued", lang, name=name), "edit-message", job_id, False

    @app.callback(
        Output("u-message", "children", allow_duplicate=True), Output("u-message", "className", allow_duplicate=True),
        Output("u-rejected", "data"), Output("filters", "data", allow_duplicate=True),
        Output("u-job", "data", allow_duplicate=True), Output("u-poll", "disabled", allow_duplicate=True),
        Input("u-poll", "n_intervals"), State("u-job", "data"), State("lang", "value"), State("filters", "data"),
        prevent_initial_call=True,
    )
    def upload_poll(_n, job_id, lang, filters):
        # Only while a job of this page runs (the interval is off otherwise): its progress, then
        # its outcome once, the data reloaded, and the interval off again.
        lang = "en" if lang == "en" else "sv"
        stop = (None, True)
        role = views.role()
        if not entry.can_edit(role):
            return t("edit_not_allowed", lang, role=_role_name(role, lang)), "edit-message error", no_update, \
                no_update, *stop
        if not job_id:  # a last tick after the outcome switched the poll off: nothing to say
            return no_update, no_update, no_update, no_update, *stop
        owner = jobs.request_owner()
        status = import_jobs.job_status(store.path, job_id, owner) if owner else None
        if status is None:
            return t("upload_unknown", lang), "edit-message error", no_update, no_update, *stop
        if status["state"] in import_jobs.ACTIVE:
            return jobs.progress_text(status, lang), "edit-message", no_update, no_update, no_update, no_update
        # Once: the audit entry and the data reloaded (dashboard.jobs.deliver also answers a poll
        # that crossed the delivering one, whose answer the browser then drops).
        message, css, rejected, version = jobs.deliver(store, views, status, lang, log)
        return message, css, rejected, no_update if version is None else _bump(filters, version), *stop

    @app.callback(
        Output("x-download", "data"), Output("x-message", "children"),
        Input("x-go", "n_clicks"), State("x-format", "value"), State("filters", "data"),
        prevent_initial_call=True,
    )
    def export_selection(_n, fmt, filters):
        if not filters:
            return no_update, no_update
        state = FilterState.from_dict(filters)
        lang = "en" if state.lang == "en" else "sv"
        if fmt not in EXPORT_NAMES:
            return no_update, f"{fmt!r}: html, csv, geojson, gpkg"
        role = views.role()
        files, result = export_files(store, views, state, fmt, role, today(), with_result=True)
        if not (result.points or result.cells or result.activities):
            return no_update, t("export_empty", lang)
        log("export", {"format": fmt, "filter": {k: v for k, v in filters.items() if k not in ("view", "rev")}})
        message = t("export_done", lang, points=result.points, cells=result.cells, activities=result.activities)
        if len(files) == 1:
            name, data = files[0]
            return dcc.send_bytes(data, name), message
        import io
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files:
                archive.writestr(name, data)
        return dcc.send_bytes(buffer.getvalue(), "trygghetskarta-export.zip"), message


def upload_name(filename) -> str:
    """The uploaded file's base name with safe characters and a sane length (it names a
    temporary file and the rejected-rows download; it never chooses a folder)."""
    name = re.sub(r"[^\w.\-åäöÅÄÖ ]", "_", Path(str(filename or "")).name).strip(" .")
    stem, suffix = Path(name).stem[:80], Path(name).suffix[:10]
    return (stem or "upload") + suffix


def _current_user() -> str:
    from .auth import current_user

    return current_user() or "(lokal)"


def _near(views, row) -> str:
    from geodata import nearest_locality_xy

    index, _ = nearest_locality_xy(np.array([row.geometry.x]), np.array([row.geometry.y]),
                                   views.data.municipality.code)
    return str(views.data.localities["name"].to_numpy()[index[0]])


def _status_of(store, record_id: str) -> tuple[str | None, str | None]:
    if not record_id:
        return None, None
    for table, kind in (("reports", "report"), ("activities", "activity")):
        rows = store.read_table(table, "WHERE id = ?", (record_id,))
        if len(rows):
            return kind, str(rows["status"].iloc[0])
    return None, None


def export_files(store, views, state: FilterState, fmt: str, role: str, today: dt.date, with_result: bool = False):
    """The current filter and selection exported for `role`: [(file name, bytes)].

    Points-mode rows are the dashboard's own filtered rows; cells-mode layers are the view's
    release units (whole published cells and blocks, as on the map), so an export shows what
    the screen shows and its totals agree.
    """
    from .export import export

    frames = views.get(state, role)
    data = views.data
    ids = set(frames.points["id"])
    act_ids = set(frames.activities["id"])
    reports = _frame(store.read_table("reports"), ids)
    activities = _frame(store.read_table("activities"), act_ids)
    start, end = time_range(state, data, today)
    text = _describe(state, data, start, end, role)
    with tempfile.TemporaryDirectory(prefix="trygghetskarta-export-") as folder:
        out = Path(folder) / EXPORT_NAMES.get(fmt, "trygghetskarta." + str(fmt))
        result = export(store, out, fmt, role=role, rows=(reports, activities), filter_text=text,
                        release=frames.release, lang=state.lang)
        files = [(p.name, p.read_bytes()) for p in result.files]
    return (files, result) if with_result else files


def _frame(table, ids: set) -> gpd.GeoDataFrame:
    rows = table[table["id"].isin(ids)].reset_index(drop=True)
    placed = ~np.isnan(rows["x"].to_numpy(dtype="float64"))
    geometry = np.where(placed, gpd.points_from_xy(rows["x"], rows["y"]), None)
    return gpd.GeoDataFrame(rows.drop(columns=["x", "y"]), geometry=geometry, crs=METRIC)


def _describe(state: FilterState, data, start, end, role: str) -> str:
    from .export import describe_selection

    names = [data.config.focus_areas[a].short(state.lang) for a in state.focus_areas if a in data.config.focus_areas]
    return describe_selection(names, start, end, state.selection, role, state.lang)


__all__ = ["FIELDS", "export_files", "register_edit"]
