"""The charts as tables (figure -> rows), the date texts, the field labels and the controls
each role is offered, on small hand-made figures and the small test store."""


import pytest

from dashboard import a11y
from dashboard.app import create_app
from dashboard.data import load
from dashboard.figures.base import empty_figure, typed
from dashboard.filters import default_state
from dashboard.layout import build_layout
from dashboard.roles import role_controls
from layers import privacy
from tests.dash_fixtures import TODAY, call, callback, small_store
from tests.markdown_tables import read_tables


def find(component, component_id):
    """The component with `component_id` in a layout tree (None if absent)."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def test_grouped_bars_on_a_two_level_axis_become_one_row_per_category():
    figure = {
        "data": [
            {"type": "bar", "name": "Polis", "x": [["Trygghet", "Trygghet", "Trafik"], ["genomförd", "planerad",
                                                                                          "genomförd"]],
             "y": [3, 1, 2]},
            {"type": "bar", "name": "Kommun", "x": [["Trygghet", "Trafik"], ["genomförd", "genomförd"]], "y": [0, 4]},
        ],
        "layout": {"title": {"text": "10 aktiviteter i urvalet<br><span style='font-size:12px'>7 genomförda</span>"},
                   "xaxis": {"title": {"text": "Fokusområde"}}},
    }
    [table] = a11y.figure_tables(figure)
    assert table.caption == "10 aktiviteter i urvalet – 7 genomförda"
    assert table.columns == ("Fokusområde", "Polis", "Kommun")
    assert table.rows == (
        ("Trygghet – genomförd", 3, 0),
        ("Trygghet – planerad", 1, ""),
        ("Trafik – genomförd", 2, 4),
    )


def test_horizontal_bars_are_read_by_their_y_categories():
    figure = {"data": [{"type": "bar", "orientation": "h", "name": "Rapporter", "y": ["Hok", "Vaggeryd"],
                        "x": [2, 3]}],
              "layout": {"yaxis": {"title": "Ort"}}}
    [table] = a11y.figure_tables(figure)
    assert table.columns == ("Ort", "Rapporter")
    assert table.rows == (("Hok", 2), ("Vaggeryd", 3))


def test_a_typed_array_heatmap_becomes_a_row_per_hour_and_a_column_per_weekday():
    z = [[0] * 24 for _ in range(7)]
    z[4][20] = 5  # Friday 20:00
    z[0][7] = 2  # Monday 07:00
    figure = {
        "data": [
            {"type": "heatmap", "name": "Rapporter", "z": {**typed(z, "i4"), "shape": "7, 24"},
             "x": list(range(24)), "y": ["Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön"]},
            # Presence rings over the grid: placed on categories, no values of their own.
            {"type": "scatter", "mode": "markers", "x": [20], "y": ["Fre"], "marker": {"size": 9}},
        ],
        "layout": {"title": {"text": "När"}, "xaxis": {"title": {"text": "Timme"}}},
    }
    [table] = a11y.figure_tables(figure)
    assert table.caption == "När – Rapporter"
    assert table.columns == ("Timme", "Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön")
    assert len(table.rows) == 24
    assert table.rows[7] == ("7", 2, 0, 0, 0, 0, 0, 0)
    assert table.rows[20] == ("20", 0, 0, 0, 0, 5, 0, 0)
    assert sum(sum(row[1:]) for row in table.rows) == 7


def test_an_empty_chart_reads_as_its_message():
    assert a11y.figure_tables(empty_figure("Inga rapporter i urvalet")) == []
    assert a11y.tables_children(empty_figure("Inga rapporter i urvalet")).children == "Inga rapporter i urvalet"
    assert a11y.tables_children(None, "en").children == "No values to show."


@pytest.mark.parametrize(("value", "lang", "text"), [
    (12345, "sv", "12\u00a0345"), (12345, "en", "12,345"), (2.5, "sv", "2,5"), (2.5, "en", "2.5"),
    (3.0, "sv", "3"), ("", "sv", ""), ("Hok", "sv", "Hok"),
])
def test_table_cells_use_the_languages_number_format(value, lang, text):
    assert a11y.cell_text(value, lang) == text


def test_a_table_is_one_markdown_component_with_its_caption_headers_and_aligned_values():
    table = a11y.table_component(a11y.Table("Rapporter | november", ("Månad", "Otrygga platser"),
                                            (("nov 2026", 5), ("dec 2026", 12345))))
    assert type(table).__name__ == "Markdown" and table.dangerously_allow_html is False
    assert table.children == (
        "Rapporter \\| november\n\n"
        "| Månad | Otrygga platser |\n"
        "|---|---:|\n"
        "| nov 2026 | 5 |\n"
        "| dec 2026 | 12\u00a0345 |"
    )


def test_a_charts_tables_are_one_component():
    heat = {"type": "heatmap", "z": [[1, 2]], "x": ["00", "01"], "y": ["Mån"], "name": "Rapporter"}
    bars = {"type": "bar", "name": "Polis", "x": ["Trygghet"], "y": [3]}
    sent = a11y.tables_children({"data": [bars, heat], "layout": {"title": {"text": "Titel"}}})
    assert type(sent).__name__ == "Markdown"
    bar_table, heat_table = read_tables(sent.children)
    assert (bar_table["before"], bar_table["head"], bar_table["body"]) == (["Titel"], ["", "Polis"], [["Trygghet", "3"]])
    assert (heat_table["before"], heat_table["body"]) == (["Titel – Rapporter"], [["00", "1"], ["01", "2"]])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("a11y") / "s.gpkg")


def test_the_time_chart_reads_as_its_monthly_counts(store):
    """The charts' tables render_charts sends with the figures it draws (polis, the whole span)."""
    app = create_app(store, today=lambda: TODAY, data=load(store))
    data = app._trygghetskarta["data"]
    from dataclasses import replace

    state = replace(default_state(data), preset="all")
    out = call(callback(app, "render_charts"), "filters.data", state.to_dict())
    tables = out[3:]
    assert len(out) == 6
    [time_table] = read_tables(tables[1].children)
    assert time_table["before"] == [a11y.plain(out[1]["layout"]["title"])]  # the chart's title as caption
    columns = time_table["head"]
    # The first header is the chart's own x-axis title ("Månad", maybe with the years).
    assert columns[0].startswith("Månad")
    assert columns[1:] == ["Otrygga platser", "Hastighetsklagomål", "Narkotikatips"]
    rows = {row[0]: row[1:] for row in time_table["body"]}
    assert rows["nov 2025"] == ["1", "0", "0"]
    assert rows["dec 2025"] == ["1", "0", "0"]
    assert rows["maj 2026"] == ["0", "1", "0"]
    assert rows["okt 2026"] == ["0", "0", "1"]
    assert rows["nov 2026"] == ["5", "2", "1"]
    assert sum(int(v) for values in rows.values() for v in values) == 12


def test_status_map_view_and_a_hidden_focus_area_are_not_offered_to_the_public(store):
    data = load(store)
    layers = data.config.layers
    public = role_controls(privacy.policy("allmanhet"), layers)
    assert (public.statuses, public.map_mode, public.fixed_focus_areas) == (False, False, frozenset({"narkotika"}))
    bra = role_controls(privacy.policy("bra"), layers)
    assert (bra.statuses, bra.map_mode, bra.fixed_focus_areas) == (True, True, frozenset())
    assert role_controls(None, layers).statuses

    state = default_state(data)
    page = build_layout(data, state, policy=privacy.policy("allmanhet"))
    assert find(page, "status-filter").style == {"display": "none"}
    assert find(page, "mode-filter").style == {"display": "none"}
    disabled = {o["value"]: o["disabled"] for o in find(page, "f-focus").options}
    assert disabled == {"trygghet": False, "trafik": False, "narkotika": True}
    police = build_layout(data, state, policy=privacy.policy("polis"))
    assert find(police, "status-filter").style is None and find(police, "mode-filter").style is None
    assert not any(o["disabled"] for o in find(police, "f-focus").options)


def test_the_language_switch_keeps_the_public_focus_area_disabled(store):
    app = create_app(store, today=lambda: TODAY, data=load(store), role="allmanhet")
    out = call(callback(app, "translate"), "lang.value", "en", [{"type": "txt", "key": "table_time"}])
    assert out[0] == ["Show the reports over time as a table"]
    assert {o["value"]: o["disabled"] for o in out[1]} == {"trygghet": False, "trafik": False, "narkotika": True}


def test_html_lang_and_the_date_texts_follow_the_switch_in_the_browser(store):
    """One clientside callback on the language: its outputs and the texts it carries (it runs
    in the browser: tests/browser/test_accessibility_browser.py)."""
    app = create_app(store, today=lambda: TODAY, data=load(store))
    [entry] = [e for key, e in app.callback_map.items() if "f-dates.start_date_placeholder_text" in key]
    assert [i["id"] + "." + i["property"] for i in entry["inputs"]] == ["lang.value"]
    [script] = [c for c in app._inline_scripts if "documentElement.setAttribute" in c]
    assert '"Slutdatum"' in script and '"End date"' in script


def test_date_pickers_get_texts_in_the_page_language(store):
    data = load(store)
    state = default_state(data)
    page = build_layout(data, state)
    dates = find(page, "f-dates")
    assert (dates.start_date_placeholder_text, dates.end_date_placeholder_text) == ("Startdatum", "Slutdatum")
    assert find(page, "e-date").placeholder == "Välj datum"
    assert a11y.date_placeholders("en") == {"start_date_placeholder_text": "Start date",
                                            "end_date_placeholder_text": "End date"}


def test_edit_fields_labels_name_their_inputs(store):
    data = load(store)
    page = build_layout(data, default_state(data))
    fors = set()

    def walk(component):
        if type(component).__name__ == "Label" and getattr(component, "htmlFor", None):
            fors.add(component.htmlFor)
        children = getattr(component, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if child is not None and not isinstance(child, (str, int, float)):
                walk(child)

    walk(page)
    assert {"e-duration", "e-description", "s-id", "s-new", "e-layer", "e-date", "e-time"} <= fors
    assert "e-astatus" not in fors  # radio items: their own labels name them


def test_option_lists_outside_a_fieldset_are_named_groups(store):
    data = load(store)
    page = build_layout(data, default_state(data))

    def parent_of(component, child_id, parent=None):
        if getattr(component, "id", None) == child_id:
            return parent
        children = getattr(component, "children", None)
        for child in children if isinstance(children, (list, tuple)) else [children]:
            if child is not None and not isinstance(child, (str, int, float)):
                found = parent_of(child, child_id, component)
                if found is not None:
                    return found
        return None

    lang = parent_of(page, "lang")
    assert (lang.role, getattr(lang, "aria-label")) == ("radiogroup", "Språk / Language")
    status = parent_of(page, "e-astatus")
    assert (status.role, getattr(status, "aria-labelledby")) == ("radiogroup", "e-err-status-label")
    assert find(page, "e-err-status-label").children.children == "Status"
    # A field a <label for> names is not wrapped.
    assert parent_of(page, "e-duration").className == "field"
