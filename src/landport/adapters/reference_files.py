"""Reads the reference data files: packaged defaults, each overridable by the operator."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from landport.reference.catalog import ReferenceCatalog, build_catalog

FILES = ("customs_codes", "declaration_rules", "countries", "places", "port_calendars")


def load_documents(override_dir: Path | None = None) -> dict[str, Any]:
    """Each file from the operator's directory if present there, else the packaged default."""
    packaged = resources.files("landport") / "data"
    docs: dict[str, Any] = {}
    for stem in FILES:
        name = f"{stem}.json"
        if override_dir is not None and (override_dir / name).is_file():
            docs[stem] = json.loads((override_dir / name).read_text(encoding="utf-8"))
        else:
            docs[stem] = json.loads((packaged / name).read_text(encoding="utf-8"))
    return docs


def load_catalog(override_dir: Path | None = None) -> ReferenceCatalog:
    return build_catalog(load_documents(override_dir))
