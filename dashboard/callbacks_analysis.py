"""Callbacks of the analysis parts: the indicator cards (thin: read the filters, call
dashboard.analysis_view through the role's views, return what dashboard.analysis_layout draws)."""

from __future__ import annotations

from dash import Input, Output, no_update

from .analysis_layout import cards_children
from .analysis_view import indicator_cards
from .filters import FilterState
from .i18n import t
from .views import Views


def register_analysis(app, views: Views) -> None:
    """Wire the analysis callbacks on the app's one `Views` (every number from `Views.get`)."""

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


__all__ = ["register_analysis"]
