"""Upload import jobs: start, progress, outcome, one at a time, a killed worker, owners, roles.

The jobs run as the server runs them (a worker process, `layers.import_jobs.spawn_worker`)
unless a test needs a moment it can hold: then the "worker" is a process that only sleeps
holding the job's lock, and is killed by the test.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time

import flask
import pytest

from dashboard import jobs
from dashboard.app import create_app
from layers import jobs as runner
from layers.imports import jobs as import_jobs
from layers.imports import read as import_readers
from layers.store import open_store
from tests.dash_fixtures import TODAY, small_store
from tests.test_dashboard_roles import _call, _callbacks

CSV = ("Datum;Tid;Kategori;Beskrivning;N;E\r\n"
       "2026-03-01;18:30;Belysning;Mörkt;6365443;445400\r\n"
       "2026-03-02;19:30;Belysning;Mörkt igen;6365443,5;445400,5\r\n"
       "2026-02-30;19:30;Belysning;Omöjligt datum;6365443;445400\r\n"
       "2026-03-03;20:30;Belysning;Mörkt en tredje gång;6365444;445401\r\n"
       ";;;;;\r\n"
       "2026-03-04;21:30;Belysning;Trasig lampa;6365445;445402\r\n").encode("cp1252")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("jobs") / "s.gpkg").path


@pytest.fixture
def path(template, tmp_path):
    target = tmp_path / "s.gpkg"
    shutil.copy(template, target)
    return target


def wait_status(path, job_id, owner="me", timeout=120):
    """The job's status once it has finished (the worker imports pandas & co. first)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = import_jobs.job_status(path, job_id, owner)
        if status is not None and status["state"] not in import_jobs.ACTIVE:
            return status
        time.sleep(0.05)
    raise AssertionError(f"job still running after {timeout} s: {status}")


def sleeper(started: list):
    """A launcher whose 'worker' holds the lock and sleeps until killed."""
    def launch(folder, lock_fd):
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], pass_fds=(lock_fd,))
        started.append(proc)
    return launch


def test_a_job_runs_in_a_worker_process_and_reports_exact_counts(path):
    job_id = import_jobs.start_job(path, "ot.csv", CSV, kind="reports", layer="otrygg_plats", lang="sv", owner="me")
    assert import_jobs.JOB_ID.match(job_id)
    status = wait_status(path, job_id)
    assert status["state"] == "done" and status["pid"] != os.getpid()
    # Viewers' requests come first: the worker runs at a lower priority than the server.
    assert status["niceness"] == min(19, os.nice(0) + import_jobs.NICENESS)
    assert status["result"] | {"notes": [], "seconds": 0} == {
        "total": 6, "stored": 4, "in_store": 0, "repeated": 0, "rejected": 1, "empty": 1,
        "first_rejected": [{"row": 3, "reason": "datum 'Datum': '2026-02-30' är inget riktigt datum"}],
        "notes": [], "seconds": 0}
    message, error = jobs.outcome_text(status, "sv")
    assert message.split("\n")[:3] == ["ot.csv: 4 sparade, 0 fanns redan, 1 avvisade.",
                                      "rad 3: datum 'Datum': '2026-02-30' är inget riktigt datum",
                                      "1 tomma rader hoppades över."]
    assert error
    assert len(open_store(path).read_table("reports")) == 16
    rejected = import_jobs.rejected_csv(path, status).decode("utf-8-sig")
    assert rejected.splitlines()[1].startswith("3;datum 'Datum': '2026-02-30' är inget riktigt datum;2026-02-30")
    # The upload itself is gone once the job is done; its status and rejected rows stay.
    assert not (import_jobs.jobs_folder(path) / job_id / "input").exists()


def test_progress_is_written_while_the_file_is_read(path, monkeypatch):
    writes = []
    real = runner.write_json
    monkeypatch.setattr(runner, "write_json", lambda p, data: (writes.append(dict(data)), real(p, data)))
    monkeypatch.setattr(import_readers, "PROGRESS_ROWS", 2)
    monkeypatch.setattr(import_jobs, "WRITE_EVERY_S", 0.0)
    job_id = import_jobs.start_job(path, "ot.csv", CSV, kind="reports", layer="otrygg_plats", lang="sv", owner="me",
                                   launch=import_jobs.inline_launcher)
    texts = []
    for status in writes:
        text = jobs.progress_text(status, "sv") if status["state"] in import_jobs.ACTIVE else status["state"]
        if not texts or texts[-1] != text:
            texts.append(text)
    assert texts == ["Importen av ot.csv startar…", "Läser filen… 0 rader", "Läser filen… 2 av 6 rader",
                     "Läser filen… 4 av 6 rader", "Läser filen… 6 av 6 rader", "Kontrollerar 6 rader…",
                     "Sparar 6 rader…", "done"]
    assert import_jobs.job_status(path, job_id, "me")["result"]["stored"] == 4


def test_a_second_import_is_refused_while_one_runs_and_a_killed_one_reads_as_failed(path):
    started = []
    first = import_jobs.start_job(path, "a.csv", CSV, kind="reports", layer="otrygg_plats", lang="sv", owner="me",
                                  launch=sleeper(started))
    try:
        assert import_jobs.job_status(path, first, "me")["state"] == "queued"
        with pytest.raises(import_jobs.JobBusy) as busy:
            import_jobs.start_job(path, "b.csv", CSV, kind="reports", layer=None, lang="sv", owner="someone else")
        assert busy.value.status["name"] == "a.csv"
        assert jobs.busy_text(busy.value.status, "sv").startswith("En import pågår redan (a.csv, startad ")
    finally:
        started[0].send_signal(signal.SIGKILL)
        started[0].wait()
    status = import_jobs.job_status(path, first, "me")
    assert (status["state"], status["error"]) == ("failed", "killed")
    assert jobs.outcome_text(status, "sv") == (
        "Importen av a.csv avbröts innan den var klar (processen avslutades, till exempel när servern startades "
        "om). Ingenting sparades: ladda upp filen igen.", True)
    # Every process agrees: the status file itself now says failed.
    assert import_jobs.read_status(import_jobs.jobs_folder(path) / first)["state"] == "failed"
    assert len(open_store(path).read_table("reports")) == 12
    # The next upload may start.
    second = import_jobs.start_job(path, "b.csv", CSV, kind="reports", layer="otrygg_plats", lang="sv", owner="me",
                                   launch=import_jobs.inline_launcher)
    assert import_jobs.job_status(path, second, "me")["result"]["stored"] == 4


def test_a_worker_killed_while_storing_says_all_or_nothing(path):
    started = []
    job_id = import_jobs.start_job(path, "a.csv", CSV, kind="reports", layer=None, lang="en", owner="me",
                                   launch=sleeper(started))
    runner.update(import_jobs.jobs_folder(path) / job_id, state="running", stage="store", done=6, total=6)
    started[0].kill()
    started[0].wait()
    message, error = jobs.outcome_text(import_jobs.job_status(path, job_id, "me"), "en")
    assert error and message.startswith("The import of a.csv stopped while the rows were being stored. The data "
                                        "file has either all of them or none, never a part")


def test_a_job_shows_only_to_the_session_that_started_it(path):
    job_id = import_jobs.start_job(path, "ot.csv", CSV, kind="reports", layer="otrygg_plats", lang="sv", owner="me",
                                   launch=import_jobs.inline_launcher)
    assert import_jobs.job_status(path, job_id, "me")["state"] == "done"
    assert import_jobs.job_status(path, job_id, "someone else") is None
    assert import_jobs.job_status(path, "../../etc/passwd", "me") is None
    assert import_jobs.job_status(path, job_id[:-1] + ("A" if job_id[-1] != "A" else "B"), "me") is None
    # The owner is kept as a hash, never the session key itself.
    assert "me" not in (import_jobs.jobs_folder(path) / job_id / "status.json").read_text().split('"')


def _request(app, csrf: str):
    """A callback request of the browser whose session holds `csrf` (no users: the fixed role)."""
    context = app.server.test_request_context("/_dash-update-component", method="POST")
    context.push()
    flask.session["csrf"] = csrf
    app._trygghetskarta["auth"].before_request()
    return context


def test_through_the_callbacks_another_browser_cannot_follow_the_job(path, monkeypatch):
    from dashboard import callbacks_edit

    monkeypatch.setattr(callbacks_edit, "job_launcher", import_jobs.inline_launcher)
    app = create_app(open_store(path), role="polis", today=lambda: TODAY)
    cbs = _callbacks(app)
    contents = "data:text/csv;base64," + base64.b64encode(CSV).decode()
    context = _request(app, "browser-a")
    try:
        started = _call(cbs["upload"], "u-file.contents", contents, "ot.csv", "reports", "otrygg_plats", "sv")
    finally:
        context.pop()
    job_id = started[2]
    context = _request(app, "browser-b")
    try:
        other = _call(cbs["upload_poll"], "u-poll.n_intervals", 1, job_id, "sv", None)
    finally:
        context.pop()
    assert other[0] == "Importen finns inte längre (den hör till en annan session eller har tagits bort)."
    assert other[4:] == (None, True)
    context = _request(app, "browser-a")
    try:
        mine = _call(cbs["upload_poll"], "u-poll.n_intervals", 1, job_id, "sv", None)
    finally:
        context.pop()
    assert mine[0].startswith("ot.csv: 4 sparade, 0 fanns redan, 1 avvisade.")


def test_a_forged_upload_from_the_bra_screen_starts_no_job(path):
    app = create_app(open_store(path), role="bra", today=lambda: TODAY)
    contents = "data:text/csv;base64," + base64.b64encode(CSV).decode()
    context = _request(app, "browser-a")
    try:
        started = _call(_callbacks(app)["upload"], "u-file.contents", contents, "ot.csv", "reports", None, "sv")
        polled = _call(_callbacks(app)["upload_poll"], "u-poll.n_intervals", 1, "x" * 24, "sv", None)
    finally:
        context.pop()
    assert started[0] == "Din roll (BRÅ-möte (delad skärm)) får inte ändra data."
    assert polled[0] == started[0] and polled[4:] == (None, True)
    assert not import_jobs.jobs_folder(path).exists()
    assert len(open_store(path).read_table("reports")) == 12


# -- the CLI import takes the same one-import slot --------------------------------------------------

def _file_state(path):
    """The data file as bytes (and its WAL, if any): what 'untouched' means."""
    return [p.read_bytes() if p.exists() else None for p in (path, path.with_name(path.name + "-wal"))]


def _started(status) -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.fromtimestamp(status["created"], ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%d %H:%M")


def test_the_cli_import_refuses_while_an_upload_runs_and_leaves_the_file_untouched(path, tmp_path):
    from click.testing import CliRunner

    from dashboard.cli import main

    source = tmp_path / "ot.csv"
    source.write_bytes(CSV)
    started = []
    job_id = import_jobs.start_job(path, "upload.xlsx", CSV, kind="reports", layer=None, lang="sv", owner="me",
                                   launch=sleeper(started), by="anna")
    try:
        before = _file_state(path)
        res = CliRunner().invoke(main, ["import", str(source), "--data", str(path), "--layer", "otrygg_plats"])
        status = import_jobs.job_status(path, job_id, "me")
        assert res.exit_code == 1
        assert res.output.strip().splitlines() == [
            f"Error: an import into {path} is already running (upload.xlsx, started {_started(status)} by anna in "
            "the app); nothing was changed: try again when it has finished"]
        assert _file_state(path) == before
        assert not (tmp_path / "ot.csv.rejected.csv").exists()
        # A dry run only reads: it runs beside the upload.
        dry = CliRunner().invoke(main, ["import", str(source), "--data", str(path), "--layer", "otrygg_plats",
                                        "--dry-run"])
        assert dry.exit_code == 0 and "would store 4 reports" in dry.output
    finally:
        started[0].kill()
        started[0].wait()
    # Once the upload's worker is gone the command imports.
    res = CliRunner().invoke(main, ["import", str(source), "--data", str(path), "--layer", "otrygg_plats"])
    assert res.exit_code == 0 and "stored 4 reports" in res.output
    assert len(open_store(path).read_table("reports")) == 16


def test_an_upload_is_refused_while_the_cli_imports(path, tmp_path, monkeypatch):
    import threading

    from click.testing import CliRunner

    import layers.imports.run as importer_module
    from dashboard import callbacks_edit
    from dashboard.cli import main

    # The CLI's import holds still in the middle (after reading, before storing) until released.
    inside, release = threading.Event(), threading.Event()
    real = importer_module.run_import

    def held(*args, **kwargs):
        inside.set()
        assert release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer_module, "run_import", held)
    monkeypatch.setattr(callbacks_edit, "job_launcher", import_jobs.inline_launcher)
    source = tmp_path / "stor.csv"
    source.write_bytes(CSV)
    outcome = {}
    cli = threading.Thread(target=lambda: outcome.update(res=CliRunner().invoke(
        main, ["import", str(source), "--data", str(path), "--layer", "otrygg_plats"])))
    cli.start()
    try:
        assert inside.wait(60)
        app = create_app(open_store(path), role="polis", today=lambda: TODAY)
        upload = _server_callback(app, "upload")
        contents = "data:text/csv;base64," + base64.b64encode(CSV).decode()
        context = _request(app, "browser-a")
        try:
            refused = _call(upload, "u-file.contents", contents, "ot.csv", "reports", "otrygg_plats", "sv")
        finally:
            context.pop()
        running = [import_jobs.read_status(f) for f in import_jobs.jobs_folder(path).iterdir() if f.is_dir()]
        assert [(s["name"], s["state"], s["via"]) for s in running] == [("stor.csv", "running", "cli")]
        import getpass

        assert refused[0] == (f"En import pågår redan (stor.csv, startad {_started(running[0])[-5:]} av "
                              f"{getpass.getuser()} på kommandoraden). Vänta tills den är klar och försök igen.")
        assert refused[1:] == ("edit-message error", dash_no_update(), dash_no_update())
        assert len(open_store(path).read_table("reports")) == 12
    finally:
        release.set()
        cli.join(60)
    assert outcome["res"].exit_code == 0 and "stored 4 reports" in outcome["res"].output
    # The CLI's slot is free again (its job reads as done) and an upload starts.
    monkeypatch.setattr(importer_module, "run_import", real)
    job_id = import_jobs.start_job(path, "ot.csv", CSV, kind="reports", layer="otrygg_plats", lang="sv", owner="me",
                                   launch=import_jobs.inline_launcher)
    assert import_jobs.job_status(path, job_id, "me")["result"]["in_store"] == 4


def _server_callback(app, name: str):
    """One server-side callback by its function's name (clientside ones have no Python function)."""
    found = [e["callback"].__wrapped__ for e in app.callback_map.values()
             if "callback" in e and e["callback"].__name__ == name]
    assert len(found) == 1, name
    return found[0]


def dash_no_update():
    from dash import no_update

    return no_update


def test_a_killed_cli_import_frees_the_slot(path):
    # A process holding the CLI's slot (as `trygghetskarta import` does), killed with SIGKILL.
    code = ("import sys, time; from layers.imports import jobs as import_jobs\n"
            "with import_jobs.import_slot(sys.argv[1], 'big.xlsx', kind='reports', layer=None, by='ola'):\n"
            "    print('in', flush=True); time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        assert proc.stdout.readline() == "in\n"
        with pytest.raises(import_jobs.JobBusy) as busy:
            import_jobs.start_job(path, "b.csv", CSV, kind="reports", layer=None, lang="en", owner="me")
        assert jobs.busy_text(busy.value.status, "en").endswith(" by ola on the command line). Wait until it is "
                                                                 "done and try again.")
    finally:
        proc.kill()
        proc.wait()
    job_id = import_jobs.start_job(path, "ot.csv", CSV, kind="reports", layer="otrygg_plats", lang="sv", owner="me",
                                   launch=import_jobs.inline_launcher)
    assert import_jobs.job_status(path, job_id, "me")["result"]["stored"] == 4
    states = sorted(import_jobs.read_status(f)["state"] for f in import_jobs.jobs_folder(path).iterdir() if f.is_dir())
    assert states == ["done", "failed"]  # the killed CLI import reads as failed


# -- a reloaded page follows its session's upload again -----------------------------------------------

def test_a_reloaded_page_picks_up_its_sessions_running_upload_and_then_its_outcome(path, monkeypatch):
    from dash import no_update

    from dashboard import callbacks_edit

    started = []
    monkeypatch.setattr(callbacks_edit, "job_launcher", sleeper(started))
    app = create_app(open_store(path), role="polis", today=lambda: TODAY)
    upload, resume, poll = (_server_callback(app, n) for n in ("upload", "upload_resume", "upload_poll"))
    contents = "data:text/csv;base64," + base64.b64encode(CSV).decode()

    def as_browser(csrf, fn, *args):
        context = _request(app, csrf)
        try:
            return _call(fn, *args)
        finally:
            context.pop()

    assert as_browser("browser-a", resume, "url.pathname", "/", "sv") == (no_update,) * 4  # nothing running
    job_id = as_browser("browser-a", upload, "u-file.contents", contents, "ot.csv", "reports", "otrygg_plats",
                        "sv")[2]
    try:
        folder = import_jobs.jobs_folder(path) / job_id
        runner.update(folder, state="running", stage="read", done=40_000, total=120_000)
        # The reload: the same session gets its job id, the poll switched on and the progress.
        assert as_browser("browser-a", resume, "url.pathname", "/", "sv") == (
            job_id, False, "Läser filen… 40\u00a0000 av 120\u00a0000 rader", "edit-message")
        assert as_browser("browser-a", resume, "url.pathname", "/", "en") == (
            job_id, False, "Reading the file… 40,000 of 120,000 rows", "edit-message")
        # Another browser (another session) is not told about it.
        assert as_browser("browser-b", resume, "url.pathname", "/", "sv") == (no_update,) * 4
        # The job ends while the page reloads: the outcome is picked up and delivered by the poll, once.
        import_jobs.run_job(folder)
    finally:
        started[0].kill()
        started[0].wait()
    assert as_browser("browser-a", resume, "url.pathname", "/", "sv") == (job_id, False, no_update, "edit-message")
    polled = as_browser("browser-a", poll, "u-poll.n_intervals", 1, job_id, "sv", None)
    assert polled[0].startswith("ot.csv: 4 sparade, 0 fanns redan, 1 avvisade.") and polled[5] is True
    assert as_browser("browser-a", resume, "url.pathname", "/", "sv") == (no_update,) * 4  # shown: not again


def test_a_reduced_role_page_never_looks_for_jobs(path):
    from dash import no_update

    app = create_app(open_store(path), role="bra", today=lambda: TODAY)
    resume = _server_callback(app, "upload_resume")
    context = _request(app, "browser-a")
    try:
        assert _call(resume, "url.pathname", "/", "sv") == (no_update,) * 4
    finally:
        context.pop()
    assert not import_jobs.jobs_folder(path).exists()


def test_a_poll_that_crosses_the_delivering_one_gives_the_same_outcome_once_audited(path, monkeypatch):
    import threading

    from dash import no_update

    from dashboard import callbacks, callbacks_edit

    monkeypatch.setattr(callbacks_edit, "job_launcher", import_jobs.inline_launcher)
    audit = []
    app = create_app(open_store(path), role="polis", today=lambda: TODAY)
    monkeypatch.setattr(app._trygghetskarta["auth"], "audit_event", lambda event, detail: audit.append(event))
    upload, poll = _server_callback(app, "upload"), _server_callback(app, "upload_poll")
    # The first poll's reload holds (as a reload of a large file does) until released.
    reloading, release = threading.Event(), threading.Event()
    real_reload = callbacks.Views.reload

    def slow_reload(self, store):
        reloading.set()
        assert release.wait(60)
        return real_reload(self, store)

    monkeypatch.setattr(callbacks.Views, "reload", slow_reload)
    # The crossing poll waits in import_jobs' own sleep: seen here, so the first is released only then.
    import types

    crossing = threading.Event()
    monkeypatch.setattr(import_jobs, "time", types.SimpleNamespace(
        time=time.time, monotonic=time.monotonic, sleep=lambda s: (crossing.set(), time.sleep(s))))
    contents = "data:text/csv;base64," + base64.b64encode(CSV).decode()

    def as_browser(fn, *args):
        context = _request(app, "browser-a")
        try:
            return _call(fn, *args)
        finally:
            context.pop()

    job_id = as_browser(upload, "u-file.contents", contents, "ot.csv", "reports", "otrygg_plats", "sv")[2]
    answers = {}
    first = threading.Thread(target=lambda: answers.update(
        first=as_browser(poll, "u-poll.n_intervals", 1, job_id, "sv", {"rev": 0})))
    first.start()
    assert reloading.wait(60)
    # The next tick goes out while the first is still reloading: the browser will drop the first's answer.
    second = threading.Thread(target=lambda: answers.update(
        second=as_browser(poll, "u-poll.n_intervals", 2, job_id, "sv", {"rev": 0})))
    second.start()
    assert crossing.wait(60)
    release.set()
    first.join(60)
    second.join(60)
    assert answers["first"][0].startswith("ot.csv: 4 sparade, 0 fanns redan, 1 avvisade.")
    assert answers["second"][0] == answers["first"][0]
    assert answers["second"][1:] == answers["first"][1:]  # the rejected rows, the new revision, the poll off
    assert answers["first"][3] == {"rev": 1}
    # A poll after the answer was given delivers nothing again.
    late = as_browser(poll, "u-poll.n_intervals", 3, job_id, "sv", {"rev": 1})
    assert late[:4] == (no_update,) * 4 and late[4:] == (None, True)
    assert audit.count("import") == 1


def test_a_last_tick_after_the_outcome_says_nothing(path):
    from dash import no_update

    app = create_app(open_store(path), role="polis", today=lambda: TODAY)
    poll = _server_callback(app, "upload_poll")
    context = _request(app, "browser-a")
    try:
        # The outcome set the job to None and the poll off; a tick already under way must not
        # replace the outcome with "the import no longer exists".
        assert _call(poll, "u-poll.n_intervals", 9, None, "sv", {"rev": 1}) == (no_update,) * 4 + (None, True)
    finally:
        context.pop()
