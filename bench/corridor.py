"""Throughput of corridor monitoring: the batched core against a naive per-point shapely check.

Goal from the issue: >= 50,000 fixes/s in-process for many trips. Measured:

- `core_positions_per_s`: `monitoring.advance` over many concurrent trips on the three shipped
  corridors, batches of `BATCH` fixes per trip interleaved as an ingest worker sees them
  (projection, jump filter, distance, chainage, zones, every alert rule, state copies);
- `core_many_positions_per_s`: the same batches through `monitoring.advance_many`, one call
  per round (all trips' batches: what one worker batch holds), geometry grouped by corridor;
- `core_batch5_*`: both with 5 fixes per trip per batch (a worker's 1,000 over 200 trips);
- `corridor_positions_per_s`: `Corridor.measure` alone, one vectorised call;
- `dense_route_positions_per_s`: the same on a surveyed-like route (a vertex every 25 m);
- `naive_shapely_positions_per_s` (baseline): per fix, project, build a shapely Point, test
  it against the buffered route polygon and locate it along the line, in a Python loop.

No pass/fail here: the figures are reported, the integrator decides.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely  # type: ignore[import-untyped]

try:
    import landport  # noqa: F401
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from landport.seals.corridor import Corridor
from landport.seals.model import LockState, SealFix
from landport.seals.monitoring import MonitorState, OutOfOrderBatch, TripPlan, advance, advance_many
from landport.simulation.tracks import shipped_corridors

TRIPS_PER_ROUTE = 20
INTERVAL_S = 30.0
BATCH = 40
NAIVE_POINTS = 20_000
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def trip_fixes(c: Corridor, seal_id: str, rng: np.random.Generator) -> list[SealFix]:
    """A clean trip at 40 km/h with 30 m GNSS jitter."""
    n = int(c.length_m / (40 / 3.6) / INTERVAL_S)
    s = np.linspace(0.0, c.length_m, n) + rng.normal(0, 30, n)
    lons, lats = c.point_at(s, rng.normal(0, 30, n))
    return [
        SealFix(
            seal_id,
            i,
            T0 + timedelta(seconds=i * INTERVAL_S),
            float(lat),
            float(lon),
            40.0,
            0.0,
            LockState.LOCKED,
            False,
            90.0,
        )
        for i, (lon, lat) in enumerate(zip(lons.tolist(), lats.tolist(), strict=True))
    ]


def fleet(cs: dict[str, Corridor]) -> list[tuple[TripPlan, list[SealFix]]]:
    rng = np.random.default_rng(1)
    trips = []
    for rid, c in cs.items():
        for k in range(TRIPS_PER_ROUTE):
            seal = f"{rid}-{k}"
            plan = TripPlan(
                trip_id=seal,
                seal_id=seal,
                corridor=c,
                departure_zone="shigatse-land-port",
                destination_zone=str(c.meta.to_place),
                armed_at=T0,
                window_start=T0,
                window_end=T0 + timedelta(days=2),
            )
            trips.append((plan, trip_fixes(c, seal, rng)))
    return trips


def bench_core(
    trips: list[tuple[TripPlan, list[SealFix]]], batch: int, *, many: bool = False
) -> tuple[float, int]:
    """Fixes per second and alerts, round robin: each trip's next batch, like a worker."""
    states = {p.trip_id: MonitorState(trip_id=p.trip_id) for p, _ in trips}
    total = sum(len(f) for _, f in trips)
    longest = max(len(f) for _, f in trips)
    alerts = 0
    start = time.perf_counter()
    for lo in range(0, longest, batch):
        work = [(p, states[p.trip_id], f[lo : lo + batch]) for p, f in trips if f[lo : lo + batch]]
        results = advance_many(work) if many else [advance(p, s, b) for p, s, b in work]
        for (plan, _, _), result in zip(work, results, strict=True):
            assert not isinstance(result, OutOfOrderBatch)
            states[plan.trip_id], changes = result
            alerts += sum(1 for ch in changes if hasattr(ch, "alert"))
    return total / (time.perf_counter() - start), alerts


def bench_cores(cs: dict[str, Corridor]) -> dict[str, float]:
    trips = fleet(cs)
    rate, alerts = bench_core(trips, BATCH)
    many, _ = bench_core(trips, BATCH, many=True)
    rate5, _ = bench_core(trips, 5)
    many5, _ = bench_core(trips, 5, many=True)
    return {
        "core_positions_per_s": round(rate),
        "core_many_positions_per_s": round(many),
        "core_batch5_positions_per_s": round(rate5),
        "core_batch5_many_positions_per_s": round(many5),
        "core_fixes": sum(len(f) for _, f in trips),
        "core_trips": len(trips),
        "core_batch": BATCH,
        "core_alerts_on_clean_trips": alerts,
    }


def bench_corridor(c: Corridor, n: int) -> float:
    rng = np.random.default_rng(2)
    lons, lats = c.point_at(rng.uniform(0, c.length_m, n), rng.normal(0, 400, n))
    c.measure(lons[:100], lats[:100])
    start = time.perf_counter()
    c.measure(lons, lats)
    return n / (time.perf_counter() - start)


def dense(c: Corridor) -> Corridor:
    """A winding road: a vertex every 25 m, swinging 150 m either side every 800 m."""
    s = np.arange(0.0, c.length_m, 25.0)
    lons, lats = c.point_at(s, 150.0 * np.sin(2 * np.pi * s / 800.0))
    return Corridor(
        list(zip(lons.tolist(), lats.tolist(), strict=True)), zones=c.zones, meta=c.meta
    )


def bench_naive(c: Corridor, n: int) -> float:
    rng = np.random.default_rng(3)
    lons, lats = c.point_at(rng.uniform(0, c.length_m, n), rng.normal(0, 400, n))
    x, y = c.project(np.array([p[0] for p in c.coordinates]), [p[1] for p in c.coordinates])
    line = shapely.LineString(np.column_stack([x, y]))
    area = line.buffer(c.half_width_m)
    start = time.perf_counter()
    hits = 0
    for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
        px, py = c.project(lon, lat)
        point = shapely.Point(float(px[0]), float(py[0]))
        if area.contains(point):
            hits += 1
        line.project(point)
    return n / (time.perf_counter() - start)


def main() -> None:
    cs = shipped_corridors()
    gyirong = cs["shigatse-gyirong"]
    result = {
        **bench_cores(cs),
        "corridor_positions_per_s": round(bench_corridor(gyirong, 200_000)),
        "dense_route_positions_per_s": round(bench_corridor(dense(gyirong), 200_000)),
        "naive_shapely_positions_per_s": round(bench_naive(gyirong, NAIVE_POINTS)),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "numpy": np.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
