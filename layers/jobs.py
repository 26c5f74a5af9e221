"""Background jobs (uploads' imports, meeting reports): one worker process per job, its state in a folder on disk.

How a job runs:

1. `start` (in the server): under the jobs folder's start lock (`folder_lock`: one step for all
   processes of the server, check then create), finished jobs older than `KEEP_S` are pruned,
   a job still running refuses the start (the caller's `busy(status)` is raised), a fresh
   unguessable id (`JOB_ID`) gets its folder, `fill(folder)` writes the job's input, and
   `status.json` says QUEUED. The job's `lock` file is locked *before* the worker exists and
   the locked descriptor handed to it (`Launcher`), so there is no moment without the lock.
2. The worker (`worker_main`, `python -m MODULE FOLDER --lock-fd N`, started by `spawn`)
   lowers its priority (`NICENESS`: viewers' requests come first) and calls `run`: the status
   says RUNNING, the job's work writes its progress (`Progress`, at most every `WRITE_EVERY_S`
   unless a stage changes), and its end is DONE, or FAILED with `error` ("internal" for a bug,
   the traceback in the folder's `worker.log`; a `JobFailed`'s error and message for a user's
   mistake). Only then does the worker let the lock go.
3. Readers (`settled`, `owned_status`) read the status; only the owner sees a job (a hash of
   the caller's session key is kept, `owner_key`, never the key).

What survives a crash: `status.json` is replaced atomically on every change (`write_json`), so a
reader sees a whole one, old or new, never half. The kernel drops the lock when the worker
ends however it ends (kill -9, a server restart that takes its children along): a job whose
status still says QUEUED or RUNNING while nobody holds its lock was killed, and the first reader
marks it FAILED with error "killed" (`settled`) and removes what the job kept only for running
(`cleanup`). What the work itself wrote is the work's business (the import stores in one
transaction: a killed import left the data file with all of its rows or none).
Nothing here knows about imports, reports, Flask or Dash.
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
from collections.abc import Callable, Iterator
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
#: The folder holding the project's packages (the worker's PYTHONPATH).
PROJECT_ROOT = Path(__file__).resolve().parents[1]

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: `launch(folder, lock_fd)` starts the worker and returns once it owns the lock descriptor.
Launcher = Callable[[Path, int], None]
#: What a job keeps only while it runs, removed when it ends (or is found killed).
Cleanup = Callable[[Path], None] | None


class JobFailed(Exception):
    """The job failed through a user's mistake: its status gets `error` and `message` (worded for the user)."""

    def __init__(self, error: str, message: str):
        super().__init__(message)
        self.error = error
        self.message = message


# -- the status file ----------------------------------------------------------------------------------


def owner_key(owner: str) -> str:
    """What the status keeps of an owner: a hash (the session key itself stays in the cookie)."""
    return hashlib.sha256(("trygghetskarta-job-owner\0" + owner).encode()).hexdigest()


def write_json(path: Path, data: dict) -> None:
    """`data` as JSON at `path`, replaced atomically (a reader never sees half a file)."""
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


def update(folder: Path, **changes) -> dict:
    """The status with `changes`, written back; the new status."""
    status = read_status(folder) or {}
    status.update(changes)
    write_json(folder / "status.json", status)
    return status


# -- locks --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def folder_lock(root: Path):
    """Starting a job is one step for all processes of the server (check, then create)."""
    with open(root / ".start.lock", "a+b") as f:
        if fcntl is not None:
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(f, fcntl.LOCK_UN)


def take_lock(folder: Path) -> int:
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


# -- reading jobs -------------------------------------------------------------------------------------


def job_folders(root: Path) -> Iterator[Path]:
    """The job folders under `root` (other files, such as the start lock, are not jobs)."""
    for folder in root.iterdir():
        if folder.is_dir() and JOB_ID.match(folder.name):
            yield folder


def settled(folder: Path, cleanup: Cleanup = None) -> dict | None:
    """The status, with a job whose worker died while it ran marked failed (for everyone)."""
    status = read_status(folder)
    if status is None or status.get("state") not in ACTIVE or worker_alive(folder):
        return status
    # The worker writes its last status before it lets the lock go: read again.
    status = read_status(folder)
    if status is None or status.get("state") not in ACTIVE:
        return status
    if cleanup is not None:
        cleanup(folder)
    return update(folder, state=FAILED, error="killed", finished=time.time())


def owned_status(root: Path, job_id: str | None, owner: str, cleanup: Cleanup = None) -> dict | None:
    """The job's status for its owner; None for an unknown id or another owner's job (the same
    answer: nobody learns that someone else's job exists)."""
    if not isinstance(job_id, str) or not JOB_ID.match(job_id):
        return None
    folder = root / job_id
    status = settled(folder, cleanup) if folder.is_dir() else None
    if status is None or not hmac.compare_digest(str(status.get("owner", "")), owner_key(owner)):
        return None
    return status


# -- starting jobs ------------------------------------------------------------------------------------


def new_job(root: Path, now: float, busy: Callable[[dict], BaseException], cleanup: Cleanup = None) -> tuple[str, Path]:
    """A fresh job id and its folder's path, after finished jobs older than KEEP_S are pruned;
    raises `busy(status)` when a job under `root` still runs. Call it with `folder_lock(root)`
    held, so two starts cannot both pass."""
    for folder in job_folders(root):
        status = settled(folder, cleanup)
        finished = (status or {}).get("finished") or (status or {}).get("created") or folder.stat().st_mtime
        if (status is None or status.get("state") not in ACTIVE) and now - float(finished) > KEEP_S:
            shutil.rmtree(folder, ignore_errors=True)
    for folder in job_folders(root):
        status = settled(folder, cleanup)
        if status is not None and status.get("state") in ACTIVE:
            raise busy(status)
    job_id = secrets.token_urlsafe(18)
    return job_id, root / job_id


def start(root: Path, make_status: Callable[[str, float], dict], launch: Launcher, *,
          busy: Callable[[dict], BaseException], fill: Callable[[Path], None] | None = None,
          cleanup: Cleanup = None) -> str:
    """Start a job under `root`: its folder (`fill` writes its input), its QUEUED status
    `make_status(job_id, now)`, its locked lock file handed to `launch`; returns the job id.
    Raises `busy(status)` while another job under `root` runs. A launch that fails leaves the
    job FAILED with error "not started"."""
    root.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    with folder_lock(root):
        job_id, folder = new_job(root, now, busy, cleanup)
        folder.mkdir(mode=0o700)
        if fill is not None:
            fill(folder)
        write_json(folder / "status.json", make_status(job_id, now))
        fd = take_lock(folder)
        try:
            launch(folder, fd)
        except BaseException:
            if cleanup is not None:
                cleanup(folder)
            update(folder, state=FAILED, error="not started", finished=time.time())
            raise
        finally:
            os.close(fd)  # the worker has its own copy of the locked descriptor
    return job_id


def spawn(module: str, folder: Path, lock_fd: int, thread_name: str) -> None:
    """`python -m MODULE FOLDER --lock-fd N` as a child of the server (same process group: a
    server stopped with Ctrl-C or by its service manager takes it along; the job then reads as
    failed), its output in the folder's `worker.log`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    with open(folder / "worker.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, str(folder), "--lock-fd", str(lock_fd)],
            pass_fds=(lock_fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=folder,
        )
    # Reap it when it ends (no zombie); its status and lock tell the rest.
    threading.Thread(target=proc.wait, name=f"{thread_name}-{folder.name[:6]}", daemon=True).start()


def run_inline(run_job: Callable[[Path], dict], folder: Path, lock_fd: int) -> None:
    """A launcher's body that runs the job in this process before returning (tests; no worker)."""
    own = os.dup(lock_fd)
    try:
        run_job(folder)
    finally:
        os.close(own)


# -- the worker ---------------------------------------------------------------------------------------


def niceness() -> int | None:
    try:
        return os.nice(0)
    except (OSError, AttributeError):  # pragma: no cover - Windows
        return None


def run(folder: str | os.PathLike, work: Callable[[Path, dict], dict], *, cleanup: Cleanup = None,
        **running) -> dict:
    """Run the job in `folder` here and now: RUNNING (with pid, niceness, start time and
    `running`), then `work(folder, status)`, whose fields end the job as DONE; a `JobFailed`
    ends it FAILED with its error and message, any other exception FAILED with error
    "internal" (the traceback to stderr: the worker's log). `cleanup` runs either way."""
    folder = Path(folder)
    status = update(folder, state=RUNNING, stage="read", pid=os.getpid(), niceness=niceness(), started=time.time(),
                    **running)
    try:
        fields = work(folder, status)
    except JobFailed as exc:
        end = {"state": FAILED, "error": exc.error, "message": exc.message}
    except Exception:
        import traceback

        traceback.print_exc()  # to worker.log
        end = {"state": FAILED, "error": "internal"}
    else:
        end = {"state": DONE, "stage": "done", **fields}
    if cleanup is not None:
        cleanup(folder)
    return update(folder, **end, finished=time.time())


def worker_main(run_job: Callable[[Path], dict], description: str, argv: list[str] | None = None) -> int:
    """A worker process's main: FOLDER and the inherited --lock-fd; 0 when the job is DONE."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--lock-fd", type=int, required=True, help="the job's locked lock file, inherited")
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)
    status = run_job(args.folder)
    os.close(args.lock_fd)
    return 0 if status.get("state") == DONE else 1


class Progress:
    """A job's progress into its status: a forced write always (a stage change), others at most
    every `every` seconds; with `heartbeat`, each write also stamps the time."""

    def __init__(self, folder: Path, every: float = WRITE_EVERY_S, clock=time.monotonic, heartbeat: bool = False):
        self.folder = folder
        self.every = every
        self.clock = clock
        self.heartbeat = heartbeat
        self.last: float | None = None

    def write(self, force: bool = True, **changes) -> bool:
        """Whether the changes were written (False: too soon after the last write)."""
        if not force and self.last is not None and self.clock() - self.last < self.every:
            return False
        if self.heartbeat:
            changes["heartbeat"] = time.time()
        update(self.folder, **changes)
        self.last = self.clock()
        return True


__all__ = [
    "ACTIVE", "DONE", "FAILED", "JOB_ID", "KEEP_S", "NICENESS", "QUEUED", "RUNNING", "WRITE_EVERY_S", "Cleanup",
    "JobFailed", "Launcher", "Progress", "folder_lock", "job_folders", "new_job", "niceness", "owned_status",
    "owner_key", "read_status", "run", "run_inline", "settled", "spawn", "start", "take_lock", "update",
    "worker_alive", "worker_main", "write_json",
]
