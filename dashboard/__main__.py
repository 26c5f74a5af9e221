"""`python -m dashboard` runs the CLI."""

from .cli import main

main()
