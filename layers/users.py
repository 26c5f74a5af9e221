"""Users with roles, stored in a `users` table inside the data file, with argon2 hashes.

The login message never tells whether a user exists; the login backoff lives with the
login itself (dashboard.auth.LoginBackoff). A user has one of `layers.privacy.ROLES`: polis, bra,
allmanhet, admin, and since issue 14 moderator (municipal staff moderating residents' and EST
reports) and rapportor (an EST reporter, whose login leads to /est only); docs/roller.md.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .datafile import reading, writing
from .messages import LANGUAGES, template
from .privacy import ROLES

TABLE = "users"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  changed_at TEXT NOT NULL
)
"""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024

#: Shown for every failed login, whether or not the user exists.
LOGIN_FAILED = {lang: template("login_failed", lang) for lang in LANGUAGES}


class UserError(ValueError):
    """A user-management mistake (bad name, unknown role, short password, no such user)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    #: Goes up with every password or role change; sessions of an older generation end.
    generation: int
    created_at: str
    changed_at: str


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _path(store_or_path) -> Path:
    return Path(getattr(store_or_path, "path", store_or_path))


def _existing(store_or_path) -> Path:
    """The data file's path; users are kept only in a data file that exists."""
    path = _path(store_or_path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    return path


def _has_table(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise UserError(
            "a user name is 1-64 characters: letters A-Z, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; known roles: {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password must be at most {MAX_PASSWORD} characters")
    return password


class UserStore:
    """The `users` table of a data file. `hasher` may be a cheaper PasswordHasher in tests."""

    def __init__(self, store_or_path, hasher: PasswordHasher | None = None):
        self.path = _existing(store_or_path)
        self.hasher = hasher or PasswordHasher()
        # Verified against when a user does not exist, so the answer takes as long.
        self._dummy = self.hasher.hash(os.urandom(16).hex())
        self._ensure()

    def _ensure(self) -> None:
        # Looked for first: a server that may only read the file still gets its users.
        with reading(self.path) as conn:
            if _has_table(conn, TABLE):
                return
        with writing(self.path) as conn:
            conn.execute(_SCHEMA)

    # -- management -----------------------------------------------------------------------
    def add(self, name: str, role: str, password: str) -> User:
        name, role = check_name(name), check_role(role)
        check_password(password)
        digest = self.hasher.hash(password)
        now = _now()
        with writing(self.path) as conn:
            found = conn.execute(f"SELECT 1 FROM {TABLE} WHERE name = ?", (name,)).fetchone()
            if found:
                raise UserError(f"user {name!r} already exists; use `user passwd` or remove it")
            conn.execute(
                f"INSERT INTO {TABLE} (name, role, password_hash, generation, created_at, "
                "changed_at) VALUES (?, ?, ?, 1, ?, ?)",
                (name, role, digest, now, now),
            )
        return User(name, role, 1, now, now)

    def list(self) -> list[User]:
        with reading(self.path) as conn:
            rows = conn.execute(
                f"SELECT name, role, generation, created_at, changed_at FROM {TABLE} "
                "ORDER BY name COLLATE NOCASE"
            ).fetchall()
        return [User(*row) for row in rows]

    def count(self) -> int:
        with reading(self.path) as conn:
            return conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]

    def get(self, name: str) -> User | None:
        with reading(self.path) as conn:
            row = conn.execute(
                f"SELECT name, role, generation, created_at, changed_at FROM {TABLE} "
                "WHERE name = ?",
                ((name or "").strip(),),
            ).fetchone()
        return User(*row) if row else None

    def remove(self, name: str) -> None:
        with writing(self.path) as conn:
            cur = conn.execute(f"DELETE FROM {TABLE} WHERE name = ?", ((name or "").strip(),))
        if cur.rowcount != 1:
            raise UserError(f"no user {name!r}")

    def passwd(self, name: str, password: str) -> None:
        """A new password; the user's open sessions end (generation goes up)."""
        check_password(password)
        self._change(name, password_hash=self.hasher.hash(password))

    def set_role(self, name: str, role: str) -> None:
        """A new role; the user's open sessions end (generation goes up)."""
        self._change(name, role=check_role(role))

    def _change(self, name: str, **changes) -> None:
        sets = ", ".join(f"{k} = ?" for k in changes)
        with writing(self.path) as conn:
            cur = conn.execute(
                f"UPDATE {TABLE} SET {sets}, generation = generation + 1, changed_at = ? "
                "WHERE name = ?",
                (*changes.values(), _now(), (name or "").strip()),
            )
        if cur.rowcount != 1:
            raise UserError(f"no user {name!r}")

    # -- checking -------------------------------------------------------------------------
    def verify(self, name: str, password: str) -> User | None:
        """The user when name and password match, else None (same work either way)."""
        if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD:
            return None
        with reading(self.path) as conn:
            row = conn.execute(
                f"SELECT name, role, generation, created_at, changed_at, password_hash FROM {TABLE}"
                " WHERE name = ?",
                ((name or "").strip()[:200],),
            ).fetchone()
        digest = row[5] if row else self._dummy
        try:
            self.hasher.verify(digest, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:  # pragma: no cover - the dummy password is random
            return None
        if self.hasher.check_needs_rehash(digest):
            self._rehash(row[0], digest, password)
        return User(*row[:5])

    def _rehash(self, name: str, old: str, password: str) -> None:
        digest = self.hasher.hash(password)  # before the write lock: hashing takes a while
        with writing(self.path) as conn:
            conn.execute(
                f"UPDATE {TABLE} SET password_hash = ? WHERE name = ? AND password_hash = ?",
                (digest, name, old),
            )


def has_users(store_or_path) -> bool:
    """True when the data file holds at least one user (False when it has no users table)."""
    path = _path(store_or_path)
    if not path.exists():
        return False
    with reading(path) as conn:
        return _has_table(conn, TABLE) and conn.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchone() is not None


__all__ = [
    "LOGIN_FAILED", "MIN_PASSWORD", "User", "UserError", "UserStore", "check_name", "check_password", "check_role",
    "has_users",
]
