"""What an effect's numbers mean, and what they cannot prove, in plain Swedish or English."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .evaluate import PlaceEffect

#: Below this many reports at the place (before + after) the words warn about small numbers.
FEW_REPORTS = 20
#: |WDQ| below this: the buffer changed about as the control did (neither displacement nor diffusion).
WDQ_NEUTRAL = 0.1


def _num(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:.{decimals}f}".replace("-", "−")
    return text.replace(".", ",") if lang == "sv" else text


def _list(names: tuple[str, ...], lang: str) -> str:
    if not names:
        return "det valda jämförelseområdet" if lang == "sv" else "the chosen control area"
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + (" och " if lang == "sv" else " and ") + names[-1]
    return (f"resten av {joined}") if lang == "sv" else f"the rest of {joined}"


def effect_words(e: PlaceEffect, lang: str = "sv") -> str:
    from .evaluate import MIN_WINDOW_DAYS

    sv = lang != "en"
    name, start = e.place.label(lang), e.place.start.isoformat()
    if e.result is None and e.before is not None:
        control = _list(e.control_localities, lang)
        return (f"{name}, från {start}: {e.before} rapporter före och {e.after} efter, men inga i "
                f"jämförelseområdet ({control}) – utan jämförelse går effekten inte att uppskatta.") if sv else (
                f"{name}, from {start}: {e.before} reports before and {e.after} after, but none in the "
                f"control area ({control}) – without a comparison the effect cannot be estimated.")
    if e.result is None:
        return (f"{name}: inte utvärderad – för kort tid före eller efter starten {start} "
                f"({e.window_days} dagar; minst {MIN_WINDOW_DAYS} behövs för en jämförelse före och efter).") if sv else (
                f"{name}: not evaluated – too little time before or after the start {start} "
                f"({e.window_days} days; a before/after comparison needs at least {MIN_WINDOW_DAYS}).")
    r = e.result

    def span(first: dt.date) -> str:
        return f"{first.isoformat()} – {(first + dt.timedelta(days=e.window_days - 1)).isoformat()}"

    before_span, after_span = span(e.before_start), span(e.place.start)
    level = _num(100 * (1 - r.alpha), lang)
    ring = _num(e.buffer_m, lang)
    control = _list(e.control_localities, lang)
    if sv:
        parts = [f"{name}, från {start}: {e.before} rapporter före ({before_span}) och {e.after} "
                 f"efter ({after_span}). I jämförelseområdet ({control}) {e.control_before} före och "
                 f"{e.control_after} efter; i ringen {ring} m runt platsen {e.buffer_before} och {e.buffer_after}."]
        if r.estimate < 0:
            parts.append(f"Jämfört med jämförelseområdets utveckling blev det {_num(-r.estimate, lang)} rapporter "
                         f"färre än väntat (platsen och ringen tillsammans; {level} % konfidensintervall "
                         f"{_num(r.ci_low, lang)} till {_num(r.ci_high, lang)}).")
        elif r.estimate > 0:
            parts.append(f"Jämfört med jämförelseområdets utveckling blev det {_num(r.estimate, lang)} rapporter "
                         f"fler än väntat ({level} % konfidensintervall {_num(r.ci_low, lang)} till "
                         f"{_num(r.ci_high, lang)}).")
        else:
            parts.append("Antalet följde jämförelseområdets utveckling exakt.")
        if r.significant_reduction:
            parts.append("Minskningen är statistiskt säkerställd: hela intervallet ligger under noll.")
        elif r.significant_increase:
            parts.append("Ökningen är statistiskt säkerställd: hela intervallet ligger över noll.")
        else:
            parts.append("Intervallet rymmer noll: förändringen går inte att skilja från slumpens variation.")
        if e.wdq is None:
            parts.append("Förflyttning (WDQ) bedöms bara när platsen själv visar en minskning.")
        elif not r.significant_reduction:
            parts.append(f"WDQ {_num(e.wdq, lang, 2)} säger lite här, eftersom minskningen på platsen inte är säkerställd.")
        elif e.wdq > WDQ_NEUTRAL:
            parts.append(f"WDQ {_num(e.wdq, lang, 2)}: rapporterna minskade också i ringen runt platsen – "
                         "inga tecken på att problemet flyttade, snarare att nyttan spreds.")
        elif e.wdq < -WDQ_NEUTRAL:
            parts.append(f"WDQ {_num(e.wdq, lang, 2)}: rapporterna ökade i ringen runt platsen – en del kan ha flyttat dit.")
        else:
            parts.append(f"WDQ {_num(e.wdq, lang, 2)}: ringen runt platsen förändrades ungefär som jämförelseområdet.")
        if e.before + e.after < FEW_REPORTS:
            parts.append(f"Med så få rapporter ({e.before + e.after}) är osäkerheten stor och beräkningen grov.")
        parts.append("Siffrorna visar vad som hände efter starten, inte att insatsen var orsaken: platsen valdes för "
                     "att den hade problem, inte slumpvis, och annat kan ha ändrats samtidigt. Rapporter speglar "
                     "också hur många som väljer att rapportera.")
        return " ".join(parts)
    parts = [f"{name}, from {start}: {e.before} reports before ({before_span}) and {e.after} after "
             f"({after_span}). In the control area ({control}) {e.control_before} before and {e.control_after} "
             f"after; in the {ring} m ring around the place {e.buffer_before} and {e.buffer_after}."]
    if r.estimate < 0:
        parts.append(f"Against the control area's trend there were {_num(-r.estimate, lang)} fewer reports than "
                     f"expected (place and ring together; {level} % confidence interval {_num(r.ci_low, lang)} "
                     f"to {_num(r.ci_high, lang)}).")
    elif r.estimate > 0:
        parts.append(f"Against the control area's trend there were {_num(r.estimate, lang)} more reports than "
                     f"expected ({level} % confidence interval {_num(r.ci_low, lang)} to {_num(r.ci_high, lang)}).")
    else:
        parts.append("The count followed the control area's trend exactly.")
    if r.significant_reduction:
        parts.append("The reduction is statistically significant: the whole interval is below zero.")
    elif r.significant_increase:
        parts.append("The increase is statistically significant: the whole interval is above zero.")
    else:
        parts.append("The interval includes zero: the change cannot be told apart from chance.")
    if e.wdq is None:
        parts.append("Displacement (WDQ) is only assessed when the place itself shows a reduction.")
    elif not r.significant_reduction:
        parts.append(f"WDQ {_num(e.wdq, lang, 2)} says little here, as the reduction at the place is not significant.")
    elif e.wdq > WDQ_NEUTRAL:
        parts.append(f"WDQ {_num(e.wdq, lang, 2)}: reports fell in the ring around the place too – no sign that the "
                     "problem moved; rather, the benefit spread.")
    elif e.wdq < -WDQ_NEUTRAL:
        parts.append(f"WDQ {_num(e.wdq, lang, 2)}: reports rose in the ring around the place – some may have moved there.")
    else:
        parts.append(f"WDQ {_num(e.wdq, lang, 2)}: the ring around the place changed about as the control area did.")
    if e.before + e.after < FEW_REPORTS:
        parts.append(f"With so few reports ({e.before + e.after}) the uncertainty is large and the calculation rough.")
    parts.append("The numbers show what happened after the start, not that the activity caused it: the place was "
                 "chosen because it had problems, not at random, and other things may have changed at the same "
                 "time. Reports also reflect how many people choose to report.")
    return " ".join(parts)
