"""Demo e-lock custody: seals armed on released goods, trucks on the three corridors.

Trips were armed hours ago and their tracks are replayed up to now through the same
ingest pipeline the devices use, so the API shows trucks at the border, on the road, and
a few with trouble: a seal opened en route, a detour, a long silence.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from landport.adapters.db import tables as t
from landport.adapters.telemetry.embedded import EmbeddedBroker
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.bootstrap import Services
from landport.enterprises.model import Actor, Role
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.seals.model import SealFix
from landport.seals.telemetry import topic_for, with_signature
from landport.shared.clock import FixedClock
from landport.shared.errors import DomainError
from landport.simulation.elocks import fix_canonical
from landport.simulation.scenario import route_of_port
from landport.simulation.tracks import Detour, Gap, LockOpen, Stop, build_track, shipped_corridors

#: What happens on each demo trip, in the order trips are armed.
SCENARIOS: tuple[dict[str, Any], ...] = (
    {},
    {"speed_kmh": 45.0},
    {"lock_opens": [LockOpen(at_km=180.0)]},
    {"detours": [Detour(at_km=120.0, off_km=6.0, length_km=15.0)]},
    {},
    {"gaps": [Gap(at_km=60.0, minutes=24 * 60, backfill=False)]},
    {"stops": [Stop(at_km=95.0, minutes=45.0)]},
    {"speed_kmh": 30.0},
)


def seed_custody(services: Services, clock: FixedClock, now: datetime) -> dict[str, int]:
    """Arm seals on the released demo declarations and replay their tracks up to `now`."""
    officer = Actor("officer", Role.CUSTOMS_OFFICER)
    bus = services.bus
    for n in range(1, 13):
        bus.handle(
            RegisterSeal(
                officer, f"EL-{n:04d}", "generic", "json-mqtt", f"demo-device-secret-{n:04d}"
            )
        )
    with services.engine.connect() as conn:
        released = conn.execute(
            select(t.declarations.c.id, t.declarations.c.exit_port)
            .where(t.declarations.c.status == "released")
            .order_by(t.declarations.c.created_at)
        ).all()
    ingestor = TelemetryIngestor(services.engine, clock)
    broker = EmbeddedBroker(ingestor)  # the demo needs no MQTT broker, only the same path
    corridors = shipped_corridors()
    armed = 0
    for (declaration_id, exit_port), scenario in zip(released, SCENARIOS, strict=False):
        seal_id = f"EL-{armed + 1:04d}"
        route_id = route_of_port()[exit_port]
        try:
            trip = bus.handle(ArmSeal(officer, seal_id, declaration_id, route_id)).result
        except DomainError:
            continue
        armed += 1
        # Parked at the border until now, waiting for the port to open: the lock keeps reporting.
        track = build_track(
            corridors[route_id],
            seal_id=seal_id,
            start=trip.armed_at,
            interval_s=300.0,
            border_minutes=24 * 60,
            **scenario,
        )
        secret = f"demo-device-secret-{armed:04d}"
        _replay(broker, clock, [f for f in track.live() if f.fix_time <= now], secret)
        clock.advance(timedelta(hours=1, minutes=50))  # the next truck leaves later
    broker.stop()
    clock.advance(now - clock.now())
    ingestor.check_silence()
    return {"trips": armed}


def _replay(broker: EmbeddedBroker, clock: FixedClock, fixes: list[SealFix], secret: str) -> None:
    """Each e-lock publishes its signed fixes; the server's clock follows the stream."""
    start = clock.now()
    for i in range(0, len(fixes), 100):
        part = fixes[i : i + 100]
        clock.advance(max(part[-1].fix_time - clock.now(), timedelta(0)))
        for fix in part:
            message = with_signature(fix_canonical(fix), secret)
            broker.publish(topic_for(fix.seal_id), message)
        broker.flush()
    clock.advance(start - clock.now())
