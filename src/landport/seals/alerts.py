"""Custody alerts raised by corridor monitoring, with a stable identity and texts in en/zh.

An alert is identified by trip, kind and the fix time at which the condition started
(`Alert.id`), so evaluating the same fixes again finds the same alert instead of a new one:
replays and duplicate deliveries are idempotent. Texts are rendered from the kind and the
details when asked for, so the stored state stays small and wording can change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from landport.seals.model import TripState

Detail = float | int | str | bool | None


class AlertKind(StrEnum):
    ROUTE_DEVIATION = "route_deviation"
    UNSCHEDULED_STOP = "unscheduled_stop"
    SIGNAL_LOST = "signal_lost"
    SEAL_OPENED = "seal_opened"
    TAMPER = "tamper"
    LOW_BATTERY = "low_battery"
    OVERDUE = "overdue"
    IMPLAUSIBLE_JUMP = "implausible_jump"


#: Each kind's name in Chinese, as the consoles show it (common.zh-CN.json `alert_kind.*`).
KIND_ZH: dict[str, str] = {
    AlertKind.ROUTE_DEVIATION: "偏离路线",
    AlertKind.UNSCHEDULED_STOP: "异常停车",
    AlertKind.SIGNAL_LOST: "信号中断",
    AlertKind.SEAL_OPENED: "关锁开启",
    AlertKind.TAMPER: "关锁被破坏",
    AlertKind.LOW_BATTERY: "电量低",
    AlertKind.OVERDUE: "超时未到",
    AlertKind.IMPLAUSIBLE_JUMP: "定位跳变",
}


class Severity(StrEnum):
    ALARM = "alarm"  # custody may be broken: an officer must look
    WARNING = "warning"  # something to watch or call the driver about
    INFO = "info"  # recorded for the verdict, nobody is paged


SEVERITY = {
    AlertKind.ROUTE_DEVIATION: Severity.ALARM,
    AlertKind.SEAL_OPENED: Severity.ALARM,
    AlertKind.TAMPER: Severity.ALARM,
    AlertKind.UNSCHEDULED_STOP: Severity.WARNING,
    AlertKind.SIGNAL_LOST: Severity.WARNING,
    AlertKind.LOW_BATTERY: Severity.WARNING,
    AlertKind.OVERDUE: Severity.WARNING,
    AlertKind.IMPLAUSIBLE_JUMP: Severity.INFO,
}

#: Kinds that say something happened to the goods' custody (a gap "explained" by a backfill
#: must show none of these).
PROBLEM_KINDS = frozenset(
    {AlertKind.ROUTE_DEVIATION, AlertKind.UNSCHEDULED_STOP, AlertKind.SEAL_OPENED, AlertKind.TAMPER}
)


class Resolution(StrEnum):
    BACK_IN_CORRIDOR = "back_in_corridor"
    MOVED_ON = "moved_on"
    FIXES_RESUMED = "fixes_resumed"
    EXPLAINED_BY_BACKFILL = "explained_by_backfill"
    BACKFILLED = "backfilled"  # the record is filled in, and shows other alerts meanwhile
    SUPERSEDED_BY_REPLAY = "superseded_by_replay"
    ARRIVED_LATE = "arrived_late"
    BATTERY_RECOVERED = "battery_recovered"
    DISCARDED_AS_NOISE = "discarded_as_noise"
    RESOLVED_BY_OFFICER = "resolved_by_officer"


@dataclass(frozen=True, slots=True)
class Alert:
    """One condition on one trip: open until the fixes (or an officer) close it."""

    trip_id: str
    kind: AlertKind
    started_at: datetime
    closed_at: datetime | None = None
    resolution: Resolution | None = None
    details: dict[str, Detail] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return alert_id(self.trip_id, self.kind, self.started_at)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]

    def closed(self, at: datetime, resolution: Resolution, **details: Detail) -> Alert:
        return replace(
            self, closed_at=at, resolution=resolution, details={**self.details, **details}
        )

    @property
    def message_en(self) -> str:
        return _text(self, 0)

    @property
    def message_zh(self) -> str:
        return _text(self, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "trip_id": self.trip_id,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "started_at": self.started_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "resolution": self.resolution.value if self.resolution else None,
            "details": dict(self.details),
            "message_en": self.message_en,
            "message_zh": self.message_zh,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alert:
        return cls(
            trip_id=d["trip_id"],
            kind=AlertKind(d["kind"]),
            started_at=datetime.fromisoformat(d["started_at"]),
            closed_at=datetime.fromisoformat(d["closed_at"]) if d.get("closed_at") else None,
            resolution=Resolution(d["resolution"]) if d.get("resolution") else None,
            details=dict(d.get("details") or {}),
        )


def alert_id(trip_id: str, kind: AlertKind, started_at: datetime) -> str:
    return f"{trip_id}:{kind.value}:{started_at.isoformat()}"


@dataclass(frozen=True, slots=True)
class AlertChange:
    """An alert appeared (`opened`), ended (`closed`) or was amended (`updated`)."""

    action: str
    alert: Alert


@dataclass(frozen=True, slots=True)
class TripStateChange:
    state: TripState
    at: datetime


Change = AlertChange | TripStateChange


def _where(d: dict[str, Detail]) -> tuple[str, str]:
    zone = d.get("zone")
    km = d.get("road_km")
    en = (
        f" near {d.get('zone_en') or zone}"
        if zone
        else (f" at about road km {km:.0f}" if isinstance(km, float) else "")
    )
    zh = (
        f"（{d.get('zone_zh') or zone}附近）"
        if zone
        else (f"（约公路 {km:.0f} 公里处）" if isinstance(km, float) else "")
    )
    return en, zh


def _num(d: dict[str, Detail], key: str) -> float:
    v = d.get(key)
    return float(v) if isinstance(v, int | float) else 0.0


_RESOLUTION = {
    Resolution.BACK_IN_CORRIDOR: ("back in the corridor", "已回到通道内"),
    Resolution.MOVED_ON: ("the truck moved on", "车辆已继续行驶"),
    Resolution.FIXES_RESUMED: ("fixes resumed", "定位已恢复"),
    Resolution.EXPLAINED_BY_BACKFILL: (
        "explained by backfilled fixes: the truck kept to the route",
        "补传定位证明车辆在此期间未偏离路线",
    ),
    Resolution.BACKFILLED: ("backfilled fixes show other alerts", "补传定位显示其他告警"),
    Resolution.SUPERSEDED_BY_REPLAY: (
        "withdrawn: late fixes changed the picture",
        "迟到的定位改变了判断，已撤销",
    ),
    Resolution.ARRIVED_LATE: ("arrived late at the border port", "已晚到口岸"),
    Resolution.BATTERY_RECOVERED: ("battery recovered", "电量已恢复"),
    Resolution.DISCARDED_AS_NOISE: ("fix discarded as GNSS noise", "该定位作为噪声已丢弃"),
    Resolution.RESOLVED_BY_OFFICER: ("resolved by an officer", "已由关员处理"),
}


def _text(a: Alert, lang: int) -> str:
    d = a.details
    we, wz = _where(d)
    texts = {
        AlertKind.ROUTE_DEVIATION: (
            f"Left the approved corridor{we}, {_num(d, 'distance_m'):.0f} m from the road",
            f"偏离批准通道{wz}，距道路 {_num(d, 'distance_m'):.0f} 米",
        ),
        AlertKind.UNSCHEDULED_STOP: (
            f"Stopped outside any permitted zone{we}",
            f"在许可区域外停车{wz}",
        ),
        AlertKind.SIGNAL_LOST: (
            f"No fix from the e-lock for more than {_num(d, 'threshold_minutes'):.0f} min{we}",
            f"关锁超过 {_num(d, 'threshold_minutes'):.0f} 分钟无定位{wz}",
        ),
        AlertKind.SEAL_OPENED: (
            f"E-lock opened outside a permitted zone{we}",
            f"关锁在许可区域外被打开{wz}",
        ),
        AlertKind.TAMPER: (f"E-lock reports tampering{we}", f"关锁报告被破坏{wz}"),
        AlertKind.LOW_BATTERY: (
            f"E-lock battery low ({_num(d, 'battery_pct'):.0f}%)",
            f"关锁电量低（{_num(d, 'battery_pct'):.0f}%）",
        ),
        AlertKind.OVERDUE: (
            "Not at the border port by the end of the arrival window",
            "超过预计到达时间窗仍未抵达口岸",
        ),
        AlertKind.IMPLAUSIBLE_JUMP: (
            f"Position jump at {_num(d, 'speed_kmh'):.0f} km/h ignored as GNSS noise",
            f"定位跳变（{_num(d, 'speed_kmh'):.0f} 公里/小时）按噪声忽略",
        ),
    }
    text = texts[a.kind][lang]
    if a.resolution is not None:
        text += ("; " if lang == 0 else "；") + _RESOLUTION[a.resolution][lang]
    return text
