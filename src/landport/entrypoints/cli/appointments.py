"""`landport appointments` commands (being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the commands to the main CLI."""
    del app
