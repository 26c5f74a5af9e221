"""The role's filtered frames per interaction: computed once, shared by every view (map,
charts, tables), re-read when the data file changes."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import fields, replace

import numpy as np
import pandas as pd

from geodata import place_names
from layers import StoreError, privacy
from layers.release_store import current_release
from layers.release_view import select

from .data import AppData
from .filters import (
    FilterState,
    activity_mask,
    commitment_of,
    focus_of,
    release_in_commitment,
    report_mask,
    selection_mask,
    time_range,
)
from .memo import SingleFlight
from .roles import RoleData, RoleFrames, place_activities, role_data

_FIELDS = tuple(f.name for f in fields(FilterState))


class Views:
    """Role-reduced, filtered frames per (state, role), computed once per interaction and
    shared by the map, chart and table callbacks. The role is the request's (dashboard.auth);
    outside a request (tests, benchmarks) the app's fixed role."""

    def __init__(self, data: AppData, today: Callable[[], dt.date], role: Callable[[], str],
                 settings: privacy.PrivacySettings | None = None, store=None, recheck_s: float = 2.0):
        self.data = data
        # A data file changed by someone else (a CLI import while the meeting runs) is
        # re-read on the next interaction; the check is one small query every few seconds.
        self.store = store
        self.recheck_s = recheck_s
        self._loaded_change = store.last_change() if store is not None else ""
        self._checked = time.monotonic()
        self.today = today
        self.role = role
        self.settings = settings or data.config.privacy or privacy.PrivacySettings()
        self._roles: dict[str, RoleData] = {}
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        # The map, charts, table and list callbacks of one interaction arrive together and ask
        # for the same view: one computes it, the others wait for its result (a cache miss
        # seen by four threads at once was a quarter of the server's CPU under load).
        self._views = SingleFlight(16)
        # Finished answers of the render callbacks: viewers with the same filters (every page
        # load shows the default view) get the same figures, built once per data revision.
        self._renders = SingleFlight(64)
        # The promise followed up per role and public view (dashboard.promise): a second or two
        # at 100 000 reports, so kept apart from the many filter answers that would evict it.
        self._follow_ups = SingleFlight(8)
        # Place names of all of a role's points, per language and detail: a view's rows take
        # theirs by position instead of naming every point again on each filter change.
        self._names = SingleFlight(16)
        #: Bumped by every reload; an edit puts it into the filters store to redraw everything.
        self.version = 0

    def reload(self, store) -> int:
        """Re-read the store after an edit or an upload: all roles' frames and cached views
        are rebuilt from the new data. Returns the new data revision."""
        from .data import load

        change = store.last_change()
        fresh = load(store, self.data.config)
        with self._lock:
            self.data = fresh
            self._loaded_change = change
            self._roles.clear()
            self.version += 1
            self._views.clear()
            self._renders.clear()
            self._follow_ups.clear()
            self._names.clear()
            return self.version

    def policy(self, role: str | None = None) -> privacy.Policy:
        return self.role_data(role or self.role()).policy

    def role_data(self, role: str) -> RoleData:
        today = self.today()
        with self._lock:
            share = self._roles.get(role)
            if share is not None and share.release is not None and today >= share.release.next_due:
                share = None  # a period closed while the server ran: the scheduled release is due
            if share is None:
                pol = privacy.policy(role, self.settings, self.data.config.layers)
                release = self._release(pol, today) if any(m == privacy.CELLS for m in pol.layers.values()) \
                    else None
                secret = self.store.order_secret if self.store is not None else privacy.UNKEYED
                share = self._roles[role] = role_data(self.data, pol, release, secret)
            return share

    def _release(self, pol: privacy.Policy, today: dt.date):
        """The role's current release: read from the data file, built there first when due."""
        if self.store is not None:
            return current_release(self.store, pol.role, today, reports=self.data.reports)
        from layers.release import build_release, release_rows

        kind = self.settings.period(pol.role)
        rows = release_rows(self.data.reports, pol, self.data.municipality.code, kind)
        return build_release(rows, pol, self.data.municipality.code, today, kind)

    def _compute(self, key: str, today: dt.date, role: str) -> RoleFrames:
        state = FilterState.from_dict(json.loads(key))
        share = self.role_data(role)
        pol = share.policy
        if pol.time_precision == privacy.MONTH:
            # Weekday and hour are unknown at month precision: their filters do not apply.
            state = replace(state, weekdays=tuple(range(7)), hours=(0, 23))
        chosen = commitment_of(state, self.data)
        modes = {pol.mode(lid) for lid, spec in self.data.config.layers.items()
                 if chosen is not None and spec.focus_area == chosen.focus_area}
        if modes == {privacy.HIDDEN}:
            # A focus area hidden for the role has no cards; a commitment of it named in the URL
            # must not pick its activities by their place.
            state = replace(state, commitment=None)
        points = share.points[report_mask(self.data, state, today, frame=share.points)]
        kommun = self.data.municipality.code
        release = shown_cells = None
        if share.release is not None:
            # Cells-mode layers: the release's whole layers (by their focus area: a row's own
            # focus_area could split a layer), whole blocks meeting the period, whole cells.
            config = self.data.config
            focus = focus_of(state, self.data)
            layers = tuple(lid for lid in state.layers if lid in share.release.layers
                           and config.layers[lid].focus_area in focus)
            release = select(share.release, layers, *time_range(state, self.data, today), kommun)
            # Pins may sit in every published cell, also outside a commitment's place.
            shown_cells = release.cells
            release = release_in_commitment(release, commitment_of(state, self.data))
            release = release.within(state.selection, kommun)
        # Activities are placed (pins in unshown cells go to the locality) before the
        # selection is applied, so a lasso cannot count a pin the map does not show there.
        activities = share.activities[activity_mask(self.data, state, today, with_selection=False,
                                                    frame=share.activities,
                                                    any_time_of_day=pol.time_precision == privacy.MONTH)]
        if shown_cells is not None:
            activities = place_activities(activities, shown_cells, pol, self.data)
        activities = activities[selection_mask(activities, state.selection, self.data)]
        return RoleFrames(policy=pol, points=points, release=release, activities=activities)

    def refresh_if_changed(self) -> bool:
        """Re-read the store when its data changed since it was loaded (checked at most every
        `recheck_s` seconds). Returns True when it re-read."""
        if self.store is None or time.monotonic() - self._checked < self.recheck_s:
            return False
        # One request re-reads; the others meanwhile answer from the data already loaded
        # (many viewers after one save must not each read the whole file).
        if not self._refreshing.acquire(blocking=False):
            return False
        try:
            self._checked = time.monotonic()
            if self.store.last_change() == self._loaded_change:
                return False
            self.reload(self.store)
            return True
        except StoreError as exc:
            # The file is locked longer than the wait, or left by a crash where this process
            # may not write: viewers keep the last data instead of an error; the next check retries.
            logging.getLogger(__name__).warning("data file not re-read: %s", exc)
            return False
        finally:
            self._refreshing.release()

    def follow_up(self, role: str | None = None, public_only: bool = False):
        """The promise followed up today for a role (`dashboard.promise`), once per role, day
        and data revision: it does not depend on the filters."""
        from .promise import follow_up_for_role

        self.refresh_if_changed()
        role, today = role or self.role(), self.today()
        share = self.role_data(role)
        key = ("follow-up", public_only, today, role, self.version)
        return self._follow_ups.get(key, lambda: follow_up_for_role(self.data.config, share, self.data.activities,
                                                                     today, public_only=public_only))

    def get(self, state: FilterState, role: str | None = None) -> RoleFrames:
        self.refresh_if_changed()
        key = self._key(state)
        today, role = self.today(), role or self.role()
        return self._views.get((key, today, role, self.version), lambda: self._compute(key, today, role))

    def point_names(self, frame: pd.DataFrame, lang: str, detail: bool = True, role: str | None = None) -> np.ndarray:
        """`geodata.place_names` of the rows of `frame`, a part of the role's points frame (its
        index: positions in it, as `_compute` selects them). The names of all the role's points
        are made once per role, language, detail and data revision; rows that are not the
        role's own (another frame) are named from their coordinates as before."""
        share = self.role_data(role or self.role())
        base = share.points
        kommun = self.data.municipality.code

        def direct():
            return place_names(frame["x"].to_numpy(), frame["y"].to_numpy(), kommun, lang, detail=detail)

        rows = frame.index.to_numpy()
        if not len(frame) or rows.dtype.kind not in "iu" or rows.min() < 0 or rows.max() >= len(base):
            return direct() if len(frame) else np.array([], dtype=object)
        bx, by = base["x"].to_numpy(), base["y"].to_numpy()
        # The same coordinates at those positions (a frame of another origin falls back).
        if not (np.array_equal(bx[rows], frame["x"].to_numpy(), equal_nan=True)
                and np.array_equal(by[rows], frame["y"].to_numpy(), equal_nan=True)):
            return direct()
        key = ("names", id(base), lang, detail, self.version)
        owner, names = self._names.get(key, lambda: (base, place_names(bx, by, kommun, lang, detail=detail)))
        return names[rows] if owner is base else direct()

    @staticmethod
    def _key(state: FilterState) -> str:
        # The fields as they are (json writes tuples as lists): asdict's deep copy cost 8x more,
        # and each interaction asks for keys a dozen times.
        return json.dumps({**{name: getattr(state, name) for name in _FIELDS}, "view": None}, sort_keys=True,
                          ensure_ascii=False)

    def render(self, name: str, state: FilterState, extra: tuple, build: Callable[[RoleFrames], object],
               role: str | None = None):
        """`build(frames)` for this view, or the same answer built before for the same filters,
        `extra` inputs, role, day and data revision (figures are pure functions of these)."""
        role = role or self.role()
        frames = self.get(state, role)
        key = (name, self._key(state), extra, self.today(), role, self.version)
        return self._renders.get(key, lambda: build(frames))


__all__ = ["Views"]
