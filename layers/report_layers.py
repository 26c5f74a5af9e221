"""Every report layer the app knows, in drawing order: the layer modules' specs in one table.

Below `layers.config` and the privacy rules, which both read it (the configuration builds its
privacy settings from `layers.privacy`, so the table cannot live in the configuration).
"""

from __future__ import annotations

from . import hastighet, narkotika, otrygga_platser
from .spec import LayerSpec

#: Every report layer the app knows, in drawing order.
REPORT_LAYERS: dict[str, LayerSpec] = {
    spec.id: spec for spec in (otrygga_platser.LAYER, hastighet.LAYER, narkotika.LAYER)
}

__all__ = ["REPORT_LAYERS"]
