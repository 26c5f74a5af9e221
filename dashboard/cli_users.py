"""CLI commands for users and the audit log: registered on the main group.

    trygghetskarta user add NAME --role ROLE --data PATH [--password-stdin]
    trygghetskarta user list --data PATH
    trygghetskarta user remove NAME --data PATH
    trygghetskarta user passwd NAME --data PATH [--password-stdin]
    trygghetskarta user role NAME ROLE --data PATH
    trygghetskarta audit --data PATH [--event E] [--user U] [--limit N] [--json]
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from layers import open_store
from layers.audit import EVENTS, AuditError, AuditLog, format_entries, read_audit
from layers.privacy import ROLES, PrivacyError
from layers.users import MIN_PASSWORD, UserError, UserStore

from .cli import USER_ERRORS, Group, main

_MORE_ERRORS = (UserError, AuditError, PrivacyError)


class _Group(Group):
    """Like the main group: user mistakes become one line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _MORE_ERRORS as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


def _data_option(f):
    return click.option(
        "--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
        help="GeoPackage data file (users and the audit log are kept in it).",
    )(f)


def _stdin_option(f):
    return click.option(
        "--password-stdin", is_flag=True,
        help="Read the password from the first line of standard input (for scripts).",
    )(f)


def _role(ctx, param, value):
    if value is not None and value not in ROLES:
        raise UserError(f"unknown role {value!r}; known roles: {', '.join(ROLES)}")
    return value


def _open(data: Path) -> UserStore:
    store = open_store(data)  # a clear StoreError for a missing or foreign file
    return UserStore(store)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # pragma: no cover - no login name on some systems
        return "cli"


def _password(from_stdin: bool, name: str) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if password.endswith("\r"):
            password = password[:-1]
        if not password:
            raise UserError("no password on standard input")
        return password
    return click.prompt(
        f"Password for {name} (at least {MIN_PASSWORD} characters)", hide_input=True,
        confirmation_prompt="Repeat the password", err=True,
    )


@main.group(cls=_Group)
def user():
    """Manage who may log in, and with which role (stored in the data file).

    \b
    Roles:
      polis      exact points, free text, exact times
      bra        BRÅ meeting / shared screen: narcotics only as counted cells, no free text,
                 times to the hour
      allmanhet  public: counted cells, no narcotics, no free text, times to the month
      admin      as polis, plus user and data management

    With at least one user, `serve` requires a login; without users it runs only on
    127.0.0.1 as a single local user.
    """


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, callback=_role, help=f"One of {', '.join(ROLES)}.")
@_data_option
@_stdin_option
def user_add(name, role, data, password_stdin):
    """Add a user; asks for the password (or reads it from stdin)."""
    users = _open(data)
    if users.get(name) is not None:
        raise UserError(f"user {name!r} already exists; use `user passwd` or remove it")
    password = _password(password_stdin, name)
    added = users.add(name, role, password)
    AuditLog(data).append("user_add", user=_actor(), detail={"name": added.name, "role": role})
    click.echo(f"Added {added.name} with role {role} to {data}")


@user.command("list")
@_data_option
def user_list(data):
    """List users and their roles."""
    users = _open(data).list()
    if not users:
        click.echo("No users: `serve` runs without login, on 127.0.0.1 only.")
        return
    click.echo(f"{'name':<24} {'role':<10} {'created':<26} changed")
    for u in users:
        click.echo(f"{u.name:<24} {u.role:<10} {u.created_at:<26} {u.changed_at}")


@user.command("remove")
@click.argument("name")
@_data_option
def user_remove(name, data):
    """Remove a user (their open sessions end within half a minute)."""
    _open(data).remove(name)
    AuditLog(data).append("user_remove", user=_actor(), detail={"name": name})
    click.echo(f"Removed {name} from {data}")


@user.command("passwd")
@click.argument("name")
@_data_option
@_stdin_option
def user_passwd(name, data, password_stdin):
    """Set a new password (the user's open sessions end)."""
    users = _open(data)
    if users.get(name) is None:
        raise UserError(f"no user {name!r}")
    users.passwd(name, _password(password_stdin, name))
    AuditLog(data).append("user_passwd", user=_actor(), detail={"name": name})
    click.echo(f"New password set for {name}")


@user.command("role")
@click.argument("name")
@click.argument("role", callback=_role)
@_data_option
def user_role(name, role, data):
    """Change a user's role (their open sessions end)."""
    _open(data).set_role(name, role)
    AuditLog(data).append("user_role", user=_actor(), detail={"name": name, "role": role})
    click.echo(f"{name} now has role {role}")


@main.command("audit")
@_data_option
@click.option("--event", type=click.Choice(EVENTS), help="Only this kind of event.")
@click.option("--user", "user_name", help="Only this user.")
@click.option("--since", help="Only entries at or after this time (e.g. 2026-11-01).")
@click.option("--limit", type=click.IntRange(1, None), help="Only the newest N entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit(data, event, user_name, since, limit, as_json):
    """Print the audit log: logins, failed logins, logouts, exports, views of exact
    sensitive layers and user changes (oldest first)."""
    open_store(data)
    frame = read_audit(data, event=event, user=user_name, since=since, limit=limit)
    if as_json:
        for record in frame.to_dict("records"):
            record["seq"] = int(record["seq"])
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    if frame.empty:
        click.echo("The audit log is empty.")
        return
    for line in format_entries(frame):
        click.echo(line)


__all__ = ["USER_ERRORS", "audit", "user"]
