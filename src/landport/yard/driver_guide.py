"""What the truck driver needs from the yard: where to go now, in Chinese and English.

A driver has no account. The exporter (or the gate's ticket) hands him a link with a pass
for his one visit: the visit id and a keyed digest of it, so the link cannot be guessed or
turned into another truck's. It shows his truck's step and the next thing to do, nothing of
the goods or the enterprise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from landport.seals.calendar import BEIJING
from landport.seals.model import TripState
from landport.yard.appointment_model import SLOT_LENGTH, AppointmentStatus
from landport.yard.visits import VisitStatus

V = VisitStatus
_PURPOSE = b"landport driver pass v1:"
_DIGEST = re.compile(r"[A-Za-z0-9_-]{22}")
#: How long after the truck left the yard its link still opens (a trip takes up to 3 days).
LINK_OUTLIVES_EXIT = timedelta(days=4)
#: Where the driver's facts still apply: the station while at it, the slot while parked.
AT_STATION = frozenset({V.AT_LANE, V.AT_BAY})
PARKED = frozenset({V.PARKED, V.DEPARTURE_SCHEDULED})
LEFT = frozenset({V.GATED_OUT, V.ON_TRIP, V.SHUT_OUT})
ON_THE_ROAD = frozenset({V.GATED_OUT, V.ON_TRIP})
#: What the driver does once his e-lock trip has reached the border, by the trip's state.
BORDER_WORDS: dict[str, tuple[str, str]] = {
    "at_border": (
        "At {port}: show your truck to the border officers; they check the e-lock and "
        "release it without a second inspection.",
        "已到达{port}：请向口岸关员出示车辆，核验电子关锁后即可放行，无需再次查验。",
    ),
    "verified": (
        "Verified at {port}: the officers take the e-lock off; then cross the border.",
        "{port}已核验：关员拆除电子关锁后即可出境。",
    ),
    "exited": ("Crossed the border at {port}. Safe journey.", "已从{port}出境，一路平安。"),
    "referred": (
        "At {port}: the border officers send your truck to inspection; follow them.",
        "{port}：口岸关员要求查验车辆，请听从指挥。",
    ),
}


#: While the e-lock's trip is in these states the driver is shown where he may stop: from the
#: sealing to the border, the places on his corridor where a stop raises no alert.
STOPS_MATTER = frozenset({TripState.IN_YARD, TripState.DEPARTED, TripState.EN_ROUTE})


def shows_rest_stops(trip_state: str | None) -> bool:
    """Whether the driver is shown the rest stops of his route now."""
    return trip_state in STOPS_MATTER


def driver_pass(key: bytes, visit_id: str) -> str:
    """The pass for one visit: `<visit id>.<digest>` (URL-safe)."""
    return f"{visit_id}.{_digest(key, visit_id)}"


def visit_of_pass(key: bytes, token: str) -> str | None:
    """The visit a pass is for, or None when it is not one of ours (whatever it holds)."""
    visit_id, dot, digest = token.rpartition(".")
    if not dot or not visit_id or len(token) > 200 or not _DIGEST.fullmatch(digest):
        return None
    expected = _digest(key, visit_id).encode()
    return visit_id if hmac.compare_digest(digest.encode(), expected) else None


def _digest(key: bytes, visit_id: str) -> str:
    mac = hmac.new(key, _PURPOSE + visit_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def link_expired(status: VisitStatus, last_change: datetime, now: datetime) -> bool:
    """A link stops opening some days after its truck left the yard."""
    return status in LEFT and now - last_change > LINK_OUTLIVES_EXIT


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """What the next step depends on; times in Beijing time."""

    status: VisitStatus
    station_id: str | None = None
    station_is_bay: bool = False
    station_en: str | None = None  # what the sign at the station says
    station_zh: str | None = None
    slot_id: str | None = None
    held: bool = False
    leave_at: datetime | None = None
    arrive_at: datetime | None = None
    port_en: str | None = None  # the exit port's name as drivers know it
    port_zh: str | None = None
    booked_hour: datetime | None = None  # the start of the hour booked at the port, if any
    trip_state: str | None = None  # the e-lock trip's, once sealed (`TripState` values)


def hour_to_come(slot_start: datetime | None, status: str | None) -> datetime | None:
    """The booked hour the driver is told (Beijing time): only a booked appointment's, not
    a standby place nor one cancelled, missed or used."""
    if slot_start is None or status != AppointmentStatus.BOOKED.value:
        return None
    return slot_start.astimezone(BEIJING)


def as_it_stands(w: Whereabouts) -> Whereabouts:
    """Only the facts that still apply: the station while the truck is at it, the slot and
    departure while it is parked (a truck on its way has neither), the expected arrival at
    the border until the truck leaves the yard's hands."""
    at_station, parked = w.status in AT_STATION, w.status in PARKED
    return replace(
        w,
        station_id=w.station_id if at_station else None,
        station_is_bay=w.station_is_bay and at_station,
        station_en=w.station_en if at_station else None,
        station_zh=w.station_zh if at_station else None,
        slot_id=w.slot_id if parked else None,
        leave_at=w.leave_at if parked else None,
        arrive_at=w.arrive_at if parked or w.status in ON_THE_ROAD else None,
    )


def stopped_by_hold(w: Whereabouts) -> bool:
    """A hold matters to the driver until his truck has left (before it comes, too: a
    declaration customs stopped puts one on the announced truck)."""
    return w.held and w.status not in LEFT


def departure_words(w: Whereabouts) -> tuple[str, str] | None:
    """When to leave (and where he is expected when), in the driver's words."""
    if w.leave_at is None:
        return None
    en = f"Leave the yard at {w.leave_at:%H:%M} on {w.leave_at:%Y-%m-%d} (Beijing time)"
    zh = f"请于北京时间 {w.leave_at:%Y-%m-%d %H:%M} 离场发车"
    if w.arrive_at is not None and w.port_en and w.port_zh:
        en += f"; you are expected at {w.port_en} at {w.arrive_at:%H:%M} on {w.arrive_at:%Y-%m-%d}"
        zh += f"，预计 {w.arrive_at:%Y-%m-%d %H:%M} 到达{w.port_zh}"
    return en, zh


def _at_en(at: datetime) -> str:
    return f"{at:%H:%M} on {at:%Y-%m-%d} (Beijing time)"


def stage(w: Whereabouts) -> str:
    """Where the driver stands, as his page's badge says it: the yard visit's status, or once
    his trip has reached the border, the trip's own state (the visit stays "on trip")."""
    if w.status in LEFT and w.trip_state in BORDER_WORDS:
        return w.trip_state
    return w.status.value


def next_step(w: Whereabouts) -> tuple[str, str]:
    """The one thing the driver should do now (English, Chinese)."""
    if stopped_by_hold(w) and w.status is V.PRE_ADVISED:
        return (
            "Do not come to the yard yet: your truck is held; call your exporter.",
            "暂勿前来：车辆已被扣留，请联系发货企业。",
        )
    if stopped_by_hold(w):
        return (
            "Your truck is held: see the yard office before you move it.",
            "车辆已被扣留：挪车前请先到场站办公室。",
        )
    port_en, port_zh = w.port_en or "the border port", w.port_zh or "出境口岸"
    if w.status is V.PRE_ADVISED and w.booked_hour is not None:
        start, end = w.booked_hour, w.booked_hour + SLOT_LENGTH
        return (
            f"Come to the entry gate between {start:%H:%M} and {end:%H:%M} on {start:%Y-%m-%d} "
            "(Beijing time), your booked hour; the gate reads your plate.",
            f"请于北京时间 {start:%Y-%m-%d %H:%M}–{end:%H:%M}（预约时段）驾车到入口闸，"
            "闸口自动识别车牌。",
        )
    if w.status in LEFT and w.trip_state in BORDER_WORDS:
        en, zh = BORDER_WORDS[w.trip_state]
        return en.format(port=port_en), zh.format(port=port_zh)
    steps: dict[VisitStatus, tuple[str, str]] = {
        V.PRE_ADVISED: (
            "Come to the entry gate with your truck; the gate reads your plate.",
            "请驾车到入口闸，闸口自动识别车牌。",
        ),
        V.GATED_IN: ("Wait in the yard: you will be called.", "请在场内等候叫号。"),
        V.QUEUED: ("Wait in the queue: you will be called.", "请排队等候叫号。"),
        V.DECIDED: (
            "Released by customs: drive to the sealing station for the e-lock.",
            "海关已放行：请到施封点加装电子关锁。",
        ),
        V.SEALED: ("Sealed: wait for your parking slot.", "已施封：请等候分配车位。"),
        V.GATED_OUT: (
            f"On your way to {port_en}: keep to the approved route, stop only where allowed"
            + (f"; you are expected there at {_at_en(w.arrive_at)}." if w.arrive_at else "."),
            f"前往{port_zh}：请按批准路线行驶，只在允许的区域停车"
            + (f"，预计北京时间 {w.arrive_at:%Y-%m-%d %H:%M} 到达。" if w.arrive_at else "。"),
        ),
        V.SHUT_OUT: (
            "Your goods are not exported: you have left the yard; call your exporter.",
            "货物不予出口，车辆已退关离场：请联系发货企业。",
        ),
    }
    steps[V.ON_TRIP] = steps[V.GATED_OUT]
    if w.status in AT_STATION and w.station_id:
        if w.station_en and w.station_zh:  # the sign's words
            return f"Drive to {w.station_en}.", f"请驶入{w.station_zh}。"
        if w.station_is_bay:
            return (
                f"Drive to examination bay {w.station_id}.",
                f"请驶入人工查验台 {w.station_id}。",
            )
        return (f"Drive to scan lane {w.station_id}.", f"请驶入机检通道 {w.station_id}。")
    leave = departure_words(w)
    if w.status is V.DEPARTURE_SCHEDULED and leave is not None:
        slot = (f" (slot {w.slot_id})", f"（车位 {w.slot_id}）") if w.slot_id else ("", "")
        return (f"Rest in the yard{slot[0]}. {leave[0]}.", f"请在场内休息{slot[1]}。{leave[1]}。")
    if w.status in PARKED and w.slot_id:
        return (
            f"Park at slot {w.slot_id} and rest: your departure is being planned.",
            f"请停入车位 {w.slot_id} 休息，发车时间正在安排。",
        )
    return steps.get(w.status, ("Follow the yard staff's directions.", "请听从场站人员指挥。"))
