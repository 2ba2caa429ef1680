"""JT/T 808 bytes <-> messages: header (clause 4.4.3), field types (clause 4.2), bodies.

Assumptions are listed in ``messages``; this module only reads and writes them.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from landport.seals.jt808.framing import FrameError, TruncatedError, unwrap, wrap
from landport.seals.jt808.messages import (
    ATTR_SUBPACKAGE,
    ATTR_VERSION,
    AUTHENTICATION,
    BATCH_LOCATION,
    BEIJING,
    HEARTBEAT,
    LOCATION,
    LOGOUT,
    MAX_BODY,
    PLATFORM_RESPONSE,
    REG_OK,
    REGISTRATION,
    REGISTRATION_RESPONSE,
    TERMINAL_RESPONSE,
    Authentication,
    BatchLocation,
    Body,
    BodyError,
    Edition,
    Header,
    Heartbeat,
    LocationReport,
    Logout,
    Message,
    PlatformResponse,
    RawBody,
    Registration,
    RegistrationResponse,
    TerminalResponse,
)

# --- field codecs ------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise TruncatedError(f"body cut short: needs {self.pos + n} bytes, has {len(self)}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def __len__(self) -> int:
        return len(self.data)

    def byte(self) -> int:
        return self.take(1)[0]

    def word(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def dword(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    def done(self) -> None:
        if self.pos != len(self.data):
            raise BodyError(f"{len(self.data) - self.pos} unexpected bytes after the body")


def bcd_decode(data: bytes) -> str:
    digits = data.hex()
    if not digits.isdigit():
        raise BodyError(f"BCD field {digits.upper()} holds a nibble above 9")
    return digits


def bcd_encode(digits: str, size: int) -> bytes:
    if not digits.isdigit() or len(digits) > size * 2:
        raise ValueError(f"{digits!r} does not fit BCD[{size}]")
    return bytes.fromhex(digits.rjust(size * 2, "0"))


def bcd_time_decode(data: bytes) -> datetime:
    """BCD[6] YYMMDDhhmmss in Beijing time -> aware UTC (clause 8.18, table 23)."""
    text = bcd_decode(data)
    try:
        local = datetime.strptime("20" + text, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise BodyError(f"time {text} is not a valid YYMMDDhhmmss") from exc
    return local.astimezone(UTC)


def bcd_time_encode(moment: datetime) -> bytes:
    if moment.tzinfo is None:
        raise ValueError("fix times must be timezone-aware")
    return bytes.fromhex(moment.astimezone(BEIJING).strftime("%y%m%d%H%M%S"))


def _text_decode(data: bytes) -> str:
    return data.rstrip(b"\x00 ").decode("gbk", errors="replace")


def _fixed(text: str, size: int) -> bytes:
    raw = text.encode("gbk")
    if len(raw) > size:
        raise ValueError(f"{text!r} is longer than BYTE[{size}]")
    return raw.ljust(size, b"\x00")


# Fixed field sizes of 0x0100 (manufacturer, model, terminal ID) per edition.
_REGISTRATION_SIZES = {Edition.V2013: (5, 20, 7), Edition.V2019: (11, 30, 30)}
_BASIC = struct.Struct(">IIIIHHH")  # alarm, status, lat, lon, altitude, speed, course


def _decode_location(data: bytes) -> LocationReport:
    r = _Reader(data)
    alarm, status, lat, lon, alt, speed, course = _BASIC.unpack(r.take(_BASIC.size))
    fix_time = bcd_time_decode(r.take(6))
    extras: list[tuple[int, bytes]] = []
    while r.pos < len(r):
        item_id = r.byte()
        extras.append((item_id, r.take(r.byte())))
    return LocationReport(alarm, status, lat, lon, alt, speed, course, fix_time, tuple(extras))


def _encode_location(body: LocationReport) -> bytes:
    basic = _BASIC.pack(
        body.alarm,
        body.status,
        body.latitude_e6,
        body.longitude_e6,
        body.altitude_m,
        body.speed_e1,
        body.course,
    )
    items = b"".join(bytes([key, len(value)]) + value for key, value in body.extras)
    return basic + bcd_time_encode(body.fix_time) + items


def decode_body(msg_id: int, data: bytes, edition: Edition) -> Body:
    """Interpret a complete, plain body; unknown IDs come back as :class:`RawBody`."""
    r = _Reader(data)
    body: Body
    if msg_id == HEARTBEAT:
        body = Heartbeat()
    elif msg_id == LOGOUT:
        body = Logout()
    elif msg_id == LOCATION:
        return _decode_location(data)
    elif msg_id == BATCH_LOCATION:
        count, kind = r.word(), r.byte()
        if kind not in (0, 1):
            raise BodyError(f"batch type {kind} is neither 0 (normal) nor 1 (backfill)")
        reports = tuple(_decode_location(r.take(r.word())) for _ in range(count))
        body = BatchLocation(reports, backfill=kind == 1)
    elif msg_id == REGISTRATION:
        maker, model, tid = _REGISTRATION_SIZES[edition]
        province, city = r.word(), r.word()
        body = Registration(
            province=province,
            city=city,
            manufacturer=_text_decode(r.take(maker)),
            model=_text_decode(r.take(model)),
            terminal_id=_text_decode(r.take(tid)),
            plate_colour=r.byte(),
            plate=_text_decode(r.rest()),
        )
    elif msg_id == AUTHENTICATION and edition is Edition.V2019:
        code = _text_decode(r.take(r.byte()))
        body = Authentication(code, _text_decode(r.take(15)), _text_decode(r.take(20)))
    elif msg_id == AUTHENTICATION:
        body = Authentication(_text_decode(r.rest()))
    elif msg_id in (PLATFORM_RESPONSE, TERMINAL_RESPONSE):
        cls = PlatformResponse if msg_id == PLATFORM_RESPONSE else TerminalResponse
        body = cls(r.word(), r.word(), r.byte())
    elif msg_id == REGISTRATION_RESPONSE:
        serial, result = r.word(), r.byte()
        code = _text_decode(r.rest()) if result == REG_OK else ""
        body = RegistrationResponse(serial, result, code)
    else:
        return RawBody(msg_id, data)
    r.done()
    return body


def encode_body(body: Body, edition: Edition) -> bytes:
    if isinstance(body, Heartbeat | Logout):
        return b""
    if isinstance(body, LocationReport):
        return _encode_location(body)
    if isinstance(body, BatchLocation):
        items = [_encode_location(report) for report in body.reports]
        head = struct.pack(">HB", len(items), 1 if body.backfill else 0)
        return head + b"".join(struct.pack(">H", len(item)) + item for item in items)
    if isinstance(body, Registration):
        maker, model, tid = _REGISTRATION_SIZES[edition]
        return (
            struct.pack(">HH", body.province, body.city)
            + _fixed(body.manufacturer, maker)
            + _fixed(body.model, model)
            + _fixed(body.terminal_id, tid)
            + bytes([body.plate_colour])
            + body.plate.encode("gbk")
        )
    if isinstance(body, Authentication):
        code = body.auth_code.encode("gbk")
        if edition is Edition.V2013:
            return code
        imei, version = _fixed(body.imei, 15), _fixed(body.software_version, 20)
        return bytes([len(code)]) + code + imei + version
    if isinstance(body, PlatformResponse | TerminalResponse):
        return struct.pack(">HHB", body.reply_serial, body.reply_msg_id, body.result)
    if isinstance(body, RegistrationResponse):
        code = body.auth_code.encode("gbk") if body.result == REG_OK else b""
        return struct.pack(">HB", body.reply_serial, body.result) + code
    return body.data


def body_msg_id(body: Body) -> int:
    return body.msg_id if isinstance(body, RawBody) else body.MSG_ID


# --- header and whole messages -----------------------------------------------------------


def _decode_header(r: _Reader) -> tuple[Header, int]:
    msg_id, attrs = r.word(), r.word()
    edition = Edition.V2019 if attrs & ATTR_VERSION else Edition.V2013
    protocol_version = r.byte() if edition is Edition.V2019 else 1
    phone = bcd_decode(r.take(10 if edition is Edition.V2019 else 6))
    serial = r.word()
    packet = (r.word(), r.word()) if attrs & ATTR_SUBPACKAGE else None
    header = Header(
        msg_id=msg_id,
        terminal=phone.lstrip("0") or "0",
        serial=serial,
        edition=edition,
        protocol_version=protocol_version,
        encryption=(attrs >> 10) & 0b111,
        packet=packet,
    )
    return header, attrs & MAX_BODY


def peek_header(frame: bytes) -> Header | None:
    """Best-effort header of a damaged frame, so the error reply can name its serial."""
    inner = frame.strip(b"\x7e").replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")
    try:
        return _decode_header(_Reader(inner))[0]
    except FrameError:
        return None


def decode_message(frame: bytes) -> Message:
    """A frame (flags optional, still escaped) -> :class:`Message`, or a FrameError."""
    r = _Reader(unwrap(frame))
    header, length = _decode_header(r)
    data = r.rest()
    if len(data) < length:
        raise TruncatedError(f"body has {len(data)} bytes, header announces {length}")
    if len(data) > length:
        raise BodyError(f"body has {len(data)} bytes, header announces {length}")
    if header.packet is not None or header.encryption:
        return Message(header, RawBody(header.msg_id, data))
    return Message(header, decode_body(header.msg_id, data, header.edition))


def encode_message(message: Message) -> bytes:
    """A :class:`Message` -> a complete escaped frame with check code and flags."""
    h = message.header
    if body_msg_id(message.body) != h.msg_id:
        raise ValueError(f"body is not a 0x{h.msg_id:04X} body")
    body = encode_body(message.body, h.edition)
    if len(body) > MAX_BODY:
        raise ValueError(f"body of {len(body)} bytes needs subpackaging (max {MAX_BODY})")
    attrs = len(body) | (h.encryption & 0b111) << 10
    attrs |= ATTR_SUBPACKAGE if h.packet else 0
    attrs |= ATTR_VERSION if h.edition is Edition.V2019 else 0
    out = struct.pack(">HH", h.msg_id, attrs)
    if h.edition is Edition.V2019:
        out += bytes([h.protocol_version]) + bcd_encode(h.terminal, 10)
    else:
        out += bcd_encode(h.terminal, 6)
    out += struct.pack(">H", h.serial)
    if h.packet:
        out += struct.pack(">HH", *h.packet)
    return wrap(out + body)


def encode(
    body: Body,
    *,
    terminal: str,
    serial: int,
    edition: Edition = Edition.V2013,
    protocol_version: int = 1,
) -> bytes:
    """Build one frame for a body (what simulated devices and the gateway send)."""
    header = Header(body_msg_id(body), terminal, serial, edition, protocol_version)
    return encode_message(Message(header, body))
