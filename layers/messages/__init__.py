"""The project's one message catalogue: gettext .po files per language, read with Babel at import.

Every user-visible text of the web app (`dashboard.i18n.t`) and the importer
(`layers.imports.messages.msg`) is one entry in `locale/<lang>/LC_MESSAGES/trygghetskarta.po`.
The msgids are symbolic ids ("chart_time", "coords_missing"), not English sentences: the
callers name a message by its id, and both languages are translations of it, so a change of
wording in either language never changes an id. A msgstr is a `str.format` template with
{placeholders}; both languages must use the same placeholder names.

How to add a message:
1. add the same msgid (a new symbolic id) with its text as msgstr to BOTH .po files (sv and
   en), with the same {placeholders} (importer messages under `msgctxt "import"`);
2. call it as `t(id, lang, name=...)` (dashboard.i18n) or `msg(id, lang, ...)`
   (layers.imports.messages);
3. run `python -m pytest tests/test_i18n_catalogue.py`: it fails on a missing or empty
   translation, differing placeholders, or a key the code uses that the catalogue lacks.
Babel's own tools read these files too: `pybabel compile --statistics -d layers/messages/locale
-D trygghetskarta` prints how much of each language is translated (it also writes .mo files,
which the app does not read: delete them).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

from babel.messages.pofile import read_po
from babel.numbers import format_decimal

DOMAIN = "trygghetskarta"
LOCALE_DIR = Path(__file__).parent / "locale"
#: The catalogue's languages; Swedish is the default everywhere in the web app.
LANGUAGES = ("sv", "en")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


#: The importer's messages and the store's validation reasons live in their own gettext
#: contexts (msgctxt), so an importer id never shadows a web app id of the same name; the
#: vocabularies (kinds, statuses, sources, actors, categories: "field:code" -> label) in a third.
IMPORT, STORE, VOCAB = "import", "store", "vocab"


def _read(lang: str) -> dict[tuple[str | None, str], str]:
    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    # Plain dict lookups: t() runs for every label of every render.
    return {(message.context, message.id): message.string for message in catalog if message.id}


#: (context, msgid) -> msgstr per language, read once at import (context None: the web app).
CATALOGUES: dict[str, dict[tuple[str | None, str], str]] = {lang: _read(lang) for lang in LANGUAGES}


def template(message_id: str, lang: str, context: str | None = None) -> str:
    """The unformatted text of `message_id` in `lang` (KeyError names an unknown id)."""
    try:
        return CATALOGUES[lang][context, message_id]
    except KeyError:
        where = f" (context {context!r})" if context else ""
        raise KeyError(f"no message {message_id!r}{where} in the {lang!r} catalogue {po_path(lang)}") from None


def label(field: str, code: str, lang: str) -> str:
    """What a user reads for a stored code ("kind", "närvaro/patrull" -> "presence/patrol"); a code
    the catalogue does not know (a municipality's own category) is shown as it is."""
    return CATALOGUES["en" if lang == "en" else "sv"].get((VOCAB, f"{field}:{code}"), code)


def english(field: str, codes) -> dict[str, str]:
    """code -> English label for `codes` (the layer modules' and importer's English synonyms)."""
    return {code: label(field, code, "en") for code in codes}


def format_number(value: float, lang: str, decimals: int = 0, grouping: bool = True) -> str:
    """`value` with `decimals` decimals in the language's way (Babel): 1 234,5 (sv, a no-break
    space) or 1,234.5 (en). Rounded from the float's exact value, as Python's own format rounds
    (Babel alone would round 0.05 to 0.0)."""
    return _formatted(float(value), "en" if lang == "en" else "sv", decimals, grouping)


@functools.lru_cache(maxsize=65536)
def _formatted(value: float, locale: str, decimals: int, grouping: bool) -> str:
    # Babel takes ~0.3 ms a number; the chart tables alone format ~200 per interaction, mostly
    # the same small counts, so the answers are kept (thread-safe, bounded).
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * decimals if decimals else "")
    return format_decimal(Decimal(value), format=pattern, locale=locale)


def ids(context: str | None = None) -> list[str]:
    """The msgids of one context, in catalogue order (the Swedish file's)."""
    return [message_id for ctx, message_id in CATALOGUES["sv"] if ctx == context]


__all__ = [
    "CATALOGUES", "DOMAIN", "IMPORT", "LANGUAGES", "LOCALE_DIR", "STORE", "VOCAB", "english", "format_number",
    "ids", "label",
    "po_path", "template",
]
