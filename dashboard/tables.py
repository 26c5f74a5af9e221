"""Tables as one Dash component each: a GitHub-flavoured Markdown table in `dcc.Markdown`.

Why: dash-renderer updates its store once per mounted component and re-checks every mounted
component on each update, so a 100-cell `html.Table` costs ~100 mounts on every draw. The
Markdown component is one mount; react-markdown builds the real <table>/<thead>/<th>/<td>
elements (plain React, outside Dash's store). Raw HTML stays off (`dangerously_allow_html`
False) and every value is escaped, so a cell shows exactly its text whatever it contains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from dash import dcc

#: Inline markdown that would change how a cell's text shows (emphasis, code, links, the cell
#: separator, strike-through) and the escape character itself; remark's GFM mode can escape all.
_INLINE = re.compile(r"([\\`*_\[\]|~])")
_AUTOLINK = re.compile(r"(https?|mailto):", re.I)
_SPACE = re.compile(r"[ \t\r\n\f\v]+")
#: What makes a line a heading, list, quote or rule when it starts a paragraph.
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+(?=[.)]))")


def md_text(value) -> str:
    """`value` as markdown inline text that shows exactly that text, on one line. `<` and `&`
    become entities (remark decodes them back to text): no tag, autolink or entity of the
    value's own is ever parsed, and no link made."""
    # Line breaks would end the row; NBSP (the thousands separator) is kept as it is.
    text = _SPACE.sub(" ", str("" if value is None else value)).strip(" ")
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    # remark links a bare "http://…" (GFM autolinks): its colon as an entity reads the same, links nothing.
    text = _AUTOLINK.sub(r"\1&#58;", text)
    return _INLINE.sub(r"\\\1", text)


def md_paragraph(value) -> str:
    """`value` as a markdown paragraph of plain text (also when it starts like a list or heading)."""
    text = md_text(value)
    match = _BLOCK_START.match(text)
    if match and match.group(2).isdigit():
        # "1. …" would be a list item: escape the dot or parenthesis after the number.
        end = match.end()
        return text[:end] + "\\" + text[end:]
    return _BLOCK_START.sub(r"\1\\\2", text, count=1)


def md_table(columns: Sequence, rows: Iterable[Sequence], right: Iterable[int] = (), bold: Iterable[int] = (),
             before: Iterable[str] = (), after: Iterable[str] = ()) -> str:
    """A GFM table: a header row of `columns`, one line per row; columns in `right` are
    right-aligned (numbers), those in `bold` strong. `before`/`after`: paragraphs around it
    (a caption, a footer line)."""
    right, bold = set(right), set(bold)

    def cell(i: int, value) -> str:
        text = md_text(value)
        return f"**{text}**" if i in bold and text else text

    lines = [md_paragraph(p) + "\n" for p in before if p]
    lines.append("| " + " | ".join(md_text(c) for c in columns) + " |")
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(columns))) + "|")
    lines += ["| " + " | ".join(cell(i, v) for i, v in enumerate(row)) + " |" for row in rows]
    lines += ["\n" + md_paragraph(p) for p in after if p]
    return "\n".join(lines)


def markdown(text: str, className: str | None = None, id: str | None = None):  # noqa: A002 - Dash's name
    """One Markdown component showing `text` (from `md_table`); raw HTML never rendered."""
    kwargs = {"id": id} if id else {}
    return dcc.Markdown(text, className=className, dangerously_allow_html=False, dedent=False, **kwargs)


def table(columns: Sequence, rows: Iterable[Sequence], className: str | None = None, id: str | None = None,  # noqa: A002
          **options):
    """`md_table(columns, rows, **options)` as one component."""
    return markdown(md_table(columns, rows, **options), className=className, id=id)


__all__ = ["markdown", "md_paragraph", "md_table", "md_text", "table"]
