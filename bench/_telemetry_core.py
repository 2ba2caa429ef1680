"""The in-process measurements of bench/telemetry.py: the pure core (decode, verify, corridor,
trip state) with no database, and the PostGIS `ST_DWithin` baseline on the same points.

Split from the script: both answer "how fast is the corridor test", apart from the broker.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
from _telemetry_fleet import Trip
from _telemetry_settings import CORE_FIXES_PER_TRIP, EXIT_PORT, POSTGIS_PER_POINT

from landport.seals.corridor import Corridor
from landport.seals.monitoring import MonitorState, TripPlan, ingest_many
from landport.seals.telemetry import parse, verify

# --- core: in-process -------------------------------------------------------------------------


def bench_core(cs: dict[str, Corridor], trips: Sequence[Trip], batch: int) -> dict[str, Any]:
    """parse + verify + monitoring.ingest_many, `batch` fixes per trip per worker batch."""
    messages = {t.seal_id: [t.message(i) for i in range(CORE_FIXES_PER_TRIP)] for t in trips}
    secrets_by_seal = {t.seal_id: t.secret for t in trips}
    plans = {
        t.seal_id: TripPlan(
            trip_id=t.seal_id,
            seal_id=t.seal_id,
            corridor=cs[t.route_id],
            departure_zone="shigatse-land-port",
            destination_zone=EXIT_PORT[t.route_id],
            armed_at=t.start,
            window_start=t.start,
            window_end=t.start + timedelta(days=2),
        )
        for t in trips
    }
    states = {s: MonitorState(trip_id=s) for s in plans}
    total = sum(len(m) for m in messages.values())
    verify_s = monitor_s = 0.0
    alerts = 0
    clock = time.perf_counter
    start = clock()
    for lo in range(0, CORE_FIXES_PER_TRIP, batch):
        # One worker batch: every trip's next fixes, monitored in one call as the worker does.
        t0 = clock()
        work = []
        for seal, msgs in messages.items():
            fixes = []
            for topic, payload in msgs[lo : lo + batch]:
                envelope = parse(topic, payload)
                fixes.append(verify(envelope, secrets_by_seal[envelope.seal_id]))
            work.append((plans[seal], states[seal], fixes))
        t1 = clock()
        results = ingest_many(work, history=lambda _plan: [])
        monitor_s += clock() - t1
        verify_s += t1 - t0
        for (plan, _, _), (state, changes) in zip(work, results, strict=True):
            states[plan.seal_id] = state
            alerts += sum(1 for c in changes if hasattr(c, "alert"))
    elapsed = clock() - start
    return {
        "positions_per_s": round(total / elapsed),
        "decode_verify_per_s": round(total / verify_s),
        "monitor_per_s": round(total / monitor_s),
        "fixes": total,
        "alerts_on_clean_tracks": alerts,
    }


# --- PostGIS baseline ------------------------------------------------------------------------


def bench_postgis(url: str, cs: dict[str, Corridor], trips: Sequence[Trip]) -> dict[str, Any]:
    """ST_DWithin of each point against its route, set-based and one query per point."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conninfo = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
    route_of = [t.route_id for t in trips for _ in range(CORE_FIXES_PER_TRIP)]
    lons = np.concatenate([t.lons[:CORE_FIXES_PER_TRIP] for t in trips])
    lats = np.concatenate([t.lats[:CORE_FIXES_PER_TRIP] for t in trips])
    n = len(lons)
    # the core's answer to the same question (distance to the polyline <= half-width)
    core_inside = np.zeros(n, dtype=bool)
    t0 = time.perf_counter()
    for rid, c in cs.items():
        idx = np.array([i for i, r in enumerate(route_of) if r == rid])
        if len(idx):
            core_inside[idx] = c.distance_m(lons[idx], lats[idx]) <= c.half_width_m
    core_corridor_s = time.perf_counter() - t0
    out: dict[str, Any] = {"points": n}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        out["postgis_version"] = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        conn.execute("SET max_parallel_workers_per_gather = 0")  # per core, like the core
        conn.execute(
            "CREATE TABLE bench_route (route_id text PRIMARY KEY, hw float8, "
            "g geography(LineString, 4326), gm geometry(LineString, 32645))"
        )
        for rid, c in cs.items():
            wkt = "LINESTRING(" + ",".join(f"{x} {y}" for x, y in c.coordinates) + ")"
            conn.execute(
                "INSERT INTO bench_route VALUES (%s, %s, ST_GeogFromText(%s), "
                "ST_Transform(ST_GeomFromText(%s, 4326), 32645))",
                (rid, c.half_width_m, f"SRID=4326;{wkt}", wkt),
            )
        conn.execute("CREATE TABLE bench_raw (id int, route_id text, lon float8, lat float8)")
        with conn.cursor().copy("COPY bench_raw FROM STDIN") as copy_in:
            for i in range(n):
                copy_in.write_row((i, route_of[i], float(lons[i]), float(lats[i])))
        conn.execute(
            "CREATE TABLE bench_point AS SELECT id, route_id, "
            "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS g, "
            "ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 32645) AS gm FROM bench_raw"
        )
        conn.execute("ANALYZE bench_point")
        queries = {
            "geography": "SELECT p.id FROM bench_point p JOIN bench_route r USING (route_id) "
            "WHERE ST_DWithin(p.g, r.g, r.hw)",
            "utm45n": "SELECT p.id FROM bench_point p JOIN bench_route r USING (route_id) "
            "WHERE ST_DWithin(p.gm, r.gm, r.hw)",
        }
        for name, sql in queries.items():
            best = float("inf")
            inside: set[int] = set()
            for _ in range(3):
                t0 = time.perf_counter()
                inside = {r[0] for r in conn.execute(sql)}
                best = min(best, time.perf_counter() - t0)
            agree = sum(1 for i in range(n) if (i in inside) == bool(core_inside[i]))
            out[f"{name}_per_s"] = round(n / best)
            out[f"{name}_agreement"] = round(agree / n, 5)
        # one round trip per point: what a per-fix check in the ingest would cost
        m = min(POSTGIS_PER_POINT, n)
        sql = (
            "SELECT ST_DWithin(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, g, hw) "
            "FROM bench_route WHERE route_id = %s"
        )
        with conn.cursor() as cur:
            cur.execute(sql, (float(lons[0]), float(lats[0]), route_of[0]), prepare=True)
            t0 = time.perf_counter()
            for i in range(m):
                cur.execute(sql, (float(lons[i]), float(lats[i]), route_of[i]), prepare=True)
                cur.fetchone()
            out["per_point_query_per_s"] = round(m / (time.perf_counter() - t0))
        for table in ("bench_point", "bench_raw", "bench_route"):
            conn.execute(f"DROP TABLE {table}")
    out["core_corridor_only_per_s"] = round(n / core_corridor_s)
    out["core_inside_share"] = round(float(core_inside.mean()), 4)
    return out
