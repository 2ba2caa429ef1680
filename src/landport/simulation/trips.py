"""The road: each sealed truck's trip along its corridor to the border port.

The track carries the incident drawn for the trip (ground truth kept in `twin.incidents`),
the route's dead zones and the driver's nights at rest stops (`driving.py`); the e-lock feed
delivers it through the telemetry pump, and at the border the officer's verify-and-release
is the platform's own verdict.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from landport.enterprises.model import Actor, Role
from landport.seals import border_handlers as bh
from landport.seals.calendar import arrival_window
from landport.seals.corridor import Corridor
from landport.simulation.driving import DrivingDay, rest_stop_kms, rests_on_the_way
from landport.simulation.elocks import ELockFeed, Incident
from landport.simulation.model import TruckRecord
from landport.simulation.scenario_fields import clock_minutes
from landport.simulation.tracks import Detour, Gap, LockOpen, Stop, build_track

if TYPE_CHECKING:
    from landport.simulation.twin import Process, Twin

YARD_MINUTES = 2.0  # from the exit gate out of the yard zone
HEALTHY_DRAIN_PCT_PER_H = 0.4  # 95 % at the yard, about 75 % after the planned two days


def drive_to_border(twin: Twin, rec: TruckRecord, feed: ELockFeed, route_id: str) -> Process:
    """The e-lock's trip: a track along the corridor (with the incident drawn for it, the
    dead zones of the route and the driver's rests), the wait for the border port to open,
    verify-and-release."""
    corridor = twin.corridors[route_id]
    length_km = corridor.length_m / 1000.0
    options: dict[str, Any] = {}
    incident = _incident(twin, rec, route_id, length_km)
    dead = False
    if incident is not None:
        km = incident.at_km
        if incident.kind == "route_deviation":
            options["detours"] = [Detour(at_km=km, off_km=5.0, length_km=15.0)]
        elif incident.kind == "long_stop":
            options["stops"] = [Stop(at_km=km, minutes=60.0)]
        elif incident.kind == "seal_opened":
            options["lock_opens"] = [LockOpen(at_km=km)]
        elif incident.kind == "tamper":
            options["tamper_at_km"] = km
        else:
            options.update(battery_start_pct=35.0, battery_drain_pct_per_h=15.0)
            dead = True
    # A healthy lock lasts the trip, a closure's wait at the border included (it reports
    # every 10 minutes while the truck stands): no low-battery alert on a clean trip.
    options.setdefault("battery_drain_pct_per_h", HEALTHY_DRAIN_PCT_PER_H)
    road = rec.draws("road")
    speed = road.uniform(*twin.s.speed_kmh)
    day = DrivingDay(*(clock_minutes(t) or 0 for t in twin.s.driving_hours))
    detours: list[Detour] = options.get("detours", [])
    options["stops"] = [
        *options.get("stops", ()),
        *rests_on_the_way(
            start=twin.clock.now() + timedelta(minutes=YARD_MINUTES),
            speed_kmh=speed,
            route_km=length_km,
            rest_kms=[  # not where the detour takes him off the road
                k
                for k in rest_stop_kms(corridor)
                if not any(d.at_km - 1.0 <= k <= d.at_km + d.length_km + 1.0 for d in detours)
            ],
            day=day,
            stops=options.get("stops", ()),
            aim=_planned_arrival(twin, corridor, rec.port),
        ),
    ]
    # A dead zone silences the device for as long as this truck takes to cross it.
    options["gaps"] = [
        Gap(z.at_km, min(25.0, 1.0 + z.length_km * 60.0 / speed), delivered_after=2)
        for z in twin.s.dead_zones
        if z.route == route_id and z.at_km + z.length_km < length_km
    ]
    track = build_track(
        corridor,
        seal_id=feed.seal_id,
        start=twin.clock.now(),
        speed_kmh=speed,
        interval_s=twin.s.fix_interval_s,
        standing_interval_s=twin.s.parked_interval_s,
        yard_minutes=YARD_MINUTES,
        border_minutes=10.0,  # then the lock reports as parked
        first_seq=feed.seq + 1,
        seed=road.randrange(1 << 30),
        **options,
    )
    if incident is not None:
        incident.trip_id = rec.trip_id
        incident.at = track.time_at_km(incident.at_km)
    feed.drive(track, dead_after_empty=dead)
    arrival = track.arrival
    del track  # the feed holds what is still to be delivered
    yield twin.env.timeout((arrival - twin.clock.now()).total_seconds())
    rec.border_arrival = twin.clock.now()
    calendar = twin.bus.context.calendars_in().get(rec.port)
    if calendar is not None:
        opening = calendar.next_open(twin.clock.now())
        if opening is not None and opening[0] > twin.clock.now():
            yield twin.env.timeout((opening[0] - twin.clock.now()).total_seconds())
    # A few minutes for the last fixes to reach the platform before the officer verifies.
    yield twin.env.timeout(twin.s.batch_s + 60.0)
    station = twin.border[rec.port]
    yield from twin._serve(rec, station, twin._tri(rec, "border_check"))
    border = Actor(f"twin.border.{rec.port}", Role.BORDER_OFFICER, port_id=rec.port)
    try:
        reading = bh.GateReading(plate=rec.plate, seal_id=rec.seal_id)  # read from the truck
        twin.bus.handle(bh.ReleaseAtBorder(border, rec.trip_id, reading))
        rec.outcome = "released"
        twin.free_seals.append(feed.seal_id)
    except bh.BorderReleaseRefused as refused:
        for check in refused.verdict.referred_for:
            twin.referrals[check.code] = twin.referrals.get(check.code, 0) + 1
        twin.bus.handle(bh.ReferToInspection(border, rec.trip_id, "border verdict: refer", reading))
        rec.outcome = "referred"
    rec.border_done = twin.clock.now()
    twin.pump.detach(feed.seal_id)


def _planned_arrival(twin: Twin, corridor: Corridor, port: str) -> datetime | None:
    """The arrival the yard planned for a truck leaving now: the route's typical trip, moved
    to the port's next opening (the platform's own rule), which the driver paces his trip to."""
    calendar = twin.bus.context.calendars_in().get(port)
    meta = corridor.meta
    if calendar is None or meta.road_km is None or meta.typical_truck_days is None:
        return None
    return arrival_window(
        departure=twin.clock.now(),
        road_km=meta.road_km,
        typical_hours=meta.typical_truck_days * 24.0,
        calendar=calendar,
    ).expected


def _incident(twin: Twin, rec: TruckRecord, route_id: str, length_km: float) -> Incident | None:
    """Draw whether this trip gets an incident: per-day rates spread over the day's trips."""
    per_trip = {i.kind: i.per_day / max(1, twin.s.trucks_per_day) for i in twin.s.incidents}
    draw = rec.draws("incident").random()
    for kind, p in per_trip.items():
        if draw < p:
            km = _quiet_km(twin, rec, route_id, length_km)
            found = Incident(kind, rec.seal_id, route_id, km)
            twin.incidents.append(found)
            return found
        draw -= p
    return None


def _quiet_km(twin: Twin, rec: TruckRecord, route_id: str, length_km: float) -> float:
    """A place on the open road: away from permitted zones and dead zones."""
    corridor = twin.corridors[route_id]
    zones = [
        (z.at_km - 25, z.at_km + z.length_km + 25) for z in twin.s.dead_zones if z.route == route_id
    ]
    km = length_km / 2
    where = rec.draws("incident_km")
    for _ in range(50):
        km = where.uniform(40.0, max(41.0, length_km - 60.0))
        if any(a <= km <= b for a, b in zones):
            continue
        probe = [(km + d) * 1000.0 for d in (-3.0, 0.0, 3.0, 8.0, 16.0)]
        lons, lats = corridor.point_at(probe, [0.0] * len(probe))
        if all(z is None for z in corridor.zone_at(lons, lats)):
            return km
    return km
