"""`trygghetskarta near-repeat` on a small hand-made store: the JSON contract with the counts of
five reports worked out by hand, the text in Swedish and English, the police feed left out, the
reduced roles refused with one line, and one clear line for each bad flag."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers import GeoPackageStore
from tests.helpers import VAGGERYD, report, reports_frame

DAY0 = pd.Timestamp("2026-03-02T20:00:00+01:00")
#: (dx, dy, day) from Vaggeryd's centre, as in tests/test_analysis_near_repeat.py: 4 pairs close in
#: space (≤ 200 m), 3 close in time (≤ 7 days), 1 close in both of 10 pairs; 1.2 expected.
FIVE = [(0, 0, 0), (100, 0, 3), (0, 150, 20), (1000, 0, 1), (1100, 0, 30)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = GeoPackageStore.create(tmp_path_factory.mktemp("near_repeat") / "n.gpkg")
    rows = [report(i, at=(VAGGERYD[0] + dx, VAGGERYD[1] + dy), when=(DAY0 + pd.Timedelta(days=day)).isoformat())
            for i, (dx, dy, day) in enumerate(FIVE)]
    # The police feed's report sits at the locality's centre: beside A on A's day, it would make
    # a close pair of its own; it is left out.
    rows.append({**report(9, at=VAGGERYD, when=DAY0.isoformat()), "id": "polisen-123"})
    # A report in April, outside --to.
    rows.append(report(10, at=VAGGERYD, when="2026-04-20T20:00:00+02:00"))
    rows.append(report(11, layer="narkotika", focus="narkotika", at=VAGGERYD, when=DAY0.isoformat()))
    store.add_reports(reports_frame(rows))
    return store


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_is_the_contract_with_the_counts_by_hand(store):
    result = run("near-repeat", "--data", store.path, "--layer", "otrygg_plats", "--from", "2026-03-01",
                 "--to", "2026-04-10", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["distance_m", "days", "pairs_close_in_space_and_time", "expected", "ratio", "p", "bands"]
    assert (data["distance_m"], data["days"], data["pairs_close_in_space_and_time"], data["expected"],
            data["ratio"], data["p"]) == (200, 7, 1, 1.2, 0.8333, 1.0)
    assert [(b["days_from"], b["days_to"], b["observed"], b["expected"]) for b in data["bands"][:3]] == [
        (0, 7, 1, 1.2), (8, 14, 0, 0.4), (15, 21, 2, 1.2)]
    assert list(data["bands"][0]) == ["distance_from_m", "distance_to_m", "days_from", "days_to", "observed",
                                      "expected", "ratio", "p"]


def test_the_thresholds_are_the_flags(store):
    # 1050 m and 1 day: close in space all pairs but A–E (1100 m) and C–E (1110 m), so 8; close in
    # time only A–D (1 day apart, 1000 m): 1 pair in both, 8 × 1 / 10 = 0.8 expected.
    result = run("near-repeat", "--data", store.path, "--layer", "otrygg_plats", "--to", "2026-04-10",
                 "--distance", 1050, "--days", 1, "--bands", 1, "--permutations", 9, "--format", "json")
    data = json.loads(result.stdout)
    assert (data["distance_m"], data["days"], data["pairs_close_in_space_and_time"], data["expected"],
            len(data["bands"])) == (1050, 1, 1, 0.8, 1)


def test_text_is_swedish_by_default_and_english_on_request(store):
    sv = run("near-repeat", "--data", store.path, "--layer", "otrygg_plats", "--from", "2026-03-01",
             "--to", "2026-04-10")
    assert sv.exit_code == 0, sv.output
    lines = sv.output.splitlines()
    assert lines[:3] == ["Near repeat (Knox-test) för otrygg_plats, som rollen polis ser dem",
                         "Period: 2026-03-01 – 2026-04-10", "5 rapporter med exakt plats och tid ingår"]
    assert lines[3].startswith("1 rapporter ingår inte (polisens flöde")
    assert ("Av 10 par rapporter ligger 1 högst 200 m och 7 dagar från varandra; om tid och plats vore "
            "oberoende väntas 1,2.") in lines
    assert "Kvoten observerat/väntat är 0,83 (p = 1,000, 99 permutationer)." in lines
    assert any(line.startswith("Inget tydligt near repeat") for line in lines)
    assert any(line.startswith("Det är inte ett bevis för orsak") for line in lines)
    table = lines[lines.index("Par per avstånd och dagar (som Near Repeat Calculator):") + 1:]
    assert table[0].split() == ["avstånd", "(m)", "dagar", "par", "väntat", "kvot", "p"]
    assert table[3].split()[:5] == ["0–200", "15–21", "2", "1,2", "1,67"]
    assert table[4].split()[:5] == ["200–400", "0–7", "0", "0,0", "–"]
    en = run("near-repeat", "--data", store.path, "--layer", "otrygg_plats", "--to", "2026-04-10", "--lang", "en")
    assert "Near repeat (Knox test) of otrygg_plats, as the role polis sees them" in en.output
    assert "The ratio observed/expected is 0.83 (p = 1.000, 99 permutations)." in en.output
    assert "Traceback" not in sv.output + en.output


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_reduced_roles_are_refused_with_one_line(store, role):
    result = run("near-repeat", "--data", store.path, "--layer", "otrygg_plats", "--role", role)
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: near repeat är bara för polis och admin: testet arbetar på exakta "
                                     f"platser och tider, som rollen {role} inte får se")


def test_admin_may_run_it(store):
    result = run("near-repeat", "--data", store.path, "--layer", "narkotika", "--role", "admin")
    assert result.exit_code == 1  # one narcotics report is too few, and says so
    assert result.output.strip() == "Error: the Knox test needs at least 3 reports with a place and a time, not 1"


@pytest.mark.parametrize(("args", "message"), [
    (["--layer", "trafik"], "Error: unknown layer 'trafik'; the data file's layers: otrygg_plats, hastighet, narkotika"),
    (["--layer", "hastighet", "--from", "2026-05-01", "--to", "2026-04-01"],
     "Error: --to 2026-04-01 is before --from 2026-05-01"),
    (["--layer", "otrygg_plats", "--distance", "0"], "Error: Invalid value for '--distance': 0.0 is not in the range x>0."),
    (["--layer", "otrygg_plats", "--days", "-1"], "Error: Invalid value for '--days': -1 is not in the range x>=0."),
    (["--layer", "otrygg_plats", "--permutations", "0"],
     "Error: Invalid value for '--permutations': 0 is not in the range 1<=x<=9999."),
    (["--layer", "otrygg_plats", "--format", "csv"], "Error: Invalid value for '--format': 'csv' is not one of"),
])
def test_bad_flags_get_one_clear_line(store, args, message):
    result = run("near-repeat", "--data", store.path, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_help_reads_like_documentation():
    result = run("near-repeat", "--help")
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    for part in ('"pairs_close_in_space_and_time"', "Police only (polis, admin)", "not proof of cause",
                 "Near Repeat Calculator", "Examples:"):
        assert part in text
