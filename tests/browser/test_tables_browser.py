"""A Markdown table (dashboard.tables) in Chromium: real table elements, every value shown as its
exact text (markup, markdown and entities in a value stay text), numbers right-aligned."""

from dash import Dash, html
from selenium.webdriver.common.by import By

from dashboard.tables import table

NASTY = [
    '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> mörkt',
    "a | b \\| c",
    "*fet* _kursiv_ `kod` ~~struken~~ [länk](http://x) ![bild](x.png)",
    "&amp; &lt;b&gt; &#169;",
    "1. inte en lista",
]

ROWS = """
const t = document.querySelector('#t table');
return t && [...t.querySelectorAll('tr')].map(tr => [...tr.children].map(c => [c.tagName, c.textContent, c.style.textAlign]));
"""


def test_a_markdown_table_shows_each_value_as_its_text(dash_duo):
    app = Dash(__name__)
    rows = [(value, f"{i}\u00a0000") for i, value in enumerate(NASTY, start=1)]
    app.layout = html.Div(table(("Text | rubrik", "Antal"), rows, right=(1,), bold=(1,),
                                before=("# Inte en rubrik",), after=("- inte en punkt",), id="t"))
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#t table", timeout=60)
    got = dash_duo.driver.execute_script(ROWS)
    assert got[0] == [["TH", "Text | rubrik", ""], ["TH", "Antal", "right"]]
    assert [row[0][1] for row in got[1:]] == NASTY
    assert [row[1] for row in got[1:]] == [["TD", f"{i}\u00a0000", "right"] for i in range(1, 6)]
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    made = "#t img, #t script, #t a, #t em, #t code, #t del, #t ol, #t ul, #t h1"
    assert [e.tag_name for e in dash_duo.driver.find_elements(By.CSS_SELECTOR, made)] == []
    assert len(dash_duo.driver.find_elements(By.CSS_SELECTOR, "#t td strong")) == 5
    assert [p.text for p in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#t p")] == [
        "# Inte en rubrik", "- inte en punkt"]
