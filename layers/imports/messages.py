"""The importer's user-facing texts in English (the CLI) and Swedish (the web app).

The templates live in the project's gettext catalogue (layers.messages, context "import"; the
store's validation reasons in context "store"): one per message id in each language, formatted
with the same values, so both languages state the same facts (row, field, value). `msg(id, lang, **values)` renders
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
from babel.numbers import get_decimal_symbol

from ..messages import IMPORT, STORE, ids, template
from ..text import QUOTE_LIMIT, shorten

LANGS = ("en", "sv")
#: Longest other text in a message: lists of the file's columns or layers, error texts.
TEXT_LIMIT = 300
#: Template fields that hold one value from the file or the user: cut to QUOTE_LIMIT.
QUOTED_FIELDS = frozenset({
    "value", "column", "event_type", "place", "key", "target", "sheet", "title", "layer", "fmt",
    "kind", "suffix", "geom_type", "inner", "first", "second", "offset", "field",
})
#: Fields the app writes itself from its configuration: never cut (they list what is allowed).
CONFIG_FIELDS = frozenset({"allowed", "known", "names", "options", "fields", "how", "example"})

#: id -> (English, Swedish) of the importer's messages and of the store's validation reasons
#: (layers/schema.py writes the English; Swedish here), read from the project's catalogue.
MESSAGES: dict[str, tuple[str, str]] = {
    message_id: (template(message_id, "en", IMPORT), template(message_id, "sv", IMPORT)) for message_id in ids(IMPORT)
}
STORE_REASONS: dict[str, tuple[str, str]] = {
    reason_id: (template(reason_id, "en", STORE), template(reason_id, "sv", STORE)) for reason_id in ids(STORE)
}


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


class _LocalFormatter(string.Formatter):
    """str.format with the language's decimal symbol (Babel's locale data: a comma in Swedish) in
    numbers, also where the template asks for !r.

    The number itself is written by the template's format spec, not by babel.numbers.format_decimal:
    these are values echoed from the user's file (coordinates, durations), and format_decimal's
    digit grouping (6 365 443) and U+2212 minus would no longer match what the file says."""

    def __init__(self, lang: str):
        super().__init__()
        self.decimal = get_decimal_symbol(lang)

    def convert_field(self, value, conversion):
        if conversion == "r" and _is_number(value):
            return value
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        text = super().format_field(value, format_spec)
        return text.replace(".", self.decimal) if _is_number(value) and self.decimal != "." else text


_FORMATTERS = {lang: _LocalFormatter(lang) for lang in LANGS}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use {' or '.join(LANGS)}")
    return lang


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


def _render(templates: tuple[str, str], lang: str, values: dict) -> str:
    values = {name: _bounded(name, value) for name, value in values.items()}
    return _one_line(_FORMATTERS[check_lang(lang)].format(templates[lang == "sv"], **values))


def msg(message_id: str, lang: str = "en", **values) -> str:
    """The message `message_id` in `lang` ("en" or "sv"), formatted with `values` (each cut to a
    sane length: QUOTE_LIMIT for a value from the file, TEXT_LIMIT for other texts)."""
    return _render(MESSAGES[message_id], lang, values)


def row_numbers(numbers: list[int], lang: str = "en") -> str:
    """The first ten row numbers of `numbers`, then how many more ("1, 2, …, 10 and 5 more")."""
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (msg("more", lang, n=len(numbers) - 10) if len(numbers) > 10 else "")


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
