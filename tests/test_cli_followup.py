"""`trygghetskarta follow-up` on a small hand-made store: the JSON contract's keys, exact numbers
(2 of 4 walks done, quarters, focus-area change), and what reduced roles see (a cells layer
counted from the release in whole months, no effect on it, hidden areas left out)."""

import datetime as dt
import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers import GeoPackageStore
from layers.promises import read_promise_file
from layers.role_followup import release_windows, store_follow_up
from tests.helpers import SKILLINGARYD, VAGGERYD, activity, report, reports_frame

PROMISE = """\
[promise]
kommun = "0665"
start = 2025-01-01
end = 2025-12-31

[[focus_area]]
id = "trygghet"
name_sv = "Ökad trygghet"
color = "#E69F00"
layers = ["otrygg_plats"]

[[focus_area]]
id = "trafik"
name_sv = "Trafiksäkerhet"
color = "#0072B2"
layers = ["hastighet"]

[[focus_area]]
id = "narkotika"
name_sv = "Narkotika"
color = "#CC79A7"
layers = ["narkotika"]
promise = false

[[commitment]]
id = "vandringar"
focus_area = "trygghet"
text_sv = "Fyra trygghetsvandringar i Skillingaryd under året."
actor = "gemensam"
kind = "trygghetsvandring"
target = 4
place = "Skillingaryd"

[[commitment]]
id = "kontroller"
focus_area = "trafik"
text_sv = "En hastighetskontroll per kvartal."
actor = "polis"
kind = "hastighetskontroll"
target = 1
per = "quarter"
"""

#: The issue's JSON contract, key for key and in order.
COMMITMENT_KEYS = ["id", "focus_area", "actor", "kind", "target", "done", "planned", "cancelled",
                   "expected_by_now", "status", "periods"]
AREA_KEYS = ["id", "promise", "reports", "reports_previous", "reports_last_year", "change", "change_pct"]
EFFECT_KEYS = ["place", "start", "before", "after", "control_before", "control_after", "buffer_before",
               "buffer_after", "estimate", "se", "ci_low", "ci_high", "wdq"]
AT = "2025-06-15"
#: The day releases are built for in the role tests: June 2025 has closed.
RELEASE_DAY = dt.date(2025, 7, 15)


def _acts(rows):
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3006")


def build(folder):
    source = folder / "lofte.toml"
    source.write_text(PROMISE, encoding="utf-8")
    found = read_promise_file(source)
    store = GeoPackageStore.create(folder / "f.gpkg", config=found.config)
    reports, n = [], 0

    def add(layer, focus, when, at=SKILLINGARYD):
        nonlocal n
        n += 1
        reports.append(report(n, layer=layer, focus=focus, when=when, at=at))

    # Narcotics tips at Skillingaryd station on the 10th: 6 a month in 2024, 7 a month in 2025 until June.
    for year, per_month, months in ((2024, 6, range(1, 13)), (2025, 7, range(1, 7))):
        for month in months:
            for i in range(per_month):
                add("narkotika", "narkotika", f"{year}-{month:02d}-10T22:00:00+01:00",
                    at=(SKILLINGARYD[0] + 10 * i, SKILLINGARYD[1]))
    # Unsafe places: 5 in the first half of 2024, 1 in October 2024, 3 in the first half of 2025.
    for when in ("2024-01-20", "2024-02-20", "2024-03-20", "2024-04-20", "2024-05-20", "2024-10-20",
                 "2025-02-20", "2025-03-20", "2025-05-20"):
        add("otrygg_plats", "trygghet", f"{when}T18:00:00+01:00", at=VAGGERYD)
    store.add_reports(reports_frame(reports))
    walk = dict(kind="trygghetsvandring", actor="gemensam")
    rows = [
        activity(1, planned="2025-02-10T18:00:00+01:00", done="2025-02-10T20:00:00+01:00", **walk),
        activity(2, planned="2025-04-10T18:00:00+02:00", done="2025-04-10T20:00:00+02:00", **walk),
        activity(3, planned="2025-09-10T18:00:00+02:00", status="planerad", **walk),
        activity(4, planned="2025-05-10T18:00:00+02:00", status="inställd", **walk),
        activity(5, planned="2025-03-10T18:00:00+01:00", done="2025-03-10T20:00:00+01:00", at=VAGGERYD, **walk),
        activity(6, kind="hastighetskontroll", focus="trafik", planned="2025-02-05T07:00:00+01:00",
                 done="2025-02-05T09:00:00+01:00"),
    ]
    # Weekly narcotics operations at the station for 8 weeks from 3 February: a treated place.
    for week in range(8):
        day = dt.date(2025, 2, 3) + dt.timedelta(weeks=week)
        rows.append(activity(10 + week, kind="narkotikainsats", focus="narkotika",
                             planned=f"{day}T21:00:00+01:00", done=f"{day}T23:00:00+01:00"))
    store.add_activities(_acts(rows))
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("followup"))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The same data, its releases built first on RELEASE_DAY (the CLI builds them for today: a
    release series starts two years before its first build, and its first block holds all before)."""
    return build(tmp_path_factory.mktemp("followup-roles"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_has_exactly_the_contract_keys_and_the_numbers(store):
    done = run("follow-up", "--data", store.path, "--at", AT, "--role", "polis", "--format", "json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert list(result) == ["commitments", "focus_areas", "effects"]
    assert all(list(row) == COMMITMENT_KEYS for row in result["commitments"])
    assert all(list(row) == AREA_KEYS for row in result["focus_areas"])
    assert result["effects"] and all(list(row) == EFFECT_KEYS for row in result["effects"])
    walks, checks = result["commitments"]
    # 2 of 4 walks in Skillingaryd done (the one in Vaggeryd is elsewhere), 1 planned, 1 cancelled;
    # an even pace asks 4 × 166/365 = 1.82 by 15 June: on track.
    assert {k: walks[k] for k in ("target", "done", "planned", "cancelled", "expected_by_now", "status")} == {
        "target": 4, "done": 2, "planned": 1, "cancelled": 1, "expected_by_now": 1.82, "status": "i_fas"}
    assert [(p["period"], p["done"], p["status"]) for p in checks["periods"]] == [
        ("2025-Q1", 1, "klart"), ("2025-Q2", 0, "ej_paborjat"), ("2025-Q3", 0, "ej_paborjat"),
        ("2025-Q4", 0, "ej_paborjat")]
    areas = {row["id"]: row for row in result["focus_areas"]}
    # Unsafe places 1 Jan – 15 Jun: 3 against 5 a year earlier; the 166 days before: 1 (October).
    assert areas["trygghet"] == {"id": "trygghet", "promise": True, "reports": 3, "reports_previous": 1,
                                 "reports_last_year": 5, "change": -2, "change_pct": -40.0}
    # The police count narcotics by day: 6 months × 7 to 15 June, against 6 × 6 a year earlier.
    assert (areas["narkotika"]["reports"], areas["narkotika"]["reports_last_year"],
            areas["narkotika"]["change_pct"]) == (42, 36, 16.7)
    station = result["effects"][0]
    assert (station["place"], station["start"], station["before"], station["after"]) == (
        "Skillingaryd – stationen", "2025-02-03", 30, 35)


def test_text_is_swedish_by_default(store):
    done = run("follow-up", "--data", store.path, "--at", AT)
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Uppföljning av löftet 2025 per 2025-06-15, som rollen bra ser den\n"
                                  "Löfte: 2025 ur datafilen (lofte.toml, importerat ")
    assert ("  vandringar [trygghet, gemensam, trygghetsvandring]: 2 av 4 trygghetsvandringar (i fas)\n"
            "    Fyra trygghetsvandringar i Skillingaryd under året.\n"
            "    gjort 2, planerat 1, inställt 1; väntat hittills i jämn takt 1,82\n") in done.output
    assert "kvartal 1 2025: 1 av 1 (klart); kvartal 2 2025: 0 av 1 (ej påbörjat)" in done.output
    assert ("Ökad trygghet (trygghet, offentligt löfte), 2025-01-01 – 2025-06-15: 3 rapporter; föregående 1; "
            "i fjol 5; förändring mot i fjol \u22122 (\u221240,0 %)") in done.output
    assert ("Narkotika (narkotika, bara BRÅ), 2025-01-01 – 2025-05-31 ur den publicerade releasen: 35 rapporter; "
            "föregående 30; i fjol –; förändring mot i fjol –") in done.output
    assert ("Anmärkningar:\n"
            "  - narkotika: jämförelsen med samma period i fjol utelämnas: den är inte hela publicerade block i "
            "releasen för bra\n"
            "  - effekter på narkotika visas inte för rollen bra: de kräver exakta punkter") in done.output
    assert "Follow-up" not in done.output and "reports" not in done.output


def test_text_in_english_with_lang_en(store):
    done = run("follow-up", "--data", store.path, "--at", AT, "--lang", "en")
    assert done.exit_code == 0, done.output
    assert "Follow-up of the promise 2025 at 2025-06-15, as the role bra sees it" in done.output
    assert ("  vandringar [trygghet, gemensam, trygghetsvandring]: 2 of 4 safety walks (on track)\n"
            "    Fyra trygghetsvandringar i Skillingaryd under året.\n"
            "    done 2, planned 1, cancelled 1; expected by now at an even pace 1.82") in done.output
    assert "Q1 2025: 1 of 1 (done); Q2 2025: 0 of 1 (not started)" in done.output
    assert ("Ökad trygghet (trygghet, public promise), 2025-01-01 – 2025-06-15: 3 reports; previous 1; last year 5; "
            "change against last year -2 (-40.0 %)") in done.output
    assert ("  - narkotika: the last year window is not whole published blocks of the bra release, so that "
            "comparison is left out\n") in done.output
    assert "effects on narkotika are not shown to the role bra" in done.output


def test_bra_counts_narcotics_from_its_release_in_whole_months_and_sees_no_effect_there(fresh):
    at = dt.date(2025, 6, 15)
    polis = store_follow_up(fresh, "polis", at, today=RELEASE_DAY)
    bra = store_follow_up(fresh, "bra", at, today=RELEASE_DAY)
    assert polis.result["commitments"] == bra.result["commitments"]  # activities count the same for all
    police, board = ({r["id"]: r for r in v.result["focus_areas"]} for v in (polis, bra))
    assert police["trygghet"] == board["trygghet"]  # a points layer for both
    # bra: January - May 2025 (June's block has not ended by 15 June) = 5 × 7, against the
    # 5 months before (August - December 2024) and January - May 2024, 5 × 6 each.
    assert board["narkotika"] == {"id": "narkotika", "promise": False, "reports": 35, "reports_previous": 30,
                                  "reports_last_year": 30, "change": 5, "change_pct": 16.7}
    assert bra.windows["narkotika"] == (dt.date(2025, 1, 1), dt.date(2025, 5, 31))
    assert police["narkotika"]["reports"] == 42 and polis.windows["narkotika"] == (dt.date(2025, 1, 1), at)
    assert [e["place"] for e in polis.result["effects"]] == ["Skillingaryd – stationen"]
    assert bra.result["effects"] == []


def test_allmanhet_gets_no_hidden_area_and_no_number_the_release_cannot_give(fresh):
    public = store_follow_up(fresh, "allmanhet", dt.date(2025, 6, 15), today=RELEASE_DAY, lang="en")
    areas = {r["id"]: r for r in public.result["focus_areas"]}
    assert list(areas) == ["trygghet", "trafik"]  # narcotics are hidden for the public
    # Too few unsafe-place reports to publish a quarter of 2025 at k = 5: no number, and why.
    assert areas["trygghet"]["reports"] is None and areas["trygghet"]["change"] is None
    assert any(n.startswith("trygghet: counted from the allmanhet release only, and nothing of the period is "
                            "published yet") for n in public.notes)
    assert public.result["effects"] == []


@pytest.mark.parametrize(("args", "message"), [
    (("--period", "1899"), "1899 is not a plausible promise year"),
    # "TOMORROW" is resolved when the test runs, not when it is collected: a run that crosses
    # midnight would otherwise ask for a day that is no longer in the future.
    (("--at", "TOMORROW"), "is in the future"),
    (("--at", "igår"), "'igår' is not a date like 2026-11-27"),
    (("--role", "chef"), "'chef' is not one of"),
    (("--period", "2031"), "no promise for 2031; stored promises: 2025"),
    (("--at", "2024-12-31"), "--at 2024-12-31 is before the promise 2025 begins"),
])
def test_bad_flags_get_one_clear_line(store, args, message):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    done = run("follow-up", "--data", store.path, *(tomorrow if a == "TOMORROW" else a for a in args))
    assert done.exit_code != 0
    assert message in done.output and "Traceback" not in done.output


def _release(spans):
    """A bra release of monthly blocks [(first month, last month)], each with 10 narcotics tips a month."""
    from layers.release import Block, Release, period_of

    blocks = tuple(Block(int(period_of(a[0], a[1], "month")), int(period_of(b[0], b[1], "month")), "month")
                   for a, b in spans)
    counts = pd.DataFrame({"block": range(len(blocks)), "layer": "narkotika", "kind": "kommun", "unit": "0665",
                           "count": [10 * b.periods for b in blocks]})
    return Release(role="bra", kind="month", through=blocks[-1].last, k=5, cell_m=500, layers=("narkotika",),
                   blocks=blocks, counts=counts, settings={"origin": blocks[0].first})


def test_release_windows_are_whole_published_blocks_or_none():
    # The first block opens the series (it holds everything before): no window may start there.
    release = _release([((2024, 1), (2024, 12)), ((2025, 1), (2025, 2)), ((2025, 3), (2025, 3)),
                        ((2025, 4), (2025, 4))])
    spans, why = release_windows(release, dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 4, 15))
    assert why is None
    assert spans == {"current": (dt.date(2025, 1, 1), dt.date(2025, 4, 1)), "previous": None, "last_year": None}
    # A block merged across 1 January: the period's start is inside it, so no count at all.
    crossing = _release([((2024, 1), (2024, 1)), ((2024, 2), (2024, 11)), ((2024, 12), (2025, 1)),
                         ((2025, 2), (2025, 2))])
    spans, why = release_windows(crossing, dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 3, 1), "en")
    assert why == "the period's first day is not the start of a published block" and spans["current"] is None
    spans, why = release_windows(crossing, dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2026, 1, 20), "en")
    assert why == "nothing of the period is published yet"
    # Swedish by default, as the notes built from it.
    assert release_windows(crossing, dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2026, 1, 20))[1] == (
        "inget av perioden är publicerat än")
