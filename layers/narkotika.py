"""Layer: narcotics tips (narkotikatips) — sensitive: exact points only for the police."""

from .messages import english
from .spec import LayerSpec, Style

CATEGORIES = ("försäljning", "användning", "langning", "tillhåll", "övrigt")

LAYER = LayerSpec(
    id="narkotika",
    name_sv="Narkotikatips",
    name_en="Narcotics tips",
    focus_area="narkotika",
    categories=CATEGORIES,
    # English labels from the message catalogue (layers/messages, context "vocab").
    category_en=english("category", CATEGORIES),
    style=Style(size=9, opacity=0.8),
    sensitive=True,
)
