"""A transit corridor: route compliance (distance to the approved road), not an area geofence.

A fix is in the corridor when it lies within `half_width_m` of the route polyline, or inside
one of the corridor's permitted zones (yard, rest stops, checkpoints, border port), which may
be wider than the road. Area geofences drawn around a road raise false alarms where roads
cross them and miss trucks that leave the road inside the area: Traccar users' top complaint.

All checks are vectorised over a batch of fixes in a local metric projection (`geodesy`).
Short polylines (the shipped, estimated ones) use brute force over segments; surveyed tracks
with thousands of vertices are simplified by a few metres and indexed by a uniform grid, with
an STRtree fallback for the rare fixes far from the road.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely  # type: ignore[import-untyped]
from numpy.typing import ArrayLike, NDArray

from landport.seals.geodesy import FloatArray, LocalProjection, as_floats

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DEFAULT_HALF_WIDTH_M = 500.0
_BRUTE_FORCE_MAX_SEGMENTS = 64
_CHUNK = 8192
#: `measure_points` stays in plain Python up to this many point x (segment + zone) tests.
_PLAIN_BUDGET = 160


class ZoneKind(StrEnum):
    YARD = "yard"
    REST_STOP = "rest_stop"
    CHECKPOINT = "checkpoint"
    BORDER_PORT = "border_port"


#: When zones overlap, the first kind here names the place (a border port beats a rest stop).
_ZONE_PRIORITY = (ZoneKind.BORDER_PORT, ZoneKind.YARD, ZoneKind.CHECKPOINT, ZoneKind.REST_STOP)


@dataclass(frozen=True, slots=True)
class Zone:
    """A permitted zone: a centre and radius, or a polygon (lon/lat degrees)."""

    id: str
    kind: ZoneKind
    center: tuple[float, float] | None = None
    radius_m: float | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    name_en: str = ""
    name_zh: str = ""
    confidence: str = "estimate"

    def __post_init__(self) -> None:
        circle = self.center is not None and self.radius_m is not None and self.radius_m > 0
        if circle == (self.polygon is not None and len(self.polygon) >= 3):
            raise ValueError(f"zone {self.id}: give a centre and radius, or a polygon")


@dataclass(frozen=True, slots=True)
class RouteMeta:
    """What we know about the road beyond its (possibly simplified) polyline."""

    route_id: str
    road_km: float | None = None
    typical_truck_days: float | None = None
    confidence: str = "estimate"
    approximate: bool = True  # show distances as approximate; replace with a surveyed track
    from_place: str | None = None
    to_place: str | None = None


@dataclass(frozen=True, slots=True)
class Measure:
    """Per-fix results of one vectorised pass (metres; zone index -1 = no zone)."""

    distance_m: FloatArray
    chainage_m: FloatArray
    zone_index: IntArray
    inside: BoolArray


class Corridor:
    """A route polyline, a half-width and permitted zones, with vectorised checks."""

    def __init__(
        self,
        coordinates: Sequence[tuple[float, float]],
        *,
        half_width_m: float = DEFAULT_HALF_WIDTH_M,
        zones: Sequence[Zone] = (),
        meta: RouteMeta | None = None,
        route_id: str | None = None,
    ) -> None:
        if half_width_m <= 0:
            raise ValueError("half_width_m must be positive")
        if len(coordinates) < 2:
            raise ValueError("a route needs at least two points")
        lons = as_floats([c[0] for c in coordinates])
        lats = as_floats([c[1] for c in coordinates])
        if not (np.isfinite(lons).all() and np.isfinite(lats).all()):
            raise ValueError("route coordinates must be finite numbers")
        self.meta = meta or RouteMeta(route_id=route_id or "route")
        self.route_id = self.meta.route_id
        self.half_width_m = float(half_width_m)
        self.coordinates = tuple((float(a), float(b)) for a, b in zip(lons, lats, strict=True))
        self.projection = LocalProjection.centred_on(lons, lats)
        x, y = self.projection.forward(lons, lats)
        if len(x) - 1 > _BRUTE_FORCE_MAX_SEGMENTS:  # dense surveyed track: drop sub-metre wiggles
            simple = shapely.simplify(shapely.linestrings(x, y), min(5.0, half_width_m / 100))
            xy = np.asarray(shapely.get_coordinates(simple), dtype=np.float64)
            x, y = xy[:, 0].copy(), xy[:, 1].copy()
        keep = np.concatenate(([True], np.hypot(np.diff(x), np.diff(y)) > 1e-6))
        x, y = x[keep], y[keep]
        if len(x) < 2:
            raise ValueError("a route needs at least two distinct points")
        self._ax, self._ay = x[:-1], y[:-1]
        self._dx, self._dy = np.diff(x), np.diff(y)
        self._len2 = self._dx**2 + self._dy**2
        seg_len = np.sqrt(self._len2)
        self._cum = np.concatenate(([0.0], np.cumsum(seg_len)))
        self.length_m = float(self._cum[-1])
        self.zones = tuple(sorted(zones, key=lambda z: _ZONE_PRIORITY.index(z.kind)))
        self._zone_ids = {z.id: i for i, z in enumerate(self.zones)}
        if len(self._zone_ids) != len(self.zones):
            raise ValueError("zone ids must be unique within a corridor")
        self._zone_shapes = [self._project_zone(z) for z in self.zones]
        self._circles = [  # (index, x, y, r²) in priority order, for `_zone_of`
            (i, z[0], z[1], z[2] * z[2])
            for i, z in enumerate(self._zone_shapes)
            if isinstance(z, tuple)
        ]
        self._grid: _Grid | None = None
        if len(self._ax) > _BRUTE_FORCE_MAX_SEGMENTS:
            self._grid = _Grid(self._ax, self._ay, self._dx, self._dy, max(half_width_m, 250.0))
        # the same segments and zones as plain floats, for `measure_points` on a few fixes
        self._segments = list(
            zip(
                *(a.tolist() for a in (self._ax, self._ay, self._dx, self._dy, self._len2)),
                self._cum[:-1].tolist(),
                seg_len.tolist(),
                strict=True,
            )
        )

    # --- metadata ---------------------------------------------------------------------------

    @property
    def road_km(self) -> float:
        """Road distance: the sourced figure when known, else the polyline length."""
        return self.meta.road_km if self.meta.road_km else self.length_m / 1000.0

    @property
    def road_factor(self) -> float:
        """Road km per polyline km (>1 where a simplified polyline cuts the road's bends)."""
        return self.road_km * 1000.0 / self.length_m

    @property
    def typical_speed_kmh(self) -> float | None:
        """Door-to-door average over the typical trip, rests and nights included."""
        days = self.meta.typical_truck_days
        return self.road_km / (days * 24.0) if days else None

    def road_km_at(self, chainage_m: float) -> float:
        """Approximate road kilometre of a chainage (scaled by the road factor)."""
        return chainage_m / 1000.0 * self.road_factor

    def zone(self, zone_id: str) -> Zone:
        return self.zones[self._zone_ids[zone_id]]

    def zone_index(self, zone_id: str) -> int:
        """Index used in `Measure.zone_index`; KeyError for an unknown zone."""
        return self._zone_ids[zone_id]

    # --- vectorised checks ------------------------------------------------------------------

    def project(self, lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
        return self.projection.forward(lons, lats)

    def measure_xy(self, x: FloatArray, y: FloatArray) -> Measure:
        """Distance to the route, chainage, zone and the in-corridor verdict, in one pass."""
        dist, chain = self._nearest(x, y)
        zone = self._zone_index_xy(x, y)
        return Measure(dist, chain, zone, (dist <= self.half_width_m) | (zone >= 0))

    def measure_points(
        self, xs: Sequence[float], ys: Sequence[float]
    ) -> tuple[list[float], list[float], list[int], list[bool]]:
        """`measure_xy` as lists (distance, chainage, zone, inside) of projected points.

        A live batch holds a handful of fixes of one trip: on a short route the same
        arithmetic in plain Python is then cheaper than numpy's fixed cost per call (tens of
        microseconds); past `_PLAIN_BUDGET` point-segment/zone tests numpy wins. Same results:
        ties go to the first segment, overlapping zones to the first (highest priority).
        """
        n = len(xs)
        if self._grid is not None or n * (len(self._segments) + len(self.zones)) > _PLAIN_BUDGET:
            m = self.measure_xy(as_floats(xs), as_floats(ys))
            return (
                m.distance_m.tolist(),
                m.chainage_m.tolist(),
                m.zone_index.tolist(),
                m.inside.tolist(),
            )
        dists, chains, zones, inside = [], [], [], []
        half = self.half_width_m
        for x, y in zip(xs, ys, strict=True):
            best = math.inf
            best_t = best_cum = best_len = 0.0
            for ax, ay, dx, dy, len2, cum, seg_len in self._segments:
                px, py = x - ax, y - ay
                t = (px * dx + py * dy) / len2
                if t < 0.0:
                    t = 0.0
                elif t > 1.0:
                    t = 1.0
                ex, ey = px - t * dx, py - t * dy
                d2 = ex * ex + ey * ey
                if d2 < best:
                    best, best_t, best_cum, best_len = d2, t, cum, seg_len
            dist = math.sqrt(best)
            zone = self._zone_of(x, y)
            dists.append(dist)
            chains.append(best_cum + best_t * best_len)
            zones.append(zone)
            inside.append(dist <= half or zone >= 0)
        return dists, chains, zones, inside

    def measure(self, lons: ArrayLike, lats: ArrayLike) -> Measure:
        return self.measure_xy(*self.project(lons, lats))

    def inside(self, lons: ArrayLike, lats: ArrayLike) -> BoolArray:
        return self.measure(lons, lats).inside

    def distance_m(self, lons: ArrayLike, lats: ArrayLike) -> FloatArray:
        return self._nearest(*self.project(lons, lats))[0]

    def chainage_m(self, lons: ArrayLike, lats: ArrayLike) -> FloatArray:
        """Distance along the polyline to the nearest point on it (progress, gap checks)."""
        return self._nearest(*self.project(lons, lats))[1]

    def zone_at(self, lons: ArrayLike, lats: ArrayLike) -> list[str | None]:
        idx = self._zone_index_xy(*self.project(lons, lats))
        return [self.zones[i].id if i >= 0 else None for i in idx.tolist()]

    def point_at(
        self, chainage_m: ArrayLike, offset_m: ArrayLike = 0.0
    ) -> tuple[FloatArray, FloatArray]:
        """Lon/lat at a chainage, offset to the left (+) or right (-) of the route."""
        s = np.clip(as_floats(chainage_m), 0.0, self.length_m)
        off = np.broadcast_to(as_floats(offset_m), s.shape)
        i = np.clip(np.searchsorted(self._cum, s, side="right") - 1, 0, len(self._ax) - 1)
        seg = np.sqrt(self._len2[i])
        t = (s - self._cum[i]) / seg
        x = self._ax[i] + t * self._dx[i] - off * self._dy[i] / seg
        y = self._ay[i] + t * self._dy[i] + off * self._dx[i] / seg
        return self.projection.inverse(x, y)

    # --- internals --------------------------------------------------------------------------

    def _nearest(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self._grid is None:
            return self._brute(x, y, np.arange(len(x)))
        seg, t, d2 = self._grid.nearest(x, y)
        dist = np.sqrt(d2)
        chain = self._cum[seg] + t * np.sqrt(self._len2[seg])
        far = ~(dist <= self._grid.reach)  # also NaN: nothing indexed near the fix
        if far.any():
            fd, fc = self._far(x[far], y[far])
            dist[far], chain[far] = fd, fc
        return dist, chain

    def _brute(self, x: FloatArray, y: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        dist = np.empty(len(rows))
        chain = np.empty(len(rows))
        for lo in range(0, len(rows), _CHUNK):
            r = rows[lo : lo + _CHUNK]
            px = x[r, None] - self._ax[None, :]
            py = y[r, None] - self._ay[None, :]
            t = np.clip((px * self._dx + py * self._dy) / self._len2, 0.0, 1.0)
            d2 = (px - t * self._dx) ** 2 + (py - t * self._dy) ** 2
            k = d2.argmin(axis=1)
            j = np.arange(len(r))
            dist[lo : lo + len(r)] = np.sqrt(d2[j, k])
            chain[lo : lo + len(r)] = self._cum[k] + t[j, k] * np.sqrt(self._len2[k])
        return dist, chain

    def _far(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        assert self._grid is not None
        seg = np.asarray(
            self._grid.tree.query_nearest(shapely.points(x, y), all_matches=False)[1],
            dtype=np.int64,
        )
        px, py = x - self._ax[seg], y - self._ay[seg]
        t = np.clip((px * self._dx[seg] + py * self._dy[seg]) / self._len2[seg], 0.0, 1.0)
        d = np.hypot(px - t * self._dx[seg], py - t * self._dy[seg])
        return d, self._cum[seg] + t * np.sqrt(self._len2[seg])

    def _project_zone(self, zone: Zone) -> tuple[float, float, float] | object:
        if zone.center is not None and zone.radius_m is not None:
            cx, cy = self.projection.forward(zone.center[0], zone.center[1])
            return (float(cx[0]), float(cy[0]), float(zone.radius_m))
        assert zone.polygon is not None
        px, py = self.projection.forward([p[0] for p in zone.polygon], [p[1] for p in zone.polygon])
        poly: object = shapely.polygons(np.column_stack([px, py]))
        shapely.prepare(poly)
        return poly

    def _zone_of(self, x: float, y: float) -> int:
        """`_zone_index_xy` of one point: the first zone (highest priority) containing it."""
        found = -1
        for i, cx, cy, r2 in self._circles:  # in priority order: the first hit wins
            ex, ey = x - cx, y - cy
            if ex * ex + ey * ey <= r2:
                found = i
                break
        if len(self._circles) < len(self.zones):  # polygons of a higher priority
            for i, shape in enumerate(self._zone_shapes):
                if found >= 0 and i >= found:
                    break
                if not isinstance(shape, tuple) and shapely.contains_xy(shape, x, y):
                    return i
        return found

    def _zone_index_xy(self, x: FloatArray, y: FloatArray) -> IntArray:
        idx = np.full(len(x), -1, dtype=np.int64)
        for i in range(len(self.zones) - 1, -1, -1):  # reversed: the highest priority wins
            shape = self._zone_shapes[i]
            if isinstance(shape, tuple):
                cx, cy, r = shape
                hit = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
            else:
                hit = np.asarray(shapely.contains_xy(shape, x, y), dtype=np.bool_)
            idx[hit] = i
        return idx


class _Grid:
    """Uniform grid over segments: each cell lists the segments within `reach` of it."""

    def __init__(
        self, ax: FloatArray, ay: FloatArray, dx: FloatArray, dy: FloatArray, cell: float
    ) -> None:
        self.ax, self.ay, self.dx, self.dy = ax, ay, dx, dy
        self.len2 = dx**2 + dy**2
        self.cell = cell
        self.reach = cell
        bx, by = ax + dx, ay + dy
        self.x0 = float(np.minimum(ax, bx).min()) - 2 * cell
        self.y0 = float(np.minimum(ay, by).min()) - 2 * cell
        self.nx = math.ceil((float(np.maximum(ax, bx).max()) + 2 * cell - self.x0) / cell) + 1
        self.ny = math.ceil((float(np.maximum(ay, by).max()) + 2 * cell - self.y0) / cell) + 1
        ix0 = np.floor((np.minimum(ax, bx) - cell - self.x0) / cell).astype(np.int64)
        ix1 = np.floor((np.maximum(ax, bx) + cell - self.x0) / cell).astype(np.int64)
        iy0 = np.floor((np.minimum(ay, by) - cell - self.y0) / cell).astype(np.int64)
        iy1 = np.floor((np.maximum(ay, by) + cell - self.y0) / cell).astype(np.int64)
        cnt_x = ix1 - ix0 + 1
        cnt = cnt_x * (iy1 - iy0 + 1)
        seg = np.repeat(np.arange(len(ax)), cnt)
        local = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        cells = (iy0[seg] + local // cnt_x[seg]) * self.nx + ix0[seg] + local % cnt_x[seg]
        order = np.argsort(cells, kind="stable")
        self.cell_segs = seg[order]
        self.starts = np.searchsorted(cells[order], np.arange(self.nx * self.ny + 1))
        ends = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
        self.tree = shapely.STRtree(shapely.linestrings(ends))  # one 2-point line per segment

    def nearest(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """(segment, position on it 0..1, squared distance); d2 = inf where no candidate."""
        n = len(x)
        ix = np.floor((x - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((y - self.y0) / self.cell).astype(np.int64)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        c = np.where(ok, iy * self.nx + ix, 0)
        s = self.starts[c]
        cnt = np.where(ok, self.starts[c + 1] - s, 0)
        seg = np.zeros(n, dtype=np.int64)
        t = np.zeros(n)
        d2 = np.full(n, np.inf)
        total = int(cnt.sum())
        if total:
            p = np.repeat(np.arange(n), cnt)
            first = np.cumsum(cnt) - cnt
            k = self.cell_segs[np.repeat(s, cnt) + np.arange(total) - np.repeat(first, cnt)]
            px, py = x[p] - self.ax[k], y[p] - self.ay[k]
            tt = np.clip((px * self.dx[k] + py * self.dy[k]) / self.len2[k], 0.0, 1.0)
            dd = (px - tt * self.dx[k]) ** 2 + (py - tt * self.dy[k]) ** 2
            has = cnt > 0  # pairs are grouped by point already: reduce per group, no sort
            rows = np.flatnonzero(has)
            mins = np.minimum.reduceat(dd, first[has])
            at = np.flatnonzero(dd == np.repeat(mins, cnt[has]))
            grp = p[at]
            best = at[np.concatenate(([True], grp[1:] != grp[:-1]))]
            seg[rows], t[rows], d2[rows] = k[best], tt[best], dd[best]
        return seg, t, d2
