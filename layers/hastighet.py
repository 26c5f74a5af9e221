"""Layer: complaints about high speeds and reckless driving (hastighetsklagomål)."""

from .spec import LayerSpec, Style

LAYER = LayerSpec(
    id="hastighet",
    name_sv="Hastighetsklagomål",
    name_en="Speed complaints",
    focus_area="trafik",
    categories=("fortkörning", "buskörning", "moped/EPA", "vårdslös körning", "övrigt"),
    category_en={
        "fortkörning": "speeding", "buskörning": "joyriding", "moped/EPA": "moped/EPA tractor",
        "vårdslös körning": "reckless driving", "övrigt": "other",
    },
    style=Style(size=9, opacity=0.75),
    sensitive=False,
)
