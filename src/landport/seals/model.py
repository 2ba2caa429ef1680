"""Electronic seals (customs e-locks), their position fixes, and transit trips."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

#: An e-lock's id (e.g. EL-0042), checked with `fullmatch`: registration and the telemetry
#: topics read it the same way, so a topic naming anything else names no seal.
SEAL_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{3,39}")


class LockState(StrEnum):
    LOCKED = "locked"
    OPENED = "opened"


#: A lock state by its wire value, without the enum's slower lookup (read on every fix).
LOCK_STATES: dict[str, LockState] = {state.value: state for state in LockState}


class SealState(StrEnum):
    """Where an e-lock is in its own life, apart from any trip."""

    AVAILABLE = "available"  # in the pool at the yard
    ARMED = "armed"  # sealed onto a container, on a trip
    ALARM = "alarm"  # armed, with an open tamper/opening alert
    DISARMED = "disarmed"  # removed at the border, on its way back to the pool
    MAINTENANCE = "maintenance"


class SealProtocol(StrEnum):
    JSON_MQTT = "json-mqtt"
    JT808 = "jt808"


@dataclass(slots=True)
class ElectronicSeal:
    """A customs e-lock: a BeiDou terminal that reports position and lock state."""

    seal_id: str
    vendor: str
    protocol: SealProtocol
    secret: str  # per-device key: signs JSON-over-MQTT messages; never sent to a device
    state: SealState = SealState.AVAILABLE
    battery_pct: float | None = None
    terminal_id: str | None = None  # JT/T 808 terminal phone number, when it differs


@dataclass(frozen=True, slots=True)
class SealFix:
    """One position report of an e-lock, whatever protocol carried it (times in UTC).

    `positioned` False: the device had no satellite fix when it reported (a JT/T 808 report
    with its GNSS status bit clear, e.g. jammed or in a tunnel). Its lock, tamper and battery
    readings count; `lat`/`lon` are what it sent (stale or zero) and are never used as a
    position: such a fix is neither on nor off the route, and it is no fix for the
    signal-lost check.
    """

    seal_id: str
    seq: int
    fix_time: datetime
    lat: float
    lon: float
    speed_kmh: float
    course: float
    lock_state: LockState
    tamper: bool
    battery_pct: float | None = None
    source: str = "mqtt"
    positioned: bool = True


class TripState(StrEnum):
    """在场 → 已出发 → 在途 → 抵达口岸 → 已核验 → 已出境; 场内撤封 ends it in the yard."""

    IN_YARD = "in_yard"
    DEPARTED = "departed"
    EN_ROUTE = "en_route"
    AT_BORDER = "at_border"
    VERIFIED = "verified"
    EXITED = "exited"
    REFERRED = "referred"  # the border sent the truck to inspection
    UNSEALED = "unsealed"  # customs took the e-lock off before the truck left the yard


#: How a trip ends: at the border, or with its e-lock taken off in the yard.
CLOSED_TRIPS = frozenset({TripState.EXITED, TripState.REFERRED, TripState.UNSEALED})
#: The order in which a border port's officers meet the trucks under way to it: at the gate
#: (verified or not), on the road, just departed, still in the yard.
TOWARDS_BORDER: dict[TripState, int] = {
    TripState.AT_BORDER: 0,
    TripState.VERIFIED: 0,
    TripState.EN_ROUTE: 1,
    TripState.DEPARTED: 2,
    TripState.IN_YARD: 3,
}


@dataclass(slots=True)
class TransitTrip:
    """One sealed journey from the land port to a border port under e-lock custody."""

    id: str
    seal_id: str
    declaration_id: str
    vehicle_plate: str
    containers: tuple[str, ...]
    route_id: str
    exit_port: str
    passport_digest: str
    armed_at: datetime
    armed_by: str
    window_start: datetime
    window_end: datetime
    state: TripState = TripState.IN_YARD
    route_version: int = 1  # the corridor as approved when the seal was armed
    version: int = 0
    notes: list[str] = field(default_factory=list)
    closed_at: datetime | None = None  # exited or referred at the border, unsealed in the yard
    # The departure the arrival window counts from: planned by the yard, then the gate-out.
    # None while the sealed truck waits in the yard with no departure planned.
    departs_at: datetime | None = None

    @property
    def window_counts_from(self) -> datetime:
        """The departure the window assumes: the one kept, else leaving when armed."""
        return self.departs_at or self.armed_at


#: How far a lock's clock and the arming's may disagree: a fix this much before the arming is
#: still the trip's (the lock reported while the officer armed it); an earlier trip's fixes
#: are hours older.
ARMING_SKEW = timedelta(minutes=10)


def before_arming(fix_time: datetime, armed_at: datetime) -> bool:
    """Whether a fix made at `fix_time` predates the arming of its seal's trip (`ARMING_SKEW`
    allowed): an earlier trip's dead letter replayed now, a lock that reported long before
    the arming reached it. Such a fix belongs to no trip (kept, never monitored): fed to the
    trip, it would replay it from a departure before it was armed."""
    return fix_time < armed_at - ARMING_SKEW
