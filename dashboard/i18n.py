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
    # Releases: what reduced roles see of cells-mode layers (layers.release).
    "quarter_label": ("kv. {q} {y}", "Q{q} {y}"),
    "up_to": ("t.o.m. {last}", "up to {last}"),
    "unit_month": ("månader", "months"),
    "unit_quarter": ("kvartal", "quarters"),
    "unit_year": ("år", "years"),
    "release_span": ("{names}: visar {span}, hela {unit}", "{names}: showing {span}, whole {unit}"),
    "release_nothing": ("{names}: inga publicerade {unit} i perioden (bara avslutade {unit} publiceras)",
                        "{names}: no published {unit} in the period (only ended {unit} are published)"),
    "release_merged": ("{unit} med färre än {k} rapporter är sammanslagna",
                       "{unit} with fewer than {k} reports are merged"),
    "release_open": ("nästa publicering i början av {due}", "next release early in {due}"),
    "other_places": ("övriga platser", "other places"),
    "other_row": ("Övriga platser i kommunen (och utan plats)", "Elsewhere in the municipality (or no place)"),
    "places_total": ("Alla platser: {n} rapporter", "All places: {n} reports"),
    "places_total_cells": ("I rutorna ovan och övriga rutor: {n} av {total} rapporter",
                           "In these and other cells: {n} of {total} reports"),
    "time_release": ("rutlager: publicerade {unit}, frysta när de avslutats", "cell layers: published {unit}, "
                     "frozen when they ended"),
    "cells_layer": ("{name} (rutor)", "{name} (cells)"),
    "cell_count": ("Rapporter i rutan ({size} m)", "Reports in the cell ({size} m)"),
    "cells_note": ("{name}: {n} rutor om {size} m", "{name}: {n} cells of {size} m"),
    "scattered": ("spridda rapporter", "scattered reports"),
    "when_not_for_role": ("Veckodag och timme visas inte i den här rollen (tid per månad).",
                          "Weekday and hour are not shown for this role (time per month)."),
    "role_banner": ("Roll: {role}", "Role: {role}"),
    "role_reduced": ("Känsliga lager visas som rutor med minst {k} rapporter; ingen fritext.",
                     "Sensitive layers are shown as cells with at least {k} reports; no free text."),
    "logout": ("Logga ut", "Log out"),
    "present_warning_title": ("Varning: exakta uppgifter på delad skärm.",
                              "Warning: exact data on a shared screen."),
    "present_warning": ("Din roll visar exakta narkotikatips och fritext för alla som ser skärmen.",
                        "Your role shows exact narcotics tips and free text to everyone who sees the screen."),
    "present_switch": ("Byt till BRÅ-vyn", "Switch to the BRÅ view"),
    "view_as_back": ("Tillbaka till min fulla vy", "Back to my full view"),
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
    "export_empty": ("Inget att exportera: urvalet är tomt.", "Nothing to export: the selection is empty."),
    "export_done": ("Exporterat: {points} rapporter som punkter, {cells} rutor, {activities} aktiviteter.",
                    "Exported: {points} reports as points, {cells} cells, {activities} activities."),
    "upload_empty_rows": ("{n} tomma rader hoppades över.", "{n} empty rows skipped."),
    "upload_no_rows": ("Filen har inga datarader.", "The file has no data rows."),
    "upload_more_rejected": ("… och {n} till (se filen med avvisade rader).",
                             "… and {n} more (see the rejected-rows file)."),
    # An upload runs as a background job (layers.import_jobs); the page polls its progress.
    "upload_queued": ("Importen av {name} startar…", "Starting the import of {name}…"),
    "upload_reading": ("Läser filen… {done} av {total} rader", "Reading the file… {done} of {total} rows"),
    "upload_reading_rows": ("Läser filen… {done} rader", "Reading the file… {done} rows"),
    "upload_checking": ("Kontrollerar {n} rader…", "Checking {n} rows…"),
    "upload_storing": ("Sparar {n} rader…", "Storing {n} rows…"),
    "upload_busy": ("En import pågår redan ({name}, startad {time}). Vänta tills den är klar och försök igen.",
                    "An import is already running ({name}, started {time}). Wait until it is done and try "
                    "again."),
    "upload_killed": ("Importen av {name} avbröts innan den var klar (processen avslutades, till exempel när "
                      "servern startades om). Ingenting sparades: ladda upp filen igen.",
                      "The import of {name} stopped before it was done (its process ended, for example when "
                      "the server restarted). Nothing was stored: upload the file again."),
    "upload_killed_storing": ("Importen av {name} avbröts medan raderna sparades. Datafilen har antingen alla "
                              "eller inga av dem, aldrig en del: ladda upp filen igen (rader som redan sparats "
                              "räknas då som dubbletter).",
                              "The import of {name} stopped while the rows were being stored. The data file has "
                              "either all of them or none, never a part: upload the file again (rows already "
                              "stored then count as duplicates)."),
    "upload_internal": ("{name}: importen misslyckades av ett internt fel (se serverns logg).",
                        "{name}: the import failed with an internal error (see the server's log)."),
    "upload_unknown": ("Importen finns inte längre (den hör till en annan session eller har tagits bort).",
                       "The import is gone (it belongs to another session or was removed)."),
    "upload_no_session": ("Ingen session: ladda om sidan och försök igen.", "No session: reload the page and try "
                          "again."),
    "export_btn": ("Ladda ner", "Download"),
    # A page that has gone stale (dashboard.callbacks_session, assets/session.js).
    "session_restarted": ("Servern har startats om. Siffrorna på sidan kan vara inaktuella – ladda om sidan.",
                          "The server was restarted. The numbers on this page may be out of date – "
                          "reload the page."),
    "session_expired": ("Sessionen har gått ut. Ladda om sidan och logga in igen.",
                        "Your session has expired. Reload the page and log in again."),
    "session_changed": ("Uppgifterna har ändrats sedan sidan ritades. Ladda om sidan för att se de senaste.",
                        "The data has changed since this page was drawn. Reload the page to see the latest."),
    "session_reload": ("Ladda om sidan", "Reload the page"),
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
