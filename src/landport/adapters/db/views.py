"""Rows as JSON-ready views: the one place the read side writes times as ISO 8601 text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def iso_value(value: Any) -> Any:
    """A time as ISO 8601 text for a JSON view; anything else as it is."""
    return value.isoformat() if isinstance(value, datetime) else value


def plain_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row as a plain dict, its times as ISO 8601 text."""
    return {k: iso_value(v) for k, v in row.items()}
