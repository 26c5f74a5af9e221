"""What an effect's numbers mean, and what they cannot prove, in plain Swedish or English."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..messages import IMPORT, format_number, template
from .effect import MIN_WINDOW_DAYS

if TYPE_CHECKING:
    from .evaluate import PlaceEffect

#: Below this many reports at the place (before + after) the words warn about small numbers.
FEW_REPORTS = 20
#: |WDQ| below this: the buffer changed about as the control did (neither displacement nor diffusion).
WDQ_NEUTRAL = 0.1


def _num(value: float, lang: str, decimals: int = 0) -> str:
    # Babel's decimal sign for the language; the typographic minus (−) as the effect texts always had.
    return format_number(value, lang, decimals, grouping=False).replace("-", "−")


def _list(names: tuple[str, ...], lang: str) -> str:
    if not names:
        return _t("words_control_chosen", lang)
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + _t("and", lang, IMPORT) + names[-1]
    return _t("words_rest_of", lang, names=joined)


def _t(key: str, lang: str, context: str | None = None, **values) -> str:
    return template(key, lang, context).format(**values)


def effect_words(e: PlaceEffect, lang: str = "sv") -> str:
    """One paragraph: the counts, the estimate and its interval, displacement (WDQ), and the caveat."""
    lang = "en" if lang == "en" else "sv"
    name, start = e.place.label(lang), e.place.start.isoformat()
    if e.result is None and e.before is not None:
        return _t("words_no_control", lang, name=name, start=start, before=e.before, after=e.after,
                 control=_list(e.control_localities, lang))
    if e.result is None:
        return _t("words_too_short", lang, name=name, start=start, days=e.window_days, min_days=MIN_WINDOW_DAYS)
    r = e.result

    def span(first: dt.date) -> str:
        return f"{first.isoformat()} – {(first + dt.timedelta(days=e.window_days - 1)).isoformat()}"

    interval = {"level": _num(100 * (1 - r.alpha), lang), "low": _num(r.ci_low, lang), "high": _num(r.ci_high, lang)}
    parts = [_t("words_counts", lang, name=name, start=start, before=e.before, after=e.after,
               before_span=span(e.before_start), after_span=span(e.place.start),
               control=_list(e.control_localities, lang), control_before=e.control_before,
               control_after=e.control_after, ring=_num(e.buffer_m, lang), buffer_before=e.buffer_before,
               buffer_after=e.buffer_after)]
    if r.estimate < 0:
        parts.append(_t("words_fewer", lang, n=_num(-r.estimate, lang), **interval))
    elif r.estimate > 0:
        parts.append(_t("words_more", lang, n=_num(r.estimate, lang), **interval))
    else:
        parts.append(_t("words_same", lang))
    if r.significant_reduction:
        parts.append(_t("words_reduction", lang))
    elif r.significant_increase:
        parts.append(_t("words_increase", lang))
    else:
        parts.append(_t("words_zero", lang))
    if e.wdq is None:
        parts.append(_t("words_wdq_none", lang))
    else:
        wdq = _num(e.wdq, lang, 2)
        if not r.significant_reduction:
            parts.append(_t("words_wdq_unsure", lang, wdq=wdq))
        elif e.wdq > WDQ_NEUTRAL:
            parts.append(_t("words_wdq_spread", lang, wdq=wdq))
        elif e.wdq < -WDQ_NEUTRAL:
            parts.append(_t("words_wdq_moved", lang, wdq=wdq))
        else:
            parts.append(_t("words_wdq_neutral", lang, wdq=wdq))
    if e.before + e.after < FEW_REPORTS:
        parts.append(_t("words_few", lang, n=e.before + e.after))
    parts.append(_t("words_caveat", lang))
    return " ".join(parts)
