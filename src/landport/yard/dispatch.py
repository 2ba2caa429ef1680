"""Lane dispatch: which station a truck goes to next, and which one of them.

Red-lane trucks go to a non-intrusive scan lane first, and to a physical examination
bay only when the image is suspicious (or an officer orders it); other lanes need no
station. Among open stations of the right kind the truck takes the one with the
shortest expected wait: the service left on the truck in it, plus the queue ahead
times the station's mean service time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from landport.risk.model import SelectivityLane
from landport.shared.errors import InvalidInput, Violation


class StationKind(StrEnum):
    """A scan lane (机检通道) or a physical examination bay (人工查验台)."""

    SCAN_LANE = "scan_lane"
    BAY = "bay"


STATION_ZH: dict[StationKind, str] = {
    StationKind.SCAN_LANE: "机检通道",
    StationKind.BAY: "人工查验台",
}


@dataclass(frozen=True, slots=True)
class Station:
    """A lane or bay as the dispatcher sees it now."""

    id: str
    kind: StationKind
    queue_length: int  # trucks waiting, not counting the one being served
    service_time: timedelta  # mean time per truck (a scan takes 2-3 minutes)
    remaining_service: timedelta = timedelta(0)  # left on the truck being served
    open: bool = True

    @property
    def expected_wait(self) -> timedelta:
        return self.remaining_service + self.queue_length * self.service_time


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Where the truck goes, the wait it can expect, and the alternatives considered."""

    station_id: str
    kind: StationKind
    expected_wait: timedelta
    considered: tuple[tuple[str, timedelta], ...]


def required_station(
    lane: SelectivityLane | str,
    *,
    scan_suspicious: bool | None = None,
    physical_ordered: bool = False,
) -> StationKind | None:
    """The next station a truck needs, or None when it needs no inspection station.

    `scan_suspicious` is None before the scan, then the scan's verdict.
    """
    if SelectivityLane(lane) is not SelectivityLane.RED:
        return None
    if physical_ordered or scan_suspicious is True:
        return StationKind.BAY
    if scan_suspicious is None:
        return StationKind.SCAN_LANE
    return None


def choose_station(stations: Iterable[Station], kind: StationKind) -> Dispatch:
    """The open station of this kind with the shortest expected wait.

    Ties go to the shorter queue, then the lower id, so dispatch is reproducible.
    """
    candidates = sorted(
        (s for s in stations if s.kind is kind and s.open),
        key=lambda s: (s.expected_wait, s.queue_length, s.id),
    )
    if not candidates:
        raise InvalidInput(
            [
                Violation(
                    "stations",
                    "no_open_station",
                    f"no open {kind.replace('_', ' ')} to dispatch to",
                    f"没有开放的{STATION_ZH[kind]}可供分派",
                )
            ]
        )
    best = candidates[0]
    return Dispatch(
        best.id, kind, best.expected_wait, tuple((s.id, s.expected_wait) for s in candidates)
    )


def dispatch(
    lane: SelectivityLane | str,
    stations: Iterable[Station],
    *,
    scan_suspicious: bool | None = None,
    physical_ordered: bool = False,
) -> Dispatch | None:
    """Send a truck to its next station, or None when it needs none."""
    kind = required_station(
        lane, scan_suspicious=scan_suspicious, physical_ordered=physical_ordered
    )
    return None if kind is None else choose_station(stations, kind)
