"""Releases: blocks of whole closed periods, units that partition every report, revisions
that change a number only by at least k, storage in the data file, the schedule."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import pandas as pd
import pytest

from layers import SCHEMA_VERSION, privacy
from layers.release import Block, build_release, is_due, release_rows
from layers.release_store import current_release, list_releases, load_release
from layers.store import GeoPackageStore, open_store
from tests.helpers import SKILLINGARYD, VAGGERYD, report, reports_frame

HOK = (456551, 6374851)
KLEVSHULT = (445683, 6356882)
JULY = dt.date(2026, 7, 1)


def tips(prefix, n, at, month, day=3):
    """n narcotics tips a few metres apart (one 500 m cell) on days of a month of 2026."""
    offset = "+01:00" if month in (1, 2, 3, 11, 12) else "+02:00"
    return [report(f"{prefix}{i}", layer="narkotika", focus="narkotika", at=(at[0] + 5 * i, at[1] + 5 * i),
                   when=f"2026-{month:02d}-{day + i:02d}T22:00:00{offset}") for i in range(n)]


def spring():
    """Jan 3 + Feb 4 at Hok; Mar none; Apr 6 at Vaggeryd + 2 Skillingaryd + 3 Klevshult;
    May 6 at Vaggeryd + 2 Skillingaryd; Jun 3 + 3 in two Skillingaryd cells; Jul (open) 9."""
    away = (SKILLINGARYD[0] + 700, SKILLINGARYD[1])
    return [*tips("jan", 3, HOK, 1), *tips("feb", 4, HOK, 2),
            *tips("aprv", 6, VAGGERYD, 4), *tips("aprs", 2, SKILLINGARYD, 4, day=20), *tips("aprk", 3, KLEVSHULT, 4),
            *tips("mayv", 6, VAGGERYD, 5), *tips("mays", 2, SKILLINGARYD, 5, day=20),
            *tips("juna", 3, SKILLINGARYD, 6), *tips("junb", 3, away, 6), *tips("jul", 9, HOK, 7)]


def frame(rows) -> pd.DataFrame:
    gdf = reports_frame(rows)
    return pd.DataFrame({"id": gdf["id"], "layer": gdf["layer"], "occurred_at": gdf["occurred_at"],
                         "x": gdf.geometry.x, "y": gdf.geometry.y})


BRA = privacy.policy("bra")


def build(rows, today=JULY, previous=None, origin=dt.date(2026, 1, 1)):
    return build_release(release_rows(frame(rows), BRA, "0665", "month"), BRA, "0665", today, "month",
                         previous=previous, origin=origin)


def units(release) -> list[tuple]:
    """(first month, last month, kind, unit, count) in a readable form."""
    out = []
    for row in release.counts.itertuples(index=False):
        block = release.blocks[row.block]
        out.append((block.start.month, block.end.month - 1 or 12, row.kind, row.unit, row.count))
    return sorted(out)


def test_blocks_are_whole_closed_months_merged_until_k():
    release = build(spring())
    # Jan (3) waits for Feb (4): one block of 7. March (0) counts as fewer than k too and waits
    # for April: a month alone is never a published 0. July is still open.
    assert [(b.start.isoformat(), b.periods) for b in release.blocks] == [
        ("2026-01-01", 2), ("2026-03-01", 2), ("2026-05-01", 1), ("2026-06-01", 1)]
    assert release.through == 2026 * 12 + 5  # June, the last month that has ended
    assert release.total() == 3 + 4 + 11 + 8 + 6 == 32  # every tip of the closed months, July's 9 not
    assert release.next_due == dt.date(2026, 8, 1)


def test_units_partition_every_tip_and_each_is_at_least_k():
    release = build(spring())
    hok, vag = "500mN12749E913", "500mN12746E897"
    assert units(release) == [
        (1, 2, "cell", hok, 7),
        # March–April: the station cell, and 2 + 3 elsewhere as the municipality's remainder.
        (3, 4, "cell", vag, 6), (3, 4, "kommun", "0665", 5),
        # May: publishing the cell would leave 2 = total − 6: the cell is folded into the rest.
        (5, 5, "kommun", "0665", 8),
        # June: two Skillingaryd cells of 3 each: the locality's 'spridda rapporter'.
        (6, 6, "locality", "Skillingaryd", 6),
    ]
    assert (release.counts["count"] >= release.k).all()


def test_a_trailing_run_below_k_waits_for_the_next_period():
    rows = [*tips("jan", 6, HOK, 1), *tips("feb", 2, HOK, 2)]
    release = build(rows, today=dt.date(2026, 4, 1))  # Feb and Mar are closed: 2 tips, not yet k
    assert [(b.start.month, b.periods) for b in release.blocks] == [(1, 1)]
    assert release.total() == 6
    later = build([*rows, *tips("apr", 3, HOK, 4)], today=dt.date(2026, 5, 1), previous=release)
    assert [(b.start.month, b.periods) for b in later.blocks] == [(1, 1), (2, 3)]
    assert units(later)[-1] == (2, 4, "cell", "500mN12749E913", 5)


def test_a_revision_changes_a_unit_only_by_at_least_k():
    first = build(spring())
    # Reports gone from the file (edited in QGIS): a published unit never goes down.
    gone = [r for r in spring() if r["id"] not in {f"t-jan{i}" for i in range(3)} | {"t-feb0", "t-feb1", "t-feb2"}]
    assert units(build(gone, today=dt.date(2026, 8, 1), previous=first))[0] == (1, 2, "cell", "500mN12749E913", 7)
    late = tips("late", 1, HOK, 2, day=20)
    one = build(spring() + late, today=dt.date(2026, 8, 1), previous=first)
    assert units(one)[0] == (1, 2, "cell", "500mN12749E913", 7)  # +1 is held back
    five = build(spring() + tips("late", 5, HOK, 2, day=20), today=dt.date(2026, 8, 1), previous=first)
    assert units(five)[0] == (1, 2, "cell", "500mN12749E913", 12)
    # The frozen blocks keep their bounds; July is published as a new block.
    assert [b.start.month for b in five.blocks] == [1, 3, 5, 6, 7]


def test_a_layer_published_as_zero_is_partitioned_afresh_once_it_has_k():
    """The public's two cells layers: speed complaints arrive (imported history) after the
    quarters were published without any; once a quarter has k, it is partitioned afresh."""
    public = privacy.policy("allmanhet")

    def unsafe(prefix, n, month):
        return [report(f"{prefix}{i}", at=(SKILLINGARYD[0] + 5 * i, SKILLINGARYD[1]),
                       when=f"2026-{month:02d}-{3 + i:02d}T20:00:00+01:00") for i in range(n)]

    def speed(prefix, n, month):
        return [report(f"{prefix}{i}", layer="hastighet", focus="trafik", at=(VAGGERYD[0] + 5 * i, VAGGERYD[1]),
                       when=f"2026-{month:02d}-{3 + i:02d}T08:00:00+01:00") for i in range(n)]

    def release(rows, today, previous=None):
        return build_release(release_rows(frame(rows), public, "0665", "quarter"), public, "0665", today,
                             "quarter", previous=previous, origin=dt.date(2026, 1, 1))

    # No speed complaints at all: the quarters wait for them (whether a layer takes part must
    # not depend on its data) until the block is a year long; then what reached k is published.
    first = release([*unsafe("a", 5, 1), *unsafe("b", 5, 4)], dt.date(2026, 7, 1))
    assert first.blocks == ()
    year = release([*unsafe("a", 5, 1), *unsafe("b", 5, 4)], dt.date(2027, 1, 1))
    assert [(b.start.month, b.periods) for b in year.blocks] == [(1, 4)]
    assert set(year.counts["layer"]) == {"otrygg_plats"}
    few = release([*unsafe("a", 5, 1), *unsafe("b", 5, 4), *speed("s", 4, 2)], dt.date(2027, 4, 1), year)
    assert set(few.counts["layer"]) == {"otrygg_plats"}  # 4 complaints: still nothing of them
    enough = release([*unsafe("a", 5, 1), *unsafe("b", 5, 4), *speed("s", 5, 2)], dt.date(2027, 4, 1), year)
    speeds = enough.counts[enough.counts["layer"] == "hastighet"]
    assert speeds[["block", "kind", "unit", "count"]].values.tolist() == [[0, "cell", "500mN12746E897", 5]]


def test_reports_without_place_and_police_feed_count_in_the_remainder_only():
    rows = tips("t", 5, HOK, 1)
    nowhere = frame(tips("n", 5, HOK, 2))
    nowhere[["x", "y"]] = float("nan")
    feed = frame(tips("p", 5, HOK, 3))
    feed["id"] = [f"polisen-{i}" for i in range(5)]  # the police feed: a locality's centre only
    table = pd.concat([frame(rows), nowhere, feed], ignore_index=True)
    release = build_release(release_rows(table, BRA, "0665", "month"), BRA, "0665", dt.date(2026, 4, 1), "month",
                            origin=dt.date(2026, 1, 1))
    assert units(release) == [(1, 1, "cell", "500mN12749E913", 5), (2, 2, "kommun", "0665", 5),
                              (3, 3, "kommun", "0665", 5)]


def test_the_schedule_is_due_when_a_period_closes_or_the_settings_change():
    release = build(spring())
    assert not is_due(release, BRA, dt.date(2026, 7, 31), "month")
    assert is_due(release, BRA, dt.date(2026, 8, 1), "month")
    assert is_due(release, privacy.policy("bra", privacy.PrivacySettings(k=6)), JULY, "month")
    assert is_due(release, BRA, JULY, "quarter")
    january_february = Block(2026 * 12, 2026 * 12 + 1, "month")
    assert january_february.overlaps(dt.date(2026, 2, 28), None)
    assert not january_february.overlaps(dt.date(2026, 3, 1), None)
    assert not january_february.overlaps(None, dt.date(2025, 12, 31))


@pytest.fixture
def store(tmp_path):
    store = GeoPackageStore.create(tmp_path / "r.gpkg")
    store.add_reports(reports_frame(spring()))
    return store


def test_a_stored_release_is_frozen_until_the_next_period_closes(store):
    from layers.audit import read_audit

    first = current_release(store, "bra", JULY)
    assert (first.version, first.total()) == (1, 32)
    store.add_reports(reports_frame(tips("late", 6, HOK, 5, day=10)))
    again = current_release(store, "bra", dt.date(2026, 7, 31))
    assert (again.version, again.total()) == (1, 32)  # a late import changes nothing until then
    august = current_release(store, "bra", dt.date(2026, 8, 1))
    assert august.version == 2 and august.total() == 32 + 6 + 9  # May's remainder +6; July published
    assert list_releases(store.path)[["version", "role", "blocks", "published"]].values.tolist() == [
        # From 1 January two years back: 2024 and 2025 are year-long blocks with nothing in them.
        [1, "bra", 6, 32], [2, "bra", 7, 47]]
    log = read_audit(store.path, event="release")
    assert [e["version"] for e in log["detail"]] == [1, 2]
    assert log["detail"].iloc[1]["through"] == "2026-07-31"
    assert load_release(store.path, "bra", version=1).total() == 32


def test_changed_settings_start_a_new_series(store):
    current_release(store, "bra", JULY)
    store.set_privacy(privacy.PrivacySettings(k=6))
    fresh = current_release(store, "bra", JULY)
    assert fresh.version == 2 and fresh.k == 6
    assert (fresh.counts["count"] >= 6).all()


def test_an_older_data_file_is_upgraded_after_a_backup(tmp_path, store):
    old = tmp_path / "old.gpkg"
    shutil.copy(store.path, old)
    conn = sqlite3.connect(old)
    with conn:
        for table in ("release_runs", "release_blocks", "release_counts"):
            conn.execute(f"DROP TABLE {table}")
            conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
        conn.execute("DELETE FROM trygghetskarta_meta WHERE key IN ('privacy', 'order_secret')")
        conn.execute("UPDATE trygghetskarta_meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()
    upgraded = open_store(old)
    assert upgraded.meta.schema_version == SCHEMA_VERSION and len(upgraded.order_secret) == 16
    assert upgraded.config.privacy == privacy.PrivacySettings()
    backup = tmp_path / "old.gpkg.v1.bak"
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT value FROM trygghetskarta_meta WHERE key = 'schema_version'").fetchone() == ("1",)
    assert len(upgraded.read_table("reports")) == len(store.read_table("reports")) == 41
    assert current_release(upgraded, "bra", JULY).total() == 32
