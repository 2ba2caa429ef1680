"""Approved routes from files: the shipped (approximate) corridors and operator imports."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from landport.adapters.reference_files import reference_text
from landport.seals.approved import ApprovedRoute, PermittedZone
from landport.seals.corridor_loading import RouteSpec, parse_gpx, parse_routes_geojson
from landport.shared.errors import InvalidInput, Violation

DEFAULT_TYPICAL_HOURS = 48.0  # two truck days Shigatse-border (port_calendars.json, 2020)


def _zone_documents(reference_dir: Path | None) -> dict[str, Any]:
    return {
        "zones_doc": json.loads(reference_text("corridor_zones.json", reference_dir)),
        "places_doc": json.loads(reference_text("places.json", reference_dir)),
    }


def _zones_for(
    route_id: str, zones_doc: Mapping[str, Any], places: Mapping[str, Any]
) -> tuple[float | None, tuple[PermittedZone, ...]]:
    for entry in zones_doc.get("corridors", []):
        if entry.get("route_id") != route_id:
            continue
        zones = []
        for z in entry.get("zones", []):
            place = places.get(z.get("place", ""), {})
            centre = z.get("center") or [place.get("lon"), place.get("lat")]
            zones.append(
                PermittedZone(
                    id=str(z.get("id") or z.get("place")),
                    kind=str(z["kind"]),
                    lon=float(centre[0]),
                    lat=float(centre[1]),
                    radius_m=float(z["radius_m"]),
                    name_en=str(z.get("name_en") or place.get("name_en", "")),
                    name_zh=str(z.get("name_zh") or place.get("name_zh", "")),
                    confidence=str(z.get("confidence", "estimate")),
                )
            )
        half_width = entry.get("half_width_m")
        return (float(half_width) if half_width else None), tuple(zones)
    return None, ()


def approved_routes(
    specs: Sequence[RouteSpec],
    *,
    zones_doc: Mapping[str, Any],
    places_doc: Mapping[str, Any],
    existing: Mapping[str, ApprovedRoute] | None = None,
    half_width_m: float | None = None,
) -> list[ApprovedRoute]:
    """Routes ready to store. A re-imported route keeps its zones and road data unless the
    new file brings them; a new route needs a known destination port and zones."""
    places = {p["id"]: p for p in places_doc.get("places", [])}
    existing = existing or {}
    out: list[ApprovedRoute] = []
    problems: list[Violation] = []
    for spec in specs:
        meta, old = spec.meta, existing.get(spec.route_id)
        doc_half, zones = _zones_for(spec.route_id, zones_doc, places)
        if not zones and old is not None:
            zones = old.zones
        to_port = meta.to_place or (old.to_port if old else None)
        if not zones or to_port is None:
            problems.append(
                Violation(
                    "route_id",
                    "zones_unknown",
                    f"route {spec.route_id}: no permitted zones or destination are known; add it "
                    "to corridor_zones.json or import it under an existing route_id",
                    f"路线 {spec.route_id} 缺少许可区域或目的口岸",
                )
            )
            continue
        road_km = meta.road_km or (old.road_km if old else None)
        if road_km is None:
            road_km = spec_length_km(spec)
        days = meta.typical_truck_days
        hours = days * 24 if days else (old.typical_hours if old else DEFAULT_TYPICAL_HOURS)
        frm = meta.from_place or (old.from_place if old else "shigatse-land-port")
        start, end = places.get(frm, {}), places.get(to_port, {})
        name = f"{start.get('name_en', frm)} → {end.get('name_en', to_port)}"
        out.append(
            ApprovedRoute(
                route_id=spec.route_id,
                name=name,
                from_place=frm,
                to_port=to_port,
                coordinates=spec.coordinates,
                road_km=float(road_km),
                typical_hours=float(hours),
                half_width_m=float(half_width_m or doc_half or (old.half_width_m if old else 500)),
                zones=zones,
                confidence=meta.confidence,
            )
        )
    if problems:
        raise InvalidInput(problems)
    return out


def spec_length_km(spec: RouteSpec) -> float:
    from landport.seals.corridor import Corridor

    return Corridor(spec.coordinates).length_m / 1000.0


def shipped_routes(
    reference_dir: Path | None = None, *, wanted: Callable[[str], bool] = lambda _id: True
) -> list[ApprovedRoute]:
    """The corridors a new database starts with: the three approximate ones Shigatse →
    Gyirong, Zhangmu, Lizi, or the reference folder's `routes.geojson`; only those `wanted`
    (by route id) are built, and none at all when none is."""
    specs = [
        spec
        for spec in parse_routes_geojson(reference_text("routes.geojson", reference_dir))
        if wanted(spec.route_id)
    ]
    return approved_routes(specs, **_zone_documents(reference_dir)) if specs else []


def routes_from_file(
    path: Path,
    *,
    route_id: str | None,
    existing: Mapping[str, ApprovedRoute],
    half_width_m: float | None = None,
    reference_dir: Path | None = None,
) -> list[ApprovedRoute]:
    """GeoJSON (one or more routes) or GPX (one surveyed track, named by --route-id); zones
    and place names from the reference folder's files where it has them."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".gpx":
        if not route_id:
            raise InvalidInput(
                [
                    Violation(
                        "route_id",
                        "route_id_required",
                        "a GPX import needs --route-id",
                        "导入 GPX 须指定 --route-id",
                    )
                ]
            )
        old = existing.get(route_id)
        specs = [parse_gpx(text, route_id=route_id, road_km=old.road_km if old else None)]
    else:
        specs = parse_routes_geojson(text)
    return approved_routes(
        specs,
        **_zone_documents(reference_dir),
        existing=existing,
        half_width_m=half_width_m,
    )
