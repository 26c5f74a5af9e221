"""Imports as background jobs: a worker process per job, its state in a folder beside the data file.

A job is a folder `DATAFILE.jobs/ID/` with the uploaded file, `status.json` (replaced
atomically on every change, so any process of the server reads a whole one, never a half)
and, when rows were rejected, the rejected-rows CSV. The worker (`python -m layers.imports.jobs
FOLDER`) runs `layers.imports.run_import` at a lower priority and holds an exclusive lock on
the job's `lock` file for as long as it lives; the parent takes the lock before the worker
exists and hands it over, so there is no moment without it. The kernel drops the lock when
the process ends, however it ends (kill -9, a server restart that takes its children along):
a job whose status still says running while nobody holds its lock was killed, and reads as
failed. The importer stores in one transaction, so a killed job left the data file with all
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
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

#: Job ids: `secrets.token_urlsafe(18)`, 24 URL-safe characters.
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{24}$")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)
#: A worker writes progress at most this often (seconds); stage changes always.
WRITE_EVERY_S = 0.5
#: Finished jobs' folders are removed after this long (seconds).
KEEP_S = 24 * 3600
#: The worker's niceness increment: viewers' requests come first.
NICENESS = 10
#: Rejections carried in the status (the page shows five; the CSV has them all).
SHOWN_REJECTIONS = 5

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


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


def owner_key(owner: str) -> str:
    """What the status keeps of an owner: a hash (the session key itself stays in the cookie)."""
    return hashlib.sha256(("trygghetskarta-job-owner\0" + owner).encode()).hexdigest()


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_status(folder: Path) -> dict | None:
    try:
        with open(folder / "status.json", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _update(folder: Path, **changes) -> dict:
    status = read_status(folder) or {}
    status.update(changes)
    _write_json(folder / "status.json", status)
    return status


@contextlib.contextmanager
def _folder_lock(folder: Path):
    """Starting a job is one step for all processes of the server (check, then create)."""
    with open(folder / ".start.lock", "a+b") as f:
        if fcntl is not None:
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(f, fcntl.LOCK_UN)


def _take_lock(folder: Path) -> int:
    """Open the job's lock file and lock it; the descriptor goes to the worker."""
    fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def worker_alive(folder: Path) -> bool:
    """Whether some process holds the job's lock (its worker lives)."""
    if fcntl is None:  # pragma: no cover - no locks: trust the status
        return True
    try:
        fd = os.open(folder / "lock", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock just taken
    return False


def _settled(folder: Path) -> dict | None:
    """The status, with a job whose worker died while it ran marked failed (for everyone)."""
    status = read_status(folder)
    if status is None or status.get("state") not in ACTIVE or worker_alive(folder):
        return status
    # The worker writes its last status before it lets the lock go: read again.
    status = read_status(folder)
    if status is None or status.get("state") not in ACTIVE:
        return status
    _remove_input(folder)
    return _update(folder, state=FAILED, error="killed", finished=time.time())


def _remove_input(folder: Path) -> None:
    shutil.rmtree(folder / "input", ignore_errors=True)


def _prune(root: Path, now: float) -> None:
    for folder in root.iterdir():
        if not folder.is_dir() or not JOB_ID.match(folder.name):
            continue
        status = _settled(folder)
        finished = (status or {}).get("finished") or (status or {}).get("created") or folder.stat().st_mtime
        if (status is None or status.get("state") not in ACTIVE) and now - float(finished) > KEEP_S:
            shutil.rmtree(folder, ignore_errors=True)


# -- starting and reading jobs ------------------------------------------------------------------------

#: `launch(folder, lock_fd)` starts the worker and returns once it owns the lock descriptor.
Launcher = Callable[[Path, int], None]


def spawn_worker(folder: Path, lock_fd: int) -> None:
    """The worker as a child process of the server (same process group: a server stopped with
    Ctrl-C or by its service manager takes it along; the job then reads as failed)."""
    import layers

    env = dict(os.environ)
    package_root = str(Path(layers.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    with open(folder / "worker.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "layers.imports.jobs", str(folder), "--lock-fd", str(lock_fd)],
            pass_fds=(lock_fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=folder,
        )
    # Reap it when it ends (no zombie); its status and lock tell the rest.
    threading.Thread(target=proc.wait, name=f"import-job-{folder.name[:6]}", daemon=True).start()


def _refuse_if_busy(root: Path) -> None:
    """JobBusy with the running job's status if an import into this data file still runs
    (called under the folder lock)."""
    for folder in root.iterdir():
        if folder.is_dir() and JOB_ID.match(folder.name):
            status = _settled(folder)
            if status is not None and status.get("state") in ACTIVE:
                raise JobBusy(status)


def start_job(data_path: str | os.PathLike, name: str, raw: bytes, *, kind: str, layer: str | None,
              lang: str, owner: str, launch: Launcher | None = None, by: str | None = None) -> str:
    """Start importing `raw` (an uploaded file called `name`, already a safe base name) into
    the data file; returns the job id. JobBusy when another import into it still runs.
    `by` names who started it (shown to whoever is refused meanwhile)."""
    if Path(name).name != name or name in ("", ".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")
    root = jobs_folder(data_path)
    root.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    with _folder_lock(root):
        job_id, folder = _new_job(root, now)
        (folder / "input").mkdir(mode=0o700, parents=True)
        (folder / "input" / name).write_bytes(raw)
        _write_json(folder / "status.json", {
            "id": job_id, "owner": owner_key(owner), "state": QUEUED, "stage": "queued", "done": 0,
            "total": None, "name": name, "kind": kind, "layer": layer, "lang": lang,
            "data": str(Path(data_path).resolve()), "created": now, "size": len(raw), "by": by, "via": "app",
        })
        fd = _take_lock(folder)
        try:
            (launch or spawn_worker)(folder, fd)
        except BaseException:
            _remove_input(folder)
            _update(folder, state=FAILED, error="not started", finished=time.time())
            raise
        finally:
            os.close(fd)  # the worker has its own copy of the locked descriptor
    return job_id


def _new_job(root: Path, now: float) -> tuple[str, Path]:
    """A fresh job id and its folder path, after old jobs are pruned; JobBusy when an import
    runs. Called with the jobs folder's lock held, so two starts cannot both pass."""
    _prune(root, now)
    _refuse_if_busy(root)
    job_id = secrets.token_urlsafe(18)
    return job_id, root / job_id


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
    with _folder_lock(root):
        job_id, folder = _new_job(root, now)
        folder.mkdir(mode=0o700)
        # Nobody's session owns it: no page can show or claim it.
        _write_json(folder / "status.json", {
            "id": job_id, "owner": owner_key(secrets.token_hex(16)), "state": RUNNING, "stage": "read", "done": 0,
            "total": None, "name": name, "kind": kind, "layer": layer, "data": str(Path(data_path).resolve()),
            "created": now, "started": now, "pid": os.getpid(), "by": by, "via": "cli",
        })
        fd = _take_lock(folder)
    try:
        yield job_id
    except BaseException:
        _update(folder, state=FAILED, error="import", finished=time.time())
        raise
    else:
        _update(folder, state=DONE, stage="done", finished=time.time())
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
    if not isinstance(job_id, str) or not JOB_ID.match(job_id):
        return None
    folder = jobs_folder(data_path) / job_id
    status = _settled(folder) if folder.is_dir() else None
    if status is None or not hmac.compare_digest(str(status.get("owner", "")), owner_key(owner)):
        return None
    return status


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
        self.folder = folder
        self.clock = clock
        self.last = 0.0
        self.rows_total: int | None = None

    def __call__(self, stage: str) -> None:
        # The importer names the stage it finished; the status names the one under way.
        following = {"read": "check", "coordinates": "check", "fields": "check", "validate": "store",
                     "store": "store"}
        _update(self.folder, stage=following.get(stage, stage), done=self.rows_total or 0,
                total=self.rows_total, heartbeat=time.time())
        self.last = self.clock()

    def rows(self, done: int, total: int | None) -> None:
        if done == total:
            self.rows_total = done
        if self.clock() - self.last < WRITE_EVERY_S and done != total:
            return
        _update(self.folder, stage="read", done=done, total=total, heartbeat=time.time())
        self.last = self.clock()

    def close(self) -> None:
        pass


def _result(result, name: str) -> dict:
    rejected = [{"row": r.row, "reason": r.reason} for r in result.rejected[:SHOWN_REJECTIONS]]
    return {
        "total": result.total, "stored": result.stored, "in_store": result.in_store,
        "repeated": result.repeated, "rejected": len(result.rejected), "empty": result.empty,
        "first_rejected": rejected, "notes": [str(n) for n in result.notes], "seconds": round(result.seconds, 2),
    }


def _niceness() -> int | None:
    try:
        return os.nice(0)
    except (OSError, AttributeError):  # pragma: no cover - Windows
        return None


def run_job(folder: str | os.PathLike) -> dict:
    """Run the job in `folder` here and now; returns its final status. Every failure becomes
    the status's `error` (a user's mistake as the importer words it, else 'internal')."""
    from .. import StoreError, ValidationError, open_store
    from .read import ImportFailed
    from .run import run_import

    folder = Path(folder)
    status = _update(folder, state=RUNNING, stage="read", pid=os.getpid(), niceness=_niceness(), started=time.time(),
                     heartbeat=time.time())
    name = status["name"]
    path = folder / "input" / name
    try:
        store = open_store(status["data"])
        result, _prepared = run_import(path, store, kind=status["kind"], layer=status.get("layer"),
                                       progress=_StatusProgress(folder), lang=status.get("lang", "sv"))
    except (ImportFailed, ValidationError, StoreError, ValueError, OSError, RuntimeError) as exc:
        # The message names the file, never the job folder.
        text = str(exc).replace(str(path), name).replace(str(folder), "")
        _remove_input(folder)
        return _update(folder, state=FAILED, error="import", message=f"{name}: {text}", finished=time.time())
    except Exception:
        import traceback

        traceback.print_exc()  # to worker.log
        _remove_input(folder)
        return _update(folder, state=FAILED, error="internal", finished=time.time())
    rejected_file = None
    if result.rejected_path is not None and result.rejected_path.exists():
        rejected_file = f"{Path(name).stem}.rejected.csv"
        os.replace(result.rejected_path, folder / rejected_file)
    _remove_input(folder)
    return _update(folder, state=DONE, stage="done", result=_result(result, name), rejected_file=rejected_file,
                   finished=time.time())


def inline_launcher(folder: Path, lock_fd: int) -> None:
    """Run the job in this process before returning (tests; no worker process)."""
    own = os.dup(lock_fd)
    try:
        run_job(folder)
    finally:
        os.close(own)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run one import job (started by the dashboard).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--lock-fd", type=int, required=True, help="the job's locked lock file, inherited")
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)
    status = run_job(args.folder)
    os.close(args.lock_fd)
    return 0 if status.get("state") == DONE else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ACTIVE", "DONE", "FAILED", "JOB_ID", "QUEUED", "RUNNING", "JobBusy", "claim_result", "crossed_delivery",
           "describe", "import_slot", "inline_launcher", "job_status", "jobs_folder", "mark_delivered", "owner_key",
           "owners_job", "read_status", "rejected_csv", "run_job", "spawn_worker", "start_job", "worker_alive"]
