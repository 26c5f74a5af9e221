"""Users in the data file: argon2 hashes, management, verify, rate limit, no enumeration."""

from __future__ import annotations

import json
import sqlite3

import pytest
from argon2 import PasswordHasher

from layers import GeoPackageStore
from layers.users import (
    UserError,
    UserStore,
    has_users,
)

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PW = "korrekt häst batteri"


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "data.gpkg")


@pytest.fixture
def users(store):
    return UserStore(store, hasher=FAST)


def test_add_list_verify_with_argon2(store, users):
    assert not has_users(store)
    users.add("anna", "polis", PW)
    users.add("Bra-skarm", "bra", PW + "!")
    assert has_users(store)
    assert [(u.name, u.role, u.generation) for u in users.list()] == [
        ("anna", "polis", 1), ("Bra-skarm", "bra", 1)]
    digest = sqlite3.connect(store.path).execute(
        "SELECT password_hash FROM users WHERE name = 'anna'").fetchone()[0]
    assert digest.startswith("$argon2id$") and PW not in digest
    assert users.verify("anna", PW).role == "polis"
    assert users.verify("ANNA", PW).name == "anna"  # names are case-insensitive
    assert users.verify("anna", PW + "x") is None
    assert users.verify("nobody", PW) is None
    assert users.verify("anna", "") is None
    # The store itself still reads fine with the extra table.
    assert store.counts() == {"reports": 0, "activities": 0}


def test_add_refuses_mistakes(users):
    with pytest.raises(UserError, match="unknown role"):
        users.add("anna", "chef", PW)
    with pytest.raises(UserError, match="at least 10"):
        users.add("anna", "polis", "kort")
    with pytest.raises(UserError, match="user name"):
        users.add("an na", "polis", PW)
    with pytest.raises(UserError, match="user name"):
        users.add("", "polis", PW)
    users.add("anna", "polis", PW)
    with pytest.raises(UserError, match="already exists"):
        users.add("Anna", "bra", PW)


def test_remove_and_passwd(users):
    users.add("anna", "polis", PW)
    users.passwd("anna", "ett helt nytt lösenord")
    assert users.verify("anna", PW) is None
    assert users.verify("anna", "ett helt nytt lösenord").generation == 2
    users.set_role("anna", "bra")
    assert users.get("anna").role == "bra" and users.get("anna").generation == 3
    with pytest.raises(UserError, match="unknown role"):
        users.set_role("anna", "kung")
    users.remove("anna")
    assert users.list() == [] and users.get("anna") is None
    with pytest.raises(UserError, match="no user"):
        users.remove("anna")
    with pytest.raises(UserError, match="no user"):
        users.passwd("anna", PW)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        UserStore(tmp_path / "nope.gpkg", hasher=FAST)
    assert not has_users(tmp_path / "nope.gpkg")


# -- the command line ---------------------------------------------------------------------------

def _cli(args, input=None):
    from click.testing import CliRunner

    import dashboard.cli_users  # noqa: F401 - registers `user` and `audit` on main
    from dashboard.cli import main

    return CliRunner().invoke(main, args, input=input)


def test_cli_user_add_list_passwd_remove_and_audit(store):
    data = str(store.path)
    result = _cli(["user", "add", "anna", "--role", "polis", "--data", data, "--password-stdin"],
                  input=PW + "\n")
    assert result.exit_code == 0, result.output
    assert "Added anna with role polis" in result.output
    result = _cli(["user", "add", "britt", "--role", "bra", "--data", data],
                  input=f"{PW}\n{PW}\n")
    assert result.exit_code == 0, result.output
    assert PW not in result.output
    result = _cli(["user", "list", "--data", data])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[1].split()[:2] == ["anna", "polis"] and lines[2].split()[:2] == ["britt", "bra"]
    assert UserStore(store, hasher=FAST).verify("britt", PW).role == "bra"
    result = _cli(["user", "passwd", "anna", "--data", data, "--password-stdin"],
                  input="ett annat lösenord\n")
    assert result.exit_code == 0 and UserStore(store).verify("anna", "ett annat lösenord")
    result = _cli(["user", "role", "anna", "admin", "--data", data])
    assert result.exit_code == 0 and UserStore(store).get("anna").role == "admin"
    result = _cli(["user", "remove", "britt", "--data", data])
    assert result.exit_code == 0 and "Removed britt" in result.output
    result = _cli(["audit", "--data", data])
    assert result.exit_code == 0
    events = [line.split()[2] for line in result.output.splitlines()]
    assert events == ["user_add", "user_add", "user_passwd", "user_role", "user_remove"]
    result = _cli(["audit", "--data", data, "--json", "--event", "user_remove"])
    record = json.loads(result.output)
    assert record["detail"] == {"name": "britt"} and record["event"] == "user_remove"


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["user", "add", "anna", "--role", "polis", "--password-stdin"], "kort\n",
     "Error: the password must be at least 10 characters"),
    (["user", "add", "anna", "--role", "polis", "--password-stdin"], "\n",
     "Error: no password on standard input"),
    (["user", "add", "a b", "--role", "polis", "--password-stdin"], PW + "\n",
     "Error: a user name is"),
    (["user", "remove", "nobody"], None, "Error: no user 'nobody'"),
    (["user", "passwd", "nobody", "--password-stdin"], PW + "\n", "Error: no user 'nobody'"),
])
def test_cli_user_mistakes_are_one_line(store, args, stdin, message):
    result = _cli([*args, "--data", str(store.path)], input=stdin)
    assert result.exit_code == 1
    assert result.output.strip().startswith(message)
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_cli_unknown_role_and_missing_file(store, tmp_path):
    result = _cli(["user", "add", "anna", "--role", "chef", "--data", str(store.path)])
    assert result.exit_code == 1
    assert result.output == "Error: unknown role 'chef'; known roles: polis, bra, allmanhet, admin, moderator, rapportor\n"
    result = _cli(["user", "role", "anna", "kung", "--data", str(store.path)])
    assert result.exit_code == 1 and result.output.startswith("Error: unknown role 'kung'")
    result = _cli(["user", "list", "--data", str(tmp_path / "nope.gpkg")])
    assert result.exit_code == 1 and result.output.startswith("Error:")
    assert len(result.output.strip().splitlines()) == 1
    result = _cli(["user", "add", "anna", "--role", "polis", "--data", str(store.path),
                   "--password-stdin"], input=PW + "\n")
    result = _cli(["user", "add", "ANNA", "--role", "bra", "--data", str(store.path),
                   "--password-stdin"], input=PW + "\n")
    assert result.exit_code == 1 and "already exists" in result.output
