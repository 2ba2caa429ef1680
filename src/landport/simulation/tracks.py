"""Hand-made e-lock tracks along a corridor: interpolated fixes with the trouble you ask for.

`build_track(corridor, ...)` drives a truck from the yard (chainage 0) to the border port
(the end of the route) at a steady speed, one fix every `interval_s`, dwelling in the yard
and at the border, and applies options given in road position (km of chainage):

- `stops=[Stop(at_km, minutes)]`: the truck parks (speed 0);
- `detours=[Detour(at_km, off_km, length_km)]`: it drives `off_km` to the side of the route
  (cutting a bend where the offset path would be faster than the truck);
- `gaps=[Gap(at_km, minutes, backfill=True)]`: the fixes of that period are withheld from
  the live stream and, if backfilled, delivered later in one batch, out of order;
- `lock_opens=[LockOpen(at_km)]` (at_km=None: at the border, after arriving);
- `jumps=[Jump(at_km, off_km)]`: one fix displaced sideways (GNSS noise);
- `tamper_at_km`, `battery_start_pct`/`battery_drain_pct_per_h`, `jitter_m` (seeded);
- `standing_interval_s`: while the truck stands, one fix every so many seconds (a device's
  parked reporting) instead of every `interval_s`.

`Track.fixes` is the truth in fix-time order; `Track.deliveries` is what the server
receives, in arrival order, as `Delivery(received_at, fixes)` batches. The demo, the
simulator and the tests use this module: it only needs a `Corridor` and `SealFix`.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources

import numpy as np

from landport.seals.corridor import Corridor
from landport.seals.corridor_loading import build_corridors, parse_routes_geojson
from landport.seals.geodesy import FloatArray
from landport.seals.model import LockState, SealFix

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing time, a Monday
ROUTE_IDS = ("shigatse-gyirong", "shigatse-zhangmu", "shigatse-lizi")


@cache
def shipped_corridors() -> dict[str, Corridor]:
    """The three corridors built from the packaged routes, zones and places."""
    data = resources.files("landport") / "data"
    routes = parse_routes_geojson((data / "routes.geojson").read_text(encoding="utf-8"))
    zones = json.loads((data / "corridor_zones.json").read_text(encoding="utf-8"))
    places = json.loads((data / "places.json").read_text(encoding="utf-8"))
    return build_corridors(routes, zones, places)


@dataclass(frozen=True)
class Stop:
    at_km: float
    minutes: float


@dataclass(frozen=True)
class Detour:
    at_km: float
    off_km: float
    length_km: float = 10.0
    # km of road over which it leaves/rejoins (None: off_km); the truck never moves faster
    # than 1.5 times its speed, so a ramp steeper than that (or one on a bend) is driven slower
    ramp_km: float | None = None


@dataclass(frozen=True)
class Gap:
    at_km: float
    minutes: float
    backfill: bool = True
    delivered_after: int = 3  # live fixes received after the gap before the backfill arrives
    order: str = "shuffled"  # "shuffled" | "reversed" | "in_order"


@dataclass(frozen=True)
class LockOpen:
    at_km: float | None = None  # None: at the border port, `minutes_after_arrival` later
    minutes_after_arrival: float = 10.0
    relock_after_minutes: float | None = None


@dataclass(frozen=True)
class Jump:
    at_km: float
    off_km: float = 20.0


@dataclass(frozen=True)
class Delivery:
    received_at: datetime
    fixes: list[SealFix]
    backfill: bool = False


@dataclass(frozen=True)
class _Leg:
    t0: float  # seconds from start
    t1: float
    km0: float
    km1: float


@dataclass
class Track:
    corridor: Corridor
    start: datetime
    end: datetime
    arrival: datetime  # reaching the end of the route
    fixes: list[SealFix]
    deliveries: list[Delivery]
    legs: list[_Leg] = field(repr=False, default_factory=list)

    def time_at_km(self, km: float) -> datetime:
        """When the truck first reaches `km` of chainage."""
        return self.start + timedelta(seconds=_time_at_km(self.legs, km))

    def fixes_between(self, t0: datetime, t1: datetime) -> list[SealFix]:
        return [f for f in self.fixes if t0 <= f.fix_time < t1]

    def live(self) -> list[SealFix]:
        return [f for d in self.deliveries if not d.backfill for f in d.fixes]


def _time_at_km(legs: Sequence[_Leg], km: float) -> float:
    for leg in legs:
        if leg.km1 > leg.km0 and leg.km0 <= km <= leg.km1:
            return leg.t0 + (km - leg.km0) / (leg.km1 - leg.km0) * (leg.t1 - leg.t0)
    return legs[-1].t1 if km >= legs[-1].km1 else 0.0


def build_track(
    corridor: Corridor,
    *,
    seal_id: str = "SEAL-0001",
    start: datetime = T0,
    speed_kmh: float = 40.0,
    interval_s: float = 60.0,
    yard_minutes: float = 15.0,
    border_minutes: float = 40.0,
    end_km: float | None = None,
    stops: Sequence[Stop] = (),
    detours: Sequence[Detour] = (),
    gaps: Sequence[Gap] = (),
    lock_opens: Sequence[LockOpen] = (),
    jumps: Sequence[Jump] = (),
    tamper_at_km: float | None = None,
    battery_start_pct: float = 95.0,
    battery_drain_pct_per_h: float = 1.0,
    jitter_m: float = 0.0,
    latency_s: float = 5.0,
    batch_size: int = 1,
    first_seq: int = 1,
    seed: int = 7,
    standing_interval_s: float | None = None,
) -> Track:
    route_km = corridor.length_m / 1000.0
    end_km = route_km if end_km is None else end_km
    v = speed_kmh / 3600.0  # km per second
    legs: list[_Leg] = []
    t, km = 0.0, 0.0

    def dwell(minutes: float) -> None:
        nonlocal t
        legs.append(_Leg(t, t + minutes * 60.0, km, km))
        t += minutes * 60.0

    def drive(to_km: float) -> None:
        nonlocal t, km
        if to_km > km:
            legs.append(_Leg(t, t + (to_km - km) / v, km, to_km))
            t, km = t + (to_km - km) / v, to_km

    dwell(yard_minutes)
    for stop in sorted(stops, key=lambda s: s.at_km):
        drive(min(stop.at_km, end_km))
        dwell(stop.minutes)
    drive(end_km)
    arrival_s = t
    if end_km >= route_km:
        dwell(border_minutes)

    times = _fix_times(legs, t, interval_s, standing_interval_s)
    # The legs are contiguous and linear in time: chainage is an interpolation over their
    # ends, and a fix moves when the leg it falls in gains chainage.
    kms = np.interp(times, [legs[0].t0, *(leg.t1 for leg in legs)], [0.0, *(g.km1 for g in legs)])
    which = np.maximum(0, np.searchsorted([leg.t0 for leg in legs], times, side="right") - 1)
    climbs = np.array([leg.km1 > leg.km0 for leg in legs])
    moving = climbs[which] & (times < np.array([leg.t1 for leg in legs])[which])
    offset_km = np.zeros(len(times))
    for d in detours:
        s = kms - d.at_km
        ramp_km = d.ramp_km if d.ramp_km is not None else max(d.off_km, 0.5)
        ramp = np.clip(np.minimum(s, d.length_km - s) / ramp_km, 0.0, 1.0)
        offset_km = np.where((s >= 0) & (s <= d.length_km), d.off_km * ramp, offset_km)
    rng = np.random.default_rng(seed)
    along_m = kms * 1000.0 + (rng.normal(0.0, jitter_m, len(times)) if jitter_m else 0.0)
    side_m = offset_km * 1000.0 + (rng.normal(0.0, jitter_m, len(times)) if jitter_m else 0.0)
    lons, lats = corridor.point_at(along_m, side_m)
    if detours:
        path = corridor.point_at(kms * 1000.0, offset_km * 1000.0)  # without the jitter
        _drive_detours(corridor, (lons, lats), path, 1.5 * v * 1000.0 * interval_s)
    # GNSS noise: one fix displaced (from where the offset path puts it), the only
    # implausible move of a track
    for j in jumps:
        i = int(np.searchsorted(kms, j.at_km))
        if i < len(times):
            jlon, jlat = corridor.point_at([along_m[i]], [side_m[i] + j.off_km * 1000.0])
            lons[i], lats[i] = jlon[0], jlat[0]

    open_spans = []
    for lo in lock_opens:
        t_open = (
            _time_at_km(legs, lo.at_km)
            if lo.at_km is not None
            else arrival_s + lo.minutes_after_arrival * 60.0
        )
        t_shut = t_open + lo.relock_after_minutes * 60.0 if lo.relock_after_minutes else 1e18
        open_spans.append((t_open, t_shut))
    t_tamper = _time_at_km(legs, tamper_at_km) if tamper_at_km is not None else None

    drain_per_s = battery_drain_pct_per_h / 3600.0
    fixes: list[SealFix] = []
    for i, ts in enumerate(times.tolist()):
        opened = any(a <= ts < b for a, b in open_spans)
        fixes.append(
            SealFix(
                seal_id=seal_id,
                seq=first_seq + i,
                fix_time=start + timedelta(seconds=ts),
                lat=float(lats[i]),
                lon=float(lons[i]),
                speed_kmh=speed_kmh if moving[i] else 0.0,
                course=0.0,
                lock_state=LockState.OPENED if opened else LockState.LOCKED,
                tamper=t_tamper is not None and ts >= t_tamper,
                battery_pct=round(max(0.0, battery_start_pct - drain_per_s * ts), 1),
            )
        )
    deliveries = _deliver(fixes, legs, gaps, start, latency_s, batch_size, seed)
    return Track(
        corridor=corridor,
        start=start,
        end=start + timedelta(seconds=t),
        arrival=start + timedelta(seconds=arrival_s),
        fixes=fixes,
        deliveries=deliveries,
        legs=legs,
    )


def _fix_times(
    legs: Sequence[_Leg], end: float, interval_s: float, standing_s: float | None
) -> FloatArray:
    """When the device takes a fix: every `interval_s`; with `standing_s`, a standing
    truck's lock reports every `standing_s` from the moment it stops and every `interval_s`
    from the moment it moves again (a night at a rest stop is some 70 fixes, not 700)."""
    if standing_s is None or standing_s <= interval_s:
        return np.arange(0.0, end + 1e-9, interval_s)
    spans = [
        np.arange(leg.t0, leg.t1, standing_s if leg.km1 == leg.km0 else interval_s) for leg in legs
    ]
    times = np.concatenate(spans) if spans else np.zeros(0)
    # each leg counts from its own start: a fix just before a leg ends is not taken again
    # a moment later at the start of the next
    keep = np.append(np.diff(times) >= 1.0, True)
    kept: FloatArray = times[keep]
    return kept


def _drive_detours(
    corridor: Corridor,
    fixes: tuple[FloatArray, FloatArray],
    path: tuple[FloatArray, FloatArray],
    max_step_m: float,
) -> None:
    """The offset path of a detour is not always one a truck can drive: several km to the
    inside of a hairpin, the offset point sweeps round the bend in a minute, faster than
    any truck (and the platform rightly flags such a fix as an implausible jump). Along the
    path (without jitter) each fix moves at most `max_step_m` towards where the offset puts
    it, so the truck cuts the bend and catches up after it; the fixes so moved keep their
    jitter. Changes `fixes` (lon, lat) in place."""
    xs, ys = corridor.projection.forward(*path)
    px, py = float(xs[0]), float(ys[0])
    moved: list[tuple[int, float, float]] = []
    for i, (tx, ty) in enumerate(zip(xs.tolist(), ys.tolist(), strict=True)):
        step = math.hypot(tx - px, ty - py)
        if step > max_step_m:
            k = max_step_m / step
            tx, ty = px + (tx - px) * k, py + (ty - py) * k
            moved.append((i, tx, ty))
        px, py = tx, ty
    if not moved:
        return
    rows = [m[0] for m in moved]
    lons, lats = fixes
    jx, jy = corridor.projection.forward(lons[rows], lats[rows])  # the path plus its jitter
    nx = [x + (jx[n] - xs[i]) for n, (i, x, _) in enumerate(moved)]
    ny = [y + (jy[n] - ys[i]) for n, (i, _, y) in enumerate(moved)]
    lons[rows], lats[rows] = corridor.projection.inverse(nx, ny)


def _deliver(
    fixes: list[SealFix],
    legs: list[_Leg],
    gaps: Sequence[Gap],
    start: datetime,
    latency_s: float,
    batch_size: int,
    seed: int,
) -> list[Delivery]:
    """Live batches in fix order; withheld gap fixes arrive later as one late batch."""
    spans = []
    for g in gaps:
        g0 = start + timedelta(seconds=_time_at_km(legs, g.at_km))
        spans.append((g0, g0 + timedelta(minutes=g.minutes), g))
    pending: list[tuple[Gap, list[SealFix], int]] = []  # (gap, its fixes, live fixes to wait)
    out: list[Delivery] = []
    batch: list[SealFix] = []
    lag = timedelta(seconds=latency_s)
    rnd = random.Random(seed)

    def flush() -> None:
        if batch:
            out.append(Delivery(batch[-1].fix_time + lag, list(batch)))
            batch.clear()

    def release(gap: Gap, held: list[SealFix], received: datetime) -> None:
        flush()
        if gap.backfill:
            late = list(held)
            if gap.order == "reversed":
                late.reverse()
            elif gap.order == "shuffled":
                rnd.shuffle(late)
            out.append(Delivery(received, late, backfill=True))

    for f in fixes:
        span = next((s for s in spans if s[0] <= f.fix_time < s[1]), None)
        if span is not None:
            flush()
            if pending and pending[-1][0] is span[2]:
                pending[-1][1].append(f)
            else:
                pending.append((span[2], [f], span[2].delivered_after))
            continue
        for gap, held, _ in (p for p in pending if p[2] <= 0):  # due before this live fix
            release(gap, held, f.fix_time + lag - timedelta(seconds=1))
        pending = [(g, h, w - 1) for g, h, w in pending if w > 0]
        batch.append(f)
        if len(batch) >= batch_size:
            flush()
    for gap, held, _ in pending:
        release(gap, held, fixes[-1].fix_time + lag + timedelta(seconds=1))
    flush()
    return out


def with_fix(track: Track, index: int, **changes: object) -> Track:
    """The same track with one fix changed (delivered live, in place)."""
    fixed = replace(track.fixes[index], **changes)  # type: ignore[arg-type]
    fixes = [fixed if i == index else f for i, f in enumerate(track.fixes)]
    deliveries = [
        Delivery(
            d.received_at, [fixed if f is track.fixes[index] else f for f in d.fixes], d.backfill
        )
        for d in track.deliveries
    ]
    return replace(track, fixes=fixes, deliveries=deliveries)
