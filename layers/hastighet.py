"""Layer: complaints about high speeds and reckless driving (hastighetsklagomål)."""

from .messages import english
from .spec import LayerSpec, Style

CATEGORIES = ("fortkörning", "buskörning", "moped/EPA", "vårdslös körning", "övrigt")

LAYER = LayerSpec(
    id="hastighet",
    name_sv="Hastighetsklagomål",
    name_en="Speed complaints",
    focus_area="trafik",
    categories=CATEGORIES,
    # English labels from the message catalogue (layers/messages, context "vocab").
    category_en=english("category", CATEGORIES),
    style=Style(size=9, opacity=0.75),
    sensitive=False,
)
