"""The meeting report (lägesbild): one role's view of a period as an A4 PDF or an HTML page.

`make_report` builds the dashboard in-process on the data file, reads the role's frames through
its `Views` (so the report's numbers are the screen's), draws the dashboard's own figures to
SVG (`svg`), and renders one template to HTML and PDF (`render`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .period import Period, ReportError, check_period, parse_period

FORMATS = (".pdf", ".html")


@dataclass(frozen=True)
class Made:
    path: Path
    pages: int | None  # None for HTML
    report: object  # content.Report


def make_report(data_path: Path, period: str, role: str, lang: str, out: Path,
                today: dt.date | None = None, progress: Callable[[str], None] = lambda _: None,
                scope: dict | None = None) -> Made:
    """Write the report for `role` over `period` ("2026", "2026-Q3", "2026-10") to `out`
    (.pdf or .html); `scope`: the page's filters (`scope.Scope.to_dict`), None for the whole kommun."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"--out {out}: the file name must end in .pdf or .html")
    report, html = build_html(data_path, period, role, lang, today, progress, scope=scope)
    return write(report, html, out, progress)


def build_html(data_path: Path, period: str, role: str, lang: str, today: dt.date | None = None,
               progress: Callable[[str], None] = lambda _: None, scope: dict | None = None):
    """(content.Report, HTML text) of the report: the role's frames from an in-process
    dashboard on the data file, its figures drawn to SVG, one template rendered; `scope` as
    `make_report`'s (checked against the data file: unknown names are dropped)."""
    from layers import open_store
    from layers.privacy import ROLES

    from ..app import create_app
    from ..data import load
    from .content import build_content
    from .render import render_html
    from .scope import Scope
    from .svg import chromium, figures_to_svg

    if role not in ROLES:
        raise ReportError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    chosen = parse_period(period)
    chromium()  # before minutes of work: a missing browser is said at once
    today = today or dt.date.today()
    progress("reading the data file")
    store = open_store(data_path)
    data = load(store)
    app = create_app(store, today=lambda: today, data=data, role=role)
    views = app._trygghetskarta["views"]
    policy = views.policy(role)
    check_period(chosen, policy, views.settings, data_span(data))
    report = build_content(data, views.get, policy, chosen, lang, today, progress=progress,
                           follow_up=_follow_up(data, views, role, chosen, today),
                           scope=Scope.from_dict(scope, data) if scope is not None else None)
    named = {f"{s.id}/{kind}": figure for s in report.sections for kind, figure in s.figures.items()}
    progress(f"drawing {len(named)} figures")
    svgs = figures_to_svg(named, progress=lambda step: progress(f"figure {step}"))
    return report, render_html(report, svgs)


def write(report, html: str, out: Path, progress: Callable[[str], None] = lambda _: None) -> Made:
    """The HTML as it is (.html) or its A4 PDF (.pdf) at `out`."""
    from .render import write_pdf

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".html":
        out.write_text(html, encoding="utf-8")
        return Made(out, None, report)
    progress("writing the PDF")
    return Made(out, write_pdf(html, out), report)


def _follow_up(data, views, role: str, period: Period, today: dt.date):
    """The promise's commitments followed up at the period's end (today when it has not ended),
    by the dashboard's own function; None when the period lies outside the promise period."""
    from ..promise import follow_up_for_role

    cfg = data.config
    if period.end < cfg.period_start or period.start > cfg.period_end or not cfg.commitments:
        return None
    return follow_up_for_role(cfg, views.role_data(role), data.activities, min(period.end, today), effects=False)


def data_span(data) -> tuple[dt.date, dt.date] | None:
    """The first and last local day of the data's reports (None without reports)."""
    times = data.reports["local_time"]
    if times.empty:
        return None
    return dt.date.fromisoformat(times.min()[:10]), dt.date.fromisoformat(times.max()[:10])


__all__ = ["FORMATS", "Made", "data_span", "Period", "ReportError", "build_html", "make_report", "parse_period", "write"]
