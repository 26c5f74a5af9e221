"""The page's analysis parts: the indicator cards' slot in the overview and how the cards are
drawn (numbers from dashboard.analysis_view), the hot-spot panel and its legend in words, and
the time playback's controls under the map."""

from __future__ import annotations

from dash import dcc, html

from . import gates
from .analysis_view import Card
from .figures.hotspots import CLASS_COLORS, LEGEND_ORDER, class_label
from .hotspot_view import HotspotView, hotspot_layers
from .i18n import number, t


def _text(key: str, lang: str, tag=html.Span, **kwargs):
    """A text the language switch rewrites (as dashboard.layout.T: the same id type)."""
    return tag(t(key, lang), id={"type": "txt", "key": key}, **kwargs)


def indicator_section(lang: str):
    """The slot the indicator cards are drawn into (dashboard.callbacks_analysis)."""
    # Focusable region: in presentation the cards scroll inside their box, and a scrolling box a
    # keyboard cannot reach fails WCAG 2.1.1 (axe: scrollable-region-focusable).
    return html.Div(id="indicator-cards", className="indicators", tabIndex="0", role="region",
                    **{"aria-live": "polite", "aria-labelledby": "ind-title"}, **gates.attributes("indicator-cards"))


def cards_children(cards: list[Card], lang: str, note: str | None = None) -> list:
    """The cards as HTML: a heading per focus area, its sentence, then one per layer. Every
    text is a plain string child (React escapes it)."""
    head = [html.H3(t("ind_title", lang), id="ind-title"), html.P(t("ind_lead", lang), className="hint")]
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


def layer_choices(data, lang: str, policy) -> list[dict]:
    layers = hotspot_layers(data, policy) if policy is not None else list(data.config.layers)
    return [{"label": data.config.layers[lid].name(lang), "value": lid} for lid in layers]


def hotspot_section(data, lang: str, policy):
    """The hot-spot panel: a layer to analyse, the map by Gi* class, its legend and what is tested.
    Closed until asked for (in presentation its tab opens it): Gi* and the figure cost every
    viewer ~0.1 s per filter change, so the callback computes only while it is open."""
    choices = layer_choices(data, lang, policy)
    return html.Details([
        html.Summary(_text("hsmap_title", lang, tag=html.H3, className="hs-title"), id="hotspot-summary", n_clicks=0),
        html.Div([
            html.Div([
                html.Label(_text("hsmap_layer", lang), htmlFor="hs-layer", id="hs-layer-label"),
                dcc.Dropdown(id="hs-layer", options=choices, value=choices[0]["value"] if choices else None,
                             clearable=False, className="dropdown"),
            ], className="field"),
            dcc.Graph(id="hotspot-map", className="map hotspot-map",
                      config={"scrollZoom": True, "displaylogo": False, "modeBarButtonsToRemove": ["toImage"]}),
            html.Ul(id="hotspot-legend", className="hotspot-legend"),
            html.P(id="hotspot-note", className="hint"),
            dcc.Store(id=gates.filters_for("hotspot-map")),  # the filters while open (dashboard.gates)
        ], className="hs-body"),
    ], id="hotspot-panel", open=False, className="chart hotspots wide")


def legend_children(view: HotspotView, lang: str) -> list:
    """Every class in words with its colour and how many cells have it."""
    counts = view.cells["class"].value_counts()
    items = []
    for name in LEGEND_ORDER:
        swatch = html.Span(className="swatch" + ("" if name in CLASS_COLORS else " ring"),
                           style={"backgroundColor": CLASS_COLORS[name]} if name in CLASS_COLORS else None)
        n = int(counts.get(name, 0))
        items.append(html.Li([swatch, t("hsmap_legend_item", lang, label=class_label(name, lang),
                                        n=number(n, lang))], **{"data-class": name}))
    return items


def hotspot_note(view: HotspotView, lang: str) -> str:
    """What is tested, and from what, in words."""
    text = t("hsmap_note", lang, size=view.cell_m, n=number(len(view.cells), lang), reports=number(view.reports, lang))
    if view.source == "release":
        text += " " + t("hsmap_note_release", lang, k=view.k)
    return text


#: Milliseconds between playback steps: time to look at each map (a step waits for the filters).
PLAY_MS = 2500


def playback_controls(lang: str):
    """Play/pause, step (week or month), cumulative, and where the playback is; the interval is
    off unless playing (dashboard.callbacks_analysis)."""
    return html.Div([
        html.Button([_text("play_play", lang, className="when-paused"),
                     _text("play_pause", lang, className="when-playing")],
                    id="play-btn", n_clicks=0, className="btn play-btn", type="button"),
        html.Span(_text("play_step", lang), id="play-step-label", className="play-label"),
        dcc.RadioItems(id="play-step", options=step_options(lang), value="month", inline=True,
                       className="radios inline"),
        dcc.Checklist(id="play-cumulative", options=[{"label": t("play_cumulative", lang), "value": "on"}],
                      value=[], inline=True),
        html.Span(id="play-status", className="play-status", role="status"),
        dcc.Interval(id="play-tick", interval=PLAY_MS, disabled=True),
        dcc.Store(id="play-state", storage_type="memory"),
    ], id="playback", className="playback", role="group", **{"aria-labelledby": "play-step-label"})


def step_options(lang: str) -> list[dict]:
    return [{"label": t("play_week", lang), "value": "week"}, {"label": t("play_month", lang), "value": "month"}]


__all__ = ["PLAY_MS", "cards_children", "playback_controls", "step_options", "hotspot_note", "hotspot_section", "indicator_section", "layer_choices",
           "legend_children"]
