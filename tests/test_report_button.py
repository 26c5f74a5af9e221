"""The "Skriv ut lägesbild" button: the periods offered per role, the report made as a background
job with its progress in words, the file of the session's role and period, the refusal of a
period the role cannot have, and the files served to the session that started the job only."""

import os
import time

import pypdf
import pytest

from dashboard.app import create_app
from dashboard.data import load
from dashboard.jobs import request_owner
from dashboard.report import jobs
from dashboard.report.period import ReportError, check_period, parse_period
from dashboard.report_controls import report_periods
from layers import privacy
from tests.dash_fixtures import TODAY, call, callback, small_store
from tests.test_report import flat


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("button") / "small.gpkg")


def test_the_periods_offered_are_the_promise_periods_the_role_may_have(store):
    data = load(store)
    settings = data.config.privacy

    def codes(role):
        return [p.code for p in report_periods(data, privacy.policy(role, settings, data.config.layers), TODAY)]

    # The promise period is 2026; on 27 November 2026 December has not begun.
    months = [f"2026-{m:02d}" for m in range(11, 0, -1)]
    assert codes("polis") == ["2026", "2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1", *months]
    assert codes("bra") == codes("polis")  # its narcotics cells are published per month
    assert codes("allmanhet") == ["2026", "2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1"]  # per quarter: no months


def test_a_period_the_role_cannot_have_is_refused_with_the_clis_message(store, tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(jobs, "spawn_worker", lambda folder, fd: started.append(folder))
    app = create_app(store, today=lambda: TODAY, role="allmanhet")
    views = app._trygghetskarta["views"]
    with pytest.raises(ReportError) as cli:
        check_period(parse_period("2026-10"), views.policy("allmanhet"), views.settings,
                     (TODAY.replace(year=2025, month=11, day=20), TODAY))
    job, poll_off, message = call(callback(app, "report_start"), "r-go.n_clicks", 1, "2026-10", "sv")
    assert (job, poll_off) == (None, True) and message == str(cli.value)
    assert message.startswith("--period 2026-10 is finer than the role allmanhet may see: it sees its cells "
                              "layers per quarter; periods it can have: 2025-Q4, 2026-Q1,")
    assert not started


@pytest.fixture(scope="module")
def made(store):
    """A report started by the button in-process (the worker run inline) and its poll's answer."""
    mp = pytest.MonkeyPatch()
    mp.setattr(jobs, "spawn_worker", jobs.inline_launcher)
    try:
        app = create_app(store, today=lambda: TODAY, role="bra")
        job, poll_off, first = call(callback(app, "report_start"), "r-go.n_clicks", 1, "2026-Q4", "sv")
        answer = call(callback(app, "report_poll"), "r-poll.n_intervals", 1, job, "sv")
    finally:
        mp.undo()
    return {"app": app, "job": job, "poll_off": poll_off, "first": first, "answer": answer}


def test_the_button_makes_the_sessions_roles_report_of_the_period(made, store):
    assert made["poll_off"] is False
    assert made["first"] == "Lägesbilden för kvartal 4 2026 väntar på att börja …"
    message, poll_off = made["answer"]
    assert poll_off is True
    status = jobs.report_status(store.path, made["job"], "local")
    assert (status["state"], status["period"], status["role"], status["lang"], status["today"]) == (
        "done", "2026-Q4", "bra", "sv", "2026-11-27")
    assert message[0] == f"Lägesbilden för kvartal 4 2026 är klar ({status['pages']} sidor):"
    pdf, html_link = message[2], message[4]
    assert (pdf.children, pdf.href, pdf.download) == ("PDF", f"/lagesbild/{made['job']}/pdf", "lagesbild-2026-Q4-bra.pdf")
    assert (html_link.children, html_link.href) == ("HTML", f"/lagesbild/{made['job']}/html")
    path = jobs.report_file(store.path, made["job"], "local", "pdf")
    text = flat(" ".join(page.extract_text() for page in pypdf.PdfReader(path).pages))
    assert "Roll: BRÅ-möte (delad skärm)" in text and "kvartal 4 2026 (2026-10-01 – 2026-12-31)" in text
    # The CLI's numbers: the same content function on the same data, role, period and day.
    assert "Trygghet: 5 rapporter under kvartal 4 2026 t.o.m. 27 november, inga under kvartal 3 2026 på samma dagar." in text
    html = jobs.report_file(store.path, made["job"], "local", "html").read_text(encoding="utf-8")
    assert "Roll: BRÅ-möte (delad skärm)" in html


def test_progress_and_failures_in_words():
    from dashboard.callbacks_report import failure_text, progress_text

    base = {"period": "2026-10", "state": "running"}
    assert progress_text({**base, "stage": "read"}, "sv") == "Lägesbilden för oktober 2026: läser data …"
    assert progress_text({**base, "stage": "area", "area": "Trafik"}, "sv") == "Lägesbilden för oktober 2026: räknar Trafik …"
    assert progress_text({**base, "stage": "figures", "done": 3, "total": 8}, "sv") == (
        "Lägesbilden för oktober 2026: ritar figur 3 av 8 …")
    assert progress_text({**base, "stage": "pdf"}, "en") == "The situation report for October 2026: writing the PDF …"
    assert failure_text({"error": "report", "message": "no reports or activities"}, "sv") == (
        "Lägesbilden kunde inte göras: no reports or activities")
    assert failure_text({"error": "killed"}, "sv").startswith("Lägesbilden avbröts")


def _fake_done(folder, fd):
    """A launcher that 'makes' the report at once: two small files and a done status."""
    status = jobs.read_status(folder)
    for fmt in jobs.FORMATS:
        (folder / jobs.file_name(status, fmt)).write_bytes(b"%PDF-1.7 fake" if fmt == "pdf" else b"<html></html>")
    jobs.update(folder, state=jobs.DONE, stage="done", pages=1, finished=time.time())


def test_the_files_are_served_to_the_session_that_started_the_job_only(store):
    app = create_app(store, today=lambda: TODAY)
    app.server.add_url_rule("/_test_owner", "test_owner", lambda: request_owner() or "")
    mine, theirs = app.server.test_client(), app.server.test_client()
    for client in (mine, theirs):  # the first answer gives the browser its session
        client.get("/_test_owner")
    owner = mine.get("/_test_owner").get_data(as_text=True)
    assert owner and owner != theirs.get("/_test_owner").get_data(as_text=True)
    job = jobs.start_report(store.path, "2026-11", "polis", "sv", TODAY.isoformat(), owner, launch=_fake_done)
    got = mine.get(f"/lagesbild/{job}/pdf")
    assert got.status_code == 200 and got.data == b"%PDF-1.7 fake" and got.mimetype == "application/pdf"
    assert 'filename=lagesbild-2026-11-polis.pdf' in got.headers["Content-Disposition"]
    assert mine.get(f"/lagesbild/{job}/html").mimetype == "text/html"
    # Another session, an unknown id, another format: the same 404 (nobody learns the job exists).
    for client, path in ((theirs, f"/lagesbild/{job}/pdf"), (mine, "/lagesbild/" + "x" * 24 + "/pdf"),
                         (mine, f"/lagesbild/{job}/docx"), (mine, "/lagesbild/../pdf")):
        assert client.get(path).status_code == 404
    assert jobs.report_status(store.path, job, "someone else") is None


def test_one_report_at_a_time_and_a_killed_worker_reads_as_failed(store, monkeypatch):
    held = []

    def keep_lock(folder, fd):  # a worker that lives: it holds the job's lock
        held.append(os.dup(fd))

    app = create_app(store, today=lambda: TODAY)
    monkeypatch.setattr(jobs, "spawn_worker", keep_lock)
    start = callback(app, "report_start")
    job, _, _ = call(start, "r-go.n_clicks", 1, "2026-10", "sv")
    try:
        busy = call(start, "r-go.n_clicks", 2, "2026-11", "sv")
        assert busy[2].startswith("En lägesbild görs redan (startad ") and busy[2].endswith(
            "). Försök igen när den är klar.")
        running = call(callback(app, "report_poll"), "r-poll.n_intervals", 1, job, "sv")
        assert running == ("Lägesbilden för oktober 2026 väntar på att börja …", False)
    finally:
        os.close(held.pop())
    # The worker is gone without finishing: the page says so and stops polling.
    message, poll_off = call(callback(app, "report_poll"), "r-poll.n_intervals", 2, job, "sv")
    assert message.startswith("Lägesbilden avbröts") and poll_off is True
    assert call(callback(app, "report_poll"), "r-poll.n_intervals", 3, "forged-id", "sv") == (
        "Lägesbilden finns inte längre. Gör en ny.", True)
