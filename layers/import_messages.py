"""The importer's user-facing texts in English (the CLI) and Swedish (the web app).

One template per message id, as (English, Swedish), formatted with the same values, so
both languages state the same facts (row, field, value). `msg(id, lang, **values)` renders
one. In Swedish, numbers are shown with a decimal comma (also for `{value!r}` when the value
is a number), so coordinate pairs are separated by a semicolon there, and coordinates are
shown in full (6365443, not 6.36544e+06).

Messages that name CLI options (--crs, --layer, mapping-file keys) keep the option names in
Swedish too, and say what a web user can do where that makes sense.

Every value is cut before it is shown (`shorten`): a 1 MB cell or a hostile file name must
not become a 1 MB reason, and a message is always one line (the CLI prints it as one).
"""

from __future__ import annotations

import os
import re
import string

import numpy as np

LANGS = ("en", "sv")
#: Longest value quoted in a message ("…" marks the cut).
QUOTE_LIMIT = 80
#: Longest other text in a message: lists of the file's columns or layers, error texts.
TEXT_LIMIT = 300
#: Template fields that hold one value from the file or the user: cut to QUOTE_LIMIT.
QUOTED_FIELDS = frozenset({
    "value", "column", "event_type", "place", "key", "target", "sheet", "title", "layer", "fmt",
    "kind", "suffix", "geom_type", "inner", "first", "second", "offset", "field",
})
#: Fields the app writes itself from its configuration: never cut (they list what is allowed).
CONFIG_FIELDS = frozenset({"allowed", "known", "names", "options", "fields", "how", "example"})

MESSAGES: dict[str, tuple[str, str]] = {
    # -- words used inside other messages
    "and": (" and ", " och "),
    "or": (" or ", " eller "),
    "more": (" and {n} more", " och {n} till"),
    "none": ("(none)", "(ingen)"),
    "sep_semicolon": ("semicolon", "semikolon"),
    "sep_tab": ("tab", "tabb"),
    "sep_comma": ("comma", "komma"),
    "utf8_bom": ("UTF-8 with BOM", "UTF-8 med BOM"),
    "latitude": ("latitude", "latitud"),
    "longitude": ("longitude", "longitud"),
    "northing": ("northing", "nordlig koordinat"),
    "easting": ("easting", "östlig koordinat"),
    "label_date": ("date", "datum"),
    "label_reported": ("reported date", "rapportdatum"),
    "label_planned": ("planned date", "planerat datum"),
    "label_done": ("done date", "genomfört datum"),
    "label_category": ("category", "kategori"),
    "label_focus_area": ("focus area", "fokusområde"),
    "label_status": ("status", "status"),
    "label_actor": ("actor", "utförare"),
    "label_kind": ("kind", "typ av aktivitet"),
    "distance_km": ("{km:.1f} km", "{km:.1f} km"),
    "distance_m": ("{m:.0f} m", "{m:.0f} m"),
    # -- file descriptions (shown in the notes)
    "desc_csv": ("CSV ({encoding})", "CSV ({encoding})"),
    "desc_csv_sep": ("{description}, {sep}-separated", "{description}, {sep}separerad"),
    "desc_excel": ("Excel sheet {title!r}", "Excel-blad {title!r}"),
    "desc_geojson": ("GeoJSON {name}", "GeoJSON {name}"),
    "desc_gpkg": ("GeoPackage {name}, layer {layer!r}", "GeoPackage {name}, lager {layer!r}"),
    "desc_zip_shp": ("zipped Shapefile {inner}", "zippad Shapefile {inner}"),
    "desc_shp": ("Shapefile {name}", "Shapefile {name}"),
    "desc_polisen": ("police events feed ({n} events)", "polisens händelseflöde (antal händelser: {n})"),
    # -- whole-file errors (ImportFailed)
    "file_empty": ("the file is empty: no header row", "filen är tom: den saknar rubrikrad"),
    "excel_unreadable": ("cannot read {name} as an Excel workbook: {error}",
                         "kan inte läsa {name} som en Excel-arbetsbok: {error}"),
    "excel_no_sheet": ("no sheet {sheet!r} in {name}; sheets: {sheets}",
                       "{name} har inget blad {sheet!r}; blad: {sheets}"),
    "excel_sheet_empty": ("sheet {title!r} of {name} is empty", "bladet {title!r} i {name} är tomt"),
    "gis_unreadable": ("cannot read {description}: {error}", "kan inte läsa {description}: {error}"),
    "gpkg_unreadable": ("cannot read GeoPackage {name}: {error}", "kan inte läsa GeoPackage-filen {name}: {error}"),
    "gpkg_no_layer": ("{name} has no layer {layer!r}; its layers: {layers}",
                      "{name} har inget lager {layer!r}; filens lager: {layers}"),
    "gpkg_many_layers": (
        "{name} has {n} layers ({layers}); name the one to import in a mapping file: [file] layer = \"NAME\"",
        "{name} har {n} lager ({layers}); ange vilket som ska importeras i en mappningsfil: "
        "[file] layer = \"NAMN\"",
    ),
    "no_such_file": ("no such file: {path}", "filen finns inte: {path}"),
    "xls_unsupported": ("old Excel .xls files are not supported: save the sheet as .xlsx or CSV",
                        "gamla Excel-filer (.xls) stöds inte: spara bladet som .xlsx eller CSV"),
    "looks_like_polisen": ("{name} looks like a saved police events feed: use --format polisen",
                           "{name} ser ut som ett sparat händelseflöde från polisen: importera det på "
                           "kommandoraden med --format polisen"),
    "zip_unreadable": ("{name} is not a readable zip file", "{name} är ingen läsbar zip-fil"),
    "zip_no_shp": ("{name} holds no Shapefile (.shp)", "{name} innehåller ingen Shapefile (.shp)"),
    "zip_many_shp": (
        "{name} holds {n} Shapefiles ({files}); name one in a mapping file: [file] layer = \"NAME\"",
        "{name} innehåller {n} Shapefiler ({files}); lägg en Shapefile per zip-fil, eller ange vilken "
        "i en mappningsfil: [file] layer = \"NAMN\"",
    ),
    "zip_no_such_shp": ("{name} has no Shapefile {layer!r}", "{name} har ingen Shapefile {layer!r}"),
    "unknown_file_type": (
        "unknown file type {suffix}: use .csv, .xlsx, .geojson, .gpkg or a zipped Shapefile (.zip)",
        "okänd filtyp {suffix}: använd .csv, .xlsx, .geojson, .gpkg eller en zippad Shapefile (.zip)",
    ),
    "mapping_unreadable": ("cannot read mapping file {path}: {error}", "kan inte läsa mappningsfilen {path}: {error}"),
    "mapping_invalid": ("mapping file {name} is not valid {format}: {error}",
                        "mappningsfilen {name} är inte giltig {format}: {error}"),
    "mapping_not_table": ("mapping file {name} must be a table of keys",
                          "mappningsfilen {name} måste vara en tabell med nycklar"),
    "mapping_unknown_key": ("mapping file {name}: unknown key {key!r}; use {allowed}",
                            "mappningsfilen {name}: okänd nyckel {key!r}; använd {allowed}"),
    "mapping_section_not_table": ("mapping file {name}: [{key}] must be a table",
                                  "mappningsfilen {name}: [{key}] måste vara en tabell"),
    "mapping_unknown_column_field": ("mapping file: unknown field {target!r} in [columns]; fields: {fields}",
                                     "mappningsfilen: okänt fält {target!r} i [columns]; fält: {fields}"),
    "mapping_column_absent": (
        "mapping file: column {source!r} (for {target}) is not in the file; its columns: {columns}",
        "mappningsfilen: kolumnen {source!r} (för {target}) finns inte i filen; filens kolumner: {columns}",
    ),
    "mapping_unknown_default_field": ("mapping file: unknown field {target!r} in [defaults]",
                                      "mappningsfilen: okänt fält {target!r} i [defaults]"),
    "mapping_values_not_table": ("mapping file: [values.{target}] must be a table of \"from\" = \"to\"",
                                 "mappningsfilen: [values.{target}] måste vara en tabell med \"från\" = \"till\""),
    "crs_unknown": ("unknown coordinate system {value!r}; use e.g. {known}",
                    "okänt koordinatsystem {value!r}; använd t.ex. {known}"),
    "no_usable_coords": ("no row has usable coordinates", "ingen rad har användbara koordinater"),
    "no_usable_coords_because": ("no row has usable coordinates ({reason})",
                                 "ingen rad har användbara koordinater ({reason})"),
    "coords_example": ("e.g. {a:g}, {b:g}", "t.ex. {a:.10g}; {b:.10g}"),
    "crs_given_not_in_sweden": (
        "the coordinates ({example}) are not in Sweden when read as {crs}; check --crs",
        "koordinaterna ({example}) ligger inte i Sverige som {crs}; kontrollera koordinatsystemet "
        "(--crs eller crs i en mappningsfil)",
    ),
    "crs_none_fits": (
        "cannot tell the coordinate system: the coordinates ({example}) fit none of {names} "
        "in Sweden; give it with --crs EPSG:XXXX",
        "kan inte avgöra koordinatsystemet: koordinaterna ({example}) passar inget av {names} "
        "i Sverige; ange koordinatsystem med --crs EPSG:XXXX eller i en mappningsfil",
    ),
    "crs_ambiguous": (
        "cannot tell the coordinate system: the coordinates ({example}) fit both {names}; give it with {options}",
        "kan inte avgöra koordinatsystemet: koordinaterna ({example}) passar både {names}; "
        "ange koordinatsystem med {options} eller i en mappningsfil",
    ),
    "one_coord_column": (
        "found only one coordinate column ({columns}); name both in a mapping file, "
        "e.g. [columns] lat = \"...\" and lon = \"...\"",
        "hittade bara en koordinatkolumn ({columns}); lägg till den andra i filen, eller ange båda i en "
        "mappningsfil, t.ex. [columns] lat = \"...\" och lon = \"...\"",
    ),
    "no_coords": (
        "found no coordinates: the file needs a geometry, or columns named e.g. lat/lon, "
        "latitud/longitud, N/E, northing/easting or x/y (name others in a mapping file); "
        "its columns: {columns}",
        "hittade inga koordinater: filen behöver en geometri eller kolumner med namn som lat/lon, "
        "latitud/longitud, N/E, northing/easting eller x/y (andra namn anges i en mappningsfil); "
        "filens kolumner: {columns}",
    ),
    "no_focus_area_column": (
        "found no focus area column ('fokusområde'); add one or set it for all rows in a "
        "mapping file: [defaults] focus_area = \"trafik\"",
        "hittade ingen kolumn för fokusområde ('fokusområde'); lägg till en i filen, eller ange det för "
        "alla rader i en mappningsfil: [defaults] focus_area = \"trafik\"",
    ),
    "no_field_column": (
        "found no {what} column; add one or set it in a mapping file: [defaults] {target} = \"...\"",
        "hittade ingen kolumn för {what}; lägg till en i filen, eller ange värdet i en mappningsfil: "
        "[defaults] {target} = \"...\"",
    ),
    "no_date_column": (
        "found no date column for {target} (e.g. 'datum', 'datum och tid', 'date'); "
        "name it in a mapping file: [columns] {target} = \"...\"",
        "hittade ingen datumkolumn för {target} (t.ex. 'datum', 'datum och tid', 'date'); "
        "byt namn på kolumnen i filen, eller ange den i en mappningsfil: [columns] {target} = \"...\"",
    ),
    "unknown_kind": ("unknown kind {kind!r}: use reports or activities",
                     "okänd typ {kind!r}: använd reports eller activities"),
    "unknown_layer": ("unknown layer {layer!r}; layers: {layers}", "okänt lager {layer!r}; lager: {layers}"),
    "layer_for_reports_only": ("--layer is for reports; activities belong to focus areas",
                               "lager (--layer) gäller bara rapporter; aktiviteter hör till fokusområden"),
    "polisen_reports_only": ("--format polisen imports reports; leave out --kind activities",
                             "--format polisen importerar rapporter; ta bort --kind activities"),
    "unknown_format": ("unknown format {fmt!r}: use auto or polisen", "okänt format {fmt!r}: använd auto eller polisen"),
    "polisen_not_json": ("{name} is not a saved police events response (JSON): {error}",
                         "{name} är inget sparat svar med polisens händelser (JSON): {error}"),
    "polisen_not_list": ("{name}: expected a JSON list of events", "{name}: väntade mig en JSON-lista med händelser"),
    # -- per-row reasons (Rejection.reason)
    "too_many_fields": ("has {width} fields but the header has {header}",
                        "har {width} fält men rubrikraden har {header}"),
    "no_geometry": ("has no geometry (a point is required)", "saknar geometri (en punkt krävs)"),
    "not_a_point": ("is a {geom_type}; only points can be imported",
                    "är en {geom_type}; bara punkter kan importeras"),
    "no_wkt_point": ("has no readable point in column {column!r}", "har ingen läsbar punkt i kolumnen {column!r}"),
    "coord_not_number": ("coordinate {column}={value!r} is not a number", "koordinaten {column}={value!r} är inget tal"),
    "coords_missing": ("coordinates are missing", "koordinater saknas"),
    "coords_swapped": ("coordinates ({a:g}, {b:g}) look swapped ({first} and {second} exchanged)",
                       "koordinaterna ({a:.10g}; {b:.10g}) verkar omkastade ({first} och {second} har bytt plats)"),
    "coords_not_in_sweden": ("coordinates ({a:g}, {b:g}) are not in Sweden in {crs}",
                             "koordinaterna ({a:.10g}; {b:.10g}) ligger inte i Sverige i {crs}"),
    "outside_municipality": ("lies {distance} outside {muni} municipality",
                             "platsen ligger {distance} utanför {muni_genitive} kommun"),
    # English says "date and time" for all three; Swedish names what was given.
    "not_real_date": ("{value!r} is not a real date and time", "{value!r} är inget riktigt datum"),
    "not_real_datetime": ("{value!r} is not a real date and time", "{value!r} är ingen riktig tidpunkt"),
    "not_real_clock": ("{value!r} is not a real date and time", "{value!r} är inget riktigt klockslag"),
    "number_not_clock": ("the number {value!r} is not a clock time", "talet {value!r} är inget klockslag"),
    "number_not_excel_date": ("the number {value!r} is not an Excel date", "talet {value!r} är inget Excel-datum"),
    "not_clock": ("{value!r} is not a clock time like 18:30", "{value!r} är inget klockslag (skriv t.ex. 18:30)"),
    "not_date": ("{value!r} is not a date (use e.g. 2026-03-01 18:30 or 01/03/2026)",
                 "{value!r} är inget datum (skriv t.ex. 2026-03-01 18:30 eller 01/03/2026)"),
    "time_skipped": ("{wall:%Y-%m-%d %H:%M} does not exist in Swedish time (the clocks went forward)",
                     "{wall:%Y-%m-%d %H:%M} finns inte i svensk tid (klockan ställdes fram)"),
    "time_problem": ("{label} {column!r}: {reason}", "{label} {column!r}: {reason}"),
    "time_missing": ("{label} is missing (column {column!r})", "{label} saknas (kolumn {column!r})"),
    # Times outside the plausible range, and offsets no clock uses: "{value!r} {reason}".
    "time_value": ("{value!r} {reason}", "{value!r} {reason}"),
    "time_before": ("is before {day} (check the year)", "är före {day} (kontrollera året)"),
    "time_after": ("is after {day} (check the year)", "är efter {day} (kontrollera året)"),
    "time_future": ("is in the future", "ligger i framtiden"),
    "time_not_real": ("is not a real date and time", "är ingen riktig tidpunkt"),
    "time_bad_offset": ("has an impossible UTC offset {offset!r} (at most ±14:00, minutes below 60)",
                        "har en omöjlig tidszon {offset!r} (högst ±14:00, minuter under 60)"),
    "layer_unknown": ("layer {value!r} is unknown; layers: {layers}", "lagret {value!r} finns inte; lager: {layers}"),
    "layer_unclear": ("cannot tell the layer: give --layer, or a 'lager' column",
                      "kan inte avgöra lagret: välj ett lager vid importen (--layer), eller lägg till en "
                      "kolumn 'lager'"),
    "category_unknown": (
        "category {value!r} is not one of {allowed} (layer {layer}); map it in a mapping file [values.category]",
        "kategorin {value!r} är inte någon av {allowed} (lager {layer}); rätta värdet i filen, eller "
        "översätt det i en mappningsfil under [values.category]",
    ),
    "focus_area_unknown": ("focus area {value!r} is unknown; use {allowed}",
                           "fokusområdet {value!r} finns inte; använd {allowed}"),
    "source_unknown": (
        "source {value!r} is not one of {allowed}; map it in a mapping file [values.source]",
        "källan {value!r} är inte någon av {allowed}; rätta värdet i filen, eller översätt det i en "
        "mappningsfil under [values.source]",
    ),
    "not_one_of": ("{what} {value!r} is not one of {allowed}", "{what} {value!r} är inte någon av {allowed}"),
    "missing": ("{what} is missing", "{what} saknas"),
    "duration_bad": ("duration {value!r} is not whole minutes between 0 and 10080",
                     "längden {value!r} är inte hela minuter mellan 0 och 10080"),
    "store_check": ("{field}={value}: {reason}", "{field}={value}: {reason}"),
    "polisen_bad_id": ("id {value!r} is not an event number", "id {value!r} är inget händelsenummer"),
    "polisen_elsewhere": ("event in {place!r}, not in {muni}", "händelsen gäller {place!r}, inte {muni}"),
    "polisen_unknown_place": ("an unknown place", "en okänd plats"),
    "polisen_bad_datetime": ("datetime {value!r} is not like 2026-08-18 19:45:41 +02:00",
                             "datetime {value!r} har inte formen 2026-08-18 19:45:41 +02:00"),
    "polisen_time": ("{field} {value!r} {reason}", "{field} {value!r} {reason}"),
    "polisen_traffic_no_speed": (
        "{event_type} without speed in the summary fits no layer (police source only)",
        "{event_type} utan hastighet i sammanfattningen passar inget lager (bara polisen som källa)",
    ),
    "polisen_type_no_layer": ("event type {event_type!r} fits no layer (police source only)",
                              "händelsetypen {event_type!r} passar inget lager (bara polisen som källa)"),
    "polisen_store_check": ("{field}: {reason}", "{field}: {reason}"),
    # -- notes (what the importer assumed or changed)
    "note_file": ("file: {description}, {n} rows", "fil: {description}; antal rader: {n}"),
    "note_empty_rows": ("{n} empty rows ignored (rows {rows})", "tomma rader som hoppades över: {n} (rad {rows})"),
    "note_coordinates": ("coordinates: {source}, {crs}, {how}", "koordinater: {source}, {crs}, {how}"),
    "coords_from_geometry": ("the file's geometry", "filens geometri"),
    "coords_from_wkt": ("column {column!r} (WKT)", "kolumnen {column!r} (WKT)"),
    "coords_from_columns": ("columns {second!r}/{first!r}", "kolumnerna {second!r}/{first!r}"),
    "crs_how_given": ("given", "angivet"),
    "crs_how_ranges": ("detected from the value ranges", "avgjort utifrån värdenas storlek"),
    "crs_how_municipality": ("detected: the values fit {names}; only {crs} puts the points in {muni}",
                             "avgjort: värdena passar {names}; bara {crs} lägger punkterna i {muni_genitive} kommun"),
    "crs_how_file": ("from the file", "från filen"),
    "crs_how_option": ("given with --crs", "angivet med --crs"),
    "crs_how_implied": ("{how} (the GeoJSON file's implied WGS 84 does not fit)",
                        "{how} (GeoJSON-filens underförstådda WGS 84 passar inte)"),
    "note_swapped_latlon": ("the lat/lon columns hold each other's values: reading them the other way round",
                            "kolumnerna för lat och lon har bytt plats: läser dem omvänt"),
    "note_swapped_ne": ("the N/E columns hold each other's values: reading them the other way round",
                        "kolumnerna för N och E har bytt plats: läser dem omvänt"),
    "note_x_northing": ("X holds northing and Y easting (the Swedish surveying convention)",
                        "X är nordlig och Y östlig koordinat (svensk lantmäteripraxis)"),
    "note_swapped_order": ("the coordinates are in northing/easting (lat/lon) order: reading them swapped",
                           "koordinaterna står i ordningen nord/öst (lat/lon): läser dem omvänt"),
    "note_polisen_file": ("file: {description}", "fil: {description}"),
    "note_polisen_mapped": ("events in {muni} mapped to layers: {n}",
                            "händelser i {muni_genitive} kommun som fått ett lager: {n}"),
    "note_polisen_empty": ("empty rows: {rows}", "tomma rader: {rows}"),
    "note_polisen_approximate": (
        "positions are approximate (municipality/locality centre): ids start with {prefix!r} and "
        "descriptions with '{description}'",
        "positionerna är ungefärliga (kommunens eller ortens mitt): id börjar med {prefix!r} och "
        "beskrivningar med '{description}'",
    ),
}

#: Reasons from the store's own validation (layers/schema.py), as English templates there;
#: Swedish here. A reason that matches none stays as it is.
STORE_REASONS: dict[str, tuple[str, str]] = {
    "one_of_for_layer": ("must be one of {allowed} for {layer}", "måste vara någon av {allowed} för lagret {layer}"),
    "one_of": ("must be one of {allowed}", "måste vara någon av {allowed}"),
    "text": ("must be text", "måste vara text"),
    "not_empty": ("must not be empty", "får inte vara tomt"),
    "iso": ("must be an ISO 8601 time with offset, e.g. {example}",
            "måste vara en ISO 8601-tid med tidszon, t.ex. {example}"),
    "real_time": ("is not a real date and time", "är ingen riktig tidpunkt"),
    "point_empty": ("a point is required (got an empty point)", "en punkt krävs (punkten är tom)"),
    "point_required": ("a point is required", "en punkt krävs"),
    "point": ("must be a point", "måste vara en punkt"),
    "outside": ("lies outside the municipality", "ligger utanför kommunen"),
    "before": ("is before {other}", "är före {other}"),
    "after": ("is after {other}", "är efter {other}"),
    "future": ("is in the future", "ligger i framtiden"),
    "offset": ("has an impossible UTC offset (at most ±14:00, minutes below 60)",
               "har en omöjlig tidszon (högst ±14:00, minuter under 60)"),
    "done_required": ("is required when status is {status}", "krävs när status är {status}"),
    "done_empty": ("must be empty while status is {status}", "ska vara tomt när status är {status}"),
    "minutes": ("must be whole minutes between {low} and {high}", "måste vara hela minuter mellan {low} och {high}"),
    "repeated": ("appears more than once", "förekommer mer än en gång"),
    "too_long": ("is longer than {n} characters", "är längre än {n} tecken"),
}


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


class _SwedishFormatter(string.Formatter):
    """str.format with a decimal comma for numbers (also where the template asks for !r)."""

    def convert_field(self, value, conversion):
        if conversion == "r" and _is_number(value):
            return value
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        text = super().format_field(value, format_spec)
        return text.replace(".", ",") if _is_number(value) else text


_SWEDISH = _SwedishFormatter()


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use {' or '.join(LANGS)}")
    return lang


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` cut to at most `limit` characters, also as repr (escapes count), ending in "…"."""
    text = str(text)
    if len(text) <= limit and len(repr(text)) <= limit + 2:
        return text
    width = 0
    for end, char in enumerate(text):
        width += len(repr(char)) - 2
        if width >= limit:
            return text[:end] + "…"
    return text


def _bounded(name: str, value):
    """A template value cut to a sane length (numbers and the app's own texts stay as they are)."""
    if name in CONFIG_FIELDS:
        return value
    limit = QUOTE_LIMIT if name in QUOTED_FIELDS else TEXT_LIMIT
    if isinstance(value, str):
        return shorten(value, limit)
    if _is_number(value):
        return value if len(repr(value)) <= limit else shorten(repr(value), limit)
    if name in QUOTED_FIELDS or isinstance(value, BaseException | os.PathLike):
        return shorten(str(value), limit)
    return value


def _one_line(text: str) -> str:
    # The CLI prints a message as one line; an error text from GDAL may carry its own newlines.
    return re.sub(r"\s*[\r\n]+\s*", " ", text)


def _render(template: tuple[str, str], lang: str, values: dict) -> str:
    values = {name: _bounded(name, value) for name, value in values.items()}
    if check_lang(lang) == "sv":
        return _one_line(_SWEDISH.format(template[1], **values))
    return _one_line(template[0].format(**values))


def msg(message_id: str, lang: str = "en", **values) -> str:
    """The message `message_id` in `lang` ("en" or "sv"), formatted with `values` (each cut to a
    sane length: QUOTE_LIMIT for a value from the file, TEXT_LIMIT for other texts)."""
    return _render(MESSAGES[message_id], lang, values)


def genitive(name: str) -> str:
    """Swedish genitive of a place name: 'Vaggeryd' -> 'Vaggeryds', 'Borås' -> 'Borås'."""
    return name if name[-1:].lower() in ("s", "x", "z") else name + "s"


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(regex + r"\Z")


_STORE_PATTERNS = [(_pattern(en), sv) for en, sv in STORE_REASONS.values()]


def store_reason(reason: str, lang: str = "en") -> str:
    """A reason from the store's validation in `lang` (unchanged in English or when unknown)."""
    if check_lang(lang) == "en":
        return reason
    for pattern, sv in _STORE_PATTERNS:
        match = pattern.match(reason)
        if match:
            return sv.format(**match.groupdict())
    return reason
