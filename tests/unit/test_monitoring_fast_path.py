"""The plain-Python path for small batches gives what the vectorised numpy path gives."""

from __future__ import annotations

import numpy as np
import pytest

import landport.seals.corridor as corridor_module
import landport.seals.geodesy as geodesy_module
from landport.seals.corridor import Corridor, Zone, ZoneKind
from landport.seals.monitoring import (
    MonitorState,
    OutOfOrderBatch,
    advance,
    advance_many,
    ingest_many,
)
from tracks import (
    ROUTE_IDS,
    Detour,
    Jump,
    LockOpen,
    Stop,
    build_track,
    plan_for,
    shipped_corridors,
)


def points(c: Corridor, n: int, seed: int) -> tuple[list[float], list[float]]:
    """Projected points along the route, some far off it, some in the zones."""
    rng = np.random.default_rng(seed)
    lons, lats = c.point_at(rng.uniform(0, c.length_m, n), rng.normal(0, 800, n))
    x, y = c.project(lons, lats)
    return x.tolist(), y.tolist()


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_small_batches_measure_like_numpy(route_id: str) -> None:
    c = shipped_corridors()[route_id]
    for seed in range(40):
        xs, ys = points(c, 1 + seed % 6, seed)
        m = c.measure_xy(np.asarray(xs), np.asarray(ys))
        dist, chain, zone, inside = c.measure_points(xs, ys)
        assert dist == m.distance_m.tolist()
        assert chain == m.chainage_m.tolist()
        assert zone == m.zone_index.tolist()
        assert inside == m.inside.tolist()


def test_polygon_zones_and_priorities_agree() -> None:
    base = shipped_corridors()[ROUTE_IDS[0]]
    lon, lat = base.coordinates[3]
    square = tuple((lon + dx, lat + dy) for dx, dy in ((-0.05, -0.05), (0.05, -0.05), (0.05, 0.05)))
    zones = (
        *base.zones,
        Zone("square", ZoneKind.REST_STOP, polygon=square),
        Zone("post", ZoneKind.CHECKPOINT, center=(lon, lat), radius_m=3000.0),
    )
    c = Corridor(base.coordinates, zones=zones, meta=base.meta)
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x, y = c.project(lon + rng.normal(0, 0.04, 5), lat + rng.normal(0, 0.04, 5))
        xs, ys = x.tolist(), y.tolist()
        assert c.measure_points(xs, ys)[2] == c.measure_xy(x, y).zone_index.tolist()


def test_projection_of_few_points_matches_numpy() -> None:
    c = shipped_corridors()[ROUTE_IDS[1]]
    rng = np.random.default_rng(7)
    lons = rng.uniform(84.0, 90.0, 20).tolist()
    lats = rng.uniform(27.0, 31.0, 20).tolist()
    x, y = c.projection.forward(lons, lats)
    assert c.projection.forward_points(lons, lats) == (x.tolist(), y.tolist())


def _run(route_id: str, batch: int) -> MonitorState:
    c = shipped_corridors()[route_id]
    track = build_track(
        c,
        stops=[Stop(at_km=60.0, minutes=45.0)],
        detours=[Detour(at_km=120.0, off_km=3.0)],
        jumps=[Jump(at_km=30.0), Jump(at_km=200.0)],
        lock_opens=[LockOpen(at_km=150.0, relock_after_minutes=5.0)],
        jitter_m=40.0,
    )
    plan = plan_for(track, window_hours=30)
    state = MonitorState(plan.trip_id)
    for lo in range(0, len(track.fixes), batch):
        state, _ = advance(plan, state, track.fixes[lo : lo + batch])
    return state


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_monitoring_in_small_batches_equals_the_vectorised_path(
    route_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _run(route_id, 5)
    monkeypatch.setattr(corridor_module, "_PLAIN_BUDGET", 0)
    monkeypatch.setattr(geodesy_module, "SMALL_BATCH", 0)
    slow = _run(route_id, 5)
    big = _run(route_id, 500)
    assert fast.alerts, "the track should raise alerts"
    assert fast.as_dict() == slow.as_dict() == big.as_dict()


def test_advance_many_equals_advance_trip_by_trip() -> None:
    plans, tracks = [], []
    for k, route_id in enumerate([*ROUTE_IDS, *ROUTE_IDS]):
        c = shipped_corridors()[route_id]
        track = build_track(
            c,
            seal_id=f"SEAL-{k}",
            stops=[Stop(at_km=40.0 + 10 * k, minutes=30.0)],
            jumps=[Jump(at_km=25.0 + 5 * k)],
            jitter_m=30.0,
        )
        plans.append(plan_for(track, trip_id=f"TRIP-{k}", window_hours=30))
        tracks.append(track.fixes)
    one = [MonitorState(p.trip_id) for p in plans]
    many = [MonitorState(p.trip_id) for p in plans]
    longest = max(len(f) for f in tracks)
    for lo in range(0, longest, 7):
        batches = [f[lo : lo + 7] for f in tracks]
        expected = [advance(p, s, b) for p, s, b in zip(plans, one, batches, strict=True)]
        got = advance_many(list(zip(plans, many, batches, strict=True)))
        for (s1, c1), result in zip(expected, got, strict=True):
            assert not isinstance(result, OutOfOrderBatch)
            assert result[0].as_dict() == s1.as_dict() and result[1] == c1
        one = [s for s, _ in expected]
        many = [r[0] for r in got if not isinstance(r, OutOfOrderBatch)]
    assert any(s.alerts for s in many)


def test_advance_many_flags_a_late_batch_and_applies_the_others() -> None:
    c = shipped_corridors()[ROUTE_IDS[0]]
    track = build_track(c)
    fixes = track.fixes
    plan = plan_for(track, window_hours=30)
    state, _ = advance(plan, MonitorState("TRIP-1"), fixes[10:20])
    late, ok = advance_many([(plan, state, fixes[5:8]), (plan, state, fixes[20:25])])
    assert isinstance(late, OutOfOrderBatch)
    assert not isinstance(ok, OutOfOrderBatch) and ok[0].fixes == 15
    (replayed, _), _ = ingest_many(
        [(plan, state, fixes[5:8]), (plan, state, fixes[20:25])], history=lambda p: fixes[:20]
    )
    assert replayed.fixes == 20
