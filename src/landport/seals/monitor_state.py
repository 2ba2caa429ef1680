"""Per-trip monitoring state: everything `advance` needs between batches, JSON-serialisable.

Store `MonitorState.as_dict()` (a few kB: counters, the last fix, open runs, alerts) next to
the trip and load it with `MonitorState.from_dict()`; the fixes themselves live elsewhere. A
store that de-duplicates fixes itself (the ingest's positions table) may leave out `recent`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

from landport.seals.alerts import Alert, AlertKind
from landport.seals.model import LockState, TripState

#: Recently seen (seq, fix time) keys kept for dropping redelivered fixes without a replay,
#: while the state stays in memory; a state loaded without them relies on its caller to hand
#: over only fixes not seen before (the ingest passes only those its insert stored).
RECENT_KEYS = 64


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(slots=True)
class MonitorState:
    """Where a trip stands after the fixes processed so far (in fix-time order)."""

    trip_id: str
    trip_state: TripState = TripState.IN_YARD
    transitions: list[tuple[TripState, datetime]] = field(default_factory=list)
    # the last fix of any kind (gaps), and the last fix whose position was accepted
    last_fix_time: datetime | None = None
    # the last report, one without a satellite fix included: the fix time new fixes must not
    # precede (else the trip is replayed); never before `last_fix_time`
    last_report_time: datetime | None = None
    pos_time: datetime | None = None
    pos_lon: float | None = None
    pos_lat: float | None = None
    pos_chainage_m: float | None = None
    pos_inside: bool = True
    pos_zone: str | None = None
    # since when the positions lie in `pos_zone` (a truck resting at a rest stop stays hours)
    zone_since: datetime | None = None
    # fixes rejected as jumps in a row, and the last of them (to re-anchor on a real move)
    rejected_run: int = 0
    rejected_lon: float | None = None
    rejected_lat: float | None = None
    rejected_time: datetime | None = None
    # a run of fixes outside the corridor, and a run of slow fixes outside permitted zones
    outside_run: int = 0
    outside_since: datetime | None = None
    outside_max_m: float = 0.0
    stop_since: datetime | None = None
    stop_lon: float | None = None
    stop_lat: float | None = None
    blind_until: datetime | None = None  # last silence check while signal_lost was open
    lock: LockState = LockState.LOCKED
    tamper: bool = False
    battery_pct: float | None = None
    # statistics for the border verdict
    received: int = 0
    fixes: int = 0
    inside: int = 0
    jumps: int = 0
    longest_gap_s: float = 0.0
    longest_gap_from: datetime | None = None
    first_arrival: datetime | None = None
    max_chainage_m: float = 0.0
    lock_events: list[dict[str, Any]] = field(default_factory=list)
    alerts: dict[str, Alert] = field(default_factory=dict)
    recent: list[tuple[int, float]] = field(default_factory=list)

    def clone(self) -> MonitorState:
        """A copy that can be changed without touching this one (alerts are immutable).

        Once per batch: every field positionally (`dataclasses.replace` costs ten times as
        much, a visible share of a live batch of a few fixes), then fresh containers.
        """
        twin = MonitorState(*_ALL_FIELDS(self))
        twin.transitions = list(self.transitions)
        twin.lock_events = [dict(e) for e in self.lock_events]
        twin.alerts = dict(self.alerts)
        twin.recent = list(self.recent)
        return twin

    def open_alerts(self, kind: AlertKind | None = None) -> list[Alert]:
        return [a for a in self.alerts.values() if a.is_open and (kind is None or a.kind == kind)]

    def as_dict(self) -> dict[str, Any]:
        d = self.head(_iso)
        d["lock_events"] = [dict(e) for e in self.lock_events]
        d["alerts"] = [a.as_dict() for a in self.alerts.values()]
        d["recent"] = [[s, t] for s, t in self.recent]
        return d

    def head(self, iso: Callable[[datetime | None], str | None]) -> dict[str, Any]:
        """`as_dict()` up to the lock events, alerts and recent keys (which come last), with
        times written by `iso`: a storage writer may remember their text."""
        return {
            "trip_id": self.trip_id,
            "trip_state": self.trip_state.value,
            "transitions": [[s.value, iso(at)] for s, at in self.transitions],
            "last_fix_time": iso(self.last_fix_time),
            "last_report_time": iso(self.last_report_time),
            "pos": [
                iso(self.pos_time),
                self.pos_lon,
                self.pos_lat,
                self.pos_chainage_m,
                self.pos_inside,
                self.pos_zone,
                iso(self.zone_since),
            ],
            "rejected": [
                self.rejected_run,
                self.rejected_lon,
                self.rejected_lat,
                iso(self.rejected_time),
            ],
            "outside": [self.outside_run, iso(self.outside_since), self.outside_max_m],
            "stop": [iso(self.stop_since), self.stop_lon, self.stop_lat],
            "blind_until": iso(self.blind_until),
            "lock": self.lock.value,
            "tamper": self.tamper,
            "battery_pct": self.battery_pct,
            "counts": [self.received, self.fixes, self.inside, self.jumps],
            "longest_gap": [self.longest_gap_s, iso(self.longest_gap_from)],
            "first_arrival": iso(self.first_arrival),
            "max_chainage_m": self.max_chainage_m,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MonitorState:
        pos, rej, out, stop = d["pos"], d["rejected"], d["outside"], d["stop"]
        alerts = [Alert.from_dict(a) for a in d["alerts"]]
        return cls(
            trip_id=d["trip_id"],
            trip_state=TripState(d["trip_state"]),
            transitions=[(TripState(s), datetime.fromisoformat(at)) for s, at in d["transitions"]],
            last_fix_time=_dt(d["last_fix_time"]),
            # a state stored before reports were kept: its last report was its last fix
            last_report_time=_dt(d.get("last_report_time") or d["last_fix_time"]),
            pos_time=_dt(pos[0]),
            pos_lon=pos[1],
            pos_lat=pos[2],
            pos_chainage_m=pos[3],
            pos_inside=pos[4],
            pos_zone=pos[5],
            zone_since=_dt(pos[6]) if len(pos) > 6 else None,  # none in states stored before
            rejected_run=rej[0],
            rejected_lon=rej[1],
            rejected_lat=rej[2],
            rejected_time=_dt(rej[3]),
            outside_run=out[0],
            outside_since=_dt(out[1]),
            outside_max_m=out[2],
            stop_since=_dt(stop[0]),
            stop_lon=stop[1],
            stop_lat=stop[2],
            blind_until=_dt(d.get("blind_until")),
            lock=LockState(d["lock"]),
            tamper=d["tamper"],
            battery_pct=d["battery_pct"],
            received=d["counts"][0],
            fixes=d["counts"][1],
            inside=d["counts"][2],
            jumps=d["counts"][3],
            longest_gap_s=d["longest_gap"][0],
            longest_gap_from=_dt(d["longest_gap"][1]),
            first_arrival=_dt(d["first_arrival"]),
            max_chainage_m=d["max_chainage_m"],
            lock_events=[dict(e) for e in d["lock_events"]],
            alerts={a.id: a for a in alerts},
            recent=[(int(s), float(t)) for s, t in d["recent"]],
        )


#: Every field of `MonitorState`, in declaration (= constructor) order, for `clone`.
_ALL_FIELDS = attrgetter(*(f.name for f in fields(MonitorState)))
