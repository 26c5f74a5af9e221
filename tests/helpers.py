"""Small hand-made records for tests."""

import geopandas as gpd
from shapely import Point

# Skillingaryd and Vaggeryd stations (SWEREF 99 TM).
SKILLINGARYD = (445400, 6365443)
VAGGERYD = (448782, 6373168)
VARNAMO = (441733, 6338545)  # outside Vaggeryds kommun


def report(i, layer="otrygg_plats", focus="trygghet", at=SKILLINGARYD, when="2026-03-01T18:30:00+01:00",
           category=None, status="ny", **extra):
    category = category or {"otrygg_plats": "belysning", "hastighet": "fortkörning",
                             "narkotika": "försäljning"}[layer]
    row = {
        "id": f"t-{i}", "layer": layer, "focus_area": focus, "occurred_at": when,
        "reported_at": when, "category": category, "description": "Mörkt vid stationen.",
        "source": "medborgare", "status": status, "geometry": Point(*at),
    }
    row.update(extra)
    return row


def reports_frame(rows):
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3006")


def activity(i, focus="trygghet", actor="polis", kind="närvaro/patrull", at=SKILLINGARYD,
             planned="2026-03-02T19:00:00+01:00", status="genomförd", done="2026-03-02T21:00:00+01:00",
             **extra):
    row = {
        "id": f"a-{i}", "focus_area": focus, "actor": actor, "kind": kind, "planned_at": planned,
        "done_at": done if status == "genomförd" else "", "status": status, "duration_min": 120,
        "description": "", "geometry": Point(*at) if at else Point(),
    }
    row.update(extra)
    return row


def title_lines(figure) -> list[str]:
    """A chart's title as the lines a reader sees (Plotly's <br> and <span> markup removed)."""
    import re

    text = (figure.get("layout", {}).get("title") or {}).get("text") or ""
    return [re.sub(r"<[^>]+>", "", line).strip() for line in re.split(r"<br\s*/?>", text)]


def title_count(figure) -> int | None:
    """The count a chart's title states ('Rapporter över tid' / '102 i urvalet'), None without one."""
    import re

    for line in title_lines(figure)[1:] or title_lines(figure):
        found = re.match(r"(\d[\d\u00a0 ]*)\s", line + " ")
        if found:
            return int(re.sub(r"\D", "", found.group(1)))
    return None
