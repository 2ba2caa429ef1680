"""Reads the reference data files: packaged defaults, each overridable by the operator.

The yard's layout and the port closures added after the calendars were published are kept
in the database (`adapters/db/yard_documents`), versioned and audited: the layout in force is
the newest database version if any, else the operator's `yard.json`, else the packaged one;
a port's calendar is the published one plus the closures stored in the database.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine

from landport.adapters.db import yard_documents
from landport.reference.catalog import ReferenceCatalog, build_catalog
from landport.seals.calendar import PortCalendar
from landport.yard.departures import PortClosure, RouteLeg, routes_from_geojson
from landport.yard.model import YardLayout, yard_from_document
from landport.yard.planning import calendars_with

FILES = ("customs_codes", "declaration_rules", "countries", "places", "port_calendars")
YARD_FILE = "yard.json"
ROUTES_FILE = "routes.geojson"
T = TypeVar("T")


def _packaged(name: str) -> Any:
    return json.loads((resources.files("landport") / "data" / name).read_text(encoding="utf-8"))


def reference_text(name: str, override_dir: Path | None) -> str:
    """The file of that name from the operator's directory if present there, else the
    packaged default: the rule every reference file follows."""
    own = None if override_dir is None else override_dir / name
    if own is not None and own.is_file():
        return own.read_text(encoding="utf-8")
    return (resources.files("landport") / "data" / name).read_text(encoding="utf-8")


def load_documents(override_dir: Path | None = None) -> dict[str, Any]:
    """Each file from the operator's directory if present there, else the packaged default."""
    return {stem: json.loads(reference_text(f"{stem}.json", override_dir)) for stem in FILES}


def load_catalog(override_dir: Path | None = None) -> ReferenceCatalog:
    return build_catalog(load_documents(override_dir))


_lock = threading.Lock()
_parsed: dict[tuple[str, int], Any] = {}


def _parsed_file(path: Path, parse: Callable[[Any], T]) -> T:
    """The file parsed once per version (path and modification time), not on every read."""
    key = (str(path), path.stat().st_mtime_ns)
    with _lock:
        found: T | None = _parsed.get(key)
    if found is None:
        found = parse(json.loads(path.read_text(encoding="utf-8")))
        with _lock:
            _parsed[key] = found
    return found


class YardFiles:
    """The yard's `YardSources`: the database's newest layout version and closures, else the
    operator's files, else the packaged ones.

    Without an engine (a process with no database) only the files are read. Writes go through
    the unit of work, so they commit or roll back with the command that made them.
    """

    def __init__(self, directory: Path | None, engine: Engine | None = None) -> None:
        self.directory = directory
        self.engine = engine

    def _own(self, name: str) -> Path | None:
        if self.directory is None:
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def _file_layout(self) -> YardLayout:
        path = self._own(YARD_FILE)
        if path is None:
            return packaged_layout()
        return _parsed_file(path, yard_from_document)

    def _version(self, uow: Any = None) -> yard_documents.LayoutVersion | None:
        if self.engine is None:
            return None
        return yard_documents.current(self.engine, getattr(uow, "conn", None)).layout

    def layout(self, uow: Any = None) -> YardLayout:
        version = self._version(uow)
        return version.layout if version is not None else self._file_layout()

    def layout_in_force(self) -> dict[str, Any]:
        """`{"source": "database" | "operator" | "packaged", "version", "layout"}`."""
        version = self._version()
        if version is not None:
            return {"source": "database", "version": version.meta(), "layout": version.document}
        path = self._own(YARD_FILE)
        if path is not None:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return {"source": "operator", "version": None, "layout": doc}
        return {"source": "packaged", "version": None, "layout": _packaged(YARD_FILE)}

    def layout_document(self) -> dict[str, Any]:
        document: dict[str, Any] = self.layout_in_force()["layout"]
        return document

    def layout_history(self) -> list[dict[str, Any]]:
        return [] if self.engine is None else yard_documents.layout_history(self.engine)

    def routes(self) -> Mapping[str, RouteLeg]:
        path = self._own(ROUTES_FILE)
        return _parsed_file(path, routes_from_geojson) if path else packaged_routes()

    def closures(self, uow: Any = None) -> Sequence[PortClosure]:
        if self.engine is None:
            return ()
        return yard_documents.current(self.engine, getattr(uow, "conn", None)).closures

    def replace_layout(
        self,
        uow: Any,
        document: Mapping[str, Any],
        *,
        actor: str,
        at: datetime,
        reason: str | None = None,
    ) -> int:
        layout = yard_from_document(document)  # never keep a document that does not load
        return yard_documents.keep_layout(
            uow.conn, document, layout, actor=actor, at=at, reason=reason
        )

    def add_closure(self, uow: Any, closure: PortClosure, *, actor: str, at: datetime) -> None:
        yard_documents.keep_closure(uow.conn, closure, actor=actor, at=at)

    def calendar_reader(
        self, published: Mapping[str, PortCalendar]
    ) -> Callable[[Any], Mapping[str, PortCalendar]]:
        """The published calendars plus the stored closures, read in the caller's unit of
        work (a second pooled connection inside a command could starve the pool), merged
        again only when the closures moved."""
        merged: list[tuple[Sequence[PortClosure], dict[str, PortCalendar]]] = []

        def calendars(uow: Any = None) -> Mapping[str, PortCalendar]:
            closures = self.closures(uow)
            known = merged[-1] if merged else None
            if known is not None and known[0] is closures:
                return known[1]
            fresh = (closures, calendars_with(published, closures))
            merged[:] = [fresh]
            return fresh[1]

        return calendars


@functools.cache
def packaged_routes() -> Mapping[str, RouteLeg]:
    """The legs shipped in `data/routes.geojson`, read once per process."""
    return routes_from_geojson(_packaged(ROUTES_FILE))


@functools.cache
def packaged_layout() -> YardLayout:
    """The layout shipped in `data/yard.json`, read once per process."""
    return yard_from_document(_packaged(YARD_FILE))
