"""When a sealed truck drives and where it stops: the plateau's roads are driven by day.

A truck leaves the yard at its planned departure and drives until the end of the driving
day, then spends the night at the last rest stop it reached that day (or drives on to the
next one when it passed none). A driver early for the border port's opening waits at the
last rest stop before the border (the town a few km short of the port) rather than in the
port's queue, and leaves it in time for the opening the yard planned. Rest stops are
permitted zones of the corridor, so the e-lock's monitoring sees stops where stops are
allowed and raises nothing: only the injected incidents stop on the open road.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from landport.seals.corridor import Corridor, ZoneKind
from landport.shared.clock import BEIJING, beijing_date
from landport.simulation.tracks import Stop

#: An early driver waits at the last rest stop only when it saves him this much in the queue.
SHORTEST_WAIT = timedelta(minutes=30)
#: How long after dusk a driver keeps going to reach the next rest stop, rather than stopping
#: for the night hours early at the one behind him.
PUSH_ON = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DrivingDay:
    """The hours trucks drive, in Beijing time (minutes after midnight); 0-1440 is all day."""

    starts: int
    ends: int

    @property
    def all_day(self) -> bool:
        return self.starts <= 0 and self.ends >= 24 * 60

    def _at(self, day: date, minutes: int) -> datetime:
        return datetime.combine(day, time(0), BEIJING) + timedelta(minutes=minutes)

    def end_of(self, at: datetime) -> datetime:
        """The end of the driving day of `at`'s date: a driver who leaves before dawn drives
        that day; one on the road after dusk stops at the next rest stop."""
        return self._at(beijing_date(at), self.ends)

    def next_start(self, at: datetime) -> datetime:
        """The first start of a driving day at or after `at`."""
        day = beijing_date(at)
        start = self._at(day, self.starts)
        return start if start >= at else self._at(day + timedelta(days=1), self.starts)

    def leave_for(self, aim: datetime, drive: timedelta) -> datetime:
        """When to set off on a drive of `drive` to arrive at `aim`, by daylight: not before
        dawn (he arrives that much later), and arriving by dusk (he waits at the end)."""
        leave = aim - drive
        if self.all_day:
            return leave
        day = beijing_date(leave)
        dawn, dusk = self._at(day, self.starts), self._at(day, self.ends)
        if leave < dawn:
            return dawn
        return min(leave, dusk - drive) if dusk - drive >= dawn else leave


def rest_stop_kms(corridor: Corridor) -> list[float]:
    """Chainage (km) of each rest stop of the corridor, from the yard towards the border."""
    return list(_rest_stop_kms(corridor))


@cache  # a corridor lives as long as the run: its rest stops are measured once
def _rest_stop_kms(corridor: Corridor) -> tuple[float, ...]:
    """Chainage (km) of each rest stop of the corridor, from the yard towards the border:
    the point of the road nearest its centre, when that point is inside the zone (a zone
    beside the road, or one the border port's zone covers, is left out)."""
    kms = []
    for z in corridor.zones:
        if z.kind is not ZoneKind.REST_STOP or z.center is None:
            continue
        km = float(corridor.chainage_m([z.center[0]], [z.center[1]])[0]) / 1000.0
        lons, lats = corridor.point_at([km * 1000.0], [0.0])
        if corridor.zone_at(lons, lats)[0] == z.id:  # a stop on the road lies in the zone
            kms.append(km)
    return tuple(sorted(kms))


def rests_on_the_way(
    *,
    start: datetime,
    speed_kmh: float,
    route_km: float,
    rest_kms: Sequence[float],
    day: DrivingDay,
    stops: Sequence[Stop] = (),
    aim: datetime | None = None,
) -> list[Stop]:
    """The stops a driver makes besides `stops` (incidents, already on the track): a night
    at a rest stop for each evening on the road, and a wait at the last rest stop before the
    border when he would reach the port more than `SHORTEST_WAIT` before `aim`."""
    road = _Road(speed_kmh, route_km, stops)
    ahead = sorted(k for k in rest_kms if 0.0 < k < route_km)
    rests: list[Stop] = []
    t, km = start, 0.0
    while not day.all_day:
        dusk = day.end_of(t)
        if t + road.time(km, route_km) <= dusk:
            break
        passed = [k for k in ahead if k > km and t + road.time(km, k) <= dusk]
        later = [k for k in ahead if k > km and k not in passed]
        if later and t + road.time(km, later[0]) <= dusk + PUSH_ON:
            where = later[0]  # a little after dark rather than hours early
        elif passed:
            where = passed[-1]
        elif later:
            where = later[0]
        else:
            break  # no rest stop left before the border: the driver goes on to it
        reached = t + road.time(km, where)
        wake = day.next_start(reached)
        rests.append(Stop(at_km=where, minutes=(wake - reached).total_seconds() / 60.0))
        t, km = wake, where
    last = ahead[-1] if ahead else None
    if aim is None or last is None or last < km:
        return rests
    reached = t + road.time(km, last)
    to_border = road.time(last, route_km)
    if aim - (reached + to_border) < SHORTEST_WAIT:
        return rests
    leave = max(reached, day.leave_for(aim, to_border))
    if rests and rests[-1].at_km == last:  # he slept there: he stays on until it is time
        slept = rests.pop()
        reached -= timedelta(minutes=slept.minutes)
    rests.append(Stop(at_km=last, minutes=(leave - reached).total_seconds() / 60.0))
    return rests


@dataclass(frozen=True, slots=True)
class _Road:
    """Driving time between two points of the route, the incidents' stops included."""

    speed_kmh: float
    route_km: float
    stops: Sequence[Stop]

    def time(self, from_km: float, to_km: float) -> timedelta:
        hours = max(0.0, min(to_km, self.route_km) - from_km) / self.speed_kmh
        held = sum(s.minutes for s in self.stops if from_km < s.at_km <= to_km)
        return timedelta(hours=hours, minutes=held)
