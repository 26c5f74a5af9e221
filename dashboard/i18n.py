"""The web app's texts: thin lookups into the project's gettext catalogue (layers.messages).

Swedish by default with English beside it. The texts themselves live in
layers/messages/locale/{sv,en}/LC_MESSAGES/trygghetskarta.po (see layers.messages for how to
add one); numbers are formatted by Babel with the language's own separators.
"""

from __future__ import annotations

from babel.numbers import format_decimal

from layers.messages import LANGUAGES, template
from layers.messages import label as vocab  # noqa: F401  (re-exported: a stored code's label)

#: Transitional only: keys added here while the catalogue moved to .po files still show, but
#: tests/test_i18n_catalogue.py fails until each one is moved into both .po files. Add new
#: texts to the .po files, not here.
TEXTS: dict[str, tuple[str, str]] = {
    # -- planning (presence on the weekday × hour grid, gaps)
    # -- map (labels, scale bar, basemap)
    # -- accessibility (chart tables, date picker, control names)
    # -- import jobs (who runs the import that blocks an upload)
    # -- layout (chart titles, presentation tabs)
}


def lang_or_default(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "sv"


def t(key: str, lang: str = "sv", **values) -> str:
    """The text for `key` in `lang`, with {placeholders} filled in."""
    lang = "en" if lang == "en" else "sv"
    text = TEXTS[key][lang == "en"] if key in TEXTS else template(key, lang)
    return text.format(**values) if values else text


def number(n: int, lang: str = "sv") -> str:
    """A whole number with the language's thousands separator (Babel): 12 345 (sv, a no-break
    space) or 12,345 (en)."""
    return format_decimal(int(n), locale=lang_or_default(lang))


def _named(prefix: str, codes) -> dict[str, dict[str, str]]:
    return {lang: {code: t(f"{prefix}{name}", lang) for code, name in codes.items()} for lang in LANGUAGES}


#: Short weekday names, Monday first, and month abbreviations as the axes show them. Babel's
#: CLDR abbreviations differ ("tors", "jan.", "mars") and carry periods that the charts' own
#: labels ("jan 2026") do not, so these are catalogue entries too.
WEEKDAYS = {lang: tuple(t(f"weekday_short_{i}", lang) for i in range(7)) for lang in LANGUAGES}
MONTHS = {lang: tuple(t(f"month_short_{i}", lang) for i in range(1, 13)) for lang in LANGUAGES}
ACTORS = _named("actor_", {"polis": "polis", "kommun": "kommun", "gemensam": "gemensam"})
REPORT_STATUS = _named("report_status_", {"ny": "new", "bekräftad": "confirmed", "åtgärdad": "resolved",
                                          "avvisad": "rejected"})
