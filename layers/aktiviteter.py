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
#: Plural nouns per kind for counts on cards ("3 av 4 hastighetskontroller").
KIND_PLURAL = {
    "sv": {"närvaro/patrull": "närvaropass", "hastighetskontroll": "hastighetskontroller",
           "trygghetsvandring": "trygghetsvandringar", "informationsinsats": "informationsinsatser",
           "narkotikainsats": "narkotikainsatser", "EST-möte": "EST-möten", "övrigt": "aktiviteter"},
    "en": {"närvaro/patrull": "presence patrols", "hastighetskontroll": "speed checks",
           "trygghetsvandring": "safety walks", "informationsinsats": "information efforts",
           "narkotikainsats": "narcotics operations", "EST-möte": "EST meetings", "övrigt": "activities"},
}
ACTOR_EN = {"polis": "police", "kommun": "municipality", "gemensam": "joint"}
STATUS_EN = {"planerad": "planned", "genomförd": "done", "inställd": "cancelled"}

#: Activities are drawn larger with a dark outline so they stand apart from reports.
STYLE = Style(size=11, opacity=0.95, outline=True)

__all__ = [
    "ACTIVITY_STATUSES", "ACTORS", "ACTOR_EN", "ID", "KINDS", "KIND_EN", "KIND_PLURAL", "STATUS_EN", "STYLE",
]
