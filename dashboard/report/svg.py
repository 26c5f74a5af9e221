"""The report's figures as SVG, made offline by kaleido in the system's Chromium (one session
for all figures of a report: starting Chromium is most of the time)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable

from .period import ReportError

#: Where Debian and Ubuntu put Chromium (the browser tests use the same one).
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
#: Pixel size of each figure kind on the A4 page (CSS pixels; maps at twice the resolution).
SIZES = {"map": (700, 560), "trend": (700, 330), "when": (700, 330), "activities": (700, 300)}
MAP_SCALE = 2


def chromium() -> str:
    """The browser kaleido drives: BROWSER_PATH when set, else the system's Chromium."""
    chosen = os.environ.get("BROWSER_PATH")
    if chosen:
        if not (os.path.isfile(chosen) and os.access(chosen, os.X_OK)):
            raise ReportError(f"BROWSER_PATH={chosen} is not a browser program; the report's figures need "
                              "Chromium (e.g. apt install chromium)")
        return chosen
    for path in (*CHROMIUM_PATHS, shutil.which("chromium") or ""):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise ReportError("the report's figures need Chromium, which was not found (looked for "
                      f"{', '.join(CHROMIUM_PATHS)}); install it (apt install chromium) or set BROWSER_PATH")


def _svg_text(raw: bytes) -> str:
    # Inline in HTML: the XML declaration, if any, must go.
    text = raw.decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start > 0 else text


#: Sessions tried before giving up: under load Chromium's page sometimes runs kaleido's call
#: before its script has loaded ("kaleido_scopes is not defined"); a fresh page then works.
ATTEMPTS = 3


async def _export(jobs: list[tuple[str, dict, dict]], progress: Callable[[str], None]) -> dict[str, str]:
    import kaleido

    out: dict[str, str] = {}
    error: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            # mathjax=False: no script from a CDN; plotly.js comes from the installed plotly package.
            async with kaleido.Kaleido(n=1, mathjax=False) as session:
                for key, figure, opts in jobs:
                    if key in out:
                        continue
                    progress(f"{len(out) + 1}/{len(jobs)}")
                    out[key] = _svg_text(await session.calc_fig(figure, opts=opts))
            return out
        except Exception as exc:  # noqa: BLE001 - retried in a new session, then reported
            error = exc
    raise error


def figures_to_svg(named: dict[str, dict], progress: Callable[[str], None] = lambda _: None) -> dict[str, str]:
    """{key: Plotly figure dict} -> {key: SVG text}; the key's last part ("…/map") picks the size."""
    if not named:
        return {}
    os.environ["BROWSER_PATH"] = chromium()
    jobs = []
    for key, figure in named.items():
        kind = key.rsplit("/", 1)[-1]
        width, height = SIZES.get(kind, (700, 400))
        opts = {"format": "svg", "width": width, "height": height, "scale": MAP_SCALE if kind == "map" else 1}
        jobs.append((key, _static(figure), opts))
    try:
        return asyncio.run(_export(jobs, progress))
    except ReportError:
        raise
    except Exception as exc:  # Chromium that does not start, a figure it cannot draw
        raise ReportError(f"the report's figures could not be drawn with Chromium ({chromium()}): {exc}") from exc


def _static(figure: dict) -> dict:
    """The figure for paper: no interactive-only layout (uirevision, meta) changes the drawing."""
    layout = {k: v for k, v in figure.get("layout", {}).items() if k not in ("uirevision", "meta")}
    return {"data": figure.get("data", []), "layout": layout}


__all__ = ["chromium", "figures_to_svg"]
