"""The meeting report as a background job: a worker process at lower priority per report, its
state in a folder beside the data file (`DATAFILE.reports/ID/`), the files for its owner only.

The machinery is the import jobs' (`layers.import_jobs`): the same atomic `status.json`, the
lock file the worker holds for as long as it lives (a killed worker's job reads as failed), the
same owner hash and unguessable ids, the same niceness. Reports have their own folder, so a
report never blocks an import or the other way round; one report runs at a time per data file
(a second is refused with the running one's start time: two would halve each other's speed
on a small server and slow every viewer)."""

from __future__ import annotations

import hmac
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from layers.imports.jobs import (
    ACTIVE,
    DONE,
    FAILED,
    JOB_ID,
    KEEP_S,
    NICENESS,
    QUEUED,
    RUNNING,
    _folder_lock,
    _take_lock,
    _update,
    _write_json,
    owner_key,
    read_status,
    worker_alive,
)

#: The files a job makes, by format.
FORMATS = ("pdf", "html")

Launcher = Callable[[Path, int], None]


class ReportBusy(RuntimeError):
    """Another report of the same data file is being made; `status` is that job's."""

    def __init__(self, status: dict):
        super().__init__("a report is already being made")
        self.status = status


def reports_folder(data_path: str | os.PathLike) -> Path:
    path = Path(data_path).resolve()
    return path.with_name(path.name + ".reports")


def file_name(status: dict, fmt: str) -> str:
    """'lagesbild-2026-Q3-bra.pdf': the period and role, nothing a user typed."""
    return f"lagesbild-{status['period']}-{status['role']}.{fmt}"


def _settled(folder: Path) -> dict | None:
    """The status, a job whose worker died while it ran marked failed."""
    status = read_status(folder)
    if status is None or status.get("state") not in ACTIVE or worker_alive(folder):
        return status
    status = read_status(folder)  # the worker writes its last status before the lock goes
    if status is None or status.get("state") not in ACTIVE:
        return status
    return _update(folder, state=FAILED, error="killed", finished=time.time())


def _jobs(root: Path):
    for folder in root.iterdir():
        if folder.is_dir() and JOB_ID.match(folder.name):
            yield folder


def spawn_worker(folder: Path, lock_fd: int) -> None:
    """`python -m dashboard.report.jobs FOLDER` as a child of the server (its process group)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the dashboard package
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    with open(folder / "worker.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard.report.jobs", str(folder), "--lock-fd", str(lock_fd)],
                                pass_fds=(lock_fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                cwd=folder)
    threading.Thread(target=proc.wait, name=f"report-job-{folder.name[:6]}", daemon=True).start()


def start_report(data_path: str | os.PathLike, period: str, role: str, lang: str, today: str, owner: str,
                 launch: Launcher | None = None, scope: dict | None = None) -> str:
    """Start making the report of `period` for `role` in `lang` as of `today` (ISO date), for
    the page's filters `scope` (`report.scope.Scope.to_dict`; None: the whole kommun); the
    job id. ReportBusy while another report of the data file is being made. The period is
    checked for the role by the caller (as the CLI does) before anything starts."""
    root = reports_folder(data_path)
    root.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    with _folder_lock(root):
        for folder in _jobs(root):
            status = _settled(folder)
            if status is not None and status.get("state") in ACTIVE:
                raise ReportBusy(status)
            finished = (status or {}).get("finished") or folder.stat().st_mtime
            if now - float(finished) > KEEP_S:
                shutil.rmtree(folder, ignore_errors=True)
        job_id = secrets.token_urlsafe(18)
        folder = root / job_id
        folder.mkdir(mode=0o700)
        _write_json(folder / "status.json", {
            "id": job_id, "owner": owner_key(owner), "state": QUEUED, "stage": "queued", "done": 0, "total": None,
            "period": period, "role": role, "lang": lang, "today": today, "data": str(Path(data_path).resolve()),
            "created": now, "scope": scope,
        })
        fd = _take_lock(folder)
        try:
            (launch or spawn_worker)(folder, fd)
        except BaseException:
            _update(folder, state=FAILED, error="not started", finished=time.time())
            raise
        finally:
            os.close(fd)
    return job_id


def report_status(data_path: str | os.PathLike, job_id: str | None, owner: str) -> dict | None:
    """The job's status for its owner; None for an unknown id or another owner's job alike."""
    if not isinstance(job_id, str) or not JOB_ID.match(job_id):
        return None
    folder = reports_folder(data_path) / job_id
    status = _settled(folder) if folder.is_dir() else None
    if status is None or not hmac.compare_digest(str(status.get("owner", "")), owner_key(owner)):
        return None
    return status


def report_file(data_path: str | os.PathLike, job_id: str | None, owner: str, fmt: str) -> Path | None:
    """The finished job's PDF or HTML for its owner, else None."""
    status = report_status(data_path, job_id, owner)
    if status is None or status.get("state") != DONE or fmt not in FORMATS:
        return None
    path = reports_folder(data_path) / status["id"] / file_name(status, fmt)
    return path if path.is_file() else None


class _Progress:
    """The report's progress lines (`dashboard.report.build_html`) as status fields the page words."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __call__(self, line: str) -> None:
        if line == "reading the data file":
            _update(self.folder, stage="read")
        elif line.startswith("drawing ") and line.endswith(" figures"):
            _update(self.folder, stage="figures", done=0, total=int(line.split()[1]))
        elif line.startswith("figure ") and "/" in line:
            done, total = line.split()[1].split("/")
            _update(self.folder, stage="figures", done=int(done), total=int(total))
        elif line == "writing the PDF":
            _update(self.folder, stage="pdf")
        else:  # a focus area's short name
            _update(self.folder, stage="area", area=line)


def run_report(folder: str | os.PathLike) -> dict:
    """Make the job's report here and now (PDF and HTML from one render); its final status."""
    import datetime as dt

    from . import ReportError, build_html, write

    folder = Path(folder)
    status = _update(folder, state=RUNNING, stage="read", pid=os.getpid(), niceness=os.nice(0), started=time.time())
    try:
        report, html = build_html(Path(status["data"]), status["period"], status["role"], status["lang"],
                                  today=dt.date.fromisoformat(status["today"]), progress=_Progress(folder),
                                  scope=status.get("scope"))
        made = write(report, html, folder / file_name(status, "pdf"), _Progress(folder))
        write(report, html, folder / file_name(status, "html"))
    except ReportError as exc:
        return _update(folder, state=FAILED, error="report", message=str(exc), finished=time.time())
    except Exception:
        import traceback

        traceback.print_exc()  # to worker.log
        return _update(folder, state=FAILED, error="internal", finished=time.time())
    return _update(folder, state=DONE, stage="done", pages=made.pages, finished=time.time())


def inline_launcher(folder: Path, lock_fd: int) -> None:
    """Make the report in this process before returning (tests; no worker process)."""
    own = os.dup(lock_fd)
    try:
        run_report(folder)
    finally:
        os.close(own)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import contextlib

    parser = argparse.ArgumentParser(description="Make one meeting report (started by the dashboard).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--lock-fd", type=int, required=True, help="the job's locked lock file, inherited")
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)
    status = run_report(args.folder)
    os.close(args.lock_fd)
    return 0 if status.get("state") == DONE else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ACTIVE", "DONE", "FAILED", "FORMATS", "QUEUED", "RUNNING", "ReportBusy", "file_name", "inline_launcher",
           "report_file", "report_status", "reports_folder", "run_report", "spawn_worker", "start_report"]
