"""The phases of bench/telemetry.py that go through the broker: the raw MQTT ceiling (live and
draining), the end-to-end ingest into the database, and alert latency; plus the bench's own
view of the database (`Store`) that they poll.

Split from the script so that it keeps only the run's order and the report.
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _telemetry_fleet import Trip, take
from _telemetry_processes import CpuMeter, Workers
from _telemetry_settings import ALERTS, BATCH, LATENCY_S, PHASE_MAX_S, STALL_S
from _telemetry_support import Publisher, RawSubscriber, broker

from landport.shared.stats import percentile


@dataclass
class Store:
    """The bench's own view of the database: stored positions and alerts."""

    url: str

    def __post_init__(self) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(self.url, pool_size=2)

    def max_id(self) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM positions")).scalar())

    def stored_since(self, base_id: int) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM positions WHERE id > :b"), {"b": base_id}
                ).scalar()
            )

    def alerts(self, kind: str) -> set[str]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT trip_id FROM alerts WHERE kind = :k"), {"k": kind})
            return {r[0] for r in rows}

    def alert_summary(self, trip_ids: Sequence[str]) -> dict[str, int]:
        """{"kind/state": count} over the given trips."""
        from sqlalchemy import bindparam, text

        sql = text(
            "SELECT kind, state, count(*) FROM alerts WHERE trip_id IN :ids GROUP BY kind, state"
        ).bindparams(bindparam("ids", expanding=True))
        with self.engine.connect() as conn:
            rows = conn.execute(sql, {"ids": list(trip_ids)}).all()
        return {f"{kind}/{state}": int(n) for kind, state, n in sorted(rows)}

    def count(self, sql: str) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar())

    def close(self) -> None:
        self.engine.dispose()


def _rate(count: int, seconds: float | None) -> float | None:
    return round(count / seconds) if seconds and count else None


def raw_phase(messages: Sequence[tuple[str, bytes]], workdir: Path) -> dict[str, Any]:
    """Publisher -> Mosquitto -> paho subscriber acking at once: the MQTT ceiling."""
    n = len(messages)
    with broker("deploy") as (port, broker_pid):
        sub = RawSubscriber(port, f"raw-{secrets.token_hex(3)}", receive_maximum=BATCH)
        pub = None
        try:
            if not sub.wait_subscribed():
                raise RuntimeError("raw subscriber: no SUBACK")
            meter = CpuMeter()
            meter.add("broker", [broker_pid])
            meter.start()
            pub = Publisher(port, messages, workdir, name="raw")
            deadline = time.monotonic() + PHASE_MAX_S
            last, last_change = 0, time.monotonic()
            while sub.count < n and time.monotonic() < deadline:
                if sub.count != last:
                    last, last_change = sub.count, time.monotonic()
                elif pub.proc.poll() is not None and time.monotonic() - last_change > STALL_S:
                    break
                time.sleep(0.02)
            result = pub.wait(timeout=PHASE_MAX_S)
            cpu = {**meter.stop(), "publisher": result.cpu_s}
        finally:
            sub.close()
            if pub is not None:
                pub.kill()
    drain = raw_drain(messages, workdir)
    seconds = sub.last - result.t_start if sub.count else None
    return {
        "drain_per_s": drain,
        "published": n,
        "received": sub.count,
        "seconds": round(seconds, 3) if seconds else None,
        "per_s": _rate(sub.count, seconds),
        "publisher_per_s": _rate(n, result.t_acked - result.t_start),
        "cpu_s": cpu,
    }


def raw_drain(messages: Sequence[tuple[str, bytes]], workdir: Path) -> float | None:
    """The subscriber alone: messages queued in its offline session first, then drained."""
    n = len(messages)
    with broker("deploy") as (port, _pid):
        group = f"drain-{secrets.token_hex(3)}"
        sub = RawSubscriber(port, group, receive_maximum=BATCH)
        ok = sub.wait_subscribed()
        sub.close()  # the persistent session keeps the subscription and queues
        if not ok:
            return None
        Publisher(port, messages, workdir, name="drain").wait(timeout=PHASE_MAX_S)
        t0 = time.time()
        sub = RawSubscriber(port, group, receive_maximum=BATCH)
        try:
            deadline = time.monotonic() + PHASE_MAX_S
            while sub.count < n and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            sub.close()
    return _rate(sub.count, sub.last - t0) if sub.count == n else None


def e2e_phase(
    store: Store,
    label: str,
    messages: Sequence[tuple[str, bytes]],
    workers: int,
    workdir: Path,
    *,
    config: str = "deploy",
    rate: float = 0.0,
    marks: Sequence[int] = (),
    watch: Callable[[], None] | None = None,
    profile: bool = False,
) -> dict[str, Any]:
    """Publisher -> Mosquitto -> `landport telemetry listen` x workers -> database.

    Returns when every message is stored, or when nothing moved for STALL_S after the
    publisher finished (the rest is lost), or after PHASE_MAX_S.
    """
    n = len(messages)
    with broker(config) as (port, broker_pid):
        group = f"bench-{label}-{secrets.token_hex(3)}"
        pool = Workers(store.url, port, group, workers, BATCH, workdir, label)
        pub = None
        try:
            pool.wait_subscribed()
            base = store.max_id()
            meter = CpuMeter()
            meter.add("broker", [broker_pid])
            meter.add("workers", pool.pids)
            meter.start()
            pub = Publisher(port, messages, workdir, rate=rate, marks=marks, name=label)
            if profile:
                _profile_workers(pool.pids, workdir, label)
            deadline = time.monotonic() + PHASE_MAX_S
            stored, last_change, t_done = 0, time.monotonic(), None
            while time.monotonic() < deadline:
                now_stored = store.stored_since(base)
                if now_stored != stored:
                    stored, last_change = now_stored, time.monotonic()
                if stored >= n:
                    t_done = time.time()
                    break
                if not pool.alive():
                    raise RuntimeError(f"a worker died: {pool.tail(0)}")
                if pub.proc.poll() is not None and time.monotonic() - last_change > STALL_S:
                    break
                if watch:
                    watch()
                time.sleep(0.02 if watch else 0.05)
            result = pub.wait(timeout=PHASE_MAX_S)
            cpu = {**meter.stop(), "publisher": result.cpu_s}
            if t_done is None:
                time.sleep(1.0)
                stored = store.stored_since(base)
        finally:
            pool.stop()
            if pub is not None:
                pub.kill()
    seconds = (t_done - result.t_start) if t_done else None
    out = {
        "published": n,
        "publisher_unacked": result.unacked,
        "stored": stored,
        "lost": n - stored,
        "seconds": round(seconds, 3) if seconds else None,
        "per_s": _rate(stored, seconds),
        "publish_s": round(result.t_acked - result.t_start, 3),
        "workers": workers,
        "config": config,
        "cpu_s": cpu,
    }
    out["marks"] = result.marks
    return out


def _profile_workers(pids: Sequence[int], workdir: Path, label: str) -> None:
    """BENCH_PYSPY=/path/to/py-spy: sample each worker for the phase (flame graph, svg)."""
    spy = os.environ.get("BENCH_PYSPY")
    if not spy:
        return
    out_dir = Path(os.environ.get("BENCH_PROFILE_DIR", str(workdir)))
    import subprocess

    for pid in pids:
        subprocess.Popen(
            [spy, "record", "-p", str(pid), "-d", os.environ.get("BENCH_PYSPY_S", "8"), "-r", "200",
             "-f", "raw", "-o", str(out_dir / f"pyspy-{label}-{pid}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip


def latency_phase(
    store: Store, trips: Sequence[Trip], workers: int, rate: float, workdir: Path
) -> dict[str, Any]:
    """Paced load with ALERTS lock openings en route; publish wall time -> alert row seen."""
    n = int(rate * LATENCY_S)
    plan = take(trips, n)
    used: set[str] = set()
    marks: dict[int, Trip] = {}
    for k in range(ALERTS):
        j = int((k + 0.5) * n / ALERTS)
        while j < n and (plan[j][0].seal_id in used or plan[j][0].withheld):
            j += 1
        if j < n:
            used.add(plan[j][0].seal_id)
            marks[j] = plan[j][0]
    messages = [
        trip.message(i, lock="opened" if j in marks else "locked")
        for j, (trip, i) in enumerate(plan)
    ]
    before = store.alerts("seal_opened")
    seen: dict[str, float] = {}
    watched = {t.trip_id for t in marks.values()}
    last_poll = [0.0]

    def watch() -> None:
        if time.monotonic() - last_poll[0] < 0.02:
            return
        last_poll[0] = time.monotonic()
        for trip_id in store.alerts("seal_opened") - before - seen.keys():
            seen[trip_id] = time.time()

    phase = e2e_phase(
        store, "latency", messages, workers, workdir, rate=rate, marks=sorted(marks), watch=watch
    )
    for _ in range(100):  # a few seconds more for the last alerts
        if watched <= seen.keys():
            break
        watch()
        time.sleep(0.02)
    latencies = sorted(
        (seen[trip.trip_id] - phase["marks"][j]) * 1000.0
        for j, trip in marks.items()
        if trip.trip_id in seen and j in phase["marks"]
    )
    return {
        **{k: v for k, v in phase.items() if k != "marks"},
        "rate_target_per_s": round(rate),
        "alerts_injected": len(marks),
        "alerts_seen": len(latencies),
        "p50_ms": round(_pct(latencies, 50), 1) if latencies else None,
        "p99_ms": round(_pct(latencies, 99), 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
    }


def _pct(values: Sequence[float], q: float) -> float:
    return percentile(values, q) or 0.0
