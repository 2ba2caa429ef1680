"""The JT/T 808 gateway on a real loopback socket, talked to by a simulated e-lock.

Each test runs its own event loop (``asyncio.run``), starts the gateway on a free port
and plays the terminal's side with asyncio streams and the same codec.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from landport.adapters.jt808_gateway import FixSink, SealBinding, start
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
from landport.seals.jt808.messages import Body
from landport.seals.model import LockState, SealFix

PHONE = "13912345678"
AUTH_CODE = "AUTH-42"
CODES = {PHONE: AUTH_CODE}
SEALS = {PHONE: SealBinding("EL-0042", "generic")}
WAIT = 2.0  # seconds: generous, only reached when a test fails

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

    async def log_in(self) -> None:
        await self.send(Registration(54, 100, "LPT", "ELOCK", "T1", 0, "藏A12345"))
        registered = (await self.reply()).body
        assert isinstance(registered, RegistrationResponse)
        await self.send(Authentication(registered.auth_code, "861234567890123", "V1"))
        assert (await self.ack()).result == 0


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
) -> None:
    async def main() -> None:
        server = await start(
            "127.0.0.1",
            0,
            sink or RecordingSink(),
            auth=CODES.get,
            seal_for=SEALS.get,
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


def test_a_registered_lock_receives_its_auth_code_and_authenticates_with_it() -> None:
    async def scenario(lock: SimulatedLock) -> None:
        serial = await lock.send(Registration(54, 100, "LPT", "ELOCK", "T1", 0, "藏A12345"))
        reply = await lock.reply()
        assert reply.header.msg_id == 0x8100
        assert reply.header.terminal == PHONE
        assert reply.body == RegistrationResponse(serial, 0, AUTH_CODE)
        serial = await lock.send(Authentication(AUTH_CODE))
        assert await lock.ack() == PlatformResponse(serial, 0x0102, 0)

    run(scenario)


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
        assert (fix.seal_id, fix.seq, fix.lat, fix.lon) == ("EL-0042", serial, 29.652, 91.172)
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
        assert [fix.seq for fix in stored] == [serial]

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


def test_a_silent_connection_is_closed_after_the_idle_timeout() -> None:
    async def scenario(lock: SimulatedLock) -> None:
        async with asyncio.timeout(WAIT):
            assert await lock.reader.read(1024) == b""

    run(scenario, idle_timeout=0.2)
