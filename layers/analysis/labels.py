"""Swedish and English names of the analysis' classes and comparisons, from the message catalogue.

The texts live in layers/messages (msgids analysis_class_<class>, analysis_compare_<kind>,
analysis_pct_undefined); the tables here keep the (sv, en) shape the CLI and the views index.
"""

from __future__ import annotations

from layers.messages import format_number, template


def _pair(message_id: str) -> tuple[str, str]:
    return template(message_id, "sv"), template(message_id, "en")


CLASS_LABELS: dict[str, tuple[str, str]] = {
    key: _pair(f"analysis_class_{key}") for key in ("hot99", "hot95", "hot90", "ns", "cold")
}

COMPARISON_LABELS: dict[str, tuple[str, str]] = {
    key: _pair(f"analysis_compare_{key}") for key in ("previous", "last_year", "ytd", "28d")
}

#: A change from a base of 0 has no percentage.
UNDEFINED_PCT = _pair("analysis_pct_undefined")


def label(table: dict[str, tuple[str, str]], key: str, lang: str = "sv") -> str:
    sv, en = table[key]
    return en if lang == "en" else sv


def pct_text(pct: float | None, lang: str = "sv") -> str:
    """'−12,5 %' / '-12.5 %', or the words for an undefined percentage (never 'inf')."""
    if pct is None:
        return UNDEFINED_PCT[lang == "en"]
    text = format_number(abs(pct), lang, decimals=1, grouping=False)
    # A sign always; Swedish typesets the minus as U+2212.
    sign = ("-" if lang == "en" else "−") if pct < 0 else "+"
    return f"{sign}{text} %"


__all__ = ["CLASS_LABELS", "COMPARISON_LABELS", "UNDEFINED_PCT", "label", "pct_text"]
