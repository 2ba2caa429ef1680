"""A floor under the twin's day: only checking and storing its e-lock fixes, nothing else.

Not a benchmark itself (`make bench` runs every bench/*.py: this one does nothing as a script).

The day's goal is a few seconds; the day carries some 280,000 signed fixes. `storage_floor`
takes as many messages, written by the twin's own encoder and signed as the e-locks sign,
and does the least any ingest must do with them: parse the JSON, check the HMAC over the
received bytes, and insert one row each into the platform's own `positions` table (its
primary key, unique key and two indexes) on a scratch SQLite file with the twin's pragmas,
committed in batches of the twin's size. No trips, no monitoring, no audit, no commands,
stdlib `json`, `hmac` and `sqlite3` only. When this alone costs about the goal, the goal is
out of reach for any ingest that keeps every fix as a row, whatever else is made cheaper.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from landport.adapters.db import tables as t
from landport.seals.model import LockState, SealFix
from landport.seals.telemetry import with_signature
from landport.simulation.elocks import fix_canonical
from landport.simulation.runner import SCRATCH_PRAGMAS

SEALS = 400  # about as many e-locks as report in a steady day
_INSERT = (
    "INSERT INTO positions (seal_id, seq, trip_id, fix_time, received_at, lat, lon, speed_kmh,"
    " course, lock_state, tamper, battery_pct, source, positioned)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _fixes(count: int) -> list[SealFix]:
    """`count` fixes, one a minute per seal along a road out of Shigatse."""
    start = datetime(2026, 6, 1, tzinfo=UTC)
    out = []
    for i in range(count):
        seal, minute = divmod(i, SEALS)[1], i // SEALS
        fix = SealFix(
            seal_id=f"EL-{seal:06d}",
            seq=minute,
            fix_time=start + timedelta(minutes=minute, seconds=seal % 60),
            lat=29.27 - minute * 0.0004 + seal * 1e-5,
            lon=88.88 - minute * 0.0009,
            speed_kmh=54.3 + (i % 7),
            course=251.0,
            lock_state=LockState.LOCKED,
            tamper=False,
            battery_pct=93.0 - minute * 0.01,
        )
        out.append(fix)
    return out


def storage_floor(count: int, batches: int) -> dict[str, Any]:
    """Seconds to check and store `count` fixes in `batches` transactions (see the module)."""
    secret = "floor-secret-0123456789abcdef"
    fixes = _fixes(count)
    start = time.perf_counter()
    # as the e-locks send them: the seal in the MQTT topic, the signed fix as the body
    messages = [(f.seal_id, with_signature(fix_canonical(f), secret)) for f in fixes]
    encode_s = time.perf_counter() - start
    key = secret.encode()
    folder = Path(tempfile.mkdtemp(prefix="landport-floor-"))
    try:
        path = folder / "floor.db"
        engine = create_engine(f"sqlite:///{path}")
        t.metadata.create_all(engine, tables=[t.positions])
        engine.dispose()
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        for name, value in SCRATCH_PRAGMAS.items():
            db.execute(f"PRAGMA {name}={value}")
        size = max(1, -(-count // max(1, batches)))
        received = "2026-06-01 00:05:00.000000"
        cpu0, start = time.process_time(), time.perf_counter()
        verify_s = 0.0
        for first in range(0, count, size):
            t0 = time.perf_counter()
            rows = []
            for seal_id, wire in messages[first : first + size]:
                body = json.loads(wire)
                signed_part = wire[: wire.rindex(b',"sig"')] + b"}"
                digest = hmac.new(key, signed_part, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(digest, body["sig"]):
                    raise ValueError("a floor message failed its own signature")
                rows.append(
                    (
                        seal_id,
                        body["seq"],
                        None,
                        body["fix_time"],
                        received,
                        body["lat"],
                        body["lon"],
                        body["speed_kmh"],
                        body["course"],
                        body["lock_state"],
                        body["tamper"],
                        body["battery_pct"],
                        "mqtt",
                        True,
                    )
                )
            verify_s += time.perf_counter() - t0
            db.execute("BEGIN IMMEDIATE")
            db.executemany(_INSERT, rows)
            db.execute("COMMIT")
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
        stored = db.execute("SELECT count(*) FROM positions").fetchone()[0]
        db.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "floor_fixes": count,
        "floor_fixes_stored": stored,
        "floor_batches": -(-count // size),
        "floor_encode_sign_s": round(encode_s, 2),
        "floor_parse_verify_s": round(verify_s, 2),
        "floor_insert_commit_s": round(wall - verify_s, 2),
        "floor_day_wall_s": round(wall, 2),
        "floor_day_cpu_s": round(cpu, 2),
        "floor_us_per_fix": round(wall / max(1, count) * 1e6, 1),
    }
