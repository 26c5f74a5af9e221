"""Callbacks of the analysis parts: the indicator cards and the hot-spot map (thin: read the
filters, compute through the role's views, return what dashboard.analysis_layout draws)."""

from __future__ import annotations

import json

from dash import Input, Output, no_update

from .analysis_layout import cards_children, hotspot_note, layer_choices, legend_children
from .analysis_view import indicator_cards
from .figures.base import empty_figure
from .figures.hotspots import hotspot_figure
from .filters import FilterState
from .hotspot_view import hotspot_state, hotspot_view
from .i18n import t
from .memo import SingleFlight
from .views import Views

#: Filter fields that change no count (language, screen mode, map view): not part of the hot spots' key.
_NOT_COUNTED = ("lang", "present", "mode", "view")


def register_analysis(app, views: Views) -> None:
    """Wire the analysis callbacks on the app's one `Views` (every count from `Views.get`)."""

    @app.callback(Output("indicator-cards", "children"), Input("filters", "data"))
    def render_indicators(filters_data):
        if not filters_data:
            return no_update
        state = FilterState.from_dict(filters_data)
        role = views.role()

        def build(_frames):
            cards = indicator_cards(lambda s: views.get(s, role), state, views.data, views.today())
            note = t("ind_commitment", state.lang) if state.commitment else None
            return cards_children(cards, state.lang, note)

        return views.render("indicators", state, (), build, role=role)

    # Gi* per role, filters, day and data revision, shared by both languages (~0.2 s each).
    hotspots = SingleFlight(16)

    @app.callback(Output("hotspot-map", "figure"), Output("hotspot-legend", "children"),
                  Output("hotspot-note", "children"), Output("hs-layer", "options"),
                  Input("filters", "data"), Input("hs-layer", "value"))
    def render_hotspots(filters_data, layer):
        if not filters_data:
            return no_update, no_update, no_update, no_update
        state = FilterState.from_dict(filters_data)
        lang, role, data = state.lang, views.role(), views.data
        pol = views.policy(role)
        choices = layer_choices(data, lang, pol)
        if layer not in {c["value"] for c in choices}:
            # A layer the role may not see (or none chosen): its first visible one, never the asked.
            layer = choices[0]["value"] if choices else None
        if layer is None:
            return empty_figure(t("hsmap_none", lang), state.present), [], "", choices
        chosen = hotspot_state(state, layer, data)
        counted = {k: v for k, v in chosen.to_dict().items() if k not in _NOT_COUNTED}
        key = (json.dumps(counted, sort_keys=True, ensure_ascii=False), views.today(), role, views.version)
        view = hotspots.get(key, lambda: hotspot_view(views.get(chosen, role), layer, data))
        if view is None:
            return empty_figure(t("hsmap_none", lang), state.present), [], "", choices
        figure = hotspot_figure(view.cells, view.cell_m, data, lang, big=state.present, k=view.k)
        return figure, legend_children(view, lang), hotspot_note(view, lang), choices


__all__ = ["register_analysis"]
