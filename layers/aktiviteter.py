"""Layer: the promised activities by polis, kommun or both (gemensam), planned and done."""

from __future__ import annotations

from .schema import ACTIVITY_STATUSES, ACTORS
from .spec import Style

ID = "aktivitet"
NAME_SV = "Aktiviteter"
NAME_EN = "Activities"

KINDS = (
    "närvaro/patrull", "hastighetskontroll", "trygghetsvandring", "informationsinsats",
    "narkotikainsats", "EST-möte", "övrigt",
)
KIND_EN = {
    "närvaro/patrull": "presence/patrol", "hastighetskontroll": "speed check",
    "trygghetsvandring": "safety walk", "informationsinsats": "information effort",
    "narkotikainsats": "narcotics operation", "EST-möte": "EST meeting", "övrigt": "other",
}
ACTOR_EN = {"polis": "police", "kommun": "municipality", "gemensam": "joint"}
STATUS_EN = {"planerad": "planned", "genomförd": "done", "inställd": "cancelled"}

#: Activities are drawn larger with a dark outline so they stand apart from reports.
STYLE = Style(size=11, opacity=0.95, outline=True)

__all__ = ["ACTIVITY_STATUSES", "ACTORS", "ACTOR_EN", "ID", "KINDS", "KIND_EN", "STATUS_EN", "STYLE"]
