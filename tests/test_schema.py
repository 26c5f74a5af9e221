import pytest

from layers import GeoPackageStore, ValidationError
from tests.helpers import VARNAMO, activity, report, reports_frame


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "s.gpkg")


def messages(exc):
    return [str(e) for e in exc.value.errors]


def test_each_bad_field_is_named_with_its_value(store):
    rows = [
        report(1),
        report(2, status="klar"),
        report(3, layer="graffiti", category="övrigt"),
        report(4, category="mopeder"),
        report(5, when="2026-03-01 18:30"),
        report(6, when="2026-02-30T18:30:00+01:00"),
        report(7, at=VARNAMO),
        report(8, source="facebook"),
        report(1),
    ]
    with pytest.raises(ValidationError) as exc:
        store.add_reports(reports_frame(rows))
    got = messages(exc)
    assert "row 1: status='klar': must be one of ny, bekräftad, åtgärdad, avvisad" in got
    assert any(m.startswith("row 2: layer='graffiti': must be one of otrygg_plats") for m in got)
    assert any(m.startswith("row 3: category='mopeder': must be one of belysning") for m in got)
    assert any(m.startswith("row 4: occurred_at='2026-03-01 18:30': must be an ISO 8601 time") for m in got)
    assert "row 5: occurred_at='2026-02-30T18:30:00+01:00': is not a real date and time" in got
    assert any(m.startswith("row 6: geometry=") and m.endswith("lies outside the municipality") for m in got)
    assert "row 7: source='facebook': must be one of medborgare, polis, kommun, sociala_medier, " \
           "medborgardialog, import, demo" in got
    assert "row 8: id='t-1': appears more than once" in got
    # Nothing stored: a bad batch is never partly written.
    assert store.counts() == {"reports": 0, "activities": 0}
    assert str(exc.value).startswith(f"{len(got)} invalid reports, nothing stored: row 1: status='klar'")


def test_reported_before_occurred_is_refused(store):
    row = report(1, reported_at="2026-03-01T17:00:00+01:00")
    with pytest.raises(ValidationError) as exc:
        store.add_reports(reports_frame([row]))
    assert messages(exc) == ["row 0: reported_at='2026-03-01T17:00:00+01:00': is before occurred_at"]


def test_activity_rules(store):
    import geopandas as gpd

    rows = [
        activity(1),
        activity(2, status="genomförd", done=""),
        activity(3, status="planerad", done_at="2026-03-02T21:00:00+01:00"),
        activity(4, actor="brandkår"),
        activity(5, duration_min=12.5),
        activity(6, at=None),  # an EST meeting has no place: allowed
    ]
    with pytest.raises(ValidationError) as exc:
        store.add_activities(gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3006"))
    assert messages(exc) == [
        "row 1: done_at='': is required when status is genomförd",
        "row 2: done_at='2026-03-02T21:00:00+01:00': must be empty while status is planerad",
        "row 3: actor='brandkår': must be one of polis, kommun, gemensam",
        "row 4: duration_min=12.5: must be whole minutes between 0 and 10080",
    ]
