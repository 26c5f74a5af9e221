"""The medborgarlöfte configuration: focus areas (names, colours, layers fed, promise or not), the
period and the promised commitments (`layers.commitment`)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from .commitment import Commitment, CommitmentError, parse_commitments
from .report_layers import REPORT_LAYERS
from .spec import LayerSpec

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


class ConfigError(ValueError):
    """The configuration file is unreadable or has a bad value (message names the key)."""


@dataclass(frozen=True)
class FocusArea:
    id: str
    name_sv: str
    name_en: str
    short_sv: str
    short_en: str
    color: str
    layers: tuple[str, ...]
    #: Whether the area is lifted out as a public promise to residents (else followed up in BRÅ only).
    promise: bool = True

    def name(self, lang: str = "sv") -> str:
        return self.name_en if lang == "en" else self.name_sv

    def short(self, lang: str = "sv") -> str:
        return self.short_en if lang == "en" else self.short_sv


@dataclass(frozen=True)
class PromiseConfig:
    """Focus areas in order, report layers bound to them, and the promise period."""

    focus_areas: dict[str, FocusArea]
    layers: dict[str, LayerSpec]
    kommun: str
    police_area: str
    period_start: dt.date
    period_end: dt.date
    source: str
    #: layers.privacy.PrivacySettings: a store replaces it with the data file's settings.
    privacy: object = None
    #: Whether the TOML had a [privacy] table (then it must agree with the data file's).
    privacy_given: bool = False
    #: The promised commitments ([[commitment]]), in file order.
    commitments: tuple[Commitment, ...] = ()

    def color(self, focus_area: str) -> str:
        area = self.focus_areas.get(focus_area)
        return area.color if area else "#777777"

    def commitment(self, commitment_id: str) -> Commitment | None:
        return next((c for c in self.commitments if c.id == commitment_id), None)

    def promise_areas(self) -> list[FocusArea]:
        """The focus areas that are public promises (what the residents' page shows), in order."""
        return [a for a in self.focus_areas.values() if a.promise]


def load_config(path: str | Path | None = None, today: dt.date | None = None) -> PromiseConfig:
    """Read a focus-area TOML file (default: the packaged Vaggeryd promise)."""
    if path is None:
        text = resources.files("layers").joinpath("focus_areas.toml").read_text(encoding="utf-8")
        source = "built-in (Vaggeryd)"
        base_dir = Path(str(resources.files("layers")))
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        source = str(path)
        base_dir = Path(path).parent
    return loads_config(text, source, today, base_dir)


def loads_config(
    text: str, source: str = "config text", today: dt.date | None = None, base_dir: Path | None = None,
) -> PromiseConfig:
    """Parse promise TOML text (e.g. a promise stored in a data file); `base_dir` resolves `area` paths."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    return _parse(data, source, today or dt.date.today(), base_dir)


def _parse(data: dict, source: str, today: dt.date, base_dir: Path | None = None) -> PromiseConfig:
    raw_areas = data.get("focus_area")
    if not isinstance(raw_areas, list) or not raw_areas:
        raise ConfigError(f"{source}: needs at least one [[focus_area]] table")
    areas: dict[str, FocusArea] = {}
    layer_area: dict[str, str] = {}
    for n, raw in enumerate(raw_areas, start=1):
        where = f"{source}: focus_area #{n}"
        for key in ("id", "name_sv", "color"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ConfigError(f"{where}: '{key}' is required text")
        area_id = raw["id"]
        if area_id in areas:
            raise ConfigError(f"{where}: id {area_id!r} is used twice")
        if not _COLOR.match(raw["color"]):
            raise ConfigError(f"{where}: color {raw['color']!r} must look like #E69F00")
        is_promise = raw.get("promise", True)
        if not isinstance(is_promise, bool):
            raise ConfigError(f"{where}: promise = {is_promise!r} must be true or false")
        layers = tuple(raw.get("layers", ()))
        for layer in layers:
            if layer not in REPORT_LAYERS:
                raise ConfigError(
                    f"{where}: unknown layer {layer!r}; known: {', '.join(REPORT_LAYERS)}"
                )
            if layer in layer_area:
                raise ConfigError(f"{where}: layer {layer!r} already feeds {layer_area[layer]!r}")
            layer_area[layer] = area_id
        areas[area_id] = FocusArea(
            id=area_id,
            name_sv=raw["name_sv"],
            name_en=raw.get("name_en", raw["name_sv"]),
            short_sv=raw.get("short_sv", raw["name_sv"]),
            short_en=raw.get("short_en", raw.get("name_en", raw["name_sv"])),
            color=raw["color"],
            layers=layers,
            promise=is_promise,
        )
    # A layer not named by any area still needs a home: the first area.
    first = next(iter(areas))
    layers = {
        lid: replace(spec, focus_area=layer_area.get(lid, first)) for lid, spec in REPORT_LAYERS.items()
    }
    promise = data.get("promise", {})
    start = _date(promise.get("start"), f"{source}: promise.start") or dt.date(today.year, 1, 1)
    end = _date(promise.get("end"), f"{source}: promise.end") or dt.date(today.year, 12, 31)
    if end < start:
        raise ConfigError(f"{source}: promise.end {end} is before promise.start {start}")
    from .privacy import PrivacyError, PrivacySettings

    try:
        privacy = PrivacySettings.from_mapping(data.get("privacy"))
    except (PrivacyError, TypeError) as exc:
        raise ConfigError(f"{source}: {exc}") from None
    kommun = str(promise.get("kommun", "0665"))
    try:
        commitments = parse_commitments(
            data.get("commitment"), focus_areas=areas, period=(start, end), kommun=kommun, base_dir=base_dir)
    except CommitmentError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return PromiseConfig(
        commitments=commitments,
        privacy=privacy,
        privacy_given="privacy" in data,
        focus_areas=areas,
        layers=layers,
        kommun=kommun,
        police_area=str(promise.get("police_area", "")),
        period_start=start,
        period_end=end,
        source=source,
    )


def _date(value, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date like 2026-01-31") from None
