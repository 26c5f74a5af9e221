"""Accessibility helpers of the page: each chart as a table (figure -> rows), the date picker's
texts and `<html lang>` following the language switch (a clientside callback).

The ARIA repairs of Dash's own components are in assets/a11y.js (they must run in the browser).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from numbers import Number

import numpy as np
from dash import Input, Output, html

from layers.messages import format_number

from .i18n import t
from .tables import markdown, md_table

#: The charts drawn from `figure` outputs, and the key of their "show as a table" text.
CHART_TABLES = {"chart-activities": "table_activities", "chart-time": "table_time", "chart-when": "table_when"}

_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Table:
    """One table of a chart: a caption, column headers and rows of cells (text or numbers)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


def plain(text) -> str:
    """Plotly's rich text as plain text: a line break becomes ' – ', other tags go."""
    if text is None:
        return ""
    if isinstance(text, dict):
        text = text.get("text")
    text = re.sub(r"<br\s*/?>", " – ", str(text or ""), flags=re.I)
    return " ".join(_TAG.sub("", text).split())


def values(data) -> list:
    """A trace's array as a list: plain lists as they are, Plotly's typed arrays
    ({dtype, bdata[, shape]}) decoded, numpy arrays converted."""
    if data is None:
        return []
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data.get("dtype", "f8")).newbyteorder("<"))
        shape = data.get("shape")
        if shape:
            array = array.reshape([int(s) for s in str(shape).split(",")])
        return array.tolist()
    if isinstance(data, np.ndarray):
        return data.tolist()
    return list(data)


def _categories(x) -> list:
    """x values as row labels; a multi-level category axis ([[level 1…], [level 2…]]) joined."""
    x = values(x)
    if x and isinstance(x[0], (list, tuple)) and len(x) > 1 and all(len(level) == len(x[0]) for level in x):
        return [" – ".join(str(part) for part in parts) for parts in zip(*x, strict=True)]
    return [v if isinstance(v, Number) else str(v) for v in x]


def _numeric(items: list) -> bool:
    return all(v is None or (isinstance(v, Number) and not isinstance(v, bool)) for v in items)


def _axis_title(layout: dict, axis: str) -> str:
    return plain((layout.get(axis) or {}).get("title"))


def figure_tables(figure: dict | None) -> list[Table]:
    """The chart's content as tables, built from the very figure the chart draws.

    Bar and line traces share one table: a row per category (x; y for horizontal bars), a
    column per trace (its legend name). A heatmap is a table of its own: a row per label of
    its longer axis, a column per label of the other. Traces placed on categories on both axes (markers over a heatmap)
    and traces without x/y (maps) carry no values of their own and are left out. An empty
    chart (a message in place of data) has no table."""
    if not figure:
        return []
    figure = figure if isinstance(figure, dict) else figure.to_plotly_json()
    layout = figure.get("layout") or {}
    caption = plain(layout.get("title"))
    tables: list[Table] = []
    keys: list = []
    series: list[tuple[str, dict]] = []
    for index, trace in enumerate(figure.get("data") or []):
        kind = trace.get("type", "scatter")
        if kind == "heatmap":
            z = values(trace.get("z"))
            if not z:
                continue
            xs = _categories(trace.get("x")) or list(range(len(z[0])))
            ys = _categories(trace.get("y")) or list(range(len(z)))
            name = plain(trace.get("name"))
            if len(xs) > len(ys):
                # A row per label of the longer axis keeps the table narrow (24 hours × 7 days).
                rows = tuple((str(x), *(row[i] if i < len(row) else "" for row in z)) for i, x in enumerate(xs))
                columns = (_axis_title(layout, "xaxis"), *(str(y) for y in ys))
            else:
                rows = tuple((str(y), *row) for y, row in zip(ys, z, strict=False))
                columns = (_axis_title(layout, "yaxis"), *(str(x) for x in xs))
            tables.append(Table(caption=" – ".join(p for p in (caption, name) if p), columns=columns, rows=rows))
            continue
        if kind not in ("bar", "scatter", "scattergl"):
            continue
        horizontal = trace.get("orientation") == "h"
        cats = _categories(trace.get("y") if horizontal else trace.get("x"))
        vals = values(trace.get("x") if horizontal else trace.get("y"))
        if not cats or len(cats) != len(vals) or not _numeric(vals):
            continue
        by_key = {}
        for key, value in zip(cats, vals, strict=True):
            if key not in by_key:
                by_key[key] = value
            else:  # the same category twice in one trace: its bars stack
                by_key[key] = (by_key[key] or 0) + (value or 0)
            if key not in keys:
                keys.append(key)
        series.append((plain(trace.get("name")) or str(index + 1), by_key))
    if series:
        first = _axis_title(layout, "yaxis" if any(
            tr.get("orientation") == "h" for tr in figure.get("data") or []) else "xaxis")
        tables.insert(0, Table(
            caption=caption,
            columns=(first, *(name for name, _ in series)),
            rows=tuple((key if isinstance(key, str) else str(key), *(s.get(key, "") for _, s in series))
                       for key in keys),
        ))
    return tables


def cell_text(value, lang: str = "sv") -> str:
    """A table cell: whole numbers with the language's thousands separator, decimals with its
    decimal mark."""
    if isinstance(value, bool) or value is None or value == "":
        return "" if value is None or value == "" else str(value)
    if isinstance(value, Number):
        number = float(value)
        # Babel's separators: 1 234,5 (sv, a no-break space) or 1,234.5 (en).
        return format_number(number, lang, decimals=0 if number.is_integer() else 1)
    return str(value)


def table_markdown(table: Table, lang: str = "sv") -> str:
    """One table as GFM Markdown: its caption as the paragraph before it, a header row of
    column headers, the first column (the row labels) left-aligned, the values right-aligned."""
    rows = ((cell_text(v, lang) for v in row) for row in table.rows)
    return md_table(table.columns, rows, right=range(1, len(table.columns)), before=(table.caption,))


def table_component(table: Table, lang: str = "sv"):
    """One table as one Dash component (dashboard.tables: not one component per cell)."""
    return markdown(table_markdown(table, lang), className="chart-data")


def tables_children(figure: dict | None, lang: str = "sv"):
    """The tables of a chart in one component; for a chart without data the words it shows instead."""
    tables = figure_tables(figure)
    if not tables:
        notes = [plain(a.get("text")) for a in ((figure or {}).get("layout") or {}).get("annotations") or []]
        return html.P(" ".join(n for n in notes if n) or t("table_empty", lang), className="empty")
    return markdown("\n\n".join(table_markdown(table, lang) for table in tables), className="chart-data")


def chart_table(graph_id: str, lang: str = "sv"):
    """A "show as a table" disclosure for the chart `graph_id`, filled by `register`'s callback.
    Its summary text is translatable like every T() text (dashboard.layout.T)."""
    key = CHART_TABLES[graph_id]
    return html.Details([
        html.Summary(html.Span(t(key, lang), id={"type": "txt", "key": key})),
        html.Div(id=f"{graph_id}-table", className="chart-table-body"),
    ], className="chart-table", id=f"{graph_id}-details")


def chart_tables(lang: str = "sv"):
    """The charts' tables, one disclosure per chart, after the charts (screen-reader and
    keyboard users read the numbers there; presentation mode shows them only when focused)."""
    return html.Div([chart_table(graph_id, lang) for graph_id in CHART_TABLES], className="chart-tables")


#: Components whose `id` is the element a <label for> names (Dash renders it on the input,
#: the textarea or, for a Dropdown, its button); option lists are named by their fieldset.
_LABELLED = ("Input", "Textarea", "Dropdown", "DatePickerSingle")


def label_target(control) -> str | None:
    """The id a field's <label htmlFor> should name, or None where a label cannot point."""
    name = type(control).__name__
    control_id = getattr(control, "id", None)
    return control_id if name in _LABELLED and isinstance(control_id, str) else None


def named(control, labelled_by: str | None = None, label: str | None = None):
    """An option list (RadioItems, Checklist) outside a fieldset in a group that screen readers
    announce by name: labelled by the element `labelled_by` or by `label`. Controls a <label for>
    names are returned as they are."""
    if label_target(control) is not None or type(control).__name__ not in ("RadioItems", "Checklist"):
        return control
    role = "radiogroup" if type(control).__name__ == "RadioItems" else "group"
    name = {"aria-labelledby": labelled_by} if labelled_by else {"aria-label": label}
    return html.Div(control, role=role, className="named-group", **name)


def date_texts(lang: str) -> dict:
    """The date pickers' own texts in `lang` (Dash's defaults are English only)."""
    return {"start": t("date_start", lang), "end": t("date_end", lang), "single": t("date_pick", lang)}


def date_placeholders(lang: str) -> dict:
    """Placeholder properties of the filter's DatePickerRange, for the page as first built."""
    texts = date_texts(lang)
    return {"start_date_placeholder_text": texts["start"], "end_date_placeholder_text": texts["end"]}


#: Runs in the browser on every language change: `<html lang>` (screen readers pick their voice
#: from it, and assets/a11y.js its own texts) and the date pickers' placeholders.
_LANG_JS = """
function (lang) {
    var texts = %s;
    lang = texts[lang] ? lang : "sv";
    document.documentElement.setAttribute("lang", lang);
    if (window.trygghetskartaA11y) {
        window.trygghetskartaA11y.repair();  // assets/a11y.js: the date pickers' month names
    }
    var own = texts[lang];
    return [own.start, own.end];
}
"""


def register(app, date_range_id: str = "f-dates", lang_id: str = "lang") -> None:
    """The language's clientside callback (the chart tables come with the charts, from
    `render_charts`; the edit form's date picker is relabelled with its form,
    dashboard.callbacks_edit.form_labels: it is not on every page)."""
    texts = json.dumps({lang: date_texts(lang) for lang in ("sv", "en")}, ensure_ascii=False)
    app.clientside_callback(
        _LANG_JS % texts,
        Output(date_range_id, "start_date_placeholder_text"), Output(date_range_id, "end_date_placeholder_text"),
        Input(lang_id, "value"),
    )


__all__ = ["CHART_TABLES", "Table", "cell_text", "chart_table", "chart_tables", "date_placeholders", "label_target", "named", "figure_tables", "plain",
           "register", "table_component", "table_markdown", "tables_children", "values"]
