"""TCP gateway for JT/T 808 e-locks: register, authenticate, then take location reports.

The one rule that matters: a location report is acknowledged (0x8001 result 0) only
after ``sink`` has returned, and ``sink`` returns only once the fixes are durably
committed. A terminal keeps every report until it is acknowledged and resends it, so a
crash between receipt and commit loses nothing (the retransmission may arrive twice, also
inside a later 0x0704 blind-area batch: a fix's ``seq`` comes from its fix time and content,
not from the message that carries it, so the store's duplicate key catches it).

Frames on one connection are handled one after another, so a slow sink slows that
terminal down instead of piling up memory. Reads are bounded (``read_size``, and the
splitter drops frames longer than any legal one); a silent connection is closed after
``idle_timeout`` seconds (terminals send 0x0002 heartbeats, default every 60 s).

Registration (clause 8.5-8.8) as JT/T 808 platforms do it: a terminal's first 0x0100 is
answered with a fresh random auth code (the directory keeps only its hash; the seal's own
secret never goes on the wire); a terminal that has registered is refused (0x8100 result 3)
until an officer resets its registration; an unknown terminal gets result 4. The terminal
keeps its code and authenticates (0x0102) with it on every connection.

A location report whose position cannot be one (latitude or longitude out of range, or a
value that is not a finite number) is refused as ``bad_values``: its fix is not stored, the
refusal goes to ``reject`` (the dead-letter store), and the report is answered with
0x8001 result 2; the valid fixes of the same batch are stored as usual.

A report without a GNSS fix (status bit 1 clear: jammed, in a tunnel, no sky) is stored
like any other, marked as without a position (``SealFix.positioned`` False): its lock,
tamper and battery readings reach the trip's monitoring, which places it at the trip's last
known position and never counts it on or off the route. Its stale coordinates are not
checked, but its other numbers are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from landport.seals.jt808.codec import decode_message, encode, peek_header
from landport.seals.jt808.framing import FrameError, FrameSplitter
from landport.seals.jt808.messages import (
    REG_OK,
    REG_TERMINAL_TAKEN,
    RESULT_BAD_MESSAGE,
    RESULT_FAIL,
    RESULT_OK,
    RESULT_UNSUPPORTED,
    Authentication,
    BatchLocation,
    Body,
    Header,
    Heartbeat,
    LocationReport,
    Logout,
    Message,
    PlatformResponse,
    Registration,
    RegistrationResponse,
    TerminalResponse,
)
from landport.seals.jt808.vendors import to_fixes
from landport.seals.model import SealFix

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SealBinding:
    """Which seal a terminal phone number is, and whose vendor table reads it."""

    seal_id: str
    vendor: str


@dataclass(frozen=True, slots=True)
class Registered:
    """The answer to a registration (0x0100): result 0 (``REG_OK``) with a new auth code,
    ``REG_TERMINAL_TAKEN`` (3) if the terminal has registered, ``REG_NO_TERMINAL`` (4) if
    it is no seal's terminal."""

    result: int
    auth_code: str = ""


class TerminalDirectory(Protocol):
    """Which terminals are seals, and the auth codes issued to them (blocking calls: the
    gateway makes them off the event loop)."""

    def register(self, terminal: str) -> Registered:
        """A terminal registers: a fresh code the first time (only its hash is kept)."""
        ...

    def authenticate(self, terminal: str, auth_code: str) -> SealBinding | None:
        """The terminal's seal if the code is the one issued to it (compared in constant
        time), else None."""
        ...


@dataclass(frozen=True, slots=True)
class RefusedFix:
    """A decoded fix refused as not a position, with the frame that carried it."""

    seal_id: str
    terminal: str
    msg_id: int
    reason: str
    detail: str
    frame: bytes


FixSink = Callable[[list[SealFix]], Awaitable[None]]
RejectSink = Callable[[list[RefusedFix]], Awaitable[None]]

BAD_VALUES = "bad_values"  # the MQTT path's reason for the same refusal


def refusal(fix: SealFix) -> str | None:
    """Why a decoded fix is not a position (None if it is one, or a fix reported without a
    GNSS fix, whose coordinates are never used)."""
    in_range = -90 <= fix.lat <= 90 and -180 <= fix.lon <= 180  # also refuses NaN
    if fix.positioned and not in_range:
        return f"position out of range: lat {fix.lat}, lon {fix.lon}"
    numbers = (fix.speed_kmh, fix.course, 0.0 if fix.battery_pct is None else fix.battery_pct)
    if not all(math.isfinite(n) for n in numbers):
        return "speed, course or battery is not a finite number"
    return None


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    sink: FixSink
    directory: TerminalDirectory
    reject: RejectSink | None = None
    idle_timeout: float = 300.0
    read_size: int = 4096


class _Session:
    """One terminal connection: its authentication state and its reply serials."""

    def __init__(
        self, config: GatewayConfig, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.config = config
        self.reader = reader
        self.writer = writer
        self.splitter = FrameSplitter()
        self.terminal: str | None = None  # set once 0x0102 succeeds
        self.binding: SealBinding | None = None
        self.serial = 0
        self.peer = writer.get_extra_info("peername")

    async def run(self) -> None:
        while True:
            try:
                data = await asyncio.wait_for(
                    self.reader.read(self.config.read_size), self.config.idle_timeout
                )
            except TimeoutError:
                log.info("jt808 %s idle for %ss, closing", self.peer, self.config.idle_timeout)
                return
            if not data:
                return
            for frame in self.splitter.feed(data):
                await self.handle(frame)

    async def handle(self, frame: bytes) -> None:
        try:
            message = decode_message(frame)
        except FrameError as exc:
            log.warning("jt808 %s bad frame %s: %s", self.peer, frame.hex().upper(), exc)
            await self.answer_bad_frame(frame)
            return
        header, body = message.header, message.body
        if isinstance(body, Registration):
            await self.register(header)
        elif isinstance(body, Authentication):
            await self.authenticate(header, body)
        elif isinstance(body, LocationReport | BatchLocation):
            await self.take_locations(message, frame)
        elif isinstance(body, Heartbeat):
            await self.respond(header, RESULT_OK)
        elif isinstance(body, Logout):
            self.terminal, self.binding = None, None
            await self.respond(header, RESULT_OK)
        elif isinstance(body, TerminalResponse):
            pass  # the terminal acknowledging one of ours: nothing to answer
        else:
            await self.respond(header, RESULT_UNSUPPORTED)

    async def register(self, header: Header) -> None:
        """0x0100 -> 0x8100 (clause 8.6): a new auth code, 'already registered' or 'no such
        terminal'."""
        outcome = await asyncio.to_thread(self.config.directory.register, header.terminal)
        if outcome.result == REG_OK:
            log.info(
                "jt808 %s terminal %s registered, auth code issued", self.peer, header.terminal
            )
        elif outcome.result == REG_TERMINAL_TAKEN:
            log.warning(
                "jt808 %s terminal %s registers again: refused until its registration is reset",
                self.peer,
                header.terminal,
            )
        else:
            log.warning("jt808 %s unknown terminal %s registers", self.peer, header.terminal)
        await self.send(
            header, RegistrationResponse(header.serial, outcome.result, outcome.auth_code)
        )

    async def authenticate(self, header: Header, body: Authentication) -> None:
        binding = await asyncio.to_thread(
            self.config.directory.authenticate, header.terminal, body.auth_code
        )
        if binding is not None:
            self.terminal, self.binding = header.terminal, binding
        else:
            self.terminal, self.binding = None, None
            log.warning("jt808 %s terminal %s failed authentication", self.peer, header.terminal)
        await self.respond(header, RESULT_FAIL if binding is None else RESULT_OK)

    async def take_locations(self, message: Message, frame: bytes) -> None:
        header = message.header
        if self.binding is None or header.terminal != self.terminal:
            await self.respond(header, RESULT_FAIL)
            return
        seal_id = self.binding.seal_id
        try:
            fixes = to_fixes(message, seal_id=seal_id, vendor=self.binding.vendor)
            good: list[SealFix] = []
            refused: list[RefusedFix] = []
            for fix in fixes:
                why = refusal(fix)
                if why is None:
                    good.append(fix)
                else:
                    refused.append(
                        RefusedFix(seal_id, header.terminal, header.msg_id, BAD_VALUES, why, frame)
                    )
            if good:
                await self.config.sink(good)
            if refused:
                log.warning(
                    "jt808 %s %d fix(es) of %s refused (%s) in %s",
                    self.peer,
                    len(refused),
                    header.terminal,
                    refused[0].detail,
                    frame.hex().upper(),
                )
                if self.config.reject is not None:
                    await self.config.reject(refused)
        except Exception:
            # No ack: the terminal keeps the report and sends it again.
            log.exception("jt808 %s reports of %s not stored", self.peer, header.terminal)
            return
        await self.respond(header, RESULT_BAD_MESSAGE if refused else RESULT_OK)

    async def answer_bad_frame(self, frame: bytes) -> None:
        header = peek_header(frame)
        if header is None:
            header = Header(0, self.terminal or "0", 0)
        await self.respond(header, RESULT_BAD_MESSAGE)

    async def respond(self, header: Header, result: int) -> None:
        await self.send(header, PlatformResponse(header.serial, header.msg_id, result))

    async def send(self, request: Header, body: Body) -> None:
        """Reply in the request's edition, to its terminal, with our own serial."""
        frame = encode(
            body,
            terminal=request.terminal,
            serial=self.serial,
            edition=request.edition,
            protocol_version=request.protocol_version,
        )
        self.serial = (self.serial + 1) & 0xFFFF
        self.writer.write(frame)
        await self.writer.drain()


async def _handle_connection(
    config: GatewayConfig, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    session = _Session(config, reader, writer)
    try:
        await session.run()
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        log.info("jt808 %s connection lost: %s", session.peer, exc)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def start(
    host: str,
    port: int,
    sink: FixSink,
    *,
    directory: TerminalDirectory,
    reject: RejectSink | None = None,
    idle_timeout: float = 300.0,
    read_size: int = 4096,
) -> asyncio.Server:
    """Listen and return the server (port 0 picks a free port; see ``server.sockets``)."""
    config = GatewayConfig(sink, directory, reject, idle_timeout, read_size)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _handle_connection(config, reader, writer)

    return await asyncio.start_server(on_connect, host, port, limit=read_size)


async def serve(
    host: str,
    port: int,
    sink: FixSink,
    *,
    directory: TerminalDirectory,
    reject: RejectSink | None = None,
    idle_timeout: float = 300.0,
    read_size: int = 4096,
) -> None:
    """Run the gateway until cancelled."""
    server = await start(
        host,
        port,
        sink,
        directory=directory,
        reject=reject,
        idle_timeout=idle_timeout,
        read_size=read_size,
    )
    async with server:
        await server.serve_forever()
