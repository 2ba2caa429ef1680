"""TCP gateway for JT/T 808 e-locks: register, authenticate, then take location reports.

The one rule that matters: a location report is acknowledged (0x8001 result 0) only
after ``sink`` has returned, and ``sink`` returns only once the fixes are durably
committed. A terminal keeps every report until it is acknowledged and resends it, so a
crash between receipt and commit loses nothing (the retransmission may arrive twice;
fixes carry a ``seq`` that is stable under retransmission for de-duplication).

Frames on one connection are handled one after another, so a slow sink slows that
terminal down instead of piling up memory. Reads are bounded (``read_size``, and the
splitter drops frames longer than any legal one); a silent connection is closed after
``idle_timeout`` seconds (terminals send 0x0002 heartbeats, default every 60 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from landport.seals.jt808.codec import decode_message, encode, peek_header
from landport.seals.jt808.framing import FrameError, FrameSplitter
from landport.seals.jt808.messages import (
    REG_NO_TERMINAL,
    REG_OK,
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


FixSink = Callable[[list[SealFix]], Awaitable[None]]
AuthCodeFor = Callable[[str], str | None]  # terminal phone -> its auth code, None if unknown
SealFor = Callable[[str], SealBinding | None]  # terminal phone -> seal, None if unknown


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    sink: FixSink
    auth: AuthCodeFor
    seal_for: SealFor
    idle_timeout: float = 300.0
    read_size: int = 4096
    keep_unpositioned: bool = False


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
            await self.take_locations(message)
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
        """0x0100 -> 0x8100 with the terminal's auth code (clause 8.6), or 'no such terminal'."""
        code = self.config.auth(header.terminal)
        if code is None:
            log.warning("jt808 %s unknown terminal %s registers", self.peer, header.terminal)
            await self.send(header, RegistrationResponse(header.serial, REG_NO_TERMINAL))
        else:
            await self.send(header, RegistrationResponse(header.serial, REG_OK, code))

    async def authenticate(self, header: Header, body: Authentication) -> None:
        expected = self.config.auth(header.terminal)
        binding = self.config.seal_for(header.terminal)
        ok = (
            expected is not None
            and binding is not None
            and hmac.compare_digest(expected.encode(), body.auth_code.encode())
        )
        if ok:
            self.terminal, self.binding = header.terminal, binding
        else:
            self.terminal, self.binding = None, None
            log.warning("jt808 %s terminal %s failed authentication", self.peer, header.terminal)
        await self.respond(header, RESULT_OK if ok else RESULT_FAIL)

    async def take_locations(self, message: Message) -> None:
        header = message.header
        if self.binding is None or header.terminal != self.terminal:
            await self.respond(header, RESULT_FAIL)
            return
        try:
            fixes = to_fixes(
                message,
                seal_id=self.binding.seal_id,
                vendor=self.binding.vendor,
                keep_unpositioned=self.config.keep_unpositioned,
            )
            if fixes:
                await self.config.sink(fixes)
        except Exception:
            # No ack: the terminal keeps the report and sends it again.
            log.exception("jt808 %s reports of %s not stored", self.peer, header.terminal)
            return
        await self.respond(header, RESULT_OK)

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
    auth: AuthCodeFor,
    seal_for: SealFor,
    idle_timeout: float = 300.0,
    read_size: int = 4096,
    keep_unpositioned: bool = False,
) -> asyncio.Server:
    """Listen and return the server (port 0 picks a free port; see ``server.sockets``)."""
    config = GatewayConfig(sink, auth, seal_for, idle_timeout, read_size, keep_unpositioned)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _handle_connection(config, reader, writer)

    return await asyncio.start_server(on_connect, host, port, limit=read_size)


async def serve(
    host: str,
    port: int,
    sink: FixSink,
    *,
    auth: AuthCodeFor,
    seal_for: SealFor,
    idle_timeout: float = 300.0,
    read_size: int = 4096,
    keep_unpositioned: bool = False,
) -> None:
    """Run the gateway until cancelled."""
    server = await start(
        host,
        port,
        sink,
        auth=auth,
        seal_for=seal_for,
        idle_timeout=idle_timeout,
        read_size=read_size,
        keep_unpositioned=keep_unpositioned,
    )
    async with server:
        await server.serve_forever()
