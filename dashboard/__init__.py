"""How it is shown: the Dash app, its pure figure builders, filters and the CLI."""

from .app import create_app
from .filters import FilterState

__all__ = ["FilterState", "create_app"]
