"""Settings of bench/telemetry.py: sizes and bounds (BENCH_* environment variables, read once
at import), the routes and the fleet's constants.

A module of its own so that the script and its helper modules (fleet, core, phases) read the
same values without importing the script, which runs as __main__.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(f"BENCH_{name}", default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(f"BENCH_{name}", default))


TRIPS = _env_int("TRIPS", 200)
FIX_INTERVAL_S = _env_float("FIX_INTERVAL_S", 30.0)
BATCH = _env_int("BATCH", 1000)  # --batch of the workers (the CLI default)
E2E_MESSAGES = _env_int("E2E_MESSAGES", 20_000)  # per e2e run (1 worker, 2 workers)
RAW_MESSAGES = _env_int("RAW_MESSAGES", E2E_MESSAGES)
CORE_FIXES_PER_TRIP = _env_int("CORE_FIXES_PER_TRIP", 200)
CORE_REPEAT = _env_int("CORE_REPEAT", 3)  # best of
CORE_BATCH = _env_int("CORE_BATCH", max(1, BATCH // TRIPS))  # fixes per trip per batch
LATENCY_S = _env_float("LATENCY_S", 15.0)
LATENCY_RATE = _env_float("LATENCY_RATE", 0.0)  # 0: 80 % of the best e2e rate, <= 5,000/s
ALERTS = _env_int("ALERTS", 40)
BURST = _env_int("BURST", 100_000)
BURST_DEFAULT_CONFIG = _env_int("BURST_DEFAULT_CONFIG", 1)  # also with Mosquitto's defaults
BACKFILL_TRIPS = _env_int("BACKFILL_TRIPS", 50)
BACKFILL_PER_TRIP = _env_int("BACKFILL_PER_TRIP", 200)
SQLITE = _env_int("SQLITE", 1)
SQLITE_TRIPS = _env_int("SQLITE_TRIPS", TRIPS)
SQLITE_MESSAGES = _env_int("SQLITE_MESSAGES", 10_000)
POSTGIS_PER_POINT = _env_int("POSTGIS_PER_POINT", 3_000)
STALL_S = _env_float("STALL_S", 8.0)  # no progress this long after publishing: stop, count
PHASE_MAX_S = _env_float("PHASE_MAX_S", 150.0)

ROUTES = ("shigatse-gyirong", "shigatse-zhangmu", "shigatse-lizi")
EXIT_PORT = {
    "shigatse-gyirong": "gyirong-port",
    "shigatse-zhangmu": "zhangmu-port",
    "shigatse-lizi": "lizi-port",
}
USCC = "91330100716105852F"
SPEED_KMH = 40.0
YARD_S = 15 * 60.0
JITTER_M = 15.0
