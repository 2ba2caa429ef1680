"""The live state of the inspection stations, as the dispatcher and the risk engine see it.

A truck at a lane (`at_lane` with the lane's id) is in that lane's line: the one that has
been there longest is being served, the others wait. A closed lane still takes trucks into
its line; the time until it opens is part of the wait, so lunch breaks are priced in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from landport.risk.capacity import ScanQueue
from landport.seals.calendar import BEIJING
from landport.yard.dispatch import Station, StationKind
from landport.yard.model import Hours, YardLayout, open_at
from landport.yard.ports import YardVisit
from landport.yard.visits import VisitStatus

#: Mean time at a physical examination bay (unloading, checking, reloading); an estimate.
BAY_SERVICE = timedelta(minutes=30)


def until_open(hours: Hours, now: datetime) -> timedelta:
    """How long until a station with these Beijing hours is open (zero when open now)."""
    if not hours or open_at(hours, now):
        return timedelta(0)
    local = now.astimezone(BEIJING)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for opens, _closes in hours:
            start = datetime.combine(day, opens, BEIJING)
            if start > local:
                return start.astimezone(UTC) - now.astimezone(UTC)
    return timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _Line:
    id: str
    kind: StationKind
    hours: Hours
    service: timedelta


def _lines(layout: YardLayout) -> list[_Line]:
    lanes = [
        _Line(s.id, StationKind.SCAN_LANE, s.hours, timedelta(minutes=s.service_minutes))
        for s in layout.scan_lanes
    ]
    bays = [_Line(b.id, StationKind.BAY, b.hours, BAY_SERVICE) for b in layout.exam_bays]
    return lanes + bays


def live_stations(
    layout: YardLayout, at_stations: Iterable[YardVisit], now: datetime
) -> list[Station]:
    """Every scan lane and bay with its line now; `at_stations` are visits at_lane / at_bay."""
    by_station: dict[str, list[YardVisit]] = {}
    for yv in at_stations:
        if yv.visit.status in (VisitStatus.AT_LANE, VisitStatus.AT_BAY) and yv.visit.lane_id:
            by_station.setdefault(yv.visit.lane_id, []).append(yv)
    stations = []
    for line in _lines(layout):
        queue = sorted(by_station.get(line.id, []), key=lambda y: (y.visit.updated_at, y.visit.id))
        closed_for = until_open(line.hours, now)
        remaining = timedelta(0)
        if queue:
            served_for = now - queue[0].visit.updated_at
            remaining = max(timedelta(0), line.service - served_for)
        stations.append(
            Station(
                line.id,
                line.kind,
                max(0, len(queue) - 1),
                line.service,
                remaining_service=closed_for + remaining,
                open=True,
            )
        )
    return stations


def scan_queue(
    layout: YardLayout,
    at_stations: Sequence[YardVisit],
    *,
    unassigned_red: int,
    now: datetime,
) -> ScanQueue:
    """The scan-lane figures the risk engine adapts its random rate to.

    `unassigned_red` counts red-lane trucks queued in the yard but not yet sent to a lane:
    they will take the next free places, so each adds its share of a mean scan.
    """
    lanes = [s for s in live_stations(layout, at_stations, now) if s.kind is StationKind.SCAN_LANE]
    lane_ids = {s.id for s in lanes}
    at_lanes = sum(
        1
        for yv in at_stations
        if yv.visit.status is VisitStatus.AT_LANE and yv.visit.lane_id in lane_ids
    )
    in_line = sum(s.queue_length for s in lanes)
    open_lanes = sum(1 for lane in layout.scan_lanes if open_at(lane.hours, now))
    if not lanes:
        return ScanQueue(in_line + unassigned_red, 0, 0, 0, 0.0)
    mean = sum((s.service_time for s in lanes), timedelta(0)) / len(lanes)
    shortest = min(s.expected_wait for s in lanes)
    extra = mean * unassigned_red / max(1, open_lanes or len(lanes))
    return ScanQueue(
        trucks_waiting=in_line + unassigned_red,
        trucks_at_lanes=at_lanes - in_line,
        lanes=len(lanes),
        open_lanes=open_lanes,
        expected_wait_minutes=round((shortest + extra).total_seconds() / 60, 1),
    )


__all__ = ["BAY_SERVICE", "live_stations", "scan_queue", "until_open"]
