"""The job runner (layers.jobs) on its own: a crash leaves a failed status, one job at a time, exact progress writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from layers import jobs

ROOT = Path(__file__).resolve().parents[1]


class Busy(RuntimeError):
    def __init__(self, status):
        super().__init__(status["id"])
        self.status = status


def queued(owner="me"):
    return lambda job_id, now: {"id": job_id, "owner": jobs.owner_key(owner), "state": jobs.QUEUED, "stage": "queued",
                                "created": now}


def status_file(folder: Path) -> dict:
    return json.loads((folder / "status.json").read_text(encoding="utf-8"))


@pytest.fixture
def root(tmp_path):
    return tmp_path / "data.gpkg.jobs"


def test_a_job_runs_inline_to_done_with_its_fields(root):
    def work(folder, status):
        assert status["state"] == jobs.RUNNING and status["pid"] == os.getpid()
        (folder / "out.txt").write_text("made")
        return {"pages": 3}

    job_id = jobs.start(root, queued(), lambda folder, fd: jobs.run_inline(lambda f: jobs.run(f, work), folder, fd),
                        busy=Busy)
    status = status_file(root / job_id)
    assert (status["state"], status["stage"], status["pages"], status["niceness"]) == ("done", "done", 3, os.nice(0))
    assert set(status) == {"id", "owner", "state", "stage", "created", "pid", "niceness", "started", "pages",
                           "finished"}
    assert status["created"] <= status["started"] <= status["finished"]
    assert not jobs.worker_alive(root / job_id)  # the lock went with the job


def test_a_job_that_raises_is_failed_internal_and_cleaned_up(root, capsys):
    def work(folder, status):
        (folder / "input").mkdir()
        raise KeyError("a bug")

    def cleanup(folder):
        (folder / "input").rmdir()

    job_id = jobs.start(root, queued(), lambda folder, fd: jobs.run_inline(
        lambda f: jobs.run(f, work, cleanup=cleanup, heartbeat=12.5), folder, fd), busy=Busy, cleanup=cleanup)
    status = status_file(root / job_id)
    assert (status["state"], status["error"], status["heartbeat"]) == ("failed", "internal", 12.5)
    assert "message" not in status
    assert not (root / job_id / "input").exists()
    assert "KeyError: 'a bug'" in capsys.readouterr().err  # the traceback goes to the worker's log


def test_a_users_mistake_is_failed_with_its_message(root):
    def work(folder, status):
        raise jobs.JobFailed("import", "ot.csv: no column with the time")

    job_id = jobs.start(root, queued(), lambda folder, fd: jobs.run_inline(lambda f: jobs.run(f, work), folder, fd),
                        busy=Busy)
    status = status_file(root / job_id)
    assert (status["state"], status["error"], status["message"]) == ("failed", "import", "ot.csv: no column with the time")


def test_a_killed_worker_leaves_a_failed_status(root):
    # The worker says running, then dies by SIGKILL: nobody writes its end, the kernel drops its lock.
    code = ("import os, signal, sys; from pathlib import Path; from layers import jobs\n"
            "jobs.update(Path(sys.argv[1]), state='running', stage='read', done=40)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    procs = []

    def launch(folder, fd):
        procs.append(subprocess.Popen([sys.executable, "-c", code, str(folder)], pass_fds=(fd,), cwd=ROOT))

    cleaned = []
    job_id = jobs.start(root, queued(), launch, busy=Busy, cleanup=cleaned.append)
    assert procs[0].wait(60) == -9
    folder = root / job_id
    assert (status_file(folder)["state"], status_file(folder)["done"]) == ("running", 40)
    status = jobs.settled(folder, cleaned.append)
    assert (status["state"], status["error"], status["stage"], status["done"]) == ("failed", "killed", "read", 40)
    assert cleaned == [folder]
    assert status_file(folder)["state"] == "failed"  # written back: every reader sees the same


def test_a_second_start_is_refused_while_the_first_holds_its_lock(root):
    held = []

    def keep(folder, fd):  # a worker that has started and not finished: it holds the lock
        held.append(os.dup(fd))

    first = jobs.start(root, queued(), keep, busy=Busy)
    launched = []
    with pytest.raises(Busy) as refused:
        jobs.start(root, queued("someone else"), lambda folder, fd: launched.append(folder), busy=Busy)
    assert refused.value.status["id"] == first and refused.value.status["state"] == "queued"
    assert launched == [] and [f.name for f in jobs.job_folders(root)] == [first]
    os.close(held[0])  # the worker dies without a word
    second = jobs.start(root, queued(), lambda folder, fd: launched.append(folder), busy=Busy)
    assert second != first and launched == [root / second]
    assert status_file(root / first)["error"] == "killed"


def test_a_launch_that_fails_leaves_the_job_not_started(root):
    def broken(folder, fd):
        raise OSError("no such interpreter")

    with pytest.raises(OSError):
        jobs.start(root, queued(), broken, busy=Busy)
    (folder,) = jobs.job_folders(root)
    assert (status_file(folder)["state"], status_file(folder)["error"]) == ("failed", "not started")
    # A failed launch does not hold the slot.
    jobs.start(root, queued(), lambda folder, fd: None, busy=Busy)


def test_finished_jobs_are_pruned_after_a_day_running_ones_never(root):
    now = time.time()
    root.mkdir()
    ages = {"old-done": jobs.KEEP_S + 60, "new-done": jobs.KEEP_S - 60}
    names = {}
    for label, age in ages.items():
        job_id = jobs.new_job(root, now, Busy)[0]
        (root / job_id).mkdir()
        jobs.write_json(root / job_id / "status.json", {"id": job_id, "state": "done", "finished": now - age})
        names[label] = job_id
    jobs.new_job(root, now, Busy)
    assert sorted(f.name for f in jobs.job_folders(root)) == [names["new-done"]]


def test_only_the_owner_sees_a_job(root):
    job_id = jobs.start(root, queued("me"), lambda folder, fd: None, busy=Busy)
    assert jobs.owned_status(root, job_id, "me")["id"] == job_id
    assert jobs.owned_status(root, job_id, "someone else") is None
    assert jobs.owned_status(root, "../../etc/passwd", "me") is None
    assert jobs.owned_status(root, None, "me") is None
    assert "me" not in (root / job_id / "status.json").read_text().split('"')


def test_progress_writes_at_most_every_half_second_unless_forced(tmp_path):
    jobs.write_json(tmp_path / "status.json", {"state": "running"})
    now = [100.0]
    progress = jobs.Progress(tmp_path, every=0.5, clock=lambda: now[0])
    steps = [(100.0, False, 1), (100.2, False, 2), (100.3, True, 3), (100.6, False, 4), (100.81, False, 5),
             (100.82, True, 6)]
    written = []
    for at, force, done in steps:
        now[0] = at
        written.append(progress.write(force=force, stage="read", done=done, total=6))
    assert written == [True, False, True, False, True, True]
    assert status_file(tmp_path) == {"state": "running", "stage": "read", "done": 6, "total": 6}


def test_progress_with_a_heartbeat_stamps_each_write(tmp_path, monkeypatch):
    jobs.write_json(tmp_path / "status.json", {"state": "running"})
    monkeypatch.setattr(jobs.time, "time", lambda: 1_750_000_000.25)
    jobs.Progress(tmp_path, heartbeat=True).write(stage="store", done=3, total=3)
    assert status_file(tmp_path) == {"state": "running", "stage": "store", "done": 3, "total": 3,
                                     "heartbeat": 1_750_000_000.25}


def test_the_worker_main_runs_the_job_and_lets_the_lock_go(root, monkeypatch):
    monkeypatch.setattr(jobs.os, "nice", lambda increment: 0)  # the test process keeps its priority
    job_id = jobs.start(root, queued(), lambda folder, fd: None, busy=Busy)
    folder = root / job_id
    for state, code in (("done", 0), ("failed", 1)):
        fd = jobs.take_lock(folder)
        seen = []

        def run_job(f, seen=seen, state=state):
            seen.append(jobs.worker_alive(f))
            return {"state": state}

        assert jobs.worker_main(run_job, "test", [str(folder), "--lock-fd", str(fd)]) == code
        assert seen == [True] and not jobs.worker_alive(folder)
        with pytest.raises(OSError):
            os.fstat(fd)  # closed by the worker
