"""Reads the reference data files: packaged defaults, each overridable by the operator.

The yard's files live in the same operator directory: `yard.json` (the layout, replaced
through the API as well as by hand) and `port_closures.json` (closures added through the
API after the calendars were published; merged into `port_calendars` when loaded).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from landport.reference.catalog import ReferenceCatalog, build_catalog
from landport.seals.calendar import Closure
from landport.shared.errors import Conflict
from landport.yard.departures import PortClosure, RouteLeg, routes_from_geojson
from landport.yard.model import YardLayout, yard_from_document

FILES = ("customs_codes", "declaration_rules", "countries", "places", "port_calendars")
YARD_FILE = "yard.json"
CLOSURES_FILE = "port_closures.json"
ROUTES_FILE = "routes.geojson"


def _packaged(name: str) -> Any:
    return json.loads((resources.files("landport") / "data" / name).read_text(encoding="utf-8"))


def load_documents(override_dir: Path | None = None) -> dict[str, Any]:
    """Each file from the operator's directory if present there, else the packaged default."""
    docs: dict[str, Any] = {}
    for stem in FILES:
        name = f"{stem}.json"
        if override_dir is not None and (override_dir / name).is_file():
            docs[stem] = json.loads((override_dir / name).read_text(encoding="utf-8"))
        else:
            docs[stem] = _packaged(name)
    for closure in _closure_records(override_dir):
        for port in docs["port_calendars"].get("ports", []):
            if port.get("port") == closure["port"]:
                port.setdefault("closures", []).append(
                    {k: closure[k] for k in ("from", "to", "reason")}
                )
    return docs


def load_catalog(override_dir: Path | None = None) -> ReferenceCatalog:
    return build_catalog(load_documents(override_dir))


def _closure_records(directory: Path | None) -> list[dict[str, Any]]:
    if directory is None or not (directory / CLOSURES_FILE).is_file():
        return []
    records = json.loads((directory / CLOSURES_FILE).read_text(encoding="utf-8"))
    return [r for r in records.get("closures", []) if isinstance(r, dict)]


_lock = threading.Lock()
_layouts: dict[tuple[str, int], YardLayout] = {}


def _write_atomically(path: Path, document: Any) -> None:
    """Write to a temporary file beside it, then rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    os.replace(tmp, path)


class YardFiles:
    """The yard's `YardSources` from the operator's directory, else the packaged files.

    Re-read when the file changes (modification time), so every process sees an edit.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def _own(self, name: str) -> Path | None:
        if self.directory is None:
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def _writable(self, name: str) -> Path:
        if self.directory is None:
            raise Conflict(
                "no operator reference directory is configured (LANDPORT_REFERENCE_DIR): "
                "the change cannot be kept",
                "未配置运营方参考数据目录（LANDPORT_REFERENCE_DIR），无法保存修改",
            )
        return self.directory / name

    def layout(self) -> YardLayout:
        path = self._own(YARD_FILE)
        if path is None:
            return packaged_layout()
        key = (str(path), path.stat().st_mtime_ns)
        with _lock:
            found = _layouts.get(key)
        if found is None:
            found = yard_from_document(json.loads(path.read_text(encoding="utf-8")))
            with _lock:
                _layouts[key] = found
        return found

    def layout_document(self) -> dict[str, Any]:
        path = self._own(YARD_FILE)
        doc: dict[str, Any] = (
            json.loads(path.read_text(encoding="utf-8")) if path else _packaged(YARD_FILE)
        )
        return doc

    def routes(self) -> Mapping[str, RouteLeg]:
        path = self._own(ROUTES_FILE)
        doc = json.loads(path.read_text(encoding="utf-8")) if path else _packaged(ROUTES_FILE)
        return routes_from_geojson(doc)

    def closures(self) -> Sequence[PortClosure]:
        return [
            PortClosure(
                r["port"],
                Closure(date.fromisoformat(r["from"]), date.fromisoformat(r["to"]), r["reason"]),
            )
            for r in _closure_records(self.directory)
        ]

    def replace_layout(self, document: Mapping[str, Any]) -> None:
        yard_from_document(document)  # never keep a document that does not load
        _write_atomically(self._writable(YARD_FILE), dict(document))

    def add_closure(self, closure: PortClosure, *, actor: str, at: datetime) -> None:
        path = self._writable(CLOSURES_FILE)
        with _lock:
            records = _closure_records(self.directory)
            records.append(
                {
                    "port": closure.port_id,
                    "from": closure.closure.start.isoformat(),
                    "to": closure.closure.end.isoformat(),
                    "reason": closure.closure.reason,
                    "added_by": actor,
                    "added_at": at.isoformat(),
                }
            )
            _write_atomically(path, {"closures": records})


_packaged_layout: list[YardLayout] = []


def packaged_layout() -> YardLayout:
    """The layout shipped in `data/yard.json`, read once per process."""
    if not _packaged_layout:
        _packaged_layout.append(yard_from_document(_packaged(YARD_FILE)))
    return _packaged_layout[0]
