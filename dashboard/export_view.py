"""What an export holds for a role: the role's view of the filtered rows (`layers.privacy`),
its release for cells layers, and the filter described in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers import privacy
from layers.imports.sources.polisen import is_approximate
from layers.messages import label as vocab
from layers.store import Query

from .i18n import t

ROLES = privacy.ROLES
FORMATS = ("html", "csv", "geojson", "gpkg")
CELL_M = privacy.DEFAULT_CELL_M
#: Layers with more points than this are clustered on the HTML map.
CLUSTER_FROM = 300
ROLE_SV = {role: names[0] for role, names in privacy.ROLE_NAMES.items()}


class ExportError(ValueError):
    """The export cannot be made as asked (unknown role or format, bad output path)."""


# -- roles: the rules live in layers.privacy ------------------------------------------------


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ExportError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


@dataclass
class RoleView:
    """What one role sees: the privacy module's views plus what the export left out."""

    view: privacy.ReportView  # points (lon/lat, truncated times, text only if allowed), cells
    activities: pd.DataFrame  # privacy.activities_view: lon/lat, truncated times
    approximate: int  # police-feed reports (approximate position) not drawn or counted
    hidden_layers: list[str] = field(default_factory=list)
    release: object = None  # layers.release_view.ReleaseSelection of the cells-mode layers

    @property
    def points(self) -> pd.DataFrame:
        return self.view.points

    @property
    def cells(self) -> pd.DataFrame:
        return self.view.cells


def role_view(reports: gpd.GeoDataFrame, activities: gpd.GeoDataFrame, store, role: str,
              keep_approximate: bool = False, release=None) -> RoleView:
    """The role's view (layers.privacy) of filtered store rows.

    Points-mode layers come from the rows; cells-mode layers only from the role's release
    (`release`, a layers.release_view.ReleaseSelection; the rows of those layers are not
    read), so an export holds exactly the published units the screen shows. Police-feed
    reports have only a municipality/locality position: they are never drawn as points on a
    map; in file exports for roles that see exact points (`keep_approximate`) they stay,
    marked by their `polisen-` id.
    """
    check_role(role)
    pol = privacy.policy(role, store.config.privacy, layers=store.config.layers)
    approx = is_approximate(reports["id"])
    modes = np.array([pol.mode(lid) for lid in reports["layer"]], dtype=object)
    points_mode = modes == privacy.POINTS
    keep = points_mode & (~approx | keep_approximate)
    dropped = int((approx & points_mode & ~keep).sum())
    view = privacy.role_view(reports[keep], pol, kommun=store.meta.kommun, secret=store.order_secret)
    if release is not None:
        view = replace(view, cells=release.cells, scattered=release.scattered)
    # The public still sees the promise's narcotics follow-up, but not where it happened
    # (privacy.activity_place_modes: an activity is placed as exactly as its focus area's tips).
    acts_view = privacy.activities_view(activities, pol, layers=store.config.layers, cells=view.cells,
                                        kommun=store.meta.kommun, secret=store.order_secret)
    hidden = [lid for lid, m in pol.layers.items() if m == privacy.HIDDEN]
    return RoleView(view, acts_view, dropped, hidden, release)


def release_for(store, role: str, query: Query, today: dt.date | None = None):
    """The role's release units for an export's query: whole layers (by --layer/--focus),
    whole published blocks meeting --from/--to; None for a role without cells-mode layers."""
    from layers.release_store import current_release
    from layers.release_view import select

    pol = privacy.policy(role, store.config.privacy, layers=store.config.layers)
    if not any(m == privacy.CELLS for m in pol.layers.values()):
        return None
    release = current_release(store, role, today or dt.date.today())
    layers = [lid for lid in release.layers
              if (query.layers is None or lid in query.layers)
              and (query.focus_areas is None or store.config.layers[lid].focus_area in query.focus_areas)]
    start = pd.Timestamp(query.start).date() if query.start is not None else None
    end = (pd.Timestamp(query.end) - pd.Timedelta(days=1)).date() if query.end is not None else None
    chosen = select(release, layers, start, end, store.meta.kommun)
    area = query.polygon
    if query.bbox is not None:
        box = shapely.box(*query.bbox)
        area = box if area is None else area.intersection(box)
    if area is not None and not area.is_empty:
        # Whole published cells whose centre lies in the area, as a lasso on the map takes them.
        coords = [list(c) for c in shapely.get_coordinates(shapely.get_exterior_ring(area.convex_hull
                                                                                     if area.geom_type != "Polygon"
                                                                                     else area))]
        chosen = chosen.within({"type": "polygon", "coords": coords}, store.meta.kommun)
    return chosen


# -- filter text ------------------------------------------------------------------------------


def role_name(role: str, lang: str = "sv") -> str:
    """The role as a reader names it ('BRÅ-möte (delad skärm)' / its English)."""
    return vocab("role", role, lang)


def _period(start: str | None, end: str | None, lang: str) -> str:
    if start is None and end is None:
        return t("exportfilter_all", lang)
    return t("exportfilter_period", lang, start=start or "…", end=end or "…")


def describe_filter(query: Query | None, config, role: str, lang: str = "sv") -> str:
    """'Lager: …; Fokusområden: …; Period: 2026-01-01 – 2026-06-30; Roll: …' for titles, in `lang`."""
    query = query or Query()
    parts = []
    if query.layers:
        parts.append(t("exportfilter_layers", lang, names=", ".join(
            config.layers[lid].name(lang) if lid in config.layers else lid for lid in query.layers)))
    if query.focus_areas:
        parts.append(t("exportfilter_focus", lang, names=", ".join(
            config.focus_areas[a].short(lang) if a in config.focus_areas else a for a in query.focus_areas)))
    start = _day(query.start) if query.start is not None else None
    end = None
    if query.end is not None:
        end_day = pd.Timestamp(query.end)
        # Query ends are exclusive: a whole day 'to' is shown as that day.
        if end_day == end_day.normalize():
            end_day -= pd.Timedelta(days=1)
        end = end_day.strftime("%Y-%m-%d")
    parts.append(_period(start, end, lang))
    parts.append(t("exportfilter_role", lang, role=role_name(role, lang)))
    return "; ".join(parts)


def describe_selection(focus_names: list[str], start, end, selection: dict | None, role: str,
                       lang: str = "sv") -> str:
    """The dashboard's filter in words for an export's title: focus areas, period, the map
    selection (an area, a locality, a cell) and the role."""
    parts = [t("exportfilter_focus", lang, names=", ".join(focus_names))]
    parts.append(_period(str(start) if start else None, str(end) if end else None, lang))
    if selection:
        parts.append(selection_words(selection, lang))
    parts.append(t("exportfilter_role", lang, role=role_name(role, lang)))
    return "; ".join(parts)


def selection_words(selection: dict, lang: str = "sv") -> str:
    """A map selection in words: 'Urval: markerat område', 'Urval: Vaggeryd', 'Urval: ruta 500mN…'."""
    kind = selection.get("type")
    if kind == "polygon":
        return t("exportfilter_selection_area", lang)
    if kind == "locality":
        return t("exportfilter_selection_locality", lang, name=selection.get("name"))
    if kind == "cell":
        return t("exportfilter_selection_cell", lang, id=selection.get("id"))
    return t("exportfilter_selection", lang)


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def release_text(release, lang: str = "sv") -> str:
    """'Rutlagren visar publicerade hela månader: 2025-01-01 t.o.m. 2026-11-30 (publicerat 2026-12-01).'"""
    unit = t(f"exportrelease_unit_{release.release.kind}", lang)
    built = str(release.release.built_at)[:10] or "–"
    if release.span is None or release.units.empty:
        return t("exportrelease_none", lang, unit=unit)
    first, after = release.span
    merged = t("exportrelease_merged", lang, unit=unit, k=release.release.k) if release.merged else ""
    since = "" if release.release.open_start(release.chosen_blocks[0]) else t("exportrelease_from", lang,
                                                                               day=first.isoformat())
    return t("exportrelease_shown", lang, unit=unit, since=since, last=(after - dt.timedelta(days=1)).isoformat(),
             merged=merged, built=built)
