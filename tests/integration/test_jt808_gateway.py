"""The JT/T 808 gateway on a real loopback socket, talked to by a simulated e-lock.

Each test runs its own event loop (``asyncio.run``), starts the gateway on a free port
and plays the terminal's side with asyncio streams and the same codec.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from landport.adapters.jt808_gateway import (
    FixSink,
    RefusedFix,
    Registered,
    SealBinding,
    refusal,
    start,
)
from landport.adapters.jt808_registrations import auth_code_hash, auth_code_matches, new_auth_code
from landport.seals.jt808 import (
    Authentication,
    BatchLocation,
    Edition,
    FrameSplitter,
    Heartbeat,
    LocationReport,
    Message,
    PlatformResponse,
    Registration,
    RegistrationResponse,
    decode_message,
    encode,
)
from landport.seals.jt808.messages import (
    REG_NO_TERMINAL,
    REG_OK,
    REG_TERMINAL_TAKEN,
    Body,
)
from landport.seals.model import LockState, SealFix

PHONE = "13912345678"
SEAL_SECRET = "the-seals-own-signing-secret"  # never the auth code
WAIT = 2.0  # seconds: generous, only reached when a test fails


class Terminals:
    """An in-memory terminal directory, issuing codes as the database one does."""

    def __init__(self, seals: dict[str, SealBinding] | None = None) -> None:
        self.seals = {PHONE: SealBinding("EL-0042", "generic")} if seals is None else seals
        self.hashes: dict[str, str] = {}

    def register(self, terminal: str) -> Registered:
        if terminal not in self.seals:
            return Registered(REG_NO_TERMINAL)
        if terminal in self.hashes:
            return Registered(REG_TERMINAL_TAKEN)
        code = new_auth_code()
        self.hashes[terminal] = auth_code_hash(code)
        return Registered(REG_OK, code)

    def authenticate(self, terminal: str, auth_code: str) -> SealBinding | None:
        known = auth_code_matches(auth_code, self.hashes.get(terminal))
        return self.seals.get(terminal) if known else None

    def reset(self, terminal: str) -> None:
        """What an officer's `ResetTerminalRegistration` does."""
        del self.hashes[terminal]


class RecordingRejects:
    def __init__(self) -> None:
        self.refused: list[RefusedFix] = []

    async def __call__(self, refused: list[RefusedFix]) -> None:
        self.refused += refused


FIX_TIME = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)
LHASA = LocationReport.at(
    29.652, 91.172, FIX_TIME, speed_kmh=42.5, extras=((0xE1, b"\x01"), (0xE2, b"\x50"))
)


class SimulatedLock:
    """The terminal's side of the conversation."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, edition: Edition
    ) -> None:
        self.reader, self.writer, self.edition = reader, writer, edition
        self.splitter = FrameSplitter()
        self.frames: list[bytes] = []
        self.serial = 0

    async def send(self, body: Body, *, serial: int | None = None) -> int:
        if serial is None:
            self.serial += 1
            serial = self.serial
        await self.send_raw(encode(body, terminal=PHONE, serial=serial, edition=self.edition))
        return serial

    async def send_raw(self, frame: bytes) -> None:
        self.writer.write(frame)
        await self.writer.drain()

    async def reply(self, timeout: float = WAIT) -> Message:
        async with asyncio.timeout(timeout):
            while not self.frames:
                data = await self.reader.read(1024)
                assert data, "the gateway closed the connection"
                self.frames += self.splitter.feed(data)
        return decode_message(self.frames.pop(0))

    async def ack(self) -> PlatformResponse:
        body = (await self.reply()).body
        assert isinstance(body, PlatformResponse)
        return body

    async def register(self) -> RegistrationResponse:
        await self.send(Registration(54, 100, "LPT", "ELOCK", "T1", 0, "藏A12345"))
        registered = (await self.reply()).body
        assert isinstance(registered, RegistrationResponse)
        return registered

    async def log_in(self) -> str:
        """Register, then authenticate with the code received; the code, which a device keeps."""
        registered = await self.register()
        await self.send(Authentication(registered.auth_code, "861234567890123", "V1"))
        assert (await self.ack()).result == 0
        return registered.auth_code


class RecordingSink:
    def __init__(self) -> None:
        self.batches: list[list[SealFix]] = []
        self.called = asyncio.Event()

    async def __call__(self, fixes: list[SealFix]) -> None:
        self.batches.append(fixes)
        self.called.set()


Scenario = Callable[[SimulatedLock], Awaitable[None]]


def run(
    scenario: Scenario,
    sink: FixSink | None = None,
    *,
    edition: Edition = Edition.V2013,
    idle_timeout: float = 30.0,
    directory: Terminals | None = None,
    rejects: RecordingRejects | None = None,
) -> None:
    async def main() -> None:
        server = await start(
            "127.0.0.1",
            0,
            sink or RecordingSink(),
            directory=directory or Terminals(),
            reject=rejects,
            idle_timeout=idle_timeout,
        )
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await scenario(SimulatedLock(reader, writer, edition))
        finally:
            writer.close()
            await writer.wait_closed()
            server.close()
            await server.wait_closed()

    asyncio.run(main())


def test_a_registering_lock_receives_a_fresh_auth_code_and_authenticates_with_it() -> None:
    terminals = Terminals()

    async def scenario(lock: SimulatedLock) -> None:
        serial = await lock.send(Registration(54, 100, "LPT", "ELOCK", "T1", 0, "藏A12345"))
        reply = await lock.reply()
        assert reply.header.msg_id == 0x8100
        assert reply.header.terminal == PHONE
        assert isinstance(reply.body, RegistrationResponse)
        code = reply.body.auth_code
        assert (reply.body.reply_serial, reply.body.result) == (serial, 0)
        assert len(code) == 32 and code != SEAL_SECRET
        assert terminals.hashes[PHONE] != code  # only its hash is kept
        serial = await lock.send(Authentication(code))
        assert await lock.ack() == PlatformResponse(serial, 0x0102, 0)

    run(scenario, directory=terminals)


def test_a_terminal_that_has_registered_is_refused_a_second_code() -> None:
    """Whoever reads the number off the lock gets no code: the lock registered first."""
    sink = RecordingSink()
    terminals = Terminals()

    async def scenario(lock: SimulatedLock) -> None:
        code = await lock.log_in()
        again = await lock.register()
        assert (again.result, again.auth_code) == (REG_TERMINAL_TAKEN, "")
        serial = await lock.send(Authentication(SEAL_SECRET))
        assert await lock.ack() == PlatformResponse(serial, 0x0102, 1)
        serial = await lock.send(LHASA)
        assert (await lock.ack()).result == 1
        assert sink.batches == []
        await lock.send(Authentication(code))  # the lock keeps the code it received
        assert (await lock.ack()).result == 0

    run(scenario, sink, directory=terminals)


def test_after_a_reset_the_terminal_registers_again_and_its_old_code_is_refused() -> None:
    terminals = Terminals()

    async def scenario(lock: SimulatedLock) -> None:
        old = await lock.log_in()
        terminals.reset(PHONE)
        await lock.send(Authentication(old))
        assert (await lock.ack()).result == 1
        new = await lock.log_in()
        assert new != old

    run(scenario, directory=terminals)


def test_an_unknown_terminal_is_refused_registration_as_no_such_terminal() -> None:
    async def scenario(lock: SimulatedLock) -> None:
        refused = await lock.register()
        assert (refused.result, refused.auth_code) == (REG_NO_TERMINAL, "")
        await lock.send(Authentication(""))
        assert (await lock.ack()).result == 1

    run(scenario, directory=Terminals({}))


def test_a_fix_is_committed_by_the_sink_before_the_acknowledgement_is_sent() -> None:
    gate = asyncio.Event()
    sink = RecordingSink()

    async def slow_durable_sink(fixes: list[SealFix]) -> None:
        await sink(fixes)
        await gate.wait()  # the "commit" finishes only when the test allows it

    async def scenario(lock: SimulatedLock) -> None:
        gate.clear()
        await lock.log_in()
        serial = await lock.send(LHASA)
        await asyncio.wait_for(sink.called.wait(), WAIT)
        [[fix]] = sink.batches
        assert (fix.seal_id, fix.lat, fix.lon, fix.positioned) == ("EL-0042", 29.652, 91.172, True)
        assert (fix.lock_state, fix.battery_pct, fix.fix_time) == (LockState.OPENED, 80, FIX_TIME)
        with pytest.raises(TimeoutError):  # no acknowledgement while the commit is pending
            await lock.reply(timeout=0.2)
        gate.set()
        assert await lock.ack() == PlatformResponse(serial, 0x0200, 0)

    run(scenario, slow_durable_sink)


def test_a_location_report_from_an_unauthenticated_lock_is_refused_and_not_stored() -> None:
    sink = RecordingSink()

    async def scenario(lock: SimulatedLock) -> None:
        serial = await lock.send(LHASA)
        assert await lock.ack() == PlatformResponse(serial, 0x0200, 1)
        assert sink.batches == []

    run(scenario, sink)


def test_a_wrong_auth_code_is_refused_and_its_reports_stay_refused() -> None:
    sink = RecordingSink()

    async def scenario(lock: SimulatedLock) -> None:
        await lock.send(Authentication("GUESS"))
        assert (await lock.ack()).result == 1
        await lock.send(BatchLocation((LHASA,)))
        assert (await lock.ack()).result == 1
        assert sink.batches == []

    run(scenario, sink)


def test_a_frame_with_a_bad_check_code_is_answered_bad_message_on_an_open_connection() -> None:
    async def scenario(lock: SimulatedLock) -> None:
        await lock.log_in()
        frame = bytearray(encode(LHASA, terminal=PHONE, serial=77))
        assert frame[-3] != 0x7D and frame[-2] not in (0x7C, 0x7F)  # check code not escaped
        frame[-2] ^= 0x01  # flip a bit of the check code
        await lock.send_raw(bytes(frame))
        assert await lock.ack() == PlatformResponse(77, 0x0200, 2)
        serial = await lock.send(Heartbeat())
        assert await lock.ack() == PlatformResponse(serial, 0x0002, 0)

    run(scenario)


def test_a_sink_that_fails_gets_no_acknowledgement_so_the_lock_sends_again() -> None:
    stored: list[SealFix] = []
    failures = [RuntimeError("database unavailable")]

    async def flaky_sink(fixes: list[SealFix]) -> None:
        if failures:
            raise failures.pop()
        stored.extend(fixes)

    async def scenario(lock: SimulatedLock) -> None:
        await lock.log_in()
        serial = await lock.send(LHASA)
        heartbeat = await lock.send(Heartbeat())
        first = await lock.ack()  # the next reply answers the heartbeat, not the report
        assert (first.reply_serial, first.reply_msg_id) == (heartbeat, 0x0002)
        await lock.send(LHASA, serial=serial)  # retransmission, same serial
        assert await lock.ack() == PlatformResponse(serial, 0x0200, 0)
        assert [fix.fix_time for fix in stored] == [FIX_TIME]

    run(scenario, flaky_sink)


def test_a_2019_backfill_batch_split_across_reads_is_stored_whole_then_acknowledged() -> None:
    sink = RecordingSink()
    batch = BatchLocation((LHASA, LocationReport.at(30.0, 91.0, FIX_TIME)), backfill=True)

    async def scenario(lock: SimulatedLock) -> None:
        await lock.log_in()
        frame = encode(batch, terminal=PHONE, serial=9, edition=Edition.V2019)
        for i in range(0, len(frame), 7):
            await lock.send_raw(frame[i : i + 7])
            await asyncio.sleep(0)
        reply = await lock.reply()
        assert reply.header.edition is Edition.V2019
        assert reply.body == PlatformResponse(9, 0x0704, 0)
        [fixes] = sink.batches
        assert [fix.lat for fix in fixes] == [29.652, 30.0]

    run(scenario, sink, edition=Edition.V2019)


def test_a_fix_resent_in_a_blind_area_batch_under_another_serial_keeps_its_seq() -> None:
    """The reply to a 0x0200 is lost; the lock sends the report again in a 0x0704 later: the
    store's duplicate key (seal, seq, fix time) must see the same fix."""
    sink = RecordingSink()
    other = LocationReport.at(30.0, 91.0, FIX_TIME)

    async def scenario(lock: SimulatedLock) -> None:
        await lock.log_in()
        single = await lock.send(LHASA)
        assert await lock.ack() == PlatformResponse(single, 0x0200, 0)
        batch = await lock.send(BatchLocation((other, LHASA), backfill=True))
        assert batch != single
        assert await lock.ack() == PlatformResponse(batch, 0x0704, 0)
        [[alone], [first, again]] = sink.batches
        assert again == alone  # same seq, fix time and readings: one row in the store
        assert first.fix_time == alone.fix_time and first.seq != alone.seq  # another fix

    run(scenario, sink)


# Status bit 1 clear: the terminal has no GNSS fix (jammed, in a tunnel) and sends its last
# position or zero. The lock is opened (0xE1 = 1), cut (0xE3) and its battery at 9 %.
JAMMED = replace(
    LHASA,
    status=0,
    latitude_e6=0,
    longitude_e6=0,
    extras=((0xE1, b"\x01"), (0xE2, b"\x09"), (0xE3, b"\x01")),
)


def test_a_report_without_a_gnss_fix_reaches_the_sink_marked_without_position() -> None:
    sink, rejects = RecordingSink(), RecordingRejects()
    stale_and_wild = replace(JAMMED, latitude_e6=0xFFFFFFFF)  # never used: not refused

    async def scenario(lock: SimulatedLock) -> None:
        await lock.log_in()
        serial = await lock.send(JAMMED)
        assert await lock.ack() == PlatformResponse(serial, 0x0200, 0)
        serial = await lock.send(BatchLocation((stale_and_wild, LHASA)))
        assert await lock.ack() == PlatformResponse(serial, 0x0704, 0)
        [[jammed], [wild, placed]] = sink.batches
        assert not jammed.positioned and not wild.positioned and placed.positioned
        assert (jammed.lock_state, jammed.tamper, jammed.battery_pct) == (
            LockState.OPENED,
            True,
            9,
        )
        assert rejects.refused == []

    run(scenario, sink, rejects=rejects)


def test_a_silent_connection_is_closed_after_the_idle_timeout() -> None:
    async def scenario(lock: SimulatedLock) -> None:
        async with asyncio.timeout(WAIT):
            assert await lock.reader.read(1024) == b""

    run(scenario, idle_timeout=0.2)


# Latitude and longitude are unsigned DWORDs in 1e-6 degrees: a firmware writing a negative
# number as two's complement sends 4294.967295 degrees.
FAR_NORTH = replace(LHASA, latitude_e6=0xFFFFFFFF)
FAR_EAST = replace(LHASA, longitude_e6=200_000_000)


def test_a_report_out_of_range_is_refused_not_stored_and_the_connection_survives() -> None:
    sink, rejects = RecordingSink(), RecordingRejects()

    async def scenario(lock: SimulatedLock) -> None:
        await lock.log_in()
        serial = await lock.send(FAR_NORTH)
        assert await lock.ack() == PlatformResponse(serial, 0x0200, 2)
        assert sink.batches == []
        [refused] = rejects.refused
        assert (refused.seal_id, refused.terminal, refused.msg_id) == ("EL-0042", PHONE, 0x0200)
        assert refused.reason == "bad_values" and "4294.967295" in refused.detail
        assert refused.frame[0] == 0x7E and refused.frame[-1] == 0x7E
        serial = await lock.send(Heartbeat())
        assert await lock.ack() == PlatformResponse(serial, 0x0002, 0)
        serial = await lock.send(LHASA)
        assert await lock.ack() == PlatformResponse(serial, 0x0200, 0)
        assert [[f.lat for f in batch] for batch in sink.batches] == [[29.652]]

    run(scenario, sink, rejects=rejects)


def test_a_batch_stores_its_valid_fixes_and_refuses_the_ones_out_of_range() -> None:
    sink, rejects = RecordingSink(), RecordingRejects()
    batch = BatchLocation((FAR_EAST, LHASA, FAR_NORTH))

    async def scenario(lock: SimulatedLock) -> None:
        await lock.log_in()
        serial = await lock.send(batch)
        assert await lock.ack() == PlatformResponse(serial, 0x0704, 2)
        [[stored]] = sink.batches
        assert (stored.lat, stored.lon) == (29.652, 91.172)
        assert [r.detail for r in rejects.refused] == [
            "position out of range: lat 29.652, lon 200.0",
            "position out of range: lat 4294.967295, lon 91.172",
        ]

    run(scenario, sink, rejects=rejects)


def test_a_fix_that_is_not_a_finite_position_is_refused() -> None:
    fix = SealFix("EL-0042", 1, FIX_TIME, 29.652, 91.172, 42.5, 90.0, LockState.LOCKED, False)
    assert refusal(fix) is None
    assert refusal(replace(fix, lat=-90.0, lon=180.0)) is None
    assert refusal(replace(fix, lat=4294.967295, positioned=False)) is None  # never used
    assert refusal(replace(fix, positioned=False, speed_kmh=math.inf)) is not None
    for bad in (
        replace(fix, lat=math.nan),
        replace(fix, lon=math.inf),
        replace(fix, lat=90.000001),
        replace(fix, lon=-180.5),
        replace(fix, speed_kmh=math.inf),
        replace(fix, course=math.nan),
        replace(fix, battery_pct=math.nan),
    ):
        assert refusal(bad) is not None, bad
