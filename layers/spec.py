"""What a layer module declares: its id, names, vocabulary, focus area, style and sensitivity."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Style:
    """How a layer is drawn: colour falls back to the focus area's; size in pixels."""

    size: int = 9
    opacity: float = 0.75
    symbol: str = "circle"  # MapLibre only draws circles offline; other symbols need web sprites
    outline: bool = False


@dataclass(frozen=True)
class LayerSpec:
    """A report layer: one kind of citizen or staff report shown on the map."""

    id: str
    name_sv: str
    name_en: str
    focus_area: str
    categories: tuple[str, ...]
    category_en: dict[str, str] = field(default_factory=dict)
    style: Style = Style()
    #: Sensitive layers (narcotics tips) are shown only as aggregated cells to shared screens.
    sensitive: bool = False

    def name(self, lang: str = "sv") -> str:
        return self.name_en if lang == "en" else self.name_sv

    def category_label(self, category: str, lang: str = "sv") -> str:
        return self.category_en.get(category, category) if lang == "en" else category
