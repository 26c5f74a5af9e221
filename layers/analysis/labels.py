"""Swedish and English names of the analysis' classes and comparisons (for the CLI and the views).

Kept beside the analysis until the project's message catalogue (layers/messages) has landed;
then these move into its .po files under the same ids.
"""

from __future__ import annotations

CLASS_LABELS: dict[str, tuple[str, str]] = {
    "hot99": ("Hotspot 99 %", "Hot spot 99 %"),
    "hot95": ("Hotspot 95 %", "Hot spot 95 %"),
    "hot90": ("Hotspot 90 %", "Hot spot 90 %"),
    "ns": ("Inte signifikant", "Not significant"),
    "cold": ("Coldspot", "Cold spot"),
}

COMPARISON_LABELS: dict[str, tuple[str, str]] = {
    "previous": ("mot föregående lika lång period", "vs the previous equal period"),
    "last_year": ("mot samma period i fjol", "vs the same period last year"),
    "ytd": ("hittills i år mot samma tid i fjol", "year to date vs last year to date"),
    "28d": ("senaste 28 dagarna mot de 28 före", "last 28 days vs the 28 before"),
}

#: A change from a base of 0 has no percentage.
UNDEFINED_PCT = ("ej definierad (basen är 0)", "undefined (base is 0)")


def label(table: dict[str, tuple[str, str]], key: str, lang: str = "sv") -> str:
    sv, en = table[key]
    return en if lang == "en" else sv


def pct_text(pct: float | None, lang: str = "sv") -> str:
    """'−12,5 %' / '-12.5 %', or the words for an undefined percentage (never 'inf')."""
    if pct is None:
        return UNDEFINED_PCT[lang == "en"]
    text = f"{pct:+.1f} %"
    return text.replace(".", ",").replace("-", "−") if lang != "en" else text


__all__ = ["CLASS_LABELS", "COMPARISON_LABELS", "UNDEFINED_PCT", "label", "pct_text"]
