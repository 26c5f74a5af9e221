"""Layer: places residents feel unsafe (otrygga platser), reported by citizens and staff."""

from .messages import english
from .spec import LayerSpec, Style

CATEGORIES = (
        "belysning", "skymd sikt", "folksamling", "skadegörelse", "nedskräpning",
        "hot/trakasserier", "övrigt",
    )

LAYER = LayerSpec(
    id="otrygg_plats",
    name_sv="Otrygga platser",
    name_en="Unsafe places",
    focus_area="trygghet",
    categories=CATEGORIES,
    # English labels from the message catalogue (layers/messages, context "vocab").
    category_en=english("category", CATEGORIES),
    style=Style(size=9, opacity=0.75),
    sensitive=False,
)
