"""Markdown tables (dashboard.tables) against injection: free text, categories and names a police
user imports show as exactly their text (no HTML, link, image, emphasis, extra column or row), and a
reduced role's tables carry no free text of a sensitive layer.

The Markdown is checked as dcc.Markdown parses it (react-markdown on remark-parse with GFM, raw HTML
escaped, math off): outside a backslash escape no character that starts inline markup remains, no
'<' (tag or autolink), no 'http:'/'https:'/'mailto:' (remark's only bare-URL links), no line break.
"""

from __future__ import annotations

import re

import pytest

from dashboard import gates, tables
from dashboard.app import create_app
from layers.store import GeoPackageStore, open_store
from tests.dash_fixtures import call
from tests.helpers import SKILLINGARYD, report, reports_frame
from tests.markdown_tables import cell_text, read_tables
from tests.privacy_harness import TODAY
from tests.test_privacy_issue13 import by_output

PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[klicka här](https://evil.example)",
    "![bild](https://evil.example/x.png)", "https://evil.example/login", "HTTPS://EVIL.EXAMPLE", "mailto:a@b.se",
    "<https://autolink.example>", "| falsk | kolumn |", "**fet** _kursiv_ ~~struken~~ `kod`",
    "rad ett\nrad två\n\n| a | b |\n|---|---|", "&lt;b&gt; &#60;script&#62; &amp;", "\\[redan\\] \\*escaped\\*",
    "[ref]: https://evil.example", "javascript:alert(1)", "$x^2$ och $$y$$", "<!-- kommentar -->",
    "a\\|b", "slut med snedstreck \\", "   indragen kod", "\ttab",
]
BLOCKS = ["# rubrik", "## två", "1. lista", "2) lista", "- punkt", "+ punkt", "* punkt", "> citat", "---", "===",
          "    kod", "```", "<div>block</div>"]
#: What starts inline markup in remark's GFM mode (the escape character too).
_MARKUP = set("\\`*_[]|~<")


def _unescaped(text: str) -> str:
    """The text with its backslash escapes removed: what remark could still read as markup."""
    return re.sub(r"\\.", "", text)


@pytest.mark.parametrize("payload", PAYLOADS + BLOCKS)
def test_a_cell_shows_exactly_its_text(payload):
    out = tables.md_text(payload)
    bare = _unescaped(out)
    assert not _MARKUP & set(bare), (payload, out)
    assert "\n" not in out and "\r" not in out
    assert not re.search(r"(https?|mailto):", out, re.I), out
    assert cell_text(out) == " ".join(payload.split()), (payload, out)


@pytest.mark.parametrize("payload", BLOCKS + PAYLOADS)
def test_a_paragraph_never_becomes_a_heading_list_quote_rule_or_code(payload):
    out = tables.md_paragraph(payload)
    assert not re.match(r"\s*([#>+=*-]|\d+[.)]|```|<)", _unescaped(out).replace("&lt;", "")) or \
        re.match(r"\s*\\", out) or re.match(r"\d+\\", out), (payload, out)
    assert not out.startswith(" "), out  # four spaces would make a code block
    assert cell_text(out) == " ".join(payload.split())


def test_a_table_keeps_its_shape_whatever_the_cells_say():
    rows = [[p, str(i)] for i, p in enumerate(PAYLOADS)]
    text = tables.md_table(["Beskrivning | <b>", "Antal"], rows, right=(1,), bold=(0,),
                           before=["# Inte en rubrik"], after=["1. inte en lista"])
    [table] = read_tables(text)
    assert table["head"] == ["Beskrivning | <b>", "Antal"]
    assert [r[0] for r in table["body"]] == [" ".join(p.split()) for p in PAYLOADS]
    assert [len(r) for r in table["body"]] == [2] * len(PAYLOADS)
    assert table["before"] == ["# Inte en rubrik"] and table["after"] == ["1. inte en lista"]
    assert len(text.splitlines()) == len(PAYLOADS) + 2 + 4  # header, rule, a line per row, two paragraphs
    assert tables.markdown(text).dangerously_allow_html is False


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """A police user's import: reports with the payloads as free text (unsafe places and narcotics)."""
    path = tmp_path_factory.mktemp("tables") / "injected.gpkg"
    store = GeoPackageStore.create(path)
    rows = [report(f"o{i}", at=(SKILLINGARYD[0] + 5 * i, SKILLINGARYD[1]), when=f"2026-11-{2 + i % 20:02d}T21:00:00+01:00",
                   description=p) for i, p in enumerate(PAYLOADS)]
    rows += [report(f"n{i}", layer="narkotika", focus="narkotika", at=(SKILLINGARYD[0], SKILLINGARYD[1] + 5 * i),
                    when=f"2026-11-{2 + i % 20:02d}T22:00:00+01:00", description="NARK " + p)
             for i, p in enumerate(PAYLOADS)]
    store.add_reports(reports_frame(rows))
    return path


def _report_list(app) -> str:
    from tests.privacy_harness import filters

    answer = call(by_output(app, "report-list.children"), "filters.data", filters(app, "?t=all"))
    return answer.children if type(answer).__name__ == "Markdown" else ""


def test_the_police_report_list_shows_imported_free_text_as_text(injected):
    """The police's list of single reports: each payload shown is one cell of the description
    column, read back exactly, and the Markdown has no raw '<' or bare link anywhere."""
    app = create_app(open_store(injected), role="polis", today=lambda: TODAY)
    text = _report_list(app)
    [table] = read_tables(text)
    column = table["head"].index("Beskrivning")
    shown = {row[column] for row in table["body"]}
    expected = {" ".join(p.split()) for p in PAYLOADS} | {" ".join(("NARK " + p).split()) for p in PAYLOADS}
    # The list shows the newest reports (a capped number): each shown one reads back exactly.
    assert shown <= expected and len(shown) >= 10, shown - expected
    assert "<" not in text and not re.search(r"(https?|mailto):", text, re.I)
    assert all(len(row) == len(table["head"]) for row in table["body"])


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_reduced_roles_get_no_sensitive_free_text_in_any_answer(injected, role):
    """bra and allmanhet: no narcotics tip's free text in any answer of the page (report list,
    tables, map, hot spots, cards)."""
    from tests.privacy_harness import filters

    app = create_app(open_store(injected), role=role, today=lambda: TODAY)
    state = filters(app, "?t=all")
    seen = 0
    # A gated panel reads its copy of the filter store (dashboard.gates): given the same dict.
    copies = {f"{gates.filters_for(p)}.data" for p in gates.GATED}
    for key, entry in app.callback_map.items():
        inputs = [f"{i['id']}.{i['property']}" for i in entry["inputs"]]
        inputs = ["filters.data" if i in copies else i for i in inputs]
        if "callback" not in entry or "filters.data" not in inputs:
            continue
        args = [state if i == "filters.data" else None for i in inputs] + [None] * len(entry.get("state", []))
        try:
            answer = call(entry["callback"].__wrapped__, "filters.data", *args)
        except Exception as exc:  # noqa: BLE001 - a callback that needs more inputs: not this attack
            answer = str(exc)
        text = str(answer) + repr(answer)
        assert "NARK" not in text, (role, key)
        seen += 1
    assert seen >= 8
