"""The report's scope: which focus areas, layers and map selection of the page's filters it counts
(the "Skriv ut lägesbild" button's), checked like the filter store, and its words for the cover.
No scope (the CLI) is the whole municipality: every focus area and layer the role sees."""

from __future__ import annotations

from dataclasses import dataclass

from ..export_view import selection_words
from ..filters import ACTIVITY_LAYER, FilterState
from ..i18n import t


@dataclass(frozen=True)
class Scope:
    """What the page's filters narrow the report to; None: not narrowed."""

    focus_areas: tuple[str, ...] | None = None
    layers: tuple[str, ...] | None = None
    #: A map selection as the filter store holds it (polygon, locality or cell).
    selection: dict | None = None

    @property
    def whole(self) -> bool:
        return self.focus_areas is None and self.layers is None and not self.selection

    def to_dict(self) -> dict:
        return {"focus_areas": None if self.focus_areas is None else list(self.focus_areas),
                "layers": None if self.layers is None else list(self.layers), "selection": self.selection}

    @classmethod
    def from_dict(cls, value, data) -> Scope:
        """The scope a job's status holds (or a page sent): unknown focus areas and layers are
        dropped, a selection of the wrong shape is none (`FilterState.from_dict`'s checks)."""
        value = value if isinstance(value, dict) else {}
        checked = FilterState.from_dict({k: value[k] for k in ("focus_areas", "layers", "selection")
                                         if value.get(k) is not None})
        focus = tuple(f for f in checked.focus_areas if f in data.config.focus_areas)
        layers = tuple(lid for lid in checked.layers if lid in data.config.layers)
        return cls(focus if value.get("focus_areas") is not None else None,
                   layers if value.get("layers") is not None else None, checked.selection)


def scope_of(state: FilterState, data) -> Scope:
    """The page's filters as a report scope: a choice that names every focus area (or report
    layer) is no narrowing, so a page on its defaults makes the whole municipality's report."""
    cfg = data.config
    focus = tuple(f for f in state.focus_areas if f in cfg.focus_areas)
    layers = tuple(lid for lid in state.layers if lid in cfg.layers and lid != ACTIVITY_LAYER)
    return Scope(None if set(focus) >= set(cfg.focus_areas) else focus,
                 None if set(layers) >= set(cfg.layers) else layers, state.selection or None)


def scope_words(scope: Scope, data, lang: str, focus: tuple[str, ...], layers: tuple[str, ...]) -> list[str]:
    """The cover's lines on what the report counts: 'Fokusområden: Trafik', 'Lager: …', 'Urval:
    Vaggeryd'; the whole municipality in one line. `focus`/`layers`: what the report shows."""
    cfg = data.config
    if scope.whole:
        return [t("report_scope_all", lang)]
    out = []
    if scope.focus_areas is not None:
        out.append(t("exportfilter_focus", lang, names=", ".join(cfg.focus_areas[f].short(lang) for f in focus)))
    if scope.layers is not None:
        out.append(t("exportfilter_layers", lang, names=", ".join(cfg.layers[lid].name(lang) for lid in layers)))
    if scope.selection:
        out.append(selection_words(scope.selection, lang))
    return out


__all__ = ["Scope", "scope_of", "scope_words"]
