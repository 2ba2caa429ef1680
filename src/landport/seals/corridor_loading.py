"""Routes and permitted zones from the text and documents the caller has read (no file I/O).

- `parse_routes_geojson(text)`: a FeatureCollection of LineString features carrying
  `route_id`, `road_km`, `typical_truck_days` and confidence tags (`data/routes.geojson`);
- `parse_gpx(text, route_id=...)`: a surveyed GPX track (trk/trkseg/trkpt) replacing an
  estimated polyline;
- `build_corridors(routes, zones_doc, places_doc)`: `Corridor`s from routes, the
  `data/corridor_zones.json` document and `data/places.json`;
- `corridor_from_approved(route)`: the `Corridor` of a stored, versioned `ApprovedRoute`.

Bad input raises `InvalidInput` listing every problem, in English and Chinese.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from landport.seals.approved import ApprovedRoute
from landport.seals.corridor import DEFAULT_HALF_WIDTH_M, Corridor, RouteMeta, Zone, ZoneKind
from landport.shared.errors import InvalidInput, Violation


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A parsed route: its polyline (lon, lat) and what is known about the road."""

    coordinates: tuple[tuple[float, float], ...]
    meta: RouteMeta

    @property
    def route_id(self) -> str:
        return self.meta.route_id


def _v(field: str, code: str, en: str, zh: str) -> Violation:
    return Violation(field=field, code=code, message_en=en, message_zh=zh)


def _is_approximate(confidence: str) -> bool:
    return not confidence.strip().lower().startswith(("sourced", "surveyed"))


def _coordinates(raw: Any, field: str, errors: list[Violation]) -> list[tuple[float, float]]:
    if not isinstance(raw, list) or len(raw) < 2:
        errors.append(
            _v(field, "route_too_short", "a route needs at least two [lon, lat] points",
               "路线至少需要两个 [经度, 纬度] 点")
        )  # fmt: skip
        return []
    points: list[tuple[float, float]] = []
    for i, p in enumerate(raw):
        ok = (
            isinstance(p, list | tuple)
            and len(p) >= 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p[:2])
        )
        if ok and math.isfinite(p[0]) and math.isfinite(p[1]):
            lon, lat = float(p[0]), float(p[1])
            if -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0:
                points.append((lon, lat))
                continue
        errors.append(
            _v(f"{field}[{i}]", "bad_coordinate",
               "expected [longitude, latitude] in WGS84 degrees",
               "应为 WGS84 度数的 [经度, 纬度]")
        )  # fmt: skip
    if len(points) == len(raw) and len(set(points)) < 2:
        errors.append(
            _v(field, "route_degenerate", "a route needs at least two distinct points",
               "路线至少需要两个不同的点")
        )  # fmt: skip
    return points


def _optional_number(
    props: Mapping[str, Any], key: str, field: str, errors: list[Violation]
) -> float | None:
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        errors.append(
            _v(f"{field}.{key}", "not_a_positive_number", f"{key} must be a positive number",
               f"{key} 必须是正数")
        )  # fmt: skip
        return None
    return float(value)


def parse_routes_geojson(text: str) -> list[RouteSpec]:
    """Routes from a GeoJSON FeatureCollection of LineStrings (one feature per route)."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(
            [_v("$", "not_json", f"not valid JSON: {exc}", "不是有效的 JSON")]
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InvalidInput(
            [_v("type", "not_a_feature_collection", "expected a GeoJSON FeatureCollection",
                "应为 GeoJSON FeatureCollection")]
        )  # fmt: skip
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput(
            [_v("features", "no_features", "the collection has no route features",
                "集合中没有路线要素")]
        )  # fmt: skip
    errors: list[Violation] = []
    routes: list[RouteSpec] = []
    seen: set[str] = set()
    for i, feature in enumerate(features):
        f = f"features[{i}]"
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        route_id = props.get("route_id")
        if not isinstance(route_id, str) or not route_id.strip():
            errors.append(
                _v(f"{f}.properties.route_id", "missing_route_id", "every route needs a route_id",
                   "每条路线都需要 route_id")
            )  # fmt: skip
        elif route_id in seen:
            errors.append(
                _v(f"{f}.properties.route_id", "duplicate_route_id",
                   f"route_id {route_id} appears twice", f"route_id {route_id} 重复")
            )  # fmt: skip
        if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
            errors.append(
                _v(f"{f}.geometry", "not_a_linestring", "a route geometry must be a LineString",
                   "路线几何必须是 LineString")
            )  # fmt: skip
            continue
        coords = _coordinates(geometry.get("coordinates"), f"{f}.geometry.coordinates", errors)
        road_km = _optional_number(props, "road_km", f"{f}.properties", errors)
        days = _optional_number(props, "typical_truck_days", f"{f}.properties", errors)
        if isinstance(route_id, str) and route_id.strip() and route_id not in seen:
            seen.add(route_id)
            confidence = str(props.get("geometry_confidence") or props.get("confidence") or "")
            meta = RouteMeta(
                route_id=route_id,
                road_km=road_km,
                typical_truck_days=days,
                confidence=confidence or "estimate",
                approximate=_is_approximate(confidence or "estimate"),
                from_place=props.get("from") if isinstance(props.get("from"), str) else None,
                to_place=props.get("to") if isinstance(props.get("to"), str) else None,
            )
            routes.append(RouteSpec(tuple(coords), meta))
    if errors:
        raise InvalidInput(errors)
    return routes


def parse_gpx(
    text: str,
    *,
    route_id: str,
    road_km: float | None = None,
    typical_truck_days: float | None = None,
    from_place: str | None = None,
    to_place: str | None = None,
) -> RouteSpec:
    """A route from a GPX track: every trkpt of every trkseg, in document order."""
    head = text[:4096].upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in head:  # no entity expansion from uploaded files
        raise InvalidInput(
            [_v("gpx", "doctype_not_allowed", "GPX with a DOCTYPE or entities is refused",
                "拒绝包含 DOCTYPE 或实体声明的 GPX")]
        )  # fmt: skip
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InvalidInput(
            [_v("gpx", "not_xml", f"not well-formed XML: {exc}", "不是格式正确的 XML")]
        ) from exc
    if _local(root.tag) != "gpx":
        raise InvalidInput(
            [_v("gpx", "not_gpx", "the root element is not <gpx>", "根元素不是 <gpx>")]
        )
    errors: list[Violation] = []
    raw: list[list[float]] = []
    for i, el in enumerate(e for e in root.iter() if _local(e.tag) == "trkpt"):
        try:
            raw.append([float(el.attrib["lon"]), float(el.attrib["lat"])])
        except (KeyError, ValueError):
            errors.append(
                _v(f"trkpt[{i}]", "bad_trkpt", "a trkpt needs numeric lat and lon attributes",
                   "trkpt 需要数值型 lat 和 lon 属性")
            )  # fmt: skip
    coords = _coordinates(raw, "trk", errors) if not errors else []
    if errors:
        raise InvalidInput(errors)
    meta = RouteMeta(
        route_id=route_id,
        road_km=road_km,
        typical_truck_days=typical_truck_days,
        confidence="surveyed (GPX track)",
        approximate=False,
        from_place=from_place,
        to_place=to_place,
    )
    return RouteSpec(tuple(coords), meta)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def build_corridors(
    routes: Sequence[RouteSpec],
    zones_doc: Mapping[str, Any],
    places_doc: Mapping[str, Any],
) -> dict[str, Corridor]:
    """One `Corridor` per route that `zones_doc` describes (zones placed via places.json)."""
    places = {p["id"]: p for p in places_doc.get("places", []) if isinstance(p, dict)}
    by_id = {r.route_id: r for r in routes}
    errors: list[Violation] = []
    corridors: dict[str, Corridor] = {}
    for i, entry in enumerate(zones_doc.get("corridors", [])):
        f = f"corridors[{i}]"
        route = by_id.get(entry.get("route_id", ""))
        if route is None:
            errors.append(
                _v(f"{f}.route_id", "unknown_route", f"no route {entry.get('route_id')!r}",
                   f"没有路线 {entry.get('route_id')!r}")
            )  # fmt: skip
            continue
        zones = [_zone(z, f"{f}.zones[{j}]", places, errors) for j, z in enumerate(entry["zones"])]
        if any(z is None for z in zones):
            continue
        corridors[route.route_id] = Corridor(
            route.coordinates,
            half_width_m=float(entry.get("half_width_m", DEFAULT_HALF_WIDTH_M)),
            zones=[z for z in zones if z is not None],
            meta=route.meta,
        )
    if errors:
        raise InvalidInput(errors)
    return corridors


def _zone(
    raw: Mapping[str, Any], field: str, places: Mapping[str, Any], errors: list[Violation]
) -> Zone | None:
    try:
        kind = ZoneKind(str(raw.get("kind")))
    except ValueError:
        errors.append(
            _v(f"{field}.kind", "bad_zone_kind", f"unknown zone kind {raw.get('kind')!r}",
               f"未知区域类型 {raw.get('kind')!r}")
        )  # fmt: skip
        return None
    place = places.get(raw.get("place", ""), {})
    center = raw.get("center") or ([place["lon"], place["lat"]] if place else None)
    polygon = raw.get("polygon")
    zone_id = raw.get("id") or raw.get("place")
    try:
        return Zone(
            id=str(zone_id),
            kind=kind,
            center=(float(center[0]), float(center[1])) if center and not polygon else None,
            radius_m=float(raw["radius_m"]) if "radius_m" in raw and not polygon else None,
            polygon=tuple((float(p[0]), float(p[1])) for p in polygon) if polygon else None,
            name_en=str(raw.get("name_en") or place.get("name_en", zone_id)),
            name_zh=str(raw.get("name_zh") or place.get("name_zh", zone_id)),
            confidence=str(raw.get("confidence", "estimate")),
        )
    except (ValueError, TypeError, IndexError) as exc:
        errors.append(_v(field, "bad_zone", f"zone {zone_id!r}: {exc}", f"区域 {zone_id!r} 无效"))
        return None


def corridor_from_approved(route: ApprovedRoute) -> Corridor:
    """The monitoring view of a stored route (build once per route version and cache it)."""
    zones = [
        Zone(
            id=z.id,
            kind=ZoneKind(z.kind),
            center=(z.lon, z.lat),
            radius_m=z.radius_m,
            name_en=z.name_en,
            name_zh=z.name_zh,
            confidence=z.confidence,
        )
        for z in route.zones
    ]
    meta = RouteMeta(
        route_id=route.route_id,
        road_km=route.road_km,
        typical_truck_days=route.typical_hours / 24.0 if route.typical_hours else None,
        confidence=route.confidence,
        approximate=route.approximate,
        from_place=route.from_place,
        to_place=route.to_port,
    )
    return Corridor(route.coordinates, half_width_m=route.half_width_m, zones=zones, meta=meta)
