"""Imports as background jobs: an upload imported by a worker process, its state in a folder beside the data file.

A job is a folder `DATAFILE.jobs/ID/` with the uploaded file (`input/`, removed when the job
ends), `status.json` and, when rows were rejected, the rejected-rows CSV. How a job starts,
runs, reports progress and what survives a crash is the job runner's (`layers.jobs`); the
worker (`python -m layers.imports.jobs FOLDER`) runs `layers.imports.run_import` at a lower
priority. The importer stores in one transaction, so a killed job left the data file with all
of its rows or none.

One import at a time per data file: starting one while another job's worker lives raises
`JobBusy`. The CLI's import takes the same slot (`import_slot`): a job folder whose lock the
importing process itself holds, so an upload is refused while it runs and it is refused
while an upload runs. A job's status shows only to the owner it was started for (a hash of the caller's
session key is kept, never the key); its id is random and unguessable. Nothing here knows
about Flask or Dash (`dashboard.jobs` is the web side).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

from ..jobs import (
    ACTIVE,
    DONE,
    FAILED,
    JOB_ID,
    NICENESS,
    QUEUED,
    RUNNING,
    WRITE_EVERY_S,
    JobFailed,
    Launcher,
    Progress,
    folder_lock,
    new_job,
    owned_status,
    owner_key,
    read_status,
    run,
    run_inline,
    settled,
    spawn,
    start,
    take_lock,
    update,
    worker_alive,
    worker_main,
    write_json,
)

#: Rejections carried in the status (the page shows five; the CSV has them all).
SHOWN_REJECTIONS = 5


class JobBusy(RuntimeError):
    """Another import into the same data file is still running; `status` is that job's."""

    def __init__(self, status: dict):
        super().__init__(f"an import is already running: {status.get('name')}")
        self.status = status


# -- the folder and its files -------------------------------------------------------------------------

def jobs_folder(data_path: str | os.PathLike) -> Path:
    """Where the jobs of one data file live: beside it, named after it."""
    path = Path(data_path).resolve()
    return path.with_name(path.name + ".jobs")


def _remove_input(folder: Path) -> None:
    shutil.rmtree(folder / "input", ignore_errors=True)


def _settled(folder: Path) -> dict | None:
    """The status, a job found killed marked failed (its upload removed)."""
    return settled(folder, _remove_input)


# -- starting and reading jobs ------------------------------------------------------------------------

def spawn_worker(folder: Path, lock_fd: int) -> None:
    """The worker as a child process of the server (`layers.jobs.spawn`)."""
    spawn("layers.imports.jobs", folder, lock_fd, "import-job")


def start_job(data_path: str | os.PathLike, name: str, raw: bytes, *, kind: str, layer: str | None,
              lang: str, owner: str, launch: Launcher | None = None, by: str | None = None) -> str:
    """Start importing `raw` (an uploaded file called `name`, already a safe base name) into
    the data file; returns the job id. JobBusy when another import into it still runs.
    `by` names who started it (shown to whoever is refused meanwhile)."""
    if Path(name).name != name or name in ("", ".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")

    def fill(folder: Path) -> None:
        (folder / "input").mkdir(mode=0o700)
        (folder / "input" / name).write_bytes(raw)

    def status(job_id: str, now: float) -> dict:
        return {
            "id": job_id, "owner": owner_key(owner), "state": QUEUED, "stage": "queued", "done": 0,
            "total": None, "name": name, "kind": kind, "layer": layer, "lang": lang,
            "data": str(Path(data_path).resolve()), "created": now, "size": len(raw), "by": by, "via": "app",
        }

    return start(jobs_folder(data_path), status, launch or spawn_worker, busy=JobBusy, fill=fill,
                 cleanup=_remove_input)


@contextlib.contextmanager
def import_slot(data_path: str | os.PathLike, name: str, *, kind: str, layer: str | None, by: str | None = None):
    """Hold the data file's one import slot while an import runs in this process (the CLI).

    A job folder whose status says running and whose lock this process holds: an upload
    started meanwhile is refused with this import's name, start time and `by`, and if this
    process dies the lock goes with it (the job then reads as failed). JobBusy, before
    anything is touched, when another import into the data file runs. Yields the job id.
    """
    root = jobs_folder(data_path)
    root.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    with folder_lock(root):
        job_id, folder = new_job(root, now, JobBusy, _remove_input)
        folder.mkdir(mode=0o700)
        # Nobody's session owns it: no page can show or claim it.
        write_json(folder / "status.json", {
            "id": job_id, "owner": owner_key(secrets.token_hex(16)), "state": RUNNING, "stage": "read", "done": 0,
            "total": None, "name": name, "kind": kind, "layer": layer, "data": str(Path(data_path).resolve()),
            "created": now, "started": now, "pid": os.getpid(), "by": by, "via": "cli",
        })
        fd = take_lock(folder)
    try:
        yield job_id
    except BaseException:
        update(folder, state=FAILED, error="import", finished=time.time())
        raise
    else:
        update(folder, state=DONE, stage="done", finished=time.time())
    finally:
        os.close(fd)


def describe(status: dict) -> str:
    """A running import in words for the command line: file, start (Swedish time) and who."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    started = dt.datetime.fromtimestamp(float(status.get("created") or 0), ZoneInfo("Europe/Stockholm"))
    via = "on the command line" if status.get("via") == "cli" else "in the app"
    who = f" by {status['by']}" if status.get("by") else ""
    return f"{status.get('name', '?')}, started {started:%Y-%m-%d %H:%M}{who} {via}"


def job_status(data_path: str | os.PathLike, job_id: str | None, owner: str) -> dict | None:
    """The job's status for its owner; None for an unknown id or another owner's job (the same
    answer: nobody learns that someone else's job exists)."""
    return owned_status(jobs_folder(data_path), job_id, owner, _remove_input)


#: A finished job whose outcome no page has shown yet is picked up again for this long (seconds).
RESUME_FINISHED_S = 3600


def owners_job(data_path: str | os.PathLike, owner: str, now: float | None = None) -> dict | None:
    """The owner's job a reloaded page should follow again: the newest one still running, or
    one that finished in the last hour without its outcome shown (no page claimed it)."""
    root = jobs_folder(data_path)
    if not root.is_dir():
        return None
    now = time.time() if now is None else now
    key = owner_key(owner)
    found = []
    for folder in root.iterdir():
        if not folder.is_dir() or not JOB_ID.match(folder.name):
            continue
        status = read_status(folder)
        if status is None or not hmac.compare_digest(str(status.get("owner", "")), key):
            continue
        status = _settled(folder) or status
        active = status.get("state") in ACTIVE
        recent = now - float(status.get("finished") or 0) < RESUME_FINISHED_S
        if active or (recent and not (folder / "delivered").exists()):
            found.append(status)
    return max(found, key=lambda s: float(s.get("created") or 0), default=None)


def rejected_csv(data_path: str | os.PathLike, status: dict) -> bytes:
    """The rejected rows of a finished job (b"" when none)."""
    name = status.get("rejected_file")
    if not name or Path(name).name != name:
        return b""
    path = jobs_folder(data_path) / status["id"] / name
    return path.read_bytes() if path.exists() else b""


def claim_result(data_path: str | os.PathLike, status: dict) -> bool:
    """True for the first caller only: a finished job's outcome is delivered once (two polls
    that cross must not reload the data or write the audit entry twice)."""
    try:
        fd = os.open(jobs_folder(data_path) / status["id"] / "delivered", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    return True


#: How long a poll that crossed the delivering one waits for it (seconds).
CROSSED_WAIT_S = 30.0


def mark_delivered(data_path: str | os.PathLike, status: dict) -> None:
    """The poll that claimed the outcome has built its answer (the data reloaded)."""
    (jobs_folder(data_path) / status["id"] / "shown").touch()


def crossed_delivery(data_path: str | os.PathLike, status: dict, timeout: float = CROSSED_WAIT_S) -> bool:
    """For a poll that did not claim the outcome: whether the claiming poll was still building
    its answer when this one came (then wait until it is built; its answer is the one the
    browser drops). False when the outcome was delivered before."""
    folder = jobs_folder(data_path) / status["id"]
    shown = folder / "shown"
    try:
        claimed = (folder / "delivered").stat().st_mtime
    except FileNotFoundError:
        return False
    if shown.exists() or time.time() - claimed > timeout:
        return False
    end = time.monotonic() + timeout
    while not shown.exists() and time.monotonic() < end:
        time.sleep(0.05)
    return True


# -- the worker -----------------------------------------------------------------------------------------

class _StatusProgress:
    """The importer's progress (stages and rows read) written to the status file, throttled."""

    def __init__(self, folder: Path, clock=time.monotonic):
        self.progress = Progress(folder, every=WRITE_EVERY_S, clock=clock, heartbeat=True)
        self.rows_total: int | None = None

    def __call__(self, stage: str) -> None:
        # The importer names the stage it finished; the status names the one under way.
        following = {"read": "check", "coordinates": "check", "fields": "check", "validate": "store",
                     "store": "store"}
        self.progress.write(stage=following.get(stage, stage), done=self.rows_total or 0, total=self.rows_total)

    def rows(self, done: int, total: int | None) -> None:
        if done == total:
            self.rows_total = done
        self.progress.write(force=done == total, stage="read", done=done, total=total)

    def close(self) -> None:
        pass


def _result(result, name: str) -> dict:
    rejected = [{"row": r.row, "reason": r.reason} for r in result.rejected[:SHOWN_REJECTIONS]]
    return {
        "total": result.total, "stored": result.stored, "in_store": result.in_store,
        "repeated": result.repeated, "rejected": len(result.rejected), "empty": result.empty,
        "first_rejected": rejected, "notes": [str(n) for n in result.notes], "seconds": round(result.seconds, 2),
    }


def _import(folder: Path, status: dict) -> dict:
    """The job's work: the upload imported; the result and the rejected rows' file for its DONE status."""
    from .. import StoreError, ValidationError, open_store
    from .read import ImportFailed
    from .run import run_import

    name = status["name"]
    path = folder / "input" / name
    try:
        store = open_store(status["data"])
        result, _prepared = run_import(path, store, kind=status["kind"], layer=status.get("layer"),
                                       progress=_StatusProgress(folder), lang=status.get("lang", "sv"))
    except (ImportFailed, ValidationError, StoreError, ValueError, OSError, RuntimeError) as exc:
        # The message names the file, never the job folder.
        text = str(exc).replace(str(path), name).replace(str(folder), "")
        raise JobFailed("import", f"{name}: {text}") from None
    rejected_file = None
    if result.rejected_path is not None and result.rejected_path.exists():
        rejected_file = f"{Path(name).stem}.rejected.csv"
        os.replace(result.rejected_path, folder / rejected_file)
    return {"result": _result(result, name), "rejected_file": rejected_file}


def run_job(folder: str | os.PathLike) -> dict:
    """Run the job in `folder` here and now; returns its final status. Every failure becomes
    the status's `error` (a user's mistake as the importer words it, else 'internal')."""
    return run(folder, _import, cleanup=_remove_input, heartbeat=time.time())


def inline_launcher(folder: Path, lock_fd: int) -> None:
    """Run the job in this process before returning (tests; no worker process)."""
    run_inline(run_job, folder, lock_fd)


def main(argv: list[str] | None = None) -> int:
    return worker_main(run_job, "Run one import job (started by the dashboard).", argv)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ACTIVE", "DONE", "FAILED", "JOB_ID", "NICENESS", "QUEUED", "RUNNING", "JobBusy", "claim_result", "crossed_delivery",
           "describe", "import_slot", "inline_launcher", "job_status", "jobs_folder", "mark_delivered", "owner_key",
           "owners_job", "read_status", "rejected_csv", "run_job", "spawn_worker", "start_job", "worker_alive"]
