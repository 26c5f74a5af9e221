"""The report's HTML from one Jinja2 template (figures inline as SVG), and its PDF from the
same HTML with WeasyPrint (A4; the role and "Demodata" in every page's margin)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2

from ..i18n import number, t
from .content import Report

#: Catalogue keys of the template's fixed words.
_WORDS = {
    "demo": "demo_banner", "kommun": "report_kommun", "police_area": "report_police_area",
    "promise": "report_promise", "period": "report_period", "role": "report_role", "made": "report_made",
    "summary": "report_summary", "contents": "report_contents", "map": "report_map", "trend": "report_trend",
    "when": "report_when", "places": "report_places", "place": "report_place", "reports": "report_reports",
    "acts_done": "report_acts_done", "done": "report_done", "planned": "report_planned", "none": "report_none",
    "no_places": "report_no_places", "scope": "report_scope", "commitments": "report_commitments", "cells_note": "report_cells_note", "page": "report_page",
}


def _css_string(text: str) -> str:
    """`text` inside a CSS string in double quotes (the margin boxes' content)."""
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")


def _environment() -> jinja2.Environment:
    folder = resources.files("dashboard.report").joinpath("templates")
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(report: Report, svgs: dict[str, str]) -> str:
    """The report as one self-contained HTML page; `svgs` maps "focus/kind" to SVG text."""
    lang = report.lang
    words = {name: t(key, lang) for name, key in _WORDS.items()}
    words["role_line"] = t("role_banner", lang, role=report.role_name)
    template = _environment().get_template("report.html.j2")
    return template.render(r=report, svgs=svgs, words=words, css=_css_string, num=lambda n: number(n, lang))


def write_pdf(html: str, out: Path) -> int:
    """The PDF of `html` at `out`; returns its page count. Its metadata holds only the fixed
    title of the template's <title> (no author, keywords or other user text)."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=None).render()
    document.metadata.authors = []
    document.metadata.keywords = []
    document.metadata.description = None
    document.metadata.generator = "Trygghetskarta"
    document.write_pdf(out)
    return len(document.pages)


__all__ = ["render_html", "write_pdf"]
