"""The promise on the screen: per focus area its wording, a card per commitment with a progress bar,
and the change in reports — a pure function of a `dashboard.promise.PromiseFollowUp` (texts here
are shared with the residents' page, `dashboard.uppfoljning`)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from dash import html

from layers.followup import CommitmentProgress
from layers.followup.compare import FocusAreaChange
from layers.followup.pace import piece_label

from .i18n import number, t
from .promise import AreaFollowUp, PromiseFollowUp, ReleaseTrend

CARD = "commitment-card"


def decimal(value: float, lang: str, decimals: int = 1) -> str:
    """1.5 → '1,5' (sv) / '1.5' (en); whole numbers without decimals; minus as '−'."""
    # Babel's decimal sign; '#' digits drop trailing zeros. Rounded from the float's exact value,
    # as Python's own format rounds.
    pattern = "0" + ("." + "#" * decimals if decimals else "")
    text = format_decimal(Decimal(float(value)), format=pattern, locale="en" if lang == "en" else "sv")
    return text.replace("-", "−")


def signed(value: float, lang: str, suffix: str = "") -> str:
    """'+5', '−32', '±0' with an optional suffix (' %')."""
    if value == 0:
        return "±0" + suffix
    return ("+" if value > 0 else "") + decimal(value, lang) + suffix


def change_text(change: int, pct: float | None, lang: str) -> str:
    """'−32, −22,7 %' (or just '−32' when last year had no reports)."""
    text = signed(change, lang)
    return text if pct is None else f"{text}, {signed(pct, lang, ' %')}"


def bar_percent(progress: CommitmentProgress) -> tuple[float, float]:
    """(done, expected by now) as percent of the target, each capped at 100 (for the bar)."""
    total = progress.total
    if total.target <= 0:
        return 0.0, 0.0
    return (round(min(100.0, 100.0 * total.done / total.target), 1),
            round(min(100.0, 100.0 * total.expected_by_now / total.target), 1))


def expected_text(progress: CommitmentProgress, lang: str) -> str:
    return t("expected_marker", lang, n=decimal(progress.total.expected_by_now, lang))


def periods_text(progress: CommitmentProgress, lang: str) -> str:
    """A recurring commitment's pieces: 'kvartal 1 2026: klart · kvartal 2 2026: efter · …' ('' if none)."""
    from layers.followup import status_label

    return " · ".join(f"{piece_label(p.key, lang)}: {status_label(p.status, lang)}" for p in progress.periods)


def trend_text(trend: FocusAreaChange | ReleaseTrend | None, lang: str) -> str:
    """The change in reports of one focus area, in words with exact numbers."""
    from .figures import block_label

    if trend is None:
        return t("trend_no_layers", lang)
    if isinstance(trend, ReleaseTrend):
        unit = t("unit_" + trend.kind, lang)
        if trend.current is None:
            return t("trend_release_none", lang, unit=unit)
        text = t("trend_release", lang, span=block_label(trend.current, lang), unit=unit,
                 n=number(trend.reports, lang))
        if trend.last_year is not None:
            text += "; " + t("trend_release_last_year", lang, span=block_label(trend.last_year, lang), unit=unit,
                             n=number(trend.reports_last_year, lang),
                             change=change_text(trend.change, trend.change_pct, lang))
        return text + "."
    text = t("trend_points", lang, start=trend.start.isoformat(), end=trend.end.isoformat(),
             n=number(trend.reports, lang))
    text += "; " + t("trend_last_year", lang, n=number(trend.reports_last_year, lang),
                     change=change_text(trend.change, trend.change_pct, lang))
    text += "; " + t("trend_previous", lang, n=number(trend.reports_previous, lang))
    return text + "."


def progress_bar(progress: CommitmentProgress, lang: str):
    done, expected = bar_percent(progress)
    total = progress.total
    return html.Div([
        html.Div(className="bar-done", style={"width": f"{done}%"}),
        html.Div(className="bar-expected", style={"left": f"{expected}%"}, title=expected_text(progress, lang)),
    ], className="bar", role="progressbar", **{
        "aria-valuemin": "0", "aria-valuemax": decimal(total.target, lang), "aria-valuenow": decimal(total.done, lang),
        "aria-label": progress.summary(lang)})


def card(progress: CommitmentProgress, lang: str, active: str | None = None):
    """One clickable commitment card (a button: keyboard and screen readers reach it)."""
    c = progress.commitment
    classes = f"card status-{progress.status}" + (" active" if c.id == active else "")
    periods = periods_text(progress, lang)
    return html.Button([
        html.Span(progress.summary(lang), className="card-count"),
        html.Span(c.text(lang), className="card-text"),
        progress_bar(progress, lang),
        html.Span(expected_text(progress, lang), className="card-expected"),
        html.Span(periods, className="card-periods") if periods else None,
    ], id={"type": CARD, "id": c.id}, n_clicks=0, className=classes, type="button",
        **{"aria-pressed": "true" if c.id == active else "false"})


def area_section(area: AreaFollowUp, lang: str, active: str | None = None):
    a = area.area
    cards = [card(p, lang, active) for p in area.commitments]
    return html.Section([
        html.H3([html.Span(className="swatch", style={"backgroundColor": a.color}), a.name(lang)]),
        html.Span(t("promise_public" if a.promise else "promise_bra", lang),
                  className="promise-kind " + ("public" if a.promise else "bra")),
        html.Div(cards, className="cards") if cards else html.P(t("promise_none", lang), className="hint"),
        html.P(trend_text(area.trend, lang), className="trend"),
    ], className="promise-area", id=f"promise-{a.id}")


def promise_children(follow_up: PromiseFollowUp, lang: str, active: str | None = None) -> list:
    """The promise panel's contents: title, period, hint, then each focus area."""
    head = [
        html.H2(t("promise_title", lang)),
        html.P(t("promise_at", lang, start=follow_up.period_start.isoformat(), end=follow_up.period_end.isoformat(),
                 at=follow_up.at.isoformat()), className="promise-at"),
    ]
    if not follow_up.areas:
        return [*head, html.P(t("promise_empty", lang), className="hint")]
    if any(a.commitments for a in follow_up.areas):
        head.append(html.P(t("promise_hint", lang), className="hint"))
    return [*head, html.Div([area_section(a, lang, active) for a in follow_up.areas], className="promise-areas")]


__all__ = ["CARD", "area_section", "bar_percent", "card", "change_text", "decimal", "periods_text",
           "promise_children", "signed", "trend_text"]
