"""One catalogue of UI texts, Swedish by default with English beside it."""

from __future__ import annotations

LANGUAGES = ("sv", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Trygghetskarta – {kommun}", "Safety map – {kommun}"),
    "kommun_name": ("{name} kommun", "{name} municipality"),
    "promise_period": ("Medborgarlöfte {start} – {end}, lokalpolisområde {area}",
                       "Citizen promise {start} – {end}, local police area {area}"),
    "demo_banner": ("Demodata – fiktiva händelser", "Demo data – fictional events"),
    "filters": ("Filter", "Filters"),
    "focus_areas": ("Fokusområden", "Focus areas"),
    "layers": ("Lager", "Layers"),
    "layer_activities": ("Aktiviteter", "Activities"),
    "time": ("Tid", "Time"),
    "preset_30d": ("Senaste 30 dagar", "Last 30 days"),
    "preset_quarter": ("Senaste kvartalet", "Last quarter"),
    "preset_year": ("I år", "This year"),
    "preset_period": ("Löftesperioden", "Promise period"),
    "preset_all": ("Allt", "All"),
    "preset_custom": ("Eget intervall", "Custom range"),
    "weekdays": ("Veckodagar", "Weekdays"),
    "hours": ("Timmar", "Hours of day"),
    "actors": ("Utförare", "Actor"),
    "report_status": ("Status (rapporter)", "Status (reports)"),
    "map_mode": ("Kartvy", "Map view"),
    "mode_auto": ("Automatisk", "Automatic"),
    "mode_points": ("Punkter", "Points"),
    "mode_density": ("Täthet (rutor)", "Density (cells)"),
    "clear_selection": ("Rensa urval", "Clear selection"),
    "reset_filters": ("Återställ filter", "Reset filters"),
    "present": ("Presentationsläge", "Presentation mode"),
    "present_exit": ("Avsluta presentation", "Exit presentation"),
    "language": ("Språk", "Language"),
    "selection_none": ("Inget urval: hela kommunen. Markera ett område på kartan (box/lasso) eller klicka på en ort.",
                       "No selection: the whole municipality. Select an area on the map (box/lasso) or click a locality."),
    "selection_area": ("Urval: markerat område", "Selection: drawn area"),
    "selection_locality": ("Urval: närmast {name}", "Selection: nearest {name}"),
    "selection_cell": ("Urval: ruta {name}", "Selection: cell {name}"),
    "chart_activities": ("Aktiviteter per fokusområde", "Activities per focus area"),
    "chart_time": ("Rapporter över tid", "Reports over time"),
    "chart_when": ("När – veckodag och timme", "When – weekday and hour"),
    "chart_where": ("Var – platser med flest rapporter", "Where – places with most reports"),
    "n_reports": ("{n} rapporter i urvalet", "{n} reports in the selection"),
    "n_activities": ("{n} aktiviteter i urvalet ({done} genomförda, {planned} planerade)",
                     "{n} activities in the selection ({done} done, {planned} planned)"),
    "empty_reports": ("Inga rapporter för valda filter och urval", "No reports for the chosen filters and selection"),
    "empty_activities": ("Inga aktiviteter för valda filter och urval", "No activities for the chosen filters and selection"),
    "status_done": ("genomförd", "done"),
    "status_planned": ("planerad", "planned"),
    "status_cancelled": ("inställd", "cancelled"),
    "month": ("Månad", "Month"),
    "week": ("Vecka", "Week"),
    "count": ("Antal", "Count"),
    "hour": ("Timme", "Hour"),
    "weekday": ("Veckodag", "Weekday"),
    "place": ("Plats", "Place"),
    "activities_done": ("Genomförda aktiviteter", "Activities done"),
    "reports": ("Rapporter", "Reports"),
    "group_by": ("Gruppera per", "Group by"),
    "by_locality": ("Ort", "Locality"),
    "by_cell": ("Ruta (500 m)", "Cell (500 m)"),
    "near": ("nära {name}", "near {name}"),
    "boundary": ("Kommungräns", "Municipality boundary"),
    "neighbours": ("Grannkommuner", "Neighbouring municipalities"),
    "localities": ("Orter", "Localities"),
    "selection": ("Urval", "Selection"),
    "density": ("Rapporter per ruta", "Reports per cell"),
    "density_note": ("Täthetsvy: {n} rapporter i rutor om {size} m", "Density view: {n} reports in {size} m cells"),
    "points_note": ("{n} rapporter som punkter", "{n} reports as points"),
    "hover_layer": ("Lager", "Layer"),
    "hover_category": ("Kategori", "Category"),
    "hover_time": ("Tid", "Time"),
    "hover_near": ("Närmaste ort", "Nearest locality"),
    "hover_kind": ("Typ", "Kind"),
    "hover_actor": ("Utförare", "Actor"),
    "hover_status": ("Status", "Status"),
    "share": ("Länken i adressfältet visar exakt denna vy.", "The link in the address bar shows exactly this view."),
    "offline_note": ("Kartan fungerar utan internet.", "The map works without internet."),
    "all": ("Alla", "All"),
    "without_layers": ("(utan {names})", "(without {names})"),
    "when_cells_only": ("Veckodag och timme visas inte för lager som bara visas som rutor.",
                        "Weekday and hour are not shown for layers shown only as cells."),
    "time_below_k": ("Ingen ruta har minst {k} rapporter under en och samma period: inget att visa över tid.",
                     "No cell has at least {k} reports in any one period: nothing to show over time."),
    "cells_unfiltered": ("Rutlager filtreras inte på status, veckodag eller timme.",
                         "Cell layers are not filtered by status, weekday or hour."),
    "below_k_left_out": ("rutlager: bara rutor med minst {k} rapporter per stapel",
                         "cell layers: only cells with at least {k} reports per bar"),
    "cells_layer": ("{name} (rutor)", "{name} (cells)"),
    "cell_count": ("Rapporter i rutan ({size} m)", "Reports in the cell ({size} m)"),
    "cells_note": ("{name}: {n} rutor om {size} m", "{name}: {n} cells of {size} m"),
    "scattered": ("spridda rapporter", "scattered reports"),
    "fewer_than": ("färre än {k}", "fewer than {k}"),
    "when_not_for_role": ("Veckodag och timme visas inte i den här rollen (tid per månad).",
                          "Weekday and hour are not shown for this role (time per month)."),
    "role_banner": ("Roll: {role}", "Role: {role}"),
    "role_reduced": ("Känsliga lager visas som rutor med minst {k} rapporter; ingen fritext.",
                     "Sensitive layers are shown as cells with at least {k} reports; no free text."),
    "logout": ("Logga ut", "Log out"),
    "report_list": ("Senaste rapporterna i urvalet", "Latest reports in the selection"),
    "no_single_reports": ("Enskilda rapporter visas inte i den här rollen.",
                          "Single reports are not shown for this role."),
    "description": ("Beskrivning", "Description"),
    "layer": ("Lager", "Layer"),
    "category": ("Kategori", "Category"),
    "status": ("Status", "Status"),
    "edit": ("Registrera och ändra", "Add and change"),
    "edit_report": ("Rapport", "Report"),
    "edit_activity": ("Aktivitet", "Activity"),
    "edit_place": ("Plats (WGS 84): klicka på en punkt eller ort, eller använd kartans mitt", "Place (WGS 84): click a point or locality, or use the map centre"),
    "edit_centre": ("Kartans mitt", "Map centre"),
    "edit_date": ("Datum", "Date"),
    "edit_time": ("Klockslag (TT:MM)", "Time (HH:MM)"),
    "edit_source": ("Källa", "Source"),
    "edit_duration": ("Längd (minuter)", "Duration (minutes)"),
    "edit_kind": ("Typ av aktivitet", "Kind of activity"),
    "edit_save": ("Spara", "Save"),
    "edit_saved_report": ("Sparad: rapport {id} ({layer}, {place}).", "Saved: report {id} ({layer}, {place})."),
    "edit_saved_activity": ("Sparad: aktivitet {id} ({kind}).", "Saved: activity {id} ({kind})."),
    "edit_exists": ("Finns redan: samma post är redan sparad.", "Already there: the same record is saved."),
    "edit_fix": ("Rätta: {fields}", "Please fix: {fields}"),
    "edit_not_allowed": ("Din roll ({role}) får inte ändra data.", "Your role ({role}) may not change data."),
    "status_change": ("Ändra status", "Change status"),
    "status_save": ("Spara status", "Save status"),
    "edit_focus": ("Fokusområde", "Focus area"),
    "edit_actor": ("Utförare", "Actor"),
    "status_id": ("Id (klicka på en punkt)", "Id (click a point)"),
    "status_new": ("Ny status", "New status"),
    "status_saved": ("{id}: {old} → {new}.", "{id}: {old} → {new}."),
    "upload": ("Importera fil (CSV, Excel, GeoJSON, GeoPackage, zippad Shapefile)",
               "Import a file (CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile)"),
    "upload_drop": ("Släpp en fil här eller klicka för att välja", "Drop a file here or click to choose"),
    "upload_done": ("{name}: {stored} sparade, {duplicates} fanns redan, {rejected} avvisade.",
                    "{name}: {stored} stored, {duplicates} already there, {rejected} rejected."),
    "export": ("Exportera urvalet", "Export the selection"),
    "export_btn": ("Ladda ner", "Download"),
}

WEEKDAYS = {
    "sv": ("Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS = {
    "sv": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
ACTORS = {
    "sv": {"polis": "Polis", "kommun": "Kommun", "gemensam": "Gemensam"},
    "en": {"polis": "Police", "kommun": "Municipality", "gemensam": "Joint"},
}
REPORT_STATUS = {
    "sv": {"ny": "Ny", "bekräftad": "Bekräftad", "åtgärdad": "Åtgärdad", "avvisad": "Avvisad"},
    "en": {"ny": "New", "bekräftad": "Confirmed", "åtgärdad": "Resolved", "avvisad": "Rejected"},
}


def lang_or_default(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "sv"


def t(key: str, lang: str = "sv", **values) -> str:
    """The text for `key` in `lang`, with {placeholders} filled in."""
    sv, en = TEXTS[key]
    text = en if lang == "en" else sv
    return text.format(**values) if values else text


def number(n: int, lang: str = "sv") -> str:
    """Thousands separated the local way: 12 345 (sv) or 12,345 (en)."""
    text = f"{int(n):,}"
    return text.replace(",", "\u00a0") if lang != "en" else text
