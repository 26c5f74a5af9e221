"""Time `trygghetskarta report` (the meeting report) for a year of demo data and at 100 000 reports.

A demo file holds 24 months; the report covers the whole calendar year in it (2025) for the
role `bra`, as PDF. Per size, the median of several runs of each step:

* ``content``: the app's data and the role's frames (dashboard.report.content), figures built;
* ``svg``: the figures drawn to SVG in ONE kaleido/Chromium session (dashboard.report.svg);
* ``svg, MapLibre maps``: the same, with each map drawn as the dashboard's MapLibre map
  (`figures.map_figure`, WebGL in Chromium) as the report did before its maps for paper
  (dashboard.report.paper_map) — the baseline of the paper maps, on the same machine and load;
* ``naive svg``: the same figures with a new kaleido session per figure (plotly's
  ``fig.write_image`` way: each call starts Chromium);
* ``html + pdf``: the template rendered and WeasyPrint's PDF written;
* ``total``: ``make_report`` end to end (the CLI's work), and the PDF's page count.

    python bench/bench_report.py [--reports 3000 100000] [--runs 3] [--naive-runs 1]

Results go to bench/out/bench_report.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: Demo data cannot lie in the future: 24 months through November 2026 hold the whole year 2025.
END = dt.date(2026, 11, 30)
TODAY = dt.date(2026, 12, 1)
PERIOD = "2025"
ROLE = "bra"


def naive_svgs(named: dict[str, dict]) -> dict[str, str]:
    """One Chromium session per figure (what a loop of ``write_image`` calls does)."""
    import kaleido

    from dashboard.report.svg import SIZES, _static

    async def one(figure, opts):
        async with kaleido.Kaleido(n=1, mathjax=False) as session:
            return await session.calc_fig(figure, opts=opts)

    out = {}
    for key, figure in named.items():
        width, height = SIZES.get(key.rsplit("/", 1)[-1], (700, 400))
        out[key] = asyncio.run(one(_static(figure), {"format": "svg", "width": width, "height": height}))
    return out


def maplibre_maps(store) -> dict[str, dict]:
    """Each section's map as the dashboard draws it (MapLibre), as the report did before."""
    from dashboard import figures
    from dashboard.app import create_app
    from dashboard.data import load
    from dashboard.report.content import _state, focus_sections
    from dashboard.report.period import parse_period

    data = load(store)
    views = create_app(store, today=lambda: TODAY, data=data, role=ROLE)._trygghetskarta["views"]
    period = parse_period(PERIOD)
    out = {}
    for fid, layers in focus_sections(data, views.policy(ROLE)):
        frames = views.get(_state((fid,), layers, period.start, period.end, "sv"), ROLE)
        out[f"{fid}/map"] = figures.map_figure(
            data, frames.points, frames.activities, lang="sv", view=figures.default_view(data), show_activities=True,
            basemap=False, density_color=data.config.focus_areas[fid].color, cells=frames.cells,
            scattered=frames.scattered, cell_m=frames.policy.cell_m, other=frames.other)
    return out


def bench(reports: int, runs: int, naive_runs: int, folder: Path) -> dict:
    from dashboard.app import create_app
    from dashboard.data import load
    from dashboard.report import make_report
    from dashboard.report.content import build_content
    from dashboard.report.period import parse_period
    from dashboard.report.render import render_html, write_pdf
    from dashboard.report.svg import chromium, figures_to_svg
    from layers import open_store
    from layers.demo import write_demo

    path = folder / f"demo-{reports}.gpkg"
    if not path.exists():
        write_demo(path, reports=reports, activities=400, end=END)
    os.environ["BROWSER_PATH"] = chromium()
    store = open_store(path)

    def content():
        data = load(store)
        app = create_app(store, today=lambda: TODAY, data=data, role=ROLE)
        views = app._trygghetskarta["views"]
        return build_content(data, views.get, views.policy(ROLE), parse_period(PERIOD), "sv", TODAY)

    t_content, report = median_s(content, runs)
    named = {f"{s.id}/{kind}": fig for s in report.sections for kind, fig in s.figures.items()}
    t_svg, svgs = median_s(lambda: figures_to_svg(named), runs)
    t_maplibre, _ = median_s(lambda: figures_to_svg({**named, **maplibre_maps(store)}), runs)
    t_naive, _ = median_s(lambda: naive_svgs(named), naive_runs)
    out = folder / f"report-{reports}.pdf"
    t_pdf, pages = median_s(lambda: write_pdf(render_html(report, svgs), out), runs)
    t_total, made = median_s(lambda: make_report(path, PERIOD, ROLE, "sv", out, today=TODAY), runs)
    in_year = int(store.read_table("reports")["occurred_at"].str.startswith(PERIOD).sum())
    return {"reports": reports, "in_period": in_year, "figures": len(named), "content": t_content, "svg": t_svg,
            "naive_svg": t_naive, "maplibre_svg": t_maplibre, "pdf": t_pdf, "total": t_total, "pages": made.pages,
            "size_kb": out.stat().st_size // 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-runs", type=int, default=1)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.reports:
            row = bench(n, args.runs, args.naive_runs, Path(tmp))
            rows.append(row)
            print(row, file=sys.stderr)
    lines = [
        f"# bench_report: `trygghetskarta report --period {PERIOD} --role {ROLE}` (PDF), median of "
        f"{args.runs} runs (naive svg: {args.naive_runs})", "",
        "| reports in file | in 2025 | figures | content s | svg s (one session, paper maps) | svg s, MapLibre maps"
        " | naive svg s (session per figure) | html+pdf s | total s | pages | PDF KiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['reports']} | {r['in_period']} | {r['figures']} | {r['content']:.1f} | {r['svg']:.1f} | "
                     f"{r['maplibre_svg']:.1f} | {r['naive_svg']:.1f} | {r['pdf']:.1f} | {r['total']:.1f} | {r['pages']} | {r['size_kb']} |")
    text = "\n".join(lines) + "\n"
    out = Path(__file__).parent / "out" / "bench_report.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
