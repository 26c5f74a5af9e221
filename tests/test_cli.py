import json
import sqlite3

import pytest
from click.testing import CliRunner

from dashboard.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_demo_then_info(tmp_path):
    path = tmp_path / "v.gpkg"
    result = run("demo", "--data", str(path), "--reports", "200", "--activities", "30",
                 "--end", "2026-11-27", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "Wrote 200 reports and 30 activities (fictional demo data, municipality 0665)" in result.output
    info = run("info", "--data", str(path))
    assert info.exit_code == 0
    assert "Municipality: 0665 Vaggeryd" in info.output
    assert "DEMO DATA - fictional events" in info.output
    assert "Reports:     200" in info.output and "Activities:  30" in info.output
    assert "per layer: hastighet" in info.output and "narkotika" in info.output


def test_help_reads_like_documentation():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("demo", "info", "serve", "kommuner"):
        assert command in result.output
    assert "Quick start" in result.output


def test_user_mistakes_are_one_line_without_traceback(tmp_path):
    missing = run("info", "--data", str(tmp_path / "nope.gpkg"))
    assert missing.exit_code == 1
    assert missing.output.strip().startswith("Error: no data file at")
    assert "Traceback" not in missing.output
    bad_kommun = run("demo", "--data", str(tmp_path / "x.gpkg"), "--kommun", "9999")
    assert bad_kommun.exit_code == 2 and "unknown kommun code '9999'" in bad_kommun.output
    bad_date = run("demo", "--data", str(tmp_path / "x.gpkg"), "--end", "2026-13-01")
    assert bad_date.exit_code == 2 and "'2026-13-01' is not a date" in bad_date.output
    path = tmp_path / "v.gpkg"
    assert run("demo", "--data", str(path), "--reports", "5", "--activities", "1").exit_code == 0
    again = run("demo", "--data", str(path), "--reports", "5")
    assert again.exit_code == 1
    assert f"{path} already exists; add --overwrite to replace it, or choose another path" in again.output
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE trygghetskarta_meta SET value='99' WHERE key='schema_version'")
    newer = run("info", "--data", str(path))
    assert newer.exit_code == 1 and "schema version 99" in newer.output and "Update Trygghetskarta" in newer.output
    bad_config = tmp_path / "c.toml"
    bad_config.write_text('[[focus_area]]\nid = "x"\nname_sv = "X"\ncolor = "red"\n')
    served = run("serve", "--data", str(path), "--config", str(bad_config))
    assert served.exit_code == 2 and "color 'red' must look like #E69F00" in served.output


def test_kommuner_lists_all_codes():
    result = run("kommuner")
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 290
    assert "0665  Vaggeryd" in result.output


def test_serve_refuses_a_public_address_without_users(tmp_path):
    path = tmp_path / "v.gpkg"
    assert run("demo", "--data", str(path), "--reports", "5", "--activities", "1").exit_code == 0
    result = run("serve", "--data", str(path), "--host", "0.0.0.0")
    assert result.exit_code == 1
    assert result.output.startswith("Error: refusing to listen on 0.0.0.0 without users")
    assert f"trygghetskarta user add NAME --role ROLE --data {path}" in result.output


@pytest.fixture
def served(monkeypatch):
    """Run `serve` without starting a server: the WSGI app and options waitress (or gunicorn,
    for several processes) would get."""
    import waitress

    from dashboard import serving

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setattr(serving, "run_gunicorn", lambda app, **kw: calls.append((app, kw)))
    return calls


def test_serve_role_bra_without_users_is_local_and_fixed(tmp_path, served):
    path = tmp_path / "v.gpkg"
    assert run("demo", "--data", str(path), "--reports", "50", "--activities", "5").exit_code == 0
    result = run("serve", "--data", str(path), "--role", "bra", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert "Inga användare: ingen inloggning, alla på http://127.0.0.1:8123/ har rollen 'bra'" in result.output
    assert "Trygghetskarta on http://127.0.0.1:8123/?present=1" in result.output
    server, options = served[0]
    assert options["host"] == "127.0.0.1" and options["port"] == 8123
    auth = server.extensions["trygghetskarta_auth"]
    assert (auth.login_required, auth.fixed_role) == (False, "bra")
    layout = server.test_client().get("/_dash-layout").get_json()
    assert "BR\u00c5" in json.dumps(layout) or "BRÅ-möte" in json.dumps(layout, ensure_ascii=False)


def test_serve_with_users_may_listen_publicly_and_needs_login(tmp_path, served):
    from argon2 import PasswordHasher

    from layers.users import UserStore

    path = tmp_path / "v.gpkg"
    assert run("demo", "--data", str(path), "--reports", "20", "--activities", "2").exit_code == 0
    UserStore(path, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add(
        "anna", "polis", "ett långt lösenord")
    result = run("serve", "--data", str(path), "--host", "0.0.0.0", "--role", "bra")
    assert result.exit_code == 0, result.output
    assert "Inloggning krävs (1 användare, högst rollen bra)." in result.output
    server, options = served[0]
    assert options["host"] == "0.0.0.0"
    client = server.test_client()
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/").status_code == 302


def test_serve_rejects_an_unknown_role(tmp_path):
    result = run("serve", "--role", "chef")
    assert result.exit_code == 2 and "Invalid value for '--role': 'chef' is not one of" in result.output


def _next_month_after_next() -> str:
    import datetime as dt

    from dashboard.i18n import MONTHS

    today = dt.date.today()
    months = today.year * 12 + today.month  # the month after this one, 0-based
    return f"{MONTHS['sv'][months % 12]} {months // 12}"


def test_an_empty_demo_file_and_its_dashboard(tmp_path):
    """`demo --reports 0 --activities 0` gives a valid empty file; every view says so in words."""
    from dashboard.app import create_app
    from layers.store import open_store
    from tests.test_dashboard_roles import _call, _callbacks

    path = tmp_path / "empty.gpkg"
    result = run("demo", "--data", str(path), "--reports", "0", "--activities", "0")
    assert result.exit_code == 0, result.output
    assert "Wrote 0 reports and 0 activities" in result.output
    for role in ("polis", "bra"):
        cbs = _callbacks(create_app(open_store(path), role=role))
        filters = _call(cbs["sync_state"], "url.search", "?t=all", *[None] * 10, "sv", 0, 0, 0,
                        None, None, None, None, None, None, None)[12]
        note = _call(cbs["render_map"], "filters.data", filters, None, None)[1]
        assert note == "Inga rapporter för valda filter och urval" + (
            " · Narkotikatips: inga publicerade månader i perioden (bara avslutade månader publiceras)"
            f" · nästa publicering i början av {_next_month_after_next()}" if role == "bra" else "")
        charts = _call(cbs["render_charts"], "filters.data", filters)[:3]
        assert [c["layout"]["annotations"][0]["text"] for c in charts] == [
            "Inga aktiviteter för valda filter och urval", "Inga rapporter för valda filter och urval",
            "Inga rapporter för valda filter och urval"]
