"""E-locks of the twin: each one publishes signed telemetry through the real ingest path.

A lock reports every `parked_interval_s` while its truck waits in the yard or at the
border, and every `fix_interval_s` on the road; dead zones withhold fixes and backfill
them later, as devices do. The pump gathers what arrived in each `batch_s` from every lock
into one batch, as an MQTT ingest worker would, and hands it to the sink (the ingestor,
or the embedded broker of the live demo).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from math import isfinite
from typing import Any

from landport.seals.corridor import Corridor
from landport.seals.model import LockState, SealFix
from landport.seals.telemetry import canonical, topic_for, with_signature
from landport.simulation.tracks import Track

#: Which alert kinds count as detecting an injected incident.
EXPECTED_ALERTS: dict[str, frozenset[str]] = {
    "route_deviation": frozenset({"route_deviation"}),
    "long_stop": frozenset({"unscheduled_stop"}),
    "seal_opened": frozenset({"seal_opened"}),
    "tamper": frozenset({"tamper"}),
    "battery_failure": frozenset({"low_battery", "signal_lost"}),
}


@dataclass
class Incident:
    """Ground truth: what was done to which trip, and where."""

    kind: str
    seal_id: str
    route_id: str
    at_km: float
    trip_id: str = ""
    at: datetime | None = None


def fix_message(fix: SealFix) -> dict[str, Any]:
    """The JSON body a device publishes for one fix (docs/telemetry.md)."""
    return {
        "seq": fix.seq,
        "fix_time": fix.fix_time.isoformat().replace("+00:00", "Z"),
        "lat": round(fix.lat, 6),
        "lon": round(fix.lon, 6),
        "speed_kmh": round(fix.speed_kmh, 1),
        "course": round(fix.course),
        "lock_state": fix.lock_state.value,
        "tamper": fix.tamper,
        "battery_pct": None if fix.battery_pct is None else round(fix.battery_pct),
    }


#: How the canonical encoder writes a string (`ensure_ascii=False`).
_STRING = json.encoder.encode_basestring


def fix_canonical(fix: SealFix) -> bytes:
    """`canonical(fix_message(fix))`, written directly in the sorted key order: the twin
    signs a few hundred thousand fixes a day, and two general encodings per fix (the
    canonical form, then the message with `sig`) were almost a tenth of a simulated day.

    Numbers of the types `fix_message` makes of floats (int for the rounded integers, float
    otherwise, finite) are written as the encoder writes them (`repr`); any other value goes
    through the encoder itself.
    """
    seq, course, battery = fix.seq, round(fix.course), fix.battery_pct
    lat, lon, speed = round(fix.lat, 6), round(fix.lon, 6), round(fix.speed_kmh, 1)
    level = None if battery is None else round(battery)
    if not (
        type(seq) is int
        and type(course) is int
        and (level is None or type(level) is int)
        and type(lat) is float
        and type(lon) is float
        and type(speed) is float
        and isfinite(lat)
        and isfinite(lon)
        and isfinite(speed)
        and type(fix.tamper) is bool
    ):
        return canonical(fix_message(fix))
    when = fix.fix_time.isoformat().replace("+00:00", "Z")  # digits and -:T.+Z: no escapes
    return (
        f'{{"battery_pct":{"null" if level is None else level},"course":{course},'
        f'"fix_time":"{when}","lat":{lat!r},"lock_state":{_STRING(fix.lock_state.value)},'
        f'"lon":{lon!r},"seq":{seq},"speed_kmh":{speed!r},'
        f'"tamper":{"true" if fix.tamper else "false"}}}'
    ).encode()


@dataclass
class ELockFeed:
    """One device: its key, its sequence counter and what it has not delivered yet."""

    seal_id: str
    secret: str
    parked_interval: timedelta
    seq: int = 0
    pending: deque[tuple[datetime, list[SealFix]]] = field(default_factory=deque)
    parked: SealFix | None = None  # what the lock reports while the truck stands still
    next_parked: datetime | None = None
    resume: tuple[SealFix, datetime] | None = None  # parked again once the track is delivered

    def park(self, corridor: Corridor, since: datetime) -> None:
        """In the yard: the lock reports from the corridor's start until the truck leaves."""
        lons, lats = corridor.point_at([0.0], [0.0])
        self.parked = SealFix(
            seal_id=self.seal_id,
            seq=0,
            fix_time=since,
            lat=float(lats[0]),
            lon=float(lons[0]),
            speed_kmh=0.0,
            course=0.0,
            lock_state=LockState.LOCKED,
            tamper=False,
            battery_pct=95.0,
        )
        self.next_parked = since

    def parked_fixes(self, until: datetime) -> Iterator[SealFix]:
        if self.parked is None and self.resume is not None and not self.pending:
            self.parked, self.next_parked = self.resume
            self.resume = None
        while self.parked and self.next_parked is not None and self.next_parked <= until:
            self.seq += 1
            yield replace(self.parked, seq=self.seq, fix_time=self.next_parked)
            self.next_parked += self.parked_interval

    def drive(self, track: Track, *, dead_after_empty: bool) -> None:
        """Leave the yard: deliver the track, thinning stationary fixes; after the last one
        the lock goes on reporting where the truck stands (unless its battery died)."""
        self.parked = None
        reported = self._reported(track.fixes)
        last: SealFix | None = None
        for delivery in track.deliveries:
            fixes = [f for f in delivery.fixes if f.seq in reported]
            if dead_after_empty:  # a failed battery: the device stops reporting
                fixes = [f for f in fixes if (f.battery_pct or 0.0) > 0.0]
            if fixes:
                self.pending.append((delivery.received_at, fixes))
        if track.fixes:
            self.seq = max(self.seq, track.fixes[-1].seq)
            last = track.fixes[-1]
        if last is not None and not dead_after_empty:
            still = replace(last, speed_kmh=0.0)
            self.resume = (still, last.fix_time + self.parked_interval)

    def _reported(self, fixes: list[SealFix]) -> set[int]:
        """Which fixes of a track (in fix-time order) the device sends: every one while the
        truck moves, the lock is open or tampered with; standing still, one each
        `parked_interval` since the last one sent."""
        every = self.parked_interval.total_seconds() - 1.0
        sent: set[int] = set()
        last: datetime | None = None
        for f in fixes:
            if (
                f.speed_kmh > 0
                or f.lock_state is not LockState.LOCKED
                or f.tamper
                or last is None
                or (f.fix_time - last).total_seconds() >= every
            ):
                sent.add(f.seq)
                last = f.fix_time
        return sent


Sink = Callable[[list[tuple[str, bytes]]], object]


class TelemetryPump:
    """Collects the fixes due from every lock into one batch per `batch_s`."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.feeds: dict[str, ELockFeed] = {}
        self.messages = 0
        self.batches = 0

    def attach(self, feed: ELockFeed) -> None:
        self.feeds[feed.seal_id] = feed

    def detach(self, seal_id: str) -> None:
        self.feeds.pop(seal_id, None)

    def flush_due(self, now: datetime) -> int:
        out: list[tuple[str, bytes]] = []
        for feed in list(self.feeds.values()):
            due: list[SealFix] = list(feed.parked_fixes(now))
            while feed.pending and feed.pending[0][0] <= now:
                due.extend(feed.pending.popleft()[1])
            if due:
                topic, secret = topic_for(feed.seal_id), feed.secret
                out.extend((topic, with_signature(fix_canonical(f), secret)) for f in due)
        if out:
            self.sink(out)
            self.messages += len(out)
            self.batches += 1
        return len(out)
