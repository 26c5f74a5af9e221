"""The page's analysis parts: the indicator cards' slot in the overview, and how the cards are
drawn as HTML (the numbers come from dashboard.analysis_view)."""

from __future__ import annotations

from dash import html

from .analysis_view import Card
from .i18n import t


def indicator_section(lang: str):
    """The slot the indicator cards are drawn into (dashboard.callbacks_analysis)."""
    return html.Div(id="indicator-cards", className="indicators", **{"aria-live": "polite"})


def cards_children(cards: list[Card], lang: str, note: str | None = None) -> list:
    """The cards as HTML: a heading per focus area, its sentence, then one per layer. Every
    text is a plain string child (React escapes it)."""
    head = [html.H3(t("ind_title", lang)), html.P(t("ind_lead", lang), className="hint")]
    if note:
        head.append(html.P(note, className="hint"))
    if not cards:
        return [*head, html.P(t("ind_none", lang), className="empty")]
    out = []
    for card in cards:
        lines = [html.P(card.total.main, className="ind-main")]
        if card.total.more:
            lines.append(html.P(card.total.more, className="ind-more"))
        for line in card.layers:
            lines.append(html.P(line.main, className="ind-layer"))
            if line.more:
                lines.append(html.P(line.more, className="ind-more"))
        out.append(html.Div([html.H4(card.title), *lines], className="ind-card",
                            id={"type": "ind-card", "id": card.focus_area},
                            style={"borderLeftColor": card.color}))
    return [*head, html.Div(out, className="ind-cards")]


__all__ = ["cards_children", "indicator_section"]
