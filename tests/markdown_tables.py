"""Test reader of the Markdown tables the page sends (dashboard.tables): the texts a user reads."""

from __future__ import annotations

import html
import re

_CELL = re.compile(r"((?:\\.|[^|\\])*)\|")
_ESCAPE = re.compile(r"\\(.)")


def cell_text(source: str) -> str:
    """A cell's or paragraph's markdown as the text shown: escapes and entities resolved, ** dropped."""
    text = source.strip()
    if text.startswith("**") and text.endswith("**") and len(text) >= 4:
        text = text[2:-2]
    return html.unescape(_ESCAPE.sub(r"\1", text))


def _cells(line: str) -> list[str]:
    return [cell_text(c) for c in _CELL.findall(line.strip()[1:])]


def read_tables(text: str) -> list[dict]:
    """Each table of a Markdown text as {"head": [...], "body": [[...]], "before": [...], "after": [...]}:
    the paragraphs before a table (its caption) and, for the last table, those after it (a footer)."""
    tables, pending = [], []
    for block in re.split(r"\n\s*\n", text or ""):
        lines = [line for line in block.splitlines() if line.strip()]
        if lines and all(line.lstrip().startswith("|") for line in lines):
            tables.append({"head": _cells(lines[0]), "body": [_cells(line) for line in lines[2:]],
                           "before": pending, "after": []})
            pending = []
        elif lines:
            pending.append(cell_text(" ".join(lines)))
    if tables:
        tables[-1]["after"] = pending
    return tables


def rows_by_label(text: str, index: int = 0) -> tuple[list[str], dict[str, list[str]]]:
    """(column headers, {first cell: other cells}) of the table `index` of a Markdown text."""
    table = read_tables(text)[index]
    return table["head"], {row[0]: row[1:] for row in table["body"]}
