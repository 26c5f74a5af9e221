"""The one way into the data file: every connection (store, users, audit log, releases) is made here.

Why one place:

- **Waiting, not failing.** Every connection, read-only ones too, waits up to
  `BUSY_TIMEOUT_S` for another connection's lock instead of failing after sqlite's default
  5 s with "database is locked".
- **Readers and the writer do not wait for each other.** Where the file system allows,
  the file is in write-ahead-log mode (WAL): a save appends to FILE-wal while viewers keep
  reading, and a long read no longer holds up every save. GDAL and QGIS read and write WAL
  GeoPackages. WAL's index is shared memory, so it works only where every process runs on
  the same machine: on a network share (SMB/CIFS, NFS, ...) the file keeps the rollback
  journal, as it does where switching WAL on fails. `TRYGGHETSKARTA_JOURNAL=wal|delete`
  overrides the choice (e.g. a share this module does not recognise).
- **Recovery after a crash.** A write killed halfway leaves a "hot" rollback journal
  (FILE-journal) or a WAL. Only a connection that may write can roll a journal back, so a
  reader opens the file read-write (with `query_only`, so it still cannot change data)
  whenever this process may write it: the first open after a crash restores the last saved
  state. A reader that may not write gets a `StoreError` that says what to do, never a
  claim that the file is not a data file.
- **Short locks.** `reading` and `writing` hold a connection only for their block; callers
  fetch everything in one statement and work on the rows after the block.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long any connection waits for another's lock before giving up (seconds).
BUSY_TIMEOUT_S = 30.0
#: Environment override of the journal mode: "wal" or "delete" (the rollback journal).
JOURNAL_ENV = "TRYGGHETSKARTA_JOURNAL"
JOURNAL_MODES = ("wal", "delete")
#: File system types (Linux /proc/mounts) whose files other machines may open at the same time.
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "9p", "v9fs", "drvfs", "ceph", "glusterfs", "lustre", "gpfs",
    "ocfs2", "gfs2", "beegfs", "davfs", "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.davfs",
    "fuse.glusterfs", "fuse.cephfs",
})


class StoreError(RuntimeError):
    """The store cannot do what was asked (missing file, wrong version, unknown id ...)."""


# -- which journal --------------------------------------------------------------------------


def _unescape_mount(field: str) -> str:
    """/proc/mounts writes a space in a mount point as \\040 (and tab, newline, backslash alike)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field)


def mount_type(path: Path, mounts: str | None = None) -> str | None:
    """The file system type holding `path` from /proc/mounts (Linux), None when unknown."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = str(Path(path).resolve())
    best, kind = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = _unescape_mount(fields[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def _windows_remote(path: Path) -> bool:
    """A UNC path (\\\\server\\share) or a mapped network drive."""
    text = str(Path(path).resolve())
    if text.startswith(("\\\\", "//")):
        return True
    import ctypes

    drive = os.path.splitdrive(text)[0]
    return bool(drive) and ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4  # DRIVE_REMOTE


def on_network_share(path: Path) -> bool:
    """Whether the file lives where processes on other machines may open it (no WAL there)."""
    if sys.platform == "win32":
        return _windows_remote(path)
    return (mount_type(path) or "") in NETWORK_FILESYSTEMS


def wanted_journal(path: Path, override: str | None = None, network: bool | None = None) -> str:
    """'wal', or 'delete' (the rollback journal) on a network share; `override` (the
    environment's TRYGGHETSKARTA_JOURNAL) decides when given."""
    if override:
        mode = override.strip().lower()
        if mode not in JOURNAL_MODES:
            raise StoreError(f"{JOURNAL_ENV}={override!r}: use 'wal' or 'delete' (the rollback journal)")
        return mode
    return "delete" if (on_network_share(path) if network is None else network) else "wal"


def set_journal(conn: sqlite3.Connection, want: str) -> str:
    """Switch the connection's file to `want` if it is not; returns the mode it is in.

    WAL that cannot be switched on (no shared memory, a file system that refuses) leaves
    or puts the rollback journal back. Leaving WAL needs every other connection closed;
    while others are open the file stays in WAL and a later open switches it."""
    current = conn.execute("PRAGMA journal_mode").fetchone()[0].lower()
    if current == want or (want == "delete" and current != "wal"):
        return current  # 'delete' stands for any rollback journal the file already has
    # Switching needs the file to itself: try once without waiting (a busy file is switched by
    # a later open), rather than make every connection wait for the busy timeout.
    waits = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        got = conn.execute(f"PRAGMA journal_mode = {want}").fetchone()[0].lower()
        if got == "wal":
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the WAL index works
        return got
    except sqlite3.OperationalError:
        if want != "wal":
            return current  # busy: others still have the WAL file open
        try:
            return conn.execute("PRAGMA journal_mode = delete").fetchone()[0].lower()
        except sqlite3.OperationalError:
            return current
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(waits)}")


# -- connections ----------------------------------------------------------------------------


def may_write(path: Path) -> bool:
    """Whether this process may write the file and create its journal beside it."""
    path = Path(path)
    return os.access(path, os.W_OK) and os.access(path.parent if str(path.parent) else ".", os.W_OK)


def _uri(path: Path, mode: str) -> str:
    """An sqlite file URI (the only way to ask for read-only or no-create); '?', '#', '%',
    spaces and non-ASCII letters in the name are percent-encoded, a Windows drive gets '/C:/'."""
    from urllib.parse import quote

    text = Path(path).resolve().as_posix()
    if not text.startswith("/"):
        text = "/" + text
    return f"file:{quote(text, safe='/:')}?mode={mode}"


def connect(path, *, readonly: bool = False, create: bool = False) -> sqlite3.Connection:
    """A connection to the data file in autocommit mode (writers use `transaction`).

    readonly: cannot change data (`query_only`), but opens read-write when this process may
    write the file so a crash's journal is rolled back; read-only otherwise. create: a new
    file may be made (only `GeoPackageStore.create` does). The file's journal mode is set
    here (`wanted_journal`) by every connection to an existing file that may write."""
    path = Path(path)
    if not create and not path.exists():
        raise StoreError(f"no data file at {path}; create one with `trygghetskarta demo --data {path}`")
    writable = may_write(path) if path.exists() else True
    mode = "rwc" if create else ("rw" if writable else "ro")
    try:
        conn = sqlite3.connect(_uri(path, mode), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise explain(exc, path) from None
    try:
        if readonly:
            conn.execute("PRAGMA query_only = ON")
        # The first read rolls back a hot journal or recovers a WAL (or fails here, clearly).
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if writable and not create:
            set_journal(conn, wanted_journal(path, os.environ.get(JOURNAL_ENV)))
    except sqlite3.Error as exc:
        conn.close()
        raise explain(exc, path) from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction that takes the write lock at once (BEGIN IMMEDIATE: it waits its
    turn with the busy timeout instead of failing halfway) and commits, or rolls back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def reading(path) -> Iterator[sqlite3.Connection]:
    """A read-only connection for one block; sqlite errors a user can act on become StoreError."""
    conn = connect(path, readonly=True)
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        _reraise(exc, path)
    finally:
        conn.close()


@contextmanager
def writing(path) -> Iterator[sqlite3.Connection]:
    """A connection inside one write transaction (see `transaction`), closed afterwards."""
    conn = connect(path)
    try:
        with transaction(conn):
            yield conn
    except sqlite3.OperationalError as exc:
        _reraise(exc, path)
    finally:
        conn.close()


def _reraise(exc: sqlite3.Error, path):
    """Raise the StoreError `explain` gives, or the original error when it has none."""
    clear = explain(exc, path)
    if clear is exc:
        raise exc
    raise clear from exc


def explain(exc: sqlite3.Error, path) -> BaseException:
    """A StoreError saying what to do for the sqlite errors a user can act on; others unchanged."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    path = Path(path)
    if path.exists() and not os.access(path, os.R_OK):
        return StoreError(f"{path}: this user may not read the file")
    if name.startswith("SQLITE_BUSY") or "database is locked" in str(exc):
        return StoreError(
            f"{path} is busy: another program has kept it locked for more than {BUSY_TIMEOUT_S:.0f} s "
            "(a long import, or a program editing it?). Try again when it has finished.")
    if name in ("SQLITE_READONLY_ROLLBACK", "SQLITE_READONLY_RECOVERY"):
        return StoreError(
            f"{path} was left halfway through a save (a program writing it stopped: a crash, a kill or a "
            "power cut). Opening it once with write access restores the last saved state: run any "
            f"command (e.g. `trygghetskarta info --data {path}`) as a user who may write the file and its "
            "folder. Until then this user, who may only read it, cannot.")
    if name in ("SQLITE_READONLY_DIRECTORY", "SQLITE_READONLY_CANTINIT", "SQLITE_CANTOPEN") and path.exists():
        return StoreError(
            f"{path} is in write-ahead-log mode (WAL), and reading it needs {path.name}-wal and "
            f"{path.name}-shm beside it, which this user may not create in {path.parent}. Read it while "
            "a program that writes it has it open, copy it to a folder you may write, or let a user who "
            f"may write it switch it to the rollback journal: `{JOURNAL_ENV}=delete trygghetskarta info "
            f"--data {path}`.")
    return exc


def copy(path, target) -> None:
    """A consistent copy of the data file, also of what is still only in its WAL (a plain file
    copy would miss it), made with sqlite's backup API while others may keep writing."""
    source = connect(path, readonly=True)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()


__all__ = ["BUSY_TIMEOUT_S", "JOURNAL_ENV", "StoreError", "connect", "copy", "explain", "may_write",
           "mount_type", "on_network_share", "reading", "set_journal", "transaction", "wanted_journal",
           "writing"]
