"""Layer: the promised activities by polis, kommun or both (gemensam), planned and done."""

from __future__ import annotations

from .messages import english, label
from .schema import ACTIVITY_STATUSES, ACTORS
from .spec import Style

ID = "aktivitet"
NAME_SV = "Aktiviteter"
NAME_EN = "Activities"

KINDS = (
    "närvaro/patrull", "hastighetskontroll", "trygghetsvandring", "informationsinsats",
    "narkotikainsats", "EST-möte", "övrigt",
)
# The labels live in the project's message catalogue (layers/messages, context "vocab").
KIND_EN = english("kind", KINDS)
#: Plural nouns per kind for counts on cards ("3 av 4 hastighetskontroller").
KIND_PLURAL = {lang: {kind: label("kind_plural", kind, lang) for kind in KINDS} for lang in ("sv", "en")}
ACTOR_EN = english("actor", ACTORS)
STATUS_EN = english("activity_status", ACTIVITY_STATUSES)

#: Activities are drawn larger with a dark outline so they stand apart from reports.
STYLE = Style(size=11, opacity=0.95, outline=True)

__all__ = [
    "ACTIVITY_STATUSES", "ACTORS", "ACTOR_EN", "ID", "KINDS", "KIND_EN", "KIND_PLURAL", "STATUS_EN", "STYLE",
]
