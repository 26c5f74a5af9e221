"""The data file's one connection factory (layers.datafile): waits instead of failing, WAL where the
file system allows, readers that do not block saves, clear words for readers that may not write."""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from contextlib import closing
from pathlib import Path

import pytest

from layers import GeoPackageStore, StoreError, datafile, open_store
from layers.audit import AuditLog, read_audit
from layers.release_store import load_release
from layers.users import UserStore, has_users
from tests.helpers import report, reports_frame

MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
//nas/kommun /mnt/kommun cifs rw,vers=3.0 0 0
nas:/export /srv/data nfs4 rw 0 0
/dev/vdb /srv/data/local\\040disk ext4 rw 0 0
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv(datafile.JOURNAL_ENV, raising=False)
    return GeoPackageStore.create(tmp_path / "s.gpkg")


def _journal(path) -> str:
    with closing(sqlite3.connect(path)) as conn:  # closed: an open connection keeps a file in WAL
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


def test_mount_type_is_the_longest_mount_point_holding_the_path():
    assert datafile.mount_type(Path("/mnt/kommun/trygghet/v.gpkg"), MOUNTS) == "cifs"
    assert datafile.mount_type(Path("/srv/data/v.gpkg"), MOUNTS) == "nfs4"
    assert datafile.mount_type(Path("/srv/data/local disk/v.gpkg"), MOUNTS) == "ext4"
    assert datafile.mount_type(Path("/mnt/kommunen/v.gpkg"), MOUNTS) == "ext4"  # not inside /mnt/kommun
    assert datafile.mount_type(Path("/tmp/v.gpkg"), MOUNTS) == "tmpfs"


def test_wanted_journal_wal_locally_rollback_on_shares_and_the_override():
    assert datafile.wanted_journal(Path("x.gpkg"), network=False) == "wal"
    assert datafile.wanted_journal(Path("x.gpkg"), network=True) == "delete"
    assert datafile.wanted_journal(Path("x.gpkg"), "DELETE", network=False) == "delete"
    assert datafile.wanted_journal(Path("x.gpkg"), "wal", network=True) == "wal"
    with pytest.raises(StoreError, match="TRYGGHETSKARTA_JOURNAL='off': use 'wal' or 'delete'"):
        datafile.wanted_journal(Path("x.gpkg"), "off")


def test_a_new_store_is_in_wal_mode_and_back_to_the_rollback_journal_on_a_share(store, monkeypatch):
    assert _journal(store.path) == "wal"
    monkeypatch.setattr(datafile, "on_network_share", lambda path: True)
    open_store(store.path)  # the next open that may write switches it
    assert _journal(store.path) == "delete"
    assert not Path(f"{store.path}-wal").exists()
    monkeypatch.undo()
    monkeypatch.setenv(datafile.JOURNAL_ENV, "delete")
    open_store(store.path).add_reports(reports_frame([report(1)]))
    assert _journal(store.path) == "delete"


def test_wal_that_cannot_be_switched_on_leaves_the_rollback_journal(tmp_path):
    # sqlite's dot-file locking VFS has no shared memory: WAL cannot work there.
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    conn = sqlite3.connect(f"file:{path}?vfs=unix-dotfile", uri=True)
    assert datafile.set_journal(conn, "wal") == "delete"
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    assert _journal(path) == "delete"


def test_every_connection_waits_read_only_ones_too(store):
    for readonly in (False, True):
        conn = datafile.connect(store.path, readonly=readonly)
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == datafile.BUSY_TIMEOUT_S * 1000
        assert conn.execute("PRAGMA query_only").fetchone()[0] == int(readonly)
        conn.close()
    with pytest.raises(sqlite3.OperationalError, match="readonly"), datafile.reading(store.path) as conn:
        conn.execute("DELETE FROM reports")


def test_a_save_does_not_wait_for_a_long_read(store, monkeypatch):
    """A reader in the middle of a long read (an open read transaction) holds up no save, and
    keeps seeing the file as it was when its read began (WAL)."""
    store.add_reports(reports_frame([report(1), report(2)]))
    reader = datafile.connect(store.path, readonly=True)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM reports").fetchone()[0] == 2
        # No waiting at all: a save that had to wait for the reader (the rollback journal)
        # fails at once with "database is locked" instead.
        monkeypatch.setattr(datafile, "BUSY_TIMEOUT_S", 0)
        store.add_reports(reports_frame([report(3)]))
        store.update_report_status("t-1", "bekräftad")
        AuditLog(store).append("status", detail={"id": "t-1"})
        monkeypatch.undo()
        assert reader.execute("SELECT count(*) FROM reports").fetchone()[0] == 2
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM reports").fetchone()[0] == 3
    finally:
        reader.close()
    assert store.counts()["reports"] == 3


def test_readers_and_a_writer_in_threads_never_see_database_is_locked(store):
    store.add_reports(reports_frame([report(i) for i in range(2000)]))
    errors, reads, stop = [], [0], threading.Event()

    def read():
        while not stop.is_set():
            try:
                store.last_change()
                store.read_table("reports")
                reads[0] += 1
            except Exception as exc:  # noqa: BLE001 - any error is a failure here
                errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        for i in range(10):
            store.add_reports(reports_frame([report(f"w{i}")]))
            store.update_report_status(f"t-w{i}", "bekräftad")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors and reads[0] > 0
    assert store.counts()["reports"] == 2010


def test_a_failed_or_refused_write_leaves_nothing_and_the_lock_free(store):
    store.add_reports(reports_frame([report(1)]))
    with pytest.raises(StoreError, match="already in the store"):
        store.add_reports(reports_frame([report(2), report(1)]))
    with pytest.raises(StoreError, match="no report with id"):
        store.update_report_status("nope", "åtgärdad")
    with datafile.writing(store.path) as conn:  # nobody kept the write lock
        conn.execute("SELECT 1")
    assert store.reports()["id"].tolist() == ["t-1"]


def test_users_audit_and_releases_use_the_same_connections(store, monkeypatch):
    made = []
    real = datafile.connect

    def counting(path, **kw):
        made.append(kw.get("readonly", False))
        return real(path, **kw)

    monkeypatch.setattr(datafile, "connect", counting)
    from argon2 import PasswordHasher

    users = UserStore(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users.add("anna", "polis", "x" * 12)
    assert has_users(store) and users.count() == 1
    AuditLog(store).append("login", user="anna")
    assert len(read_audit(store)) == 1
    assert load_release(store.path, "bra") is None
    assert made.count(True) >= 4 and made.count(False) >= 2


def test_copy_takes_what_is_only_in_the_wal(store, tmp_path):
    store.add_reports(reports_frame([report(1)]))
    holder = datafile.connect(store.path)  # an open connection keeps the WAL from being checkpointed
    try:
        store.add_reports(reports_frame([report(2)]))
        assert Path(f"{store.path}-wal").stat().st_size > 0
        datafile.copy(store.path, tmp_path / "copy.gpkg")
    finally:
        holder.close()
    with closing(sqlite3.connect(tmp_path / "copy.gpkg")) as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 2


def test_a_foreign_or_damaged_file_is_named_as_such(tmp_path):
    other = tmp_path / "notes.gpkg"
    other.write_text("hello")
    with pytest.raises(StoreError, match="is not a Trygghetskarta data file"):
        open_store(other)
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="is not a Trygghetskarta data file"):
        open_store(plain)


# -- a reader that may not write, for real: another user (as root) or a read-only folder ---------


def _reader_may_not_write(folder: Path):
    """Run `trygghetskarta info` as a process without write access to `folder`: as root, the
    user nobody (setpriv); otherwise this user with the folder made read-only."""
    command = [sys.executable, "-m", "dashboard", "info", "--data", str(folder / "v.gpkg")]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop(datafile.JOURNAL_ENV, None)
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) runs the reader as another user"
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd="/", timeout=120)
    folder.chmod(0o555)
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    finally:
        folder.chmod(0o755)


@pytest.fixture
def shared_folder():
    """A folder others may read but not write (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="trygghetskarta-ro-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_reader_that_may_not_write_is_told_what_to_do(shared_folder, monkeypatch):
    monkeypatch.delenv(datafile.JOURNAL_ENV, raising=False)
    path = shared_folder / "v.gpkg"
    store = GeoPackageStore.create(path)
    store.add_reports(reports_frame([report(1)]))
    path.chmod(0o644)
    # WAL, no program has it open: reading needs FILE-shm, which this user may not create.
    done = _reader_may_not_write(shared_folder)
    assert done.returncode == 1, done
    assert "is in write-ahead-log mode (WAL)" in done.stderr and "TRYGGHETSKARTA_JOURNAL=delete" in done.stderr
    assert "not a Trygghetskarta data file" not in done.stderr
    # The rollback journal, as the message suggests: readable by anyone.
    monkeypatch.setenv(datafile.JOURNAL_ENV, "delete")
    open_store(path)
    done = _reader_may_not_write(shared_folder)
    assert done.returncode == 0 and "Reports:     1" in done.stdout, done
    # A save killed halfway (a hot journal): the reader is told to let a writer open it once.
    script = ("import os, sqlite3, sys\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "c.execute('PRAGMA cache_size = 1')\nc.execute('BEGIN IMMEDIATE')\n"
              "c.execute(\"UPDATE gpkg_spatial_ref_sys SET definition = hex(randomblob(3000))\")\n"
              "os.kill(os.getpid(), 9)\n")
    subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    assert Path(f"{path}-journal").exists()
    Path(f"{path}-journal").chmod(0o644)
    done = _reader_may_not_write(shared_folder)
    assert done.returncode == 1 and "was left halfway through a save" in done.stderr, done
    assert "not a Trygghetskarta data file" not in done.stderr
    assert open_store(path).counts()["reports"] == 1  # one open that may write restores it
    assert not Path(f"{path}-journal").exists()


def _kill_inside_a_big_write(path: Path) -> None:
    """A child that commits one report, then is killed inside a write big enough to spill to the
    file: a hot rollback journal is left."""
    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute(\"UPDATE reports SET status = 'åtgärdad' WHERE id = 't-1'\")\n"
        "c.execute(\"UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')\")\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"UPDATE reports SET description = hex(randomblob(400))\")\n"
        "os.kill(os.getpid(), 9)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    assert Path(f"{path}-journal").exists()


def test_a_running_dashboard_rereads_after_a_crash_and_never_fails_a_viewer(tmp_path, monkeypatch):
    import datetime as dt

    from dashboard.callbacks import Views
    from dashboard.data import load

    monkeypatch.setenv(datafile.JOURNAL_ENV, "delete")  # the measured case: a hot rollback journal
    store = GeoPackageStore.create(tmp_path / "bra.gpkg")
    store.add_reports(reports_frame([report(i) for i in range(300)]))
    views = Views(load(store), lambda: dt.date(2026, 11, 27), lambda: "bra", store=store, recheck_s=0)
    _kill_inside_a_big_write(store.path)
    # This process may not write the file: it cannot roll the journal back. Viewers keep the data.
    monkeypatch.setattr(datafile, "may_write", lambda path: False)
    assert views.refresh_if_changed() is False
    assert views.data.reports["status"].eq("ny").all()
    monkeypatch.undo()
    # It may write (the usual case): the next check restores the file and shows the committed change.
    assert views.refresh_if_changed() is True
    shown = views.data.reports.set_index("id")
    assert shown.loc["t-1", "status"] == "åtgärdad" and shown["description"].eq("Mörkt vid stationen.").all()
    assert not Path(f"{store.path}-journal").exists()


def test_switching_the_journal_never_waits_for_a_busy_file(store, monkeypatch):
    monkeypatch.setenv(datafile.JOURNAL_ENV, "delete")
    open_store(store.path)
    assert _journal(store.path) == "delete"
    reader = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    # A switch that waited with the 30 s busy timeout would get the file once this reader ends its
    # read (after 10 s) and leave it in WAL; one that tries once finds it busy and leaves it.
    release = threading.Timer(10, lambda: reader.execute("COMMIT"))
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM reports").fetchone()  # holds a shared lock
        monkeypatch.setenv(datafile.JOURNAL_ENV, "wal")
        release.start()
        conn = datafile.connect(store.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == datafile.BUSY_TIMEOUT_S * 1000
        conn.close()
    finally:
        release.cancel()
        reader.close()
    assert _journal(store.path) == "delete"  # switched by a later open
    datafile.connect(store.path).close()
    assert _journal(store.path) == "wal"
