"""Text helpers every layer may use: values cut to a quotable length, Swedish genitives of place names.

Below the importer and the store's validation (both quote values from users' files in their
messages), so neither has to import the other for them.
"""

from __future__ import annotations

#: Longest value quoted in a message ("…" marks the cut).
QUOTE_LIMIT = 80


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


def genitive(name: str) -> str:
    """Swedish genitive of a place name: 'Vaggeryd' -> 'Vaggeryds', 'Borås' -> 'Borås'."""
    return name if name[-1:].lower() in ("s", "x", "z") else name + "s"


__all__ = ["QUOTE_LIMIT", "genitive", "shorten"]
