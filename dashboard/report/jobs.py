"""The meeting report as a background job: a worker process at lower priority per report, its
state in a folder beside the data file (`DATAFILE.reports/ID/`), the files for its owner only.

How a job starts, runs, reports progress and what survives a crash is the job runner's
(`layers.jobs`, shared with the import jobs): the same atomic `status.json`, the lock file the
worker holds for as long as it lives (a killed worker's job reads as failed), the same owner
hash and unguessable ids, the same niceness. Reports have their own folder, so a report never
blocks an import or the other way round; one report runs at a time per data file (a second is
refused with the running one's start time: two would halve each other's speed on a small
server and slow every viewer)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from layers.jobs import (
    ACTIVE,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    JobFailed,
    Launcher,
    owned_status,
    owner_key,
    read_status,
    run,
    run_inline,
    spawn,
    start,
    update,
    worker_main,
)

#: The files a job makes, by format.
FORMATS = ("pdf", "html")


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


def spawn_worker(folder: Path, lock_fd: int) -> None:
    """`python -m dashboard.report.jobs FOLDER` as a child of the server (its process group)."""
    spawn("dashboard.report.jobs", folder, lock_fd, "report-job")


def start_report(data_path: str | os.PathLike, period: str, role: str, lang: str, today: str, owner: str,
                 launch: Launcher | None = None, scope: dict | None = None) -> str:
    """Start making the report of `period` for `role` in `lang` as of `today` (ISO date), for
    the page's filters `scope` (`report.scope.Scope.to_dict`; None: the whole kommun); the
    job id. ReportBusy while another report of the data file is being made. The period is
    checked for the role by the caller (as the CLI does) before anything starts."""

    def status(job_id: str, now: float) -> dict:
        return {
            "id": job_id, "owner": owner_key(owner), "state": QUEUED, "stage": "queued", "done": 0, "total": None,
            "period": period, "role": role, "lang": lang, "today": today, "data": str(Path(data_path).resolve()),
            "created": now, "scope": scope,
        }

    return start(reports_folder(data_path), status, launch or spawn_worker, busy=ReportBusy)


def report_status(data_path: str | os.PathLike, job_id: str | None, owner: str) -> dict | None:
    """The job's status for its owner; None for an unknown id or another owner's job alike."""
    return owned_status(reports_folder(data_path), job_id, owner)


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
            update(self.folder, stage="read")
        elif line.startswith("drawing ") and line.endswith(" figures"):
            update(self.folder, stage="figures", done=0, total=int(line.split()[1]))
        elif line.startswith("figure ") and "/" in line:
            done, total = line.split()[1].split("/")
            update(self.folder, stage="figures", done=int(done), total=int(total))
        elif line == "writing the PDF":
            update(self.folder, stage="pdf")
        else:  # a focus area's short name
            update(self.folder, stage="area", area=line)


def _make(folder: Path, status: dict) -> dict:
    """The job's work: the PDF and HTML from one render; the page count for its DONE status."""
    import datetime as dt

    from . import ReportError, build_html, write

    try:
        report, html = build_html(Path(status["data"]), status["period"], status["role"], status["lang"],
                                  today=dt.date.fromisoformat(status["today"]), progress=_Progress(folder),
                                  scope=status.get("scope"))
        made = write(report, html, folder / file_name(status, "pdf"), _Progress(folder))
        write(report, html, folder / file_name(status, "html"))
    except ReportError as exc:
        raise JobFailed("report", str(exc)) from None
    return {"pages": made.pages}


def run_report(folder: str | os.PathLike) -> dict:
    """Make the job's report here and now (PDF and HTML from one render); its final status."""
    return run(folder, _make)


def inline_launcher(folder: Path, lock_fd: int) -> None:
    """Make the report in this process before returning (tests; no worker process)."""
    run_inline(run_report, folder, lock_fd)


def main(argv: list[str] | None = None) -> int:
    return worker_main(run_report, "Make one meeting report (started by the dashboard).", argv)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ACTIVE", "DONE", "FAILED", "FORMATS", "QUEUED", "RUNNING", "ReportBusy", "file_name", "inline_launcher",
           "read_status", "report_file", "report_status", "reports_folder", "run_report", "spawn_worker", "start_report",
           "update"]
