"""A BeiDou e-lock speaking JT/T 808 over TCP drives a real trip, on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

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
from landport.seals.jt808.messages import Body
from landport.seals.model import LockState, SealFix
from landport.shared.clock import FixedClock
from tracks import T0, Track, build_track, shipped_corridors
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


def jammed_report_of(fix: SealFix) -> LocationReport:
    """The report of a lock opened and tampered with while it has no GNSS fix: status bit 1
    clear, position zero."""
    opened_cut_low = ((0xE1, b"\x01"), (0xE2, b"\x0a"), (0xE3, b"\x01"))
    return LocationReport.at(0.0, 0.0, fix.fix_time, status=0, extras=opened_cut_low)


def batches_of(reports: list[LocationReport], *, backfill: bool = False) -> list[Body]:
    """Blind-area style batches of 20, as after a dead zone."""
    return [
        BatchLocation(tuple(reports[i : i + 20]), backfill=backfill)
        for i in range(0, len(reports), 20)
    ]


async def drive(port: int, bodies: list[Body]) -> list[int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    splitter, pending = FrameSplitter(), list[bytes]()

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
    for body in bodies:
        writer.write(encode(body, terminal=PHONE, serial=serial))
        serial += 1
        answer = await reply()
        assert isinstance(answer, PlatformResponse)
        results.append(answer.result)
    writer.close()
    await writer.wait_closed()
    return [r for r in results if r is not None]


def through_the_gateway(world: World, bodies: list[Body]) -> list[int]:
    """Log in as the lock and send the bodies through the real gateway into the real ingest;
    the results of the authentication and of every report."""
    ingestor = TelemetryIngestor(world.services.engine, world.services.clock)
    directory = SealDirectory(world.services.engine)

    async def main() -> list[int]:
        async def sink(fixes: list[SealFix]) -> None:
            await asyncio.to_thread(ingestor.ingest_fixes, fixes)

        server = await start("127.0.0.1", 0, sink, directory=directory)
        try:
            return await drive(server.sockets[0].getsockname()[1], bodies)
        finally:
            server.close()
            await server.wait_closed()

    return asyncio.run(main())


def trip_track(world: World) -> Track:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"], seal_id="EL-808-01", interval_s=300
    )
    clock = world.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(track.end - clock.now())
    return track


def test_a_jt808_lock_reports_a_whole_trip_to_the_border(world: World) -> None:
    track = trip_track(world)
    results = through_the_gateway(world, batches_of([report_of(f) for f in track.fixes]))
    assert results and all(r == 0 for r in results)  # authenticated, every batch acknowledged
    with world.services.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.positions)).scalar_one()
        state = conn.execute(select(t.trips.c.state)).scalar_one()
        alerts = conn.execute(select(func.count()).select_from(t.alerts)).scalar_one()
    assert stored == len(track.fixes)
    assert state == "at_border" and alerts == 0


def test_an_opening_reported_without_a_gnss_fix_is_stored_and_raised_never_off_route(
    world: World,
) -> None:
    """GNSS jammed for 20 minutes at km 250 while the lock is opened, cut and its battery
    low: the reports (position zero) come last, in one blind-area batch, so the trip is
    replayed from the stored positions, which must read them back as without a position."""
    track = trip_track(world)
    jam = track.time_at_km(250)
    blind = track.fixes_between(jam, jam + timedelta(minutes=20))
    placed = [f for f in track.fixes if f not in blind]
    assert len(blind) == 4
    results = through_the_gateway(
        world,
        [
            *batches_of([report_of(f) for f in placed]),
            *batches_of([jammed_report_of(f) for f in blind], backfill=True),
        ],
    )
    assert results and all(r == 0 for r in results)
    with world.services.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.positions)).scalar_one()
        without = conn.execute(
            select(func.count())
            .select_from(t.positions)
            .where(t.positions.c.positioned.is_(False), t.positions.c.source == "jt808")
        ).scalar_one()
        state = conn.execute(select(t.trips.c.state)).scalar_one()
        alerts = {
            r.kind: r
            for r in conn.execute(
                select(t.alerts.c.kind, t.alerts.c.opened_at, t.alerts.c.lat, t.alerts.c.details)
            )
        }
        seal = conn.execute(
            select(t.seals.c.state).where(t.seals.c.seal_id == "EL-808-01")
        ).scalar_one()
    assert (stored, without) == (len(track.fixes), len(blind))  # nothing accepted is lost
    # no deviation, jump or stop from (0, 0); the battery recovers with the next fixes
    assert set(alerts) == {"seal_opened", "tamper", "low_battery"}
    opened = alerts["seal_opened"]
    assert opened.opened_at == blind[0].fix_time
    assert opened.details["details"]["gnss_fix"] is False
    assert opened.lat is not None and opened.lat > 28  # the last known place, not (0, 0)
    assert alerts["low_battery"].opened_at == blind[0].fix_time
    assert state == "at_border" and seal == "alarm"


def test_a_fix_resent_in_a_blind_area_batch_after_a_lost_reply_is_stored_once(
    world: World,
) -> None:
    """The gateway commits a 0x0200 but its reply never reaches the lock, which later sends
    the same report again inside a 0x0704 batch, under another serial."""
    track = trip_track(world)
    first, second = track.fixes[0], track.fixes[1]
    resent = BatchLocation((report_of(first), report_of(second)), backfill=True)
    results = through_the_gateway(world, [report_of(first), resent])
    assert results == [0, 0, 0]
    with world.services.engine.connect() as conn:
        rows = conn.execute(select(t.positions.c.fix_time).order_by(t.positions.c.id)).all()
    assert [r.fix_time for r in rows] == [first.fix_time, second.fix_time]
