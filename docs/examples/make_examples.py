"""Writes the small example files the README and docs/importera.md import (run from the project folder).

    .venv/bin/python docs/examples/make_examples.py

The rows are fictional (places are real localities in Vaggeryds kommun); tests/test_examples.py
imports each file and checks what is stored and rejected.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent

ACTIVITIES = [
    # Planerad, Klockslag, Genomförd, Aktör, Aktivitet, Minuter, Fokusområde, Beskrivning, N, E (SWEREF 99 TM)
    ("2026-03-06", "19:00", "2026-03-06", "Polis", "Närvaro/patrull", 120, "trygghet",
     "Fredagskväll vid stationen i Skillingaryd", 6365443, 445400),
    ("2026-03-07", "20:00", "2026-03-07", "Polis", "Närvaro/patrull", 90, "trygghet",
     "Lördagskväll i Vaggeryds centrum", 6373168, 448782),
    ("2026-04-14", "07:30", "2026-04-14", "Polis", "Hastighetskontroll", 60, "trafik",
     "Gamla E4 genom Skillingaryd", 6365600, 445350),
    ("2026-05-20", "18:00", "", "Gemensam", "Trygghetsvandring", 90, "trygghet",
     "Trygghetsvandring i Vaggeryd med kommunen och polisen", 6373300, 448700),
    ("2026-09-01", "10:00", "", "Kommun", "Informationsinsats", 45, "trafik",
     "Trafikinformation på skolorna vid skolstart", 6374851, 456551),
    ("2026-02-30", "10:00", "", "Kommun", "Informationsinsats", 45, "trafik",
     "Felskrivet datum: avvisas med värdet citerat", 6373168, 448782),
]

# SWEREF 99 TM (N, E) in Skillingaryd, Vaggeryd and Hok; written in SWEREF 99 13 30 (EPSG:3008), as a
# municipal GIS often keeps it. N, E, when, category, description.
SPEED = [
    (6365443.0, 445400.0, "2026-04-02T07:40:00", "fortkörning", "Bilar kör fort förbi skolan"),
    (6373168.0, 448782.0, "2026-05-18T21:15:00", "buskörning", "Buskörning på parkeringen kvällstid"),
    (6374851.0, 456551.0, "2026-06-11T16:30:00", "moped/EPA", "EPA-traktorer i hög fart genom Hok"),
]

EVENTS = [
    {"id": 900001, "datetime": "2026-08-18 19:45:41 +02:00",
     "name": "18 augusti 19.16, Narkotikabrott, Vaggeryd",
     "summary": "Man misstänkt för försäljning av narkotika i Skillingaryd.",
     "url": "/aktuellt/handelser/2026/augusti/18/exempel-1", "type": "Narkotikabrott",
     "location": {"name": "Jönköpings län", "gps": "57.370843,14.343917"}},
    {"id": 900002, "datetime": "2026-08-19 0:11:54 +02:00",
     "name": "18 augusti 23.50, Trafikkontroll, Vaggeryd",
     "summary": "Hastighetskontroll på gamla E4, en förare körde i 112 km/h där 70 gäller.",
     "url": "/aktuellt/handelser/2026/augusti/19/exempel-2", "type": "Trafikkontroll",
     "location": {"name": "Vaggeryd", "gps": "57.497,14.147"}},
    {"id": 900003, "datetime": "2026-08-20 11:00:00 +02:00",
     "name": "20 augusti 10.40, Misshandel, Vaggeryd", "summary": "Kvinna misshandlad.",
     "url": "/aktuellt/handelser/2026/augusti/20/exempel-3", "type": "Misshandel",
     "location": {"name": "Jönköpings län", "gps": "57.370843,14.343917"}},
]


def write_activities(path: Path) -> None:
    frame = pd.DataFrame(ACTIVITIES, columns=["Planerad", "Klockslag", "Genomförd", "Aktör", "Aktivitet",
                                              "Minuter", "Fokusområde", "Beskrivning", "N", "E"])
    frame.to_excel(path, index=False, sheet_name="Aktiviteter 2026")


def write_speed(path: Path) -> None:
    # Projected from SWEREF 99 TM points in Skillingaryd, Vaggeryd and Hok; the file carries its CRS.
    frame = gpd.GeoDataFrame(
        {"datum": [row[2] for row in SPEED], "kategori": [row[3] for row in SPEED],
         "beskrivning": [row[4] for row in SPEED]},
        geometry=[shapely.Point(e, n) for n, e, *_ in SPEED], crs="EPSG:3006").to_crs("EPSG:3008")
    path.unlink(missing_ok=True)
    frame.to_file(path, layer="klagomal", driver="GPKG")


def write_events(path: Path) -> None:
    path.write_text(json.dumps(EVENTS, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_activities(HERE / "aktiviteter.xlsx")
    write_speed(HERE / "klagomal.gpkg")
    write_events(HERE / "handelser.json")
    print("Wrote aktiviteter.xlsx, klagomal.gpkg and handelser.json in", HERE)
