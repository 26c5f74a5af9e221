"""Layer: narcotics tips (narkotikatips) — sensitive: exact points only for the police."""

from .spec import LayerSpec, Style

LAYER = LayerSpec(
    id="narkotika",
    name_sv="Narkotikatips",
    name_en="Narcotics tips",
    focus_area="narkotika",
    categories=("försäljning", "användning", "langning", "tillhåll", "övrigt"),
    category_en={
        "försäljning": "dealing", "användning": "use", "langning": "supplying minors",
        "tillhåll": "hangout", "övrigt": "other",
    },
    style=Style(size=9, opacity=0.8),
    sensitive=True,
)
