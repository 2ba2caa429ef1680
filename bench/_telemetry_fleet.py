"""The workload of bench/telemetry.py: the corridors, a fleet of e-locks with their tracks and
signed messages, and arming the fleet in a scratch database through the message bus.

Split from the script so that the phases and the core bench build on the same trips.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from _telemetry_settings import (
    BACKFILL_PER_TRIP,
    BURST,
    BURST_DEFAULT_CONFIG,
    E2E_MESSAGES,
    EXIT_PORT,
    FIX_INTERVAL_S,
    JITTER_M,
    LATENCY_RATE,
    LATENCY_S,
    ROUTES,
    SPEED_KMH,
    TRIPS,
    USCC,
    YARD_S,
)

from landport.seals.corridor import Corridor
from landport.seals.telemetry import canonical, topic_for, with_signature

# --- the fleet: tracks and signed messages ----------------------------------------------------


@dataclass
class Trip:
    """One armed e-lock: its route and the track it drives (one fix per FIX_INTERVAL_S)."""

    seal_id: str
    secret: str
    route_id: str
    start: datetime
    trip_id: str = ""
    lons: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lats: np.ndarray = field(default_factory=lambda: np.zeros(0))
    moving: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cursor: int = 0  # the next fix index to publish live
    withheld: set[int] = field(default_factory=set)  # a dead zone: delivered later

    def extend(self, corridor: Corridor, n: int, seed: int) -> None:
        """Fixes 0..n-1: 15 min in the yard, then 40 km/h, then parked at the border."""
        t = np.arange(n) * FIX_INTERVAL_S
        s = np.clip((t - YARD_S) * SPEED_KMH / 3.6, 0.0, corridor.length_m)
        self.moving = (t > YARD_S) & (s < corridor.length_m)
        rng = np.random.default_rng(seed)
        s = s + rng.normal(0.0, JITTER_M, n)
        self.lons, self.lats = corridor.point_at(s, rng.normal(0.0, JITTER_M, n))

    def message(self, i: int, *, lock: str = "locked") -> tuple[str, bytes]:
        """The signed JSON an e-lock publishes for fix i (docs/telemetry.md)."""
        at = self.start + timedelta(seconds=i * FIX_INTERVAL_S)
        body = {
            "seq": i + 1,
            "fix_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lat": round(float(self.lats[i]), 6),
            "lon": round(float(self.lons[i]), 6),
            "speed_kmh": SPEED_KMH if self.moving[i] else 0.0,
            "course": 0,
            "lock_state": lock,
            "tamper": False,
            "battery_pct": round(95.0 - i * FIX_INTERVAL_S / 3600.0, 1),
        }
        # Keys sorted, `sig` last: the layout a device formatting its canonical bytes sends.
        return topic_for(self.seal_id), with_signature(canonical(body), self.secret)


def take(trips: Sequence[Trip], n: int) -> list[tuple[Trip, int]]:
    """The next n live fixes, round robin over the trips (what a fleet on the road sends)."""
    out: list[tuple[Trip, int]] = []
    while len(out) < n:
        for trip in trips:
            while trip.cursor in trip.withheld:
                trip.cursor += 1
            out.append((trip, trip.cursor))
            trip.cursor += 1
            if len(out) == n:
                break
    return out


def fleet_length_needed() -> int:
    per_trip = (
        2 * E2E_MESSAGES + (LATENCY_RATE or 5000) * LATENCY_S + BURST * (1 + BURST_DEFAULT_CONFIG)
    ) / TRIPS + BACKFILL_PER_TRIP
    return int(per_trip * 1.1) + 50


def make_fleet(
    cs: dict[str, Corridor], count: int, length: int, start: datetime, prefix: str
) -> list[Trip]:
    trips = []
    for i in range(count):
        route = ROUTES[i % len(ROUTES)]
        trip = Trip(
            seal_id=f"{prefix}-{i:04d}",
            secret=secrets.token_hex(16),
            route_id=route,
            start=start + timedelta(seconds=i % 30),
        )
        trip.extend(cs[route], length, seed=i)
        trips.append(trip)
    return trips


# --- database: arming the fleet ---------------------------------------------------------------


def _declaration(i: int, exit_port: str) -> dict[str, Any]:
    """Upholstered sofas (green lane with the random floor at zero): released on submit."""
    from landport.shared.identifiers import iso6346_check_digit

    prefix = f"CSQU{(700_000 + i) % 1_000_000:06d}"
    return {
        "trade_mode": "0110",
        "consignor_uscc": USCC,
        "exit_port": exit_port,
        "destination_country": "NP",
        "transport_mode": "4",
        "trade_terms": "3",
        "vehicle_plate": f"藏D{(50_000 + i) % 100_000:05d}",
        "containers": [
            {
                "number": prefix + str(iso6346_check_digit(prefix)),
                "size_type": "22G1",
                "gross_kg": "8600",
            }
        ],
        "gross_kg": "6400",
        "net_kg": "6000",
        "packages": 20,
        "items": [
            {
                "hs_code": "9401610000",
                "name": "布艺沙发 upholstered sofas",
                "quantity": "120",
                "unit": "set",
                "value": "25000.00",
                "currency": "USD",
                "origin_province": "zhejiang",
                "net_kg": "6000",
            }
        ],
        "total_value": "25000.00",
        "currency": "USD",
    }


def arm_fleet(url: str, trips: Sequence[Trip]) -> None:
    """Migrate, seed, and arm every trip through the bus (register, declare, release, arm)."""
    from landport.adapters.db.migrate import upgrade
    from landport.adapters.risk_files import default_ruleset
    from landport.bootstrap import bootstrap, ensure_reference_data
    from landport.declarations.commands import DeclareExport
    from landport.enterprises.handlers import RegisterEnterprise
    from landport.enterprises.model import SYSTEM_ACTOR, Actor, Role
    from landport.risk.handlers import PublishRuleset
    from landport.seals.commands import ArmSeal, RegisterSeal
    from landport.settings import DatabaseSettings, Settings

    upgrade(url)
    services = bootstrap(Settings(database=DatabaseSettings(url=url)))
    try:
        ensure_reference_data(services)
        bus = services.bus
        bus.handle(
            RegisterEnterprise(
                SYSTEM_ACTOR,
                USCC,
                "杭州某家具有限公司",
                "Hangzhou Furniture",
                "zhejiang",
                "general",
            )
        )
        rules = copy.deepcopy(default_ruleset())
        rules["random_selection"].update(min_random_red_rate=0.0, min_random_yellow_rate=0.0)
        bus.handle(PublishRuleset(SYSTEM_ACTOR, rules, "bench: lanes follow the rules only"))
        officer = Actor("bench.officer", Role.CUSTOMS_OFFICER)
        declarant = Actor("bench.declarant", Role.DECLARANT, enterprise_uscc=USCC)
        for i, trip in enumerate(trips):
            bus.handle(RegisterSeal(officer, trip.seal_id, "generic", "json-mqtt", trip.secret))
            released = bus.handle(
                DeclareExport(declarant, _declaration(i, EXIT_PORT[trip.route_id]), submit=True)
            ).result
            armed = bus.handle(ArmSeal(officer, trip.seal_id, released.id, trip.route_id)).result
            trip.trip_id = str(armed.id)
            trip.start = armed.armed_at + timedelta(seconds=1 + i % 30)
    finally:
        services.dispose()
