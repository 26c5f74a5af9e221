"""Crash recovery: a save or an import killed with SIGKILL at many moments leaves a file that every
command still opens, with every committed batch whole and no batch in part (tests/crash_worker.py)."""

import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing

import pytest

from layers import StoreError, datafile, open_store
from layers.demo import write_demo
from tests import crash_worker

KILLS_PER_MODE = 10


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_kill_minus_nine_during_saves_and_imports(tmp_path, monkeypatch, journal):
    monkeypatch.setenv(datafile.JOURNAL_ENV, journal)
    path = tmp_path / "krasch.gpkg"
    write_demo(path, seed=2, reports=300, activities=30)
    running = open_store(path)  # like a server that had the file open before the crash
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == journal
    progress, folder = tmp_path / "progress.txt", tmp_path / "csv"
    folder.mkdir()
    ctx = crash_worker.context()
    landed, readers = Counter(), Counter()
    for n in range(KILLS_PER_MODE):
        result = crash_worker.kill_round(ctx, path, journal, progress, folder, n)
        landed[result.landed] += 1
        # A reader that may not write opens it, or is told what to do (never "not a data file").
        reader = crash_worker.read_only_open(path)
        readers[reader] += 1
        assert reader == "opens" or (reader == "told what to do" and result.landed == "hot journal"), (result, reader)
        # The running server and every command open it (the first that may write recovers it) ...
        assert crash_worker.server_reads(running) == "ok"
        assert crash_worker.landed(path) != "hot journal"
        assert crash_worker.commands_open(path, users=result.moment == "journal written") == "ok"
        # ... with every committed batch and status change, and no batch in part.
        kept, found = crash_worker.data_kept(path, progress)
        assert kept == "ok", (result, kept)
    assert sum(found.values()) >= crash_worker.BATCH * KILLS_PER_MODE // 2  # the loops got somewhere
    if journal == "delete":
        # The measured failure: kills that leave a hot journal; the reader was told what to do.
        assert landed["hot journal"] >= 1 and readers["told what to do"] == landed["hot journal"], (landed, readers)
    else:
        # Kills inside a commit leave a WAL with frames; even a reader that may not write recovers it.
        assert landed["WAL left"] >= 1 and readers == {"opens": KILLS_PER_MODE}, (landed, readers)


def test_a_hot_journal_is_rolled_back_by_the_next_open_and_explained_to_a_reader(tmp_path, monkeypatch):
    """One deterministic hot journal: a child killed inside a big write (the page cache spilled)."""
    monkeypatch.setenv(datafile.JOURNAL_ENV, "delete")
    path = tmp_path / "hot.gpkg"
    write_demo(path, seed=2, reports=2000, activities=10)
    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA cache_size = 5')\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.execute(\"UPDATE reports SET description = hex(randomblob(400))\")\n"
        "os.kill(os.getpid(), 9)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    assert crash_worker.landed(path) == "hot journal"
    monkeypatch.setattr(datafile, "may_write", lambda p: False)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    said = str(caught.value)
    assert said.startswith(f"{path} was left halfway through a save"), said
    assert f"`trygghetskarta info --data {path}`" in said and "as a user who may write" in said
    monkeypatch.undo()
    monkeypatch.setenv(datafile.JOURNAL_ENV, "delete")
    store = open_store(path)  # may write: rolls the journal back
    assert crash_worker.landed(path) == "clean"
    assert not store.read_table("reports")["description"].str.len().eq(800).any()
    assert store.counts()["reports"] == 2000
