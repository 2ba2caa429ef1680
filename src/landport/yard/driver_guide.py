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
from dataclasses import dataclass

from landport.yard.visits import VisitStatus

V = VisitStatus
_PURPOSE = b"landport driver pass v1:"


def driver_pass(key: bytes, visit_id: str) -> str:
    """The pass for one visit: `<visit id>.<digest>` (URL-safe)."""
    return f"{visit_id}.{_digest(key, visit_id)}"


def visit_of_pass(key: bytes, token: str) -> str | None:
    """The visit a pass is for, or None when it is not one of ours."""
    visit_id, dot, digest = token.rpartition(".")
    if not dot or not visit_id or len(token) > 200:
        return None
    return visit_id if hmac.compare_digest(digest, _digest(key, visit_id)) else None


def _digest(key: bytes, visit_id: str) -> str:
    mac = hmac.new(key, _PURPOSE + visit_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """What the next step depends on."""

    status: VisitStatus
    station_id: str | None = None
    station_is_bay: bool = False
    slot_id: str | None = None
    held: bool = False
    departure_en: str | None = None  # the yard's own words for the planned departure
    departure_zh: str | None = None
    exit_port: str | None = None


def stopped_by_hold(w: Whereabouts) -> bool:
    """A hold matters to the driver once his truck is inside and until it has left."""
    return w.held and w.status not in (V.GATED_OUT, V.ON_TRIP, V.SHUT_OUT, V.PRE_ADVISED)


def next_step(w: Whereabouts) -> tuple[str, str]:
    """The one thing the driver should do now (English, Chinese)."""
    if stopped_by_hold(w):
        return (
            "Your truck is held: see the yard office before you move it.",
            "车辆已被扣留：挪车前请先到场站办公室。",
        )
    port = w.exit_port or "the border port"
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
        V.SEALED: (
            "Sealed: wait for your parking slot.",
            "已施封：请等候分配车位。",
        ),
        V.GATED_OUT: (
            f"On your way to {port}: keep to the approved route, stop only where allowed.",
            f"前往 {port}：请按批准路线行驶，只在允许的区域停车。",
        ),
        V.SHUT_OUT: (
            "Your goods are not exported: you have left the yard; call your exporter.",
            "货物不予出口，车辆已退关离场：请联系发货企业。",
        ),
    }
    steps[V.ON_TRIP] = steps[V.GATED_OUT]
    if w.status in (V.AT_LANE, V.AT_BAY) and w.station_id:
        if w.station_is_bay:
            return (
                f"Drive to examination bay {w.station_id}.",
                f"请驶入人工查验台 {w.station_id}。",
            )
        return (f"Drive to scan lane {w.station_id}.", f"请驶入机检通道 {w.station_id}。")
    if w.status is V.PARKED and w.slot_id:
        return (
            f"Park at slot {w.slot_id} and rest: your departure is being planned.",
            f"请停入车位 {w.slot_id} 休息，发车时间正在安排。",
        )
    if w.status is V.DEPARTURE_SCHEDULED and w.departure_en and w.departure_zh:
        slot = (f" (slot {w.slot_id})", f"（车位 {w.slot_id}）") if w.slot_id else ("", "")
        return (
            f"Rest in the yard{slot[0]}. {w.departure_en}.",
            f"请在场内休息{slot[1]}。{w.departure_zh}。",
        )
    return steps.get(w.status, ("Follow the yard staff's directions.", "请听从场站人员指挥。"))
