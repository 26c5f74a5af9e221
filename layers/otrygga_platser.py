"""Layer: places residents feel unsafe (otrygga platser), reported by citizens and staff."""

from .spec import LayerSpec, Style

LAYER = LayerSpec(
    id="otrygg_plats",
    name_sv="Otrygga platser",
    name_en="Unsafe places",
    focus_area="trygghet",
    categories=(
        "belysning", "skymd sikt", "folksamling", "skadegörelse", "nedskräpning",
        "hot/trakasserier", "övrigt",
    ),
    category_en={
        "belysning": "poor lighting", "skymd sikt": "obstructed view", "folksamling": "gathering",
        "skadegörelse": "vandalism", "nedskräpning": "littering",
        "hot/trakasserier": "threats/harassment", "övrigt": "other",
    },
    style=Style(size=9, opacity=0.75),
    sensitive=False,
)
