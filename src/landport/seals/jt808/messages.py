"""JT/T 808 header and the message bodies an e-lock gateway needs, both editions.

Clause numbers refer to JT/T 808-2013; the 2019 edition keeps the numbering for these
messages and changes only what is noted. Big-endian throughout (clause 4.2).

Assumptions (documented because devices differ):
- Terminal phone numbers are BCD digits only; a nibble above 9 (some firmwares pad with
  F) is rejected. ``Header.terminal`` holds the digits without leading zeros, so the
  same SIM reads the same in 2013 (BCD[6]) and 2019 (BCD[10]) frames.
- BCD years are 20YY. Times are Beijing time (UTC+8) on the wire, UTC in our objects.
- Fixed-size text fields (manufacturer, model, terminal ID, IMEI, software version) are
  right-padded with 0x00; we strip NULs and spaces. STRING fields are GBK.
- Subpackaged or encrypted bodies are not reassembled/decrypted: they decode as
  :class:`RawBody` (e-locks send short location reports that never need either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import ClassVar

from landport.seals.jt808.framing import FrameError

BEIJING = timezone(timedelta(hours=8), "UTC+8")
MAX_BODY = 0x03FF  # 10-bit body length (clause 4.4.3, table 2)

ATTR_SUBPACKAGE = 1 << 13
ATTR_VERSION = 1 << 14

# Message IDs (clause 8; the 0x8xxx ones come from the platform).
TERMINAL_RESPONSE = 0x0001
HEARTBEAT = 0x0002
LOGOUT = 0x0003
REGISTRATION = 0x0100
AUTHENTICATION = 0x0102
LOCATION = 0x0200
BATCH_LOCATION = 0x0704
PLATFORM_RESPONSE = 0x8001
REGISTRATION_RESPONSE = 0x8100

# 0x8001 results (clause 8.2) and 0x8100 results (clause 8.6).
RESULT_OK, RESULT_FAIL, RESULT_BAD_MESSAGE, RESULT_UNSUPPORTED, RESULT_ALARM_ACK = range(5)
REG_OK, REG_VEHICLE_TAKEN, REG_NO_VEHICLE, REG_TERMINAL_TAKEN, REG_NO_TERMINAL = range(5)


class BodyError(FrameError):
    """The frame is intact but its body does not follow the standard."""


class Edition(StrEnum):
    V2013 = "2013"
    V2019 = "2019"


@dataclass(frozen=True, slots=True)
class Header:
    """Message header (clause 4.4.3; 2019 adds the version flag and a BCD[10] phone)."""

    msg_id: int
    terminal: str
    serial: int
    edition: Edition = Edition.V2013
    protocol_version: int = 1  # 2019 only
    encryption: int = 0  # bits 10-12 of the body attributes; 0 = plain
    packet: tuple[int, int] | None = None  # (total, index) when subpackaged


# --- bodies ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heartbeat:
    MSG_ID: ClassVar[int] = HEARTBEAT


@dataclass(frozen=True, slots=True)
class Logout:
    MSG_ID: ClassVar[int] = LOGOUT


@dataclass(frozen=True, slots=True)
class Registration:
    """0x0100 (clause 8.5): who the terminal is and which vehicle carries it."""

    MSG_ID: ClassVar[int] = REGISTRATION
    province: int
    city: int
    manufacturer: str
    model: str
    terminal_id: str
    plate_colour: int
    plate: str


@dataclass(frozen=True, slots=True)
class Authentication:
    """0x0102 (clause 8.8); 2019 adds a length prefix, IMEI and software version."""

    MSG_ID: ClassVar[int] = AUTHENTICATION
    auth_code: str
    imei: str = ""
    software_version: str = ""


@dataclass(frozen=True, slots=True)
class LocationReport:
    """0x0200 basic information (clause 8.18, table 23) plus additional items (table 27).

    Coordinates and speed keep their wire units so a round trip is exact; the
    properties give signed degrees (status bit 2 = south, bit 3 = west) and km/h.
    """

    MSG_ID: ClassVar[int] = LOCATION
    alarm: int
    status: int
    latitude_e6: int
    longitude_e6: int
    altitude_m: int
    speed_e1: int
    course: int
    fix_time: datetime
    extras: tuple[tuple[int, bytes], ...] = ()

    @property
    def lat(self) -> float:
        return (-1 if self.status & 0b100 else 1) * self.latitude_e6 / 1e6

    @property
    def lon(self) -> float:
        return (-1 if self.status & 0b1000 else 1) * self.longitude_e6 / 1e6

    @property
    def speed_kmh(self) -> float:
        return self.speed_e1 / 10

    @property
    def positioned(self) -> bool:
        """Status bit 1: the terminal has a GNSS fix (else the position is stale)."""
        return bool(self.status & 0b10)

    def extra(self, item_id: int) -> bytes | None:
        """The value of an additional item (the last one, if repeated)."""
        found = None
        for key, value in self.extras:
            if key == item_id:
                found = value
        return found

    @classmethod
    def at(
        cls,
        lat: float,
        lon: float,
        fix_time: datetime,
        *,
        speed_kmh: float = 0.0,
        course: int = 0,
        altitude_m: int = 0,
        alarm: int = 0,
        status: int = 0b10,
        extras: tuple[tuple[int, bytes], ...] = (),
    ) -> LocationReport:
        """Build from signed degrees: sets or clears the south/west status bits."""
        status = (status & ~0b1100) | (0b100 if lat < 0 else 0) | (0b1000 if lon < 0 else 0)
        return cls(
            alarm=alarm,
            status=status,
            latitude_e6=round(abs(lat) * 1e6),
            longitude_e6=round(abs(lon) * 1e6),
            altitude_m=altitude_m,
            speed_e1=round(speed_kmh * 10),
            course=course,
            fix_time=fix_time,
            extras=extras,
        )


@dataclass(frozen=True, slots=True)
class BatchLocation:
    """0x0704 (clause 8.52): several reports at once; type 1 = blind-area backfill."""

    MSG_ID: ClassVar[int] = BATCH_LOCATION
    reports: tuple[LocationReport, ...]
    backfill: bool = False


@dataclass(frozen=True, slots=True)
class PlatformResponse:
    """0x8001 (clause 8.2): the platform's acknowledgement of one terminal message."""

    MSG_ID: ClassVar[int] = PLATFORM_RESPONSE
    reply_serial: int
    reply_msg_id: int
    result: int


@dataclass(frozen=True, slots=True)
class TerminalResponse:
    """0x0001 (clause 8.1): the terminal's acknowledgement of a platform message."""

    MSG_ID: ClassVar[int] = TERMINAL_RESPONSE
    reply_serial: int
    reply_msg_id: int
    result: int


@dataclass(frozen=True, slots=True)
class RegistrationResponse:
    """0x8100 (clause 8.6): the auth code travels only when the result is 0."""

    MSG_ID: ClassVar[int] = REGISTRATION_RESPONSE
    reply_serial: int
    result: int
    auth_code: str = ""


@dataclass(frozen=True, slots=True)
class RawBody:
    """A body we do not interpret (unknown ID, subpackaged or encrypted)."""

    msg_id: int
    data: bytes = field(default=b"")


Body = (
    Heartbeat
    | Logout
    | Registration
    | Authentication
    | LocationReport
    | BatchLocation
    | PlatformResponse
    | TerminalResponse
    | RegistrationResponse
    | RawBody
)


@dataclass(frozen=True, slots=True)
class Message:
    header: Header
    body: Body
