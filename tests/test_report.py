"""`trygghetskarta report`: the meeting report per role, its numbers, its privacy and its refusals."""

import datetime as dt
import re
import shutil

import pandas as pd
import pypdf
import pytest
from click.testing import CliRunner

from dashboard.app import create_app
from dashboard.cli import main
from dashboard.data import load
from dashboard.report import ReportError, build_html, make_report, write
from dashboard.report.content import base_window, build_content
from dashboard.report.period import Period, parse_period
from layers import open_store
from tests.conftest import END
from tests.dash_fixtures import TODAY, call, callback, small_store
from tests.helpers import VAGGERYD, report, reports_frame

SECRET = "HEMLIGT-TIPS-4711 Storgatan 7"
SECRET_NARC = "NARKOTIKA-FRITEXT-0815"
#: The period each role's report covers: bra sees narcotics per month, allmanhet per quarter.
PERIODS = {"polis": "2026-10", "bra": "2026-10", "allmanhet": "2026-Q3"}
ROLE_LINE = {"polis": "Roll: Polis", "bra": "Roll: BRÅ-möte (delad skärm)", "allmanhet": "Roll: Allmänhet"}


def flat(text: str) -> str:
    """Text with every run of white space (line breaks of the PDF, no-break spaces) as one space."""
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


@pytest.fixture(scope="module")
def store_path(demo_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "demo.gpkg"
    shutil.copy(demo_path, path)
    open_store(path).add_reports(reports_frame([
        report("secret", at=VAGGERYD, when="2026-10-14T18:12:00+02:00", description=SECRET),
        report("secret-narc", layer="narkotika", focus="narkotika", at=VAGGERYD,
               when="2026-10-17T22:40:00+02:00", description=SECRET_NARC),
    ]))
    return path


@pytest.fixture(scope="module")
def made(store_path, tmp_path_factory):
    """Each role's report rendered once (figures drawn by Chromium), as PDF and as HTML."""
    out = tmp_path_factory.mktemp("reports")
    result = {}
    for role, period in PERIODS.items():
        content, html = build_html(store_path, period, role, "sv", today=END)
        pdf = write(content, html, out / f"{role}.pdf")
        write(content, html, out / f"{role}.html")
        reader = pypdf.PdfReader(pdf.path)
        result[role] = {
            "content": content, "html": html, "pages": pdf.pages, "reader": reader,
            "page_texts": [flat(page.extract_text()) for page in reader.pages],
            "html_file": (out / f"{role}.html").read_text(encoding="utf-8"),
        }
        result[role]["text"] = " ".join(result[role]["page_texts"])
    return result


def raw_counts(store_path, start: dt.date, end: dt.date) -> dict[str, int]:
    """Reports per focus area with a local date in start..end, counted from the file itself."""
    reports = open_store(store_path).read_table("reports")
    local = pd.to_datetime(reports["occurred_at"], utc=True, format="ISO8601").dt.tz_convert("Europe/Stockholm")
    days = local.dt.date
    inside = reports[(days >= start) & (days <= end)]
    return inside["focus_area"].value_counts().to_dict()


def expected_sentence(subject: str, n: int, m: int, now: str, prev: str) -> str:
    word = "rapport" if n == 1 else "rapporter"
    if m == 0:
        return f"{subject}: {n} {word} {now}, inga {prev}."
    if n == m:
        return f"{subject}: {n} {word} {now}, lika många som {prev}."
    pct = round(abs(n - m) * 100 / m)
    return f"{subject}: {n} {word} {now}, {pct} % {'färre' if n < m else 'fler'} än {prev} ({m})."


# -- the period ---------------------------------------------------------------------------------

def test_periods_parse_to_whole_calendar_periods_and_their_previous():
    assert (parse_period("2026-10").start, parse_period("2026-10").end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    q3 = parse_period("2026-Q3")
    assert (q3.start, q3.end, q3.previous().code) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026-Q2")
    assert parse_period("2026-01").previous().code == "2025-12"
    assert parse_period("2026-q1").previous().code == "2025-Q4"
    assert (parse_period("2026").end, parse_period("2026").previous().code) == (dt.date(2026, 12, 31), "2025")
    assert Period("month", 2026, 10).label("sv") == "oktober 2026"
    assert Period("quarter", 2026, 7).label("en") == "Q3 2026"
    for bad in ("2026-13", "26-10", "oktober", "2026-Q5", ""):
        with pytest.raises(ReportError, match="is not a period like 2026, 2026-Q3, 2026-10 or 2026-W48"):
            parse_period(bad)


# -- exact numbers on hand-made data -------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.gpkg"
    store = small_store(path)
    data = load(store)
    app = create_app(store, today=lambda: TODAY, data=data)
    return data, app._trygghetskarta["views"]


def test_summary_sentences_are_the_counted_numbers(small):
    data, views = small
    content = build_content(data, views.get, views.policy("polis"), parse_period("2026-11"), "sv", TODAY,
                            with_figures=False)
    # November 2026 through the 27th (the day the report is made): 5 unsafe places, 1 narcotics
    # tip, 2 speed complaints; 1–27 October: 1 narcotics tip. A month under way is compared with
    # the same days of the month before, never with a whole month.
    # Against November 2025 (its 20th: 1 unsafe place); year to date: 10 reports in 2026, 1 in 2025.
    assert content.summary == [
        "Alla rapporter: 8 rapporter i november 2026 t.o.m. 27 november, 700 % fler än i oktober 2026"
        " på samma dagar (1).",
        "Alla rapporter: 8 rapporter i november 2026 t.o.m. 27 november, 700 % fler än i november 2025"
        " på samma dagar (1).",
        "Alla rapporter: 10 rapporter från 1 januari t.o.m. 27 november 2026, 900 % fler än under samma"
        " dagar 2025 (1).",
        "Trygghet: 5 rapporter i november 2026 t.o.m. 27 november, inga i oktober 2026 på samma dagar.",
        "Trafik: 2 rapporter i november 2026 t.o.m. 27 november, inga i oktober 2026 på samma dagar.",
        "Narkotika: 1 rapport i november 2026 t.o.m. 27 november, lika många som i oktober 2026 på samma dagar.",
        "Aktiviteter i november 2026: 3 genomförda, 0 planerade.",
    ]
    safety = content.sections[0]
    assert safety.comparisons == [
        "Trygghet: 5 rapporter i november 2026 t.o.m. 27 november, 400 % fler än i november 2025 på samma dagar (1).",
        "Trygghet: 5 rapporter från 1 januari t.o.m. 27 november 2026, 400 % fler än under samma dagar 2025 (1).",
    ]
    assert content.sections[2].comparisons[1] == (
        "Narkotika: 2 rapporter från 1 januari t.o.m. 27 november 2026, inga under samma dagar 2025.")
    assert [(p.reports, p.activities_done) for p in safety.places] == [(5, 0)]
    assert safety.places[0].name.startswith("Skillingaryd")
    assert safety.places_note == "I rutorna ovan och övriga rutor: 5 av 5 rapporter"
    # The EST meeting of 12 November is the safety area's one activity done that month.
    assert safety.done == [("EST-möte", 1)] and safety.planned == []
    traffic = content.sections[1]
    assert traffic.done == [("hastighetskontroll", 1)]


def test_a_period_under_way_is_compared_with_the_same_days_before():
    assert base_window(parse_period("2026-11"), dt.date(2026, 11, 27)) == (
        dt.date(2026, 10, 1), dt.date(2026, 10, 27), dt.date(2026, 11, 27))
    # 1 January – 30 November 2026 against 1 January – 30 November 2025 (not all of 2025).
    assert base_window(parse_period("2026"), dt.date(2026, 11, 30)) == (
        dt.date(2025, 1, 1), dt.date(2025, 11, 30), dt.date(2026, 11, 30))
    # A period that is over is compared whole; March 31 days against February's 28.
    assert base_window(parse_period("2026-03"), dt.date(2026, 11, 27)) == (
        dt.date(2026, 2, 1), dt.date(2026, 2, 28), None)
    assert base_window(parse_period("2026-03"), dt.date(2026, 3, 31)) == (
        dt.date(2026, 2, 1), dt.date(2026, 2, 28), None)
    assert base_window(parse_period("2026-03"), dt.date(2026, 3, 30)) == (
        dt.date(2026, 2, 1), dt.date(2026, 2, 28), dt.date(2026, 3, 30))


def test_a_window_the_release_cannot_answer_says_so(small):
    """bra sees narcotics only as published months: 1–27 November is no whole month, so neither
    the narcotics count nor the total is compared; its points layers are."""
    data, views = small
    content = build_content(data, views.get, views.policy("bra"), parse_period("2026-11"), "sv", TODAY,
                            with_figures=False)
    assert content.summary[0] == (
        "Alla rapporter: antalet i november 2026 t.o.m. 27 november kan inte jämföras med antalet i oktober 2026"
        " på samma dagar: de publicerade rutorna finns bara för hela perioder.")
    assert content.summary[3:6] == [
        "Trygghet: 5 rapporter i november 2026 t.o.m. 27 november, inga i oktober 2026 på samma dagar.",
        "Trafik: 2 rapporter i november 2026 t.o.m. 27 november, inga i oktober 2026 på samma dagar.",
        "Narkotika: antalet i november 2026 t.o.m. 27 november kan inte jämföras med antalet i oktober 2026 på"
        " samma dagar: de publicerade rutorna finns bara för hela perioder.",
    ]
    assert content.sections[2].comparisons[1].startswith(
        "Narkotika: antalet från 1 januari t.o.m. 27 november 2026 kan inte jämföras med antalet under samma dagar 2025")


def test_a_year_is_compared_once_with_last_year(small):
    data, views = small
    content = build_content(data, views.get, views.policy("polis"), parse_period("2026"), "sv", TODAY,
                            with_figures=False)
    # The year before is last year and its year to date: one sentence, not three.
    assert content.summary[0] == "Alla rapporter: 10 rapporter under 2026 t.o.m. 27 november, 900 % fler än under 2025 på samma dagar (1)."
    assert content.summary[1].startswith("Trygghet: 5 rapporter") and content.sections[0].comparisons == []


def test_english_summary(small):
    data, views = small
    content = build_content(data, views.get, views.policy("polis"), parse_period("2026-Q4"), "en", TODAY,
                            with_figures=False)
    # Q4 also holds the narcotics tip of 3 October; Q3 has no report (the resolved one is from May).
    assert content.summary[0] == "All reports: 9 reports in Q4 2026 through 27 November, none in Q3 2026 on the same days."
    assert content.summary[1] == ("All reports: 9 reports in Q4 2026 through 27 November, 800 % more than in Q4 2025"
                                  " on the same days (1).")
    assert content.summary[2] == ("All reports: 10 reports from 1 January through 27 November 2026, 900 % more than"
                                  " in the same days of 2025 (1).")
    assert content.summary[5] == "Narcotics: 2 reports in Q4 2026 through 27 November, none in Q3 2026 on the same days."
    assert content.summary[-1] == "Activities in Q4 2026: 3 done, 1 planned."


# -- one report per role on demo data ------------------------------------------------------------

@pytest.mark.parametrize("role", list(PERIODS))
def test_cover_summary_and_sections(made, role, store_path):
    text = made[role]["text"]
    content = made[role]["content"]
    assert text.startswith("Lägesbild – medborgarlöftet Vaggeryds kommun")
    for line in ("Demodata – fiktiva händelser", "Lokalpolisområde Värnamo",
                 "2026-01-01 – 2026-12-31", "Sammanfattning", "Innehåll: fokusområden"):
        assert line in text
    heads = ["Karta", "Utveckling över tid", "Platser med flest rapporter", "Genomförda aktiviteter",
             "Planerade aktiviteter"]
    for section in content.sections:
        assert section.name in text
    for head in heads:
        assert text.count(head) >= len(content.sections)
    # Weekday × hour only where the role sees hours (allmanhet sees months).
    assert ("Veckodag och timme" in text) == (role != "allmanhet")
    for sentence in content.summary:
        assert flat(sentence) in text


@pytest.mark.parametrize("role", list(PERIODS))
def test_role_and_demo_on_every_page(made, role):
    pages = made[role]["page_texts"]
    assert len(pages) == made[role]["pages"] >= 1 + len(made[role]["content"].sections)
    for number, page in enumerate(pages, 1):
        assert ROLE_LINE[role] in page and "Demodata – fiktiva händelser" in page
        assert f"Sida {number} / {len(pages)}" in page


@pytest.mark.parametrize("role", list(PERIODS))
def test_pdf_metadata_holds_the_fixed_title_only(made, role):
    meta = made[role]["reader"].metadata
    assert meta.title == "Lägesbild – medborgarlöftet"
    assert meta.author is None and meta.subject is None and "/Keywords" not in meta


def test_points_numbers_are_the_files_counts(made, store_path):
    """Layers seen as points (polis: all; bra: unsafe places, speed) count every report of the period."""
    now = raw_counts(store_path, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    before = raw_counts(store_path, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    for role, areas in (("polis", ("Trygghet", "Trafik", "Narkotika")), ("bra", ("Trygghet", "Trafik"))):
        for name, fid in (("Trygghet", "trygghet"), ("Trafik", "trafik"), ("Narkotika", "narkotika")):
            if name not in areas:
                continue
            sentence = expected_sentence(name, now.get(fid, 0), before.get(fid, 0), "i oktober 2026",
                                         "i september 2026")
            assert sentence in made[role]["text"]
    everything = expected_sentence("Alla rapporter", sum(now.values()), sum(before.values()), "i oktober 2026",
                                   "i september 2026")
    assert everything in made["polis"]["text"]
    # The same period last year and the year to date, from the file's counts too.
    last_year = raw_counts(store_path, dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    ytd = raw_counts(store_path, dt.date(2026, 1, 1), dt.date(2026, 10, 31))
    ytd_before = raw_counts(store_path, dt.date(2025, 1, 1), dt.date(2025, 10, 31))
    for name, fid in (("Trygghet", "trygghet"), ("Trafik", "trafik")):
        for role in ("polis", "bra"):
            assert expected_sentence(name, now.get(fid, 0), last_year.get(fid, 0), "i oktober 2026",
                                     "i oktober 2025") in made[role]["text"]
            assert expected_sentence(name, ytd.get(fid, 0), ytd_before.get(fid, 0),
                                     "från 1 januari t.o.m. 31 oktober 2026", "under samma dagar 2025") in made[role]["text"]
    # bra's narcotics release merged September and October 2026 into one block (too few for k
    # each): October alone is no whole published period, so it is not compared, and says so.
    assert flat("Narkotika: antalet i oktober 2026 kan inte jämföras med antalet i september 2026: de publicerade"
                " rutorna finns bara för hela perioder.") in made["bra"]["text"]
    assert "kan inte jämföras" not in made["polis"]["text"]


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_numbers_agree_with_the_dashboards_where_table(made, role, store_path):
    """A focus area's count is the total the dashboard's "where" table shows for the role and dates."""
    period = parse_period(PERIODS[role])
    app = create_app(open_store(store_path), today=lambda: END, role=role)
    render_where = callback(app, "render_where")
    data = app._trygghetskarta["views"].data
    for section in made[role]["content"].sections:
        layers = [lid for lid, spec in data.config.layers.items() if spec.focus_area == section.id]
        state = {"focus_areas": [section.id], "layers": [*layers, "aktivitet"], "preset": "custom",
                 "start": period.start.isoformat(), "end": period.end.isoformat(), "lang": "sv"}
        # Per locality the table's places add up to the view's total (per cell only published cells count).
        shown = flat(" ".join(_strings(call(render_where, "filters.data", state, "locality"))))
        match = re.search(r"Alla platser: (\d+) rapporter", shown)
        assert (int(match.group(1)) if match else 0) == section.reports
        assert match or section.reports == 0
        if "kan inte jämföras" not in section.sentence:
            assert f"{section.reports} rapport" in made[role]["text"]


def _strings(component) -> list[str]:
    if isinstance(component, str | int | float):
        return [str(component)]
    if isinstance(component, list | tuple):
        return [s for c in component for s in _strings(c)]
    children = getattr(component, "children", None)
    return _strings(children) if children is not None else []


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_no_free_text_for_reduced_roles(made, role):
    for where in ("text", "html"):
        assert "HEMLIGT-TIPS-4711" not in made[role][where]
        assert "NARKOTIKA-FRITEXT-0815" not in made[role][where]
        assert "Storgatan" not in made[role][where]


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_nothing_finer_than_the_role_sees(made, role):
    text = made[role]["text"]
    # No clock time anywhere (bra sees hours only as the heatmap's axis; allmanhet not even that).
    assert not re.search(r"\b\d{1,2}:\d{2}\b", text)
    if role == "allmanhet":
        # Months only: no weekday axis, and the trend per published quarter.
        assert not re.search(r"\b(Mån|Tis|Ons|Tor|Fre|Lör|Sön)\b", text)
        assert "kv. 3 2026" in text and "Kvartal" in text


def test_no_narcotics_for_allmanhet(made):
    for where in ("text", "html"):
        assert "arkotika" not in made["allmanhet"][where]
    assert [s.id for s in made["allmanhet"]["content"].sections] == ["trygghet", "trafik"]
    # …while bra has the narcotics section (from the release's cells).
    assert "Narkotikabrottslighet" in made["bra"]["text"]


def test_html_holds_the_same_numbers_and_inline_svg(made):
    html = made["bra"]["html_file"]
    assert html == made["bra"]["html"]
    for sentence in made["bra"]["content"].summary:
        assert sentence in html
    for section in made["bra"]["content"].sections:
        for place in section.places:
            assert f"<td>{place.name}</td><td class=\"n\">{place.reports}</td>" in html
    assert html.count("<svg") >= 2 * len(made["bra"]["content"].sections)
    # No figure or script is fetched from anywhere.
    assert "<script" not in html and "<link" not in html and 'src="http' not in html and "url(http" not in html


# -- refusals ------------------------------------------------------------------------------------

def test_a_period_finer_than_the_role_may_see_is_refused_with_the_periods_it_can_have(store_path, tmp_path):
    result = CliRunner().invoke(main, ["report", "--data", str(store_path), "--period", "2026-10",
                                       "--role", "allmanhet", "--today", END.isoformat(),
                                       "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: --period 2026-10 is finer than the role allmanhet may see: "
                                "it sees its cells layers per quarter; periods it can have: 2024-Q4, 2025-Q1,")
    assert lines[-1].endswith("2026-Q3, 2026-Q4, 2024, 2025, 2026")
    assert "Traceback" not in result.output and not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize("args, message", [
    (["--period", "2030"], "Error: no reports or activities the role bra may see in 2030 (2030-01-01 – 2030-12-31)"),
    (["--period", "2026-13"], "Error: --period '2026-13' is not a period like 2026, 2026-Q3, 2026-10 or 2026-W48"),
    (["--period", "2026", "--out", "r.docx"], "Error: --out r.docx: the file name must end in .pdf or .html"),
])
def test_user_mistakes_are_one_line(store_path, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    base = ["report", "--data", str(store_path), "--today", END.isoformat()]
    if "--out" not in args:
        base += ["--out", "r.pdf"]
    result = CliRunner().invoke(main, base + args)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in result.output


def test_missing_chromium_is_named(store_path, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    with pytest.raises(ReportError, match="BROWSER_PATH=.*no-chromium is not a browser program; the report's "
                                          r"figures need Chromium \(e.g. apt install chromium\)"):
        make_report(store_path, "2026", "bra", "sv", tmp_path / "r.pdf", today=END)


def test_commitments_with_their_progress_as_the_cards_show_them(made):
    """The promise's commitments per focus area with the promise cards' own progress line."""
    text = made["bra"]["text"]
    safety = made["bra"]["content"].sections[0]
    assert safety.commitments
    assert "Löften och hur långt de kommit" in text
    for commitment, line in safety.commitments:
        assert flat(line) in text
        assert flat(commitment) in text
        assert re.fullmatch(r"[\d,]+ av [\d,]+ \S.* \((klart|i fas|efter|ej påbörjat)\)", line)
