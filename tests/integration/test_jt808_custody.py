"""A BeiDou e-lock speaking JT/T 808 over TCP drives a real trip, on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from builders import declarant
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.jt808_gateway import start
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.adapters.telemetry.jt808_wiring import SealDirectory
from landport.declarations.commands import DeclareExport
from landport.enterprises.model import Actor, Role
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.seals.jt808 import (
    Authentication,
    BatchLocation,
    FrameSplitter,
    LocationReport,
    PlatformResponse,
    Registration,
    RegistrationResponse,
    decode_message,
    encode,
)
from landport.seals.model import LockState, SealFix
from landport.shared.clock import FixedClock
from tracks import T0, build_track, shipped_corridors
from world import World

PHONE = "13912345678"
OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url, clock=FixedClock(T0))
    w.without_random_selection()
    bus = w.services.bus
    bus.handle(
        RegisterSeal(
            OFFICER, "EL-808-01", "generic", "jt808", "auth-code-of-the-lock", terminal_id=PHONE
        )
    )
    released = bus.handle(DeclareExport(declarant(), furniture_payload(), submit=True)).result
    bus.handle(ArmSeal(OFFICER, "EL-808-01", released.id, "shigatse-gyirong"))
    yield w
    w.close()


def report_of(fix: SealFix) -> LocationReport:
    lock = b"\x00" if fix.lock_state is LockState.LOCKED else b"\x01"
    return LocationReport.at(
        fix.lat,
        fix.lon,
        fix.fix_time,
        speed_kmh=fix.speed_kmh,
        course=int(fix.course) % 360,
        extras=((0xE1, lock), (0xE2, b"\x50")),
    )


async def drive(port: int, fixes: list[SealFix]) -> list[int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    splitter, pending = FrameSplitter(), []

    async def reply() -> object:
        while not pending:
            pending.extend(splitter.feed(await reader.read(4096)))
        return decode_message(pending.pop(0)).body

    writer.write(
        encode(Registration(54, 100, "LPT", "ELOCK", "T1", 0, "藏D12345"), terminal=PHONE, serial=1)
    )
    registered = await reply()
    assert isinstance(registered, RegistrationResponse) and registered.result == 0
    writer.write(
        encode(
            Authentication(registered.auth_code, "861234567890123", "V1"), terminal=PHONE, serial=2
        )
    )
    results = [getattr(await reply(), "result", None)]
    serial = 3
    for i in range(0, len(fixes), 20):  # blind-area style batches, as after a dead zone
        body = BatchLocation(tuple(report_of(f) for f in fixes[i : i + 20]), backfill=False)
        writer.write(encode(body, terminal=PHONE, serial=serial))
        serial += 1
        answer = await reply()
        assert isinstance(answer, PlatformResponse)
        results.append(answer.result)
    writer.close()
    await writer.wait_closed()
    return [r for r in results if r is not None]


def test_a_jt808_lock_reports_a_whole_trip_to_the_border(world: World) -> None:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"], seal_id="EL-808-01", interval_s=300
    )
    clock = world.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(track.end - clock.now())
    ingestor = TelemetryIngestor(world.services.engine, clock)
    directory = SealDirectory(world.services.engine)

    async def main() -> list[int]:
        async def sink(fixes: list[SealFix]) -> None:
            await asyncio.to_thread(ingestor.ingest_fixes, fixes)

        server = await start("127.0.0.1", 0, sink, directory=directory)
        try:
            return await drive(server.sockets[0].getsockname()[1], track.fixes)
        finally:
            server.close()
            await server.wait_closed()

    results = asyncio.run(main())
    assert results and all(r == 0 for r in results)  # authenticated, every batch acknowledged
    with world.services.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.positions)).scalar_one()
        state = conn.execute(select(t.trips.c.state)).scalar_one()
        alerts = conn.execute(select(func.count()).select_from(t.alerts)).scalar_one()
    assert stored == len(track.fixes)
    assert state == "at_border" and alerts == 0
