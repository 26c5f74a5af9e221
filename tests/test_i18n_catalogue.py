"""The one gettext catalogue: complete in both languages, same placeholders, every used key there."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dashboard import i18n
from dashboard.i18n import ACTORS, MONTHS, REPORT_STATUS, WEEKDAYS, number, t
from layers.imports import messages as import_messages
from layers.imports.messages import msg
from layers.messages import CATALOGUES, IMPORT, LANGUAGES, STORE, po_path

ROOT = Path(__file__).resolve().parent.parent
#: Calls whose first argument is a web app text key (dashboard.layout's T/_field/_section wrap t).
UI_CALL = re.compile(r"(?<![\w.])(?:t|T|_field|_section)\(\s*\"(\w+)\"\s*[,)]")
IMPORT_CALL = re.compile(r"(?<![\w.])msg\(\s*\"(\w+)\"\s*[,)]")


def _fields(text: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def _scan(pattern: re.Pattern, folders=("dashboard", "layers")) -> dict[str, str]:
    """Key -> first file:line that uses it."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                found.setdefault(match[1], f"{path.relative_to(ROOT)}:{line}")
    return found


def test_every_message_is_translated_in_both_languages_and_nothing_is_fuzzy():
    for lang in LANGUAGES:
        with po_path(lang).open("rb") as f:
            catalog = read_po(f, locale=lang)
        empty = [m.id for m in catalog if m.id and not str(m.string).strip()]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        assert empty == [] and fuzzy == [], (lang, empty, fuzzy)
    assert set(CATALOGUES["sv"]) == set(CATALOGUES["en"]), (
        set(CATALOGUES["sv"]) ^ set(CATALOGUES["en"]))
    assert len(CATALOGUES["sv"]) > 390


def test_both_languages_use_the_same_placeholders():
    differ = {key: (_fields(CATALOGUES["sv"][key]), _fields(CATALOGUES["en"][key]))
              for key in CATALOGUES["sv"]
              if _fields(CATALOGUES["sv"][key]) != _fields(CATALOGUES["en"][key])}
    # The Swedish genitive of the municipality is its own field (Vaggeryds kommun / Vaggeryd municipality).
    differ = {key: pair for key, pair in differ.items()
              if {f.replace("muni_genitive", "muni") for f in pair[0]} != pair[1]}
    assert differ == {}


def test_no_text_waits_outside_the_catalogue():
    # dashboard.i18n.TEXTS is only a landing place while others' branches move over.
    assert i18n.TEXTS == {}, f"move these keys into both .po files under {po_path('sv').parent.parent.parent}"


def test_every_key_the_code_names_is_in_the_catalogue():
    ui = _scan(UI_CALL)
    imports = _scan(IMPORT_CALL)
    assert len(ui) > 150 and len(imports) > 100
    missing_ui = {k: where for k, where in ui.items() if (None, k) not in CATALOGUES["sv"]}
    missing_import = {k: where for k, where in imports.items() if (IMPORT, k) not in CATALOGUES["sv"]}
    assert missing_ui == {} and missing_import == {}


def test_an_unknown_key_names_itself_and_the_file():
    with pytest.raises(KeyError, match="no_such_key.*trygghetskarta.po"):
        t("no_such_key", "en")


def test_texts_and_messages_come_from_the_catalogue():
    assert t("chart_time", "sv") == "Rapporter över tid"
    assert t("chart_time", "en") == "Reports over time"
    assert t("n_reports", "sv", n=number(12345, "sv")) == "12\u00a0345 rapporter i urvalet"
    assert t("n_reports", "en", n=number(12345, "en")) == "12,345 reports in the selection"
    # An unknown language is Swedish, as everywhere in the web app.
    assert t("chart_time", "de") == "Rapporter över tid"
    assert msg("coords_missing", "en") == "coordinates are missing"
    assert msg("coords_missing", "sv") == "koordinater saknas"
    assert import_messages.store_reason("must be one of ny, avvisad", "sv") == "måste vara någon av ny, avvisad"
    assert (STORE, "one_of") in CATALOGUES["sv"]


def test_numbers_by_babel_keep_what_users_saw():
    assert number(0, "sv") == "0"
    assert number(999, "sv") == "999"
    assert number(1000, "sv") == "1\u00a0000"
    assert number(1234567, "sv") == "1\u00a0234\u00a0567"
    assert number(1234567, "en") == "1,234,567"
    assert number(2996.0, "sv") == "2\u00a0996"


def test_decimal_comma_in_swedish_import_messages_only():
    assert msg("distance_km", "sv", km=2.345) == "2,3 km"
    assert msg("distance_km", "en", km=2.345) == "2.3 km"
    # Coordinates echoed in full, without digit grouping: as the user's file has them.
    assert msg("coords_example", "sv", a=6365443.5, b=14.25) == "t.ex. 6365443,5; 14,25"
    assert msg("coords_example", "en", a=6365443.5, b=14.25) == "e.g. 6.36544e+06, 14.25"
    assert msg("duration_bad", "sv", value=-2.5) == "längden -2,5 är inte hela minuter mellan 0 och 10080"


def test_named_values_per_language():
    assert WEEKDAYS["sv"] == ("Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön")
    assert WEEKDAYS["en"] == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert MONTHS["sv"][0] == "jan" and MONTHS["sv"][4] == "maj" and MONTHS["en"][11] == "Dec"
    assert ACTORS["en"] == {"polis": "Police", "kommun": "Municipality", "gemensam": "Joint"}
    assert REPORT_STATUS["sv"]["åtgärdad"] == "Åtgärdad"
    assert REPORT_STATUS["en"] == {"ny": "New", "bekräftad": "Confirmed", "åtgärdad": "Resolved",
                                   "avvisad": "Rejected"}


def test_the_catalogue_files_are_package_data():
    # A non-editable install must carry the .po files (pyproject's package-data for `layers`).
    import fnmatch
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["layers"]
    files = [po_path(lang).relative_to(ROOT / "layers").as_posix() for lang in LANGUAGES]
    assert [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)] == []
