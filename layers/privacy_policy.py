"""The role policy: vocabularies, settings (k, cell size, layer modes, periods) and each role's `policy`.

The role table itself is in the docstring of `layers.privacy`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from geodata import DEFAULT_CELL_M
from geodata.grid import check_cell_size

from .messages import label
from .report_layers import REPORT_LAYERS
from .spec import LayerSpec

# -- vocabularies ------------------------------------------------------------------------

POLIS, BRA, ALLMANHET, ADMIN = "polis", "bra", "allmanhet", "admin"
#: Issue 14: municipal staff who moderate residents' and EST reports, and EST reporters.
MODERATOR, RAPPORTOR = "moderator", "rapportor"
ROLES = (POLIS, BRA, ALLMANHET, ADMIN, MODERATOR, RAPPORTOR)

POINTS, CELLS, HIDDEN = "points", "cells", "hidden"
MODES = (POINTS, CELLS, HIDDEN)
#: Strictness order: a larger number shows less.
_STRICTNESS = {POINTS: 0, CELLS: 1, HIDDEN: 2}

EXACT, HOUR, MONTH = "exact", "hour", "month"
PRECISIONS = (EXACT, HOUR, MONTH)
#: A larger number is a coarser time.
_COARSENESS = {EXACT: 0, HOUR: 1, MONTH: 2}

DEFAULT_K = 5
#: The order key for frames not tied to a data file (tests); a store has its own (`order_secret`).
UNKEYED = "trygghetskarta.."
#: Fixed calendar bins of a release (layers.release), per role; finer than a month never.
PERIODS = ("month", "quarter", "year")
DEFAULT_PERIODS: Mapping[str, str] = MappingProxyType({"bra": "month", "allmanhet": "quarter"})
#: A smaller k would make the threshold meaningless (a cell of 1 or 2 points at a home).
MIN_K = 3
TIMEZONE = "Europe/Stockholm"

#: (Swedish, English) per role, from the message catalogue (layers/messages, context "vocab").
ROLE_NAMES = {role: (label("role", role, "sv"), label("role", role, "en")) for role in ROLES}

#: Report columns that may leave the server for a points-mode layer, besides coordinates.
POINT_COLUMNS = (
    "id", "layer", "focus_area", "occurred_at", "reported_at", "category", "source", "status",
)
FREE_TEXT_COLUMNS = ("description",)
REPORT_TIME_COLUMNS = ("occurred_at", "reported_at")
ACTIVITY_TIME_COLUMNS = ("planned_at", "done_at")
ACTIVITY_COLUMNS_OUT = (
    "id", "focus_area", "actor", "kind", "planned_at", "done_at", "status", "duration_min",
)


class PrivacyError(ValueError):
    """An unknown role, a bad setting or a policy that would show too much."""


# -- settings and policy -----------------------------------------------------------------

@dataclass(frozen=True)
class RoleRule:
    """One row of the role table, stated per sensitivity class."""

    sensitive: str  # mode for layers with LayerSpec.sensitive
    other: str  # mode for every other layer
    free_text: bool
    time_precision: str
    manage_users: bool = False
    manage_data: bool = False


DEFAULT_RULES: Mapping[str, RoleRule] = MappingProxyType({
    POLIS: RoleRule(sensitive=POINTS, other=POINTS, free_text=True, time_precision=EXACT),
    BRA: RoleRule(sensitive=CELLS, other=POINTS, free_text=False, time_precision=HOUR),
    ALLMANHET: RoleRule(sensitive=HIDDEN, other=CELLS, free_text=False, time_precision=MONTH),
    ADMIN: RoleRule(sensitive=POINTS, other=POINTS, free_text=True, time_precision=EXACT,
                    manage_users=True, manage_data=True),
    # Moderates residents' text and places, so sees them exactly; narcotics tips are police matters.
    MODERATOR: RoleRule(sensitive=HIDDEN, other=POINTS, free_text=True, time_precision=EXACT),
    # An EST reporter gets no dashboard numbers at all: only their own reports, on /est.
    RAPPORTOR: RoleRule(sensitive=HIDDEN, other=HIDDEN, free_text=False, time_precision=MONTH),
})

#: Roles that may see exact sensitive points and free text at all.
EXACT_ROLES = frozenset({POLIS, ADMIN})


@dataclass(frozen=True)
class PrivacySettings:
    """The configurable numbers: k (minimum count) and the cell size in metres.

    `layer_modes` optionally overrides the mode of single layers per role, e.g.
    ``{"bra": {"hastighet": "cells"}}``; for roles other than polis/admin a sensitive
    layer can never be set to points.
    """

    k: int = DEFAULT_K
    cell_m: int = DEFAULT_CELL_M
    layer_modes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: The release's calendar bin per role ([privacy.period]); roles not named get a month.
    periods: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PERIODS))

    def __post_init__(self):
        if isinstance(self.k, bool) or int(self.k) != self.k or self.k < MIN_K:
            raise PrivacyError(
                f"k (minimum count) must be a whole number ≥ {MIN_K}, got {self.k!r}"
            )
        try:
            check_cell_size(self.cell_m)
        except (TypeError, ValueError) as exc:
            raise PrivacyError(str(exc)) from None
        for role, modes in self.layer_modes.items():
            _check_role(role)
            for layer, mode in modes.items():
                if mode not in MODES:
                    raise PrivacyError(
                        f"privacy.layer_modes.{role}.{layer}: {mode!r} "
                        f"is not one of {', '.join(MODES)}"
                    )
        for role, period in self.periods.items():
            _check_role(role)
            if period not in PERIODS:
                raise PrivacyError(f"privacy.period.{role}: {period!r} is not one of {', '.join(PERIODS)}")
        _one_release_per_layer(self)

    def period(self, role: str) -> str:
        """The release's calendar bin for a role: 'month' | 'quarter' | 'year'."""
        return self.periods.get(role, "month")

    @classmethod
    def from_mapping(cls, data: Mapping | None) -> PrivacySettings:
        """From a `[privacy]` TOML table: k, cell_m, [privacy.layer_modes.ROLE], [privacy.period]."""
        data = dict(data or {})
        unknown = set(data) - {"k", "cell_m", "layer_modes", "period"}
        if unknown:
            raise PrivacyError(f"privacy: unknown setting(s) {', '.join(sorted(unknown))}")
        return cls(
            k=data.get("k", DEFAULT_K),
            cell_m=data.get("cell_m", DEFAULT_CELL_M),
            layer_modes={r: dict(m) for r, m in dict(data.get("layer_modes", {})).items()},
            periods={**DEFAULT_PERIODS, **dict(data.get("period", {}))},
        )

    def to_mapping(self) -> dict:
        """The settings as plain data (stored as JSON in the data file; from_mapping reads it)."""
        return {"k": int(self.k), "cell_m": int(self.cell_m),
                "layer_modes": {r: dict(m) for r, m in sorted(self.layer_modes.items())},
                "period": dict(sorted(self.periods.items()))}


@dataclass(frozen=True)
class Policy:
    """What one role sees: a mode per layer, free text, time precision, management rights."""

    role: str
    layers: Mapping[str, str]
    free_text: bool
    time_precision: str
    manage_users: bool
    manage_data: bool
    k: int
    cell_m: int

    def mode(self, layer_id: str) -> str:
        """'points' | 'cells' | 'hidden'; an unknown layer is treated as sensitive."""
        found = self.layers.get(layer_id)
        return found if found is not None else DEFAULT_RULES[self.role].sensitive

    @property
    def exact(self) -> bool:
        """True when nothing is reduced for this role (polis, admin)."""
        return self.free_text and self.time_precision == EXACT and all(
            m == POINTS for m in self.layers.values()
        )

    def visible_layers(self) -> tuple[str, ...]:
        return tuple(lid for lid, m in self.layers.items() if m != HIDDEN)

    def name(self, lang: str = "sv") -> str:
        sv, en = ROLE_NAMES[self.role]
        return en if lang == "en" else sv


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise PrivacyError(f"unknown role {role!r}; known roles: {', '.join(ROLES)}")
    return role


def _one_release_per_layer(settings: PrivacySettings) -> None:
    """A layer may be cells-mode for one role only: two roles' releases of one layer (other
    periods, other merges, built on other days) could be subtracted from each other, and a
    BRÅ member also sees the public view."""
    seen: dict[str, str] = {}
    for role in ROLES:
        rule = DEFAULT_RULES[role]
        for lid, spec in REPORT_LAYERS.items():
            mode = settings.layer_modes.get(role, {}).get(lid, rule.sensitive if spec.sensitive else rule.other)
            if mode != CELLS:
                continue
            if lid in seen:
                raise PrivacyError(
                    f"privacy.layer_modes: the layer {lid} is shown as cells to both {seen[lid]} and {role}; two "
                    f"releases of one layer could be compared to learn counts below k. Show it as cells to one "
                    f"role and as points or hidden to the other (e.g. layer_modes.{role}.{lid} = \"hidden\")")
            seen[lid] = role


def policy(
    role: str,
    settings: PrivacySettings | None = None,
    layers: Mapping[str, LayerSpec] | None = None,
) -> Policy:
    """The policy for a role: per layer 'points' | 'cells' | 'hidden', free text, time precision."""
    _check_role(role)
    settings = settings or PrivacySettings()
    layers = REPORT_LAYERS if layers is None else layers
    rule = DEFAULT_RULES[role]
    overrides = settings.layer_modes.get(role, {})
    modes: dict[str, str] = {}
    for lid, spec in layers.items():
        mode = rule.sensitive if spec.sensitive else rule.other
        if lid in overrides:
            mode = overrides[lid]
            if spec.sensitive and mode == POINTS and role not in EXACT_ROLES:
                raise PrivacyError(
                    f"privacy.layer_modes.{role}.{lid}: the sensitive layer {lid} cannot be shown "
                    f"as points to the role {role}"
                )
        modes[lid] = mode
    return Policy(
        role=role,
        layers=MappingProxyType(modes),
        free_text=rule.free_text,
        time_precision=rule.time_precision,
        manage_users=rule.manage_users,
        manage_data=rule.manage_data,
        k=int(settings.k),
        cell_m=int(settings.cell_m),
    )


def covers(wide: Policy, narrow: Policy) -> bool:
    """True when `wide` shows at least everything `narrow` shows, field by field (every layer's
    mode, free text, time precision, management rights)."""
    return (
        all(_STRICTNESS[wide.mode(lid)] <= _STRICTNESS[narrow.mode(lid)] for lid in {*wide.layers, *narrow.layers})
        and (wide.free_text or not narrow.free_text)
        and _COARSENESS[wide.time_precision] <= _COARSENESS[narrow.time_precision]
        and (wide.manage_users or not narrow.manage_users)
        and (wide.manage_data or not narrow.manage_data)
    )


def policy_meet(a: Policy, b: Policy) -> Policy:
    """The strictest of two policies per field: per layer the stricter mode, free text only if
    both have it, the coarser time, management only if both may. Its `role` is `role_meet`'s."""
    modes = {lid: max(a.mode(lid), b.mode(lid), key=_STRICTNESS.__getitem__) for lid in {*a.layers, *b.layers}}
    return Policy(
        role=role_meet(a.role, b.role),
        layers=MappingProxyType({lid: modes[lid] for lid in sorted(modes)}),
        free_text=a.free_text and b.free_text,
        time_precision=max(a.time_precision, b.time_precision, key=_COARSENESS.__getitem__),
        manage_users=a.manage_users and b.manage_users,
        manage_data=a.manage_data and b.manage_data,
        k=max(a.k, b.k),
        cell_m=max(a.cell_m, b.cell_m),
    )


def role_meet(a: str, b: str) -> str:
    """The role a session of role `a` gets under a ceiling `b` (or the other way round): the
    widest named role that shows nothing either of them does not (`covers`), by the default role
    table. The roles are not a line — a moderator sees residents' text exactly but no narcotics,
    bra sees narcotics as cells but no text — so moderator under bra is allmanhet, the widest
    role below both."""
    pa, pb = policy(a), policy(b)
    if covers(pb, pa):
        return a
    if covers(pa, pb):
        return b
    below = [r for r in ROLES if covers(pa, policy(r)) and covers(pb, policy(r))]
    # The widest of those: the one covering all others (the role table has one; rapportor is below all).
    for role in below:
        if all(covers(policy(role), policy(other)) for other in below):
            return role
    return RAPPORTOR


def role_table(settings: PrivacySettings | None = None, lang: str = "sv") -> pd.DataFrame:
    """The role table as a frame (rows: roles; columns: layers, free text, time), for docs/UI."""
    rows = []
    for role in ROLES:
        pol = policy(role, settings)
        row = {"role": role}
        row.update({REPORT_LAYERS[lid].name(lang): m for lid, m in pol.layers.items()})
        row["free_text"] = pol.free_text
        row["time_precision"] = pol.time_precision
        rows.append(row)
    return pd.DataFrame(rows)

