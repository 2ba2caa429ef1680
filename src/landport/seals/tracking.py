"""The sequential rules of trip monitoring, applied to one batch of new fixes in order.

Corridor geometry is evaluated once per batch (projection, jump filter, distance, chainage,
zones): vectorised with numpy for large batches, in plain floats for the few fixes of a
live batch (see `Corridor.measure_points`); the loop that follows only compares numbers and
opens or closes alerts. Used by `monitoring`; it mutates the state it is given (a copy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from landport.seals.alerts import PROBLEM_KINDS, Alert, AlertKind, Detail, Resolution
from landport.seals.model import LockState, SealFix, TripState
from landport.seals.monitor_state import MonitorState
from landport.seals.trip_plan import TripPlan


@dataclass(frozen=True, slots=True)
class Geometry:
    """A batch's fixes with a position (`fixes`, as `with_position` gives them) projected and
    measured beforehand, e.g. by `monitoring.advance_many` in one vectorised pass per
    corridor for many trips."""

    fixes: list[SealFix]
    x: list[float]
    y: list[float]
    distance_m: list[float]
    chainage_m: list[float]
    zone: list[int]
    inside: list[bool]


def with_position(fixes: list[SealFix]) -> list[SealFix]:
    """The fixes that have a position: all of them (the same list) but for fixes reported
    without a satellite fix, whose position is never measured."""
    if all(f.positioned for f in fixes):
        return fixes
    return [f for f in fixes if f.positioned]


_SINGLE = (
    AlertKind.ROUTE_DEVIATION,
    AlertKind.UNSCHEDULED_STOP,
    AlertKind.SIGNAL_LOST,
    AlertKind.LOW_BATTERY,
    AlertKind.OVERDUE,
)


class Tracker:
    """Applies the plan's rules to a state; `open` holds the open one-at-a-time alerts."""

    def __init__(self, plan: TripPlan, state: MonitorState) -> None:
        self.plan, self.st, self.c, self.th = plan, state, plan.corridor, plan.thresholds
        self.dep = self.c.zone_index(plan.departure_zone)
        self.dest = self.c.zone_index(plan.destination_zone)
        self.open: dict[AlertKind, Alert] = {}
        for alert in state.alerts.values():  # insertion order: the latest open one wins
            if alert.is_open and alert.kind in _SINGLE:
                self.open[alert.kind] = alert

    # --- alerts -----------------------------------------------------------------------------

    def open_alert(self, kind: AlertKind, started_at: datetime, **details: Detail) -> None:
        alert = Alert(self.st.trip_id, kind, started_at, details=details)
        if alert.id in self.st.alerts:  # the same condition seen again: idempotent
            return
        self.st.alerts[alert.id] = alert
        if kind in _SINGLE:
            self.open[kind] = alert

    def close(self, kind: AlertKind, at: datetime, res: Resolution, **details: Detail) -> None:
        alert = self.open.pop(kind, None)
        if alert is not None:
            self.st.alerts[alert.id] = alert.closed(at, res, **details)

    def where(
        self, lon: float | None, lat: float | None, zone: int, chain: float | None
    ) -> dict[str, Detail]:
        z = self.c.zones[zone] if zone >= 0 else None
        return {
            "lon": None if lon is None else round(lon, 6),
            "lat": None if lat is None else round(lat, 6),
            "zone": z.id if z else None,
            "zone_en": (z.name_en or z.id) if z else None,
            "zone_zh": (z.name_zh or z.name_en or z.id) if z else None,
            "chainage_km": None if chain is None else round(chain / 1000.0, 2),
            "road_km": None if chain is None else round(self.c.road_km_at(chain), 1),
        }

    def last_position(self) -> dict[str, Detail]:
        st = self.st
        zone = self.c.zone_index(st.pos_zone) if st.pos_zone else -1
        return self.where(st.pos_lon, st.pos_lat, zone, st.pos_chainage_m)

    def where_reported(self, f: SealFix) -> dict[str, Detail]:
        """Where an alert or lock event of `f` is placed: the last known position, marked as
        only that when `f` has no satellite fix (where it was last seen, not where it is)."""
        where = self.last_position()
        if not f.positioned:
            where["gnss_fix"] = False
        return where

    def may_be_overdue(self) -> bool:
        """At the border it has arrived; in the yard with no departure planned, not yet due."""
        state = self.st.trip_state
        if state is TripState.AT_BORDER:
            return False
        return not (self.plan.awaits_departure and state is TripState.IN_YARD)

    def check_overdue(self, now: datetime) -> None:
        if now > self.plan.window_end and self.may_be_overdue():
            self.open_alert(AlertKind.OVERDUE, self.plan.window_end, **self.last_position())

    def blind_until(self, alert: Alert, blind_until: datetime | None) -> datetime | None:
        """The end of the period we knew nothing: fixes resumed, or the last silent check."""
        if alert.closed_at is not None:
            return alert.closed_at
        raised = alert.details.get("raised_at")
        ends = [datetime.fromisoformat(raised)] if isinstance(raised, str) else []
        return max([*ends, *([blind_until] if blind_until else [])], default=None)

    def settled_signal(
        self, alert: Alert, last: datetime | None, blind_until: datetime | None
    ) -> Alert | None:
        """A timer-raised signal loss, closed once the record (up to `last`) covers it."""
        hi = self.blind_until(alert, blind_until)
        if hi is None or last is None or last < hi:
            return None
        lo = alert.started_at
        others = sorted(
            a.id
            for a in self.st.alerts.values()
            if a.id != alert.id
            and lo <= a.started_at <= hi
            and (a.kind in PROBLEM_KINDS or (a.kind is AlertKind.SIGNAL_LOST and a.started_at < hi))
        )
        res = Resolution.BACKFILLED if others else Resolution.EXPLAINED_BY_BACKFILL
        return alert.closed(alert.closed_at or last, res, meanwhile=",".join(others) or None)

    def _xy(self, lon: float | None, lat: float | None) -> tuple[float, float]:
        assert lon is not None and lat is not None
        x, y = self.c.projection.forward_points((lon,), (lat,))
        return x[0], y[0]

    # --- the batch --------------------------------------------------------------------------

    def _accept(
        self, x0: list[float], y0: list[float], t0: list[float], anchored: bool
    ) -> tuple[list[bool], list[float], int]:
        """Plausible positions, the speed (km/h) that condemned the others, the last rejected.

        `anchored`: the first point is the last accepted position, not a fix of the batch.
        """
        st, vmax = self.st, self.th.max_plausible_kmh
        x, y, t = (x0[1:], y0[1:], t0[1:]) if anchored else (x0, y0, t0)
        n = len(t)
        speeds = [0.0] * n
        ax, ay, at = (x0[0], y0[0], t0[0]) if anchored else (None, None, None)
        if st.rejected_run == 0 and all(
            math.hypot(x0[i + 1] - x0[i], y0[i + 1] - y0[i]) / max(t0[i + 1] - t0[i], 1.0) * 3.6
            <= vmax
            for i in range(len(t0) - 1)
        ):
            return [True] * n, speeds, -1
        rx = ry = rt = None
        if st.rejected_time is not None:
            rx, ry = self._xy(st.rejected_lon, st.rejected_lat)
            rt = st.rejected_time.timestamp()
        run, last_rej = st.rejected_run, -1
        ok = [True] * n
        for i, (xi, yi, ti) in enumerate(zip(x, y, t, strict=True)):
            if ax is not None and ay is not None and at is not None:
                v_i = math.hypot(xi - ax, yi - ay) / max(ti - at, 1.0) * 3.6
                if v_i > vmax:
                    consistent = (
                        rx is not None
                        and ry is not None
                        and rt is not None
                        and math.hypot(xi - rx, yi - ry) / max(ti - rt, 1.0) * 3.6 <= vmax
                    )
                    if not (consistent and run >= 2):  # three fixes agreeing re-anchor the track
                        run = run + 1 if consistent else 1
                        rx, ry, rt, last_rej = xi, yi, ti, i
                        ok[i], speeds[i] = False, v_i
                        continue
            ax, ay, at, run, rx, ry, rt = xi, yi, ti, 0, None, None, None
        st.rejected_run = run
        return ok, speeds, (last_rej if run else -1)

    def _measure(
        self, xl: list[float], yl: list[float], ok: list[bool], ahead: Geometry | None
    ) -> tuple[list[float], list[float], list[int], list[bool]]:
        """Distance, chainage, zone, inside of the accepted fixes (rejected: 0, 0, -1, True)."""
        if all(ok):
            if ahead is not None:
                return ahead.distance_m, ahead.chainage_m, ahead.zone, ahead.inside
            return self.c.measure_points(xl, yl)
        keep = [i for i, good in enumerate(ok) if good]
        if ahead is not None:
            md = [ahead.distance_m[i] for i in keep]
            mc = [ahead.chainage_m[i] for i in keep]
            mz = [ahead.zone[i] for i in keep]
            mi = [ahead.inside[i] for i in keep]
        else:
            md, mc, mz, mi = self.c.measure_points([xl[i] for i in keep], [yl[i] for i in keep])
        n = len(ok)
        dl, cl, zl, insl = [0.0] * n, [0.0] * n, [-1] * n, [True] * n
        for j, i in enumerate(keep):
            dl[i], cl[i], zl[i], insl[i] = md[j], mc[j], mz[j], mi[j]
        return dl, cl, zl, insl

    def feed(self, fixes: list[SealFix], ahead: Geometry | None = None) -> None:
        """Apply every rule to new fixes (sorted by fix time, none older than the state's).

        `ahead`: the geometry of the fixes with a position, and those fixes, when the caller
        computed it (for many trips at once). A fix without a position (no satellite fix)
        is only a report of lock, tamper and battery, placed at the last known position: it
        is neither on nor off the route, moves no stop or trip state, and is no fix for the
        gaps and the signal-lost check (`last_fix_time`).
        """
        st, th, plan = self.st, self.th, self.plan
        placed = ahead.fixes if ahead is not None else with_position(fixes)
        tl = [f.fix_time.timestamp() for f in placed]
        if ahead is not None:
            xl, yl = ahead.x, ahead.y
        else:
            lons, lats = [f.lon for f in placed], [f.lat for f in placed]
            if st.pos_time is not None:  # the last accepted position, projected with the batch
                assert st.pos_lon is not None and st.pos_lat is not None
                lons, lats = [st.pos_lon, *lons], [st.pos_lat, *lats]
            xl, yl = self.c.projection.forward_points(lons, lats)
        if st.pos_time is not None:
            if ahead is not None:
                ax, ay = self._xy(st.pos_lon, st.pos_lat)
                xl, yl = [ax, *xl], [ay, *yl]
            ok, speeds, last_rej = self._accept(xl, yl, [st.pos_time.timestamp(), *tl], True)
            xl, yl = xl[1:], yl[1:]
        else:
            ok, speeds, last_rej = self._accept(xl, yl, tl, False)
        if st.rejected_run == 0:
            st.rejected_lon = st.rejected_lat = st.rejected_time = None
        elif last_rej >= 0:
            r = placed[last_rej]
            st.rejected_lon, st.rejected_lat, st.rejected_time = r.lon, r.lat, r.fix_time
        dl, cl, zl, insl = self._measure(xl, yl, ok, ahead)

        gap_s = th.signal_lost_minutes * 60.0
        dwell_s = th.stop_minutes * 60.0
        en_route_m = th.en_route_after_km * 1000.0
        window_end_t = plan.window_end.timestamp()
        last_dt = st.last_fix_time or plan.armed_at
        last_t = last_dt.timestamp()
        sig = self.open.get(AlertKind.SIGNAL_LOST)
        hi = self.blind_until(sig, st.blind_until) if sig is not None else None
        sig_hi = hi.timestamp() if hi is not None else None
        stop_x = stop_y = stop_t = 0.0
        if st.stop_since is not None:
            stop_x, stop_y = self._xy(st.stop_lon, st.stop_lat)
            stop_t = st.stop_since.timestamp()
        i = -1  # the index of `f` in `placed`
        for f in fixes:
            if not f.positioned:
                st.received += 1
                self._lock_and_battery(f)
                continue
            i += 1
            t = tl[i]
            gap = t - last_t
            if gap > st.longest_gap_s:
                st.longest_gap_s, st.longest_gap_from = gap, last_dt
            if gap > gap_s:
                self._gap(last_dt, f, gap, cl[i] if ok[i] and insl[i] else None)
                sig = self.open.get(AlertKind.SIGNAL_LOST)
                if sig is None:
                    st.blind_until = None
            st.received += 1
            if t > window_end_t and self.may_be_overdue():
                self.open_alert(AlertKind.OVERDUE, plan.window_end, **self.last_position())
            if ok[i]:
                zi, ins, ch, xi, yi = zl[i], insl[i], cl[i], xl[i], yl[i]
                st.fixes += 1
                st.pos_time, st.pos_lon, st.pos_lat = f.fix_time, f.lon, f.lat
                st.pos_chainage_m, st.pos_inside = ch, ins
                zone = self.c.zones[zi].id if zi >= 0 else None
                if zone != st.pos_zone:
                    st.zone_since = f.fix_time if zone is not None else None
                    st.pos_zone = zone
                if ins:
                    st.inside += 1
                    if ch > st.max_chainage_m:
                        st.max_chainage_m = ch
                    if st.outside_run:
                        st.outside_run, st.outside_since = 0, None
                        self.close(
                            AlertKind.ROUTE_DEVIATION, f.fix_time, Resolution.BACK_IN_CORRIDOR,
                            max_distance_m=round(st.outside_max_m),
                        )  # fmt: skip
                else:
                    self._outside(f, dl[i], zi, ch)
                if st.trip_state is not TripState.AT_BORDER:
                    self._progress(f, zi, ins, ch, en_route_m)
                # a stop counts outside permitted zones, until the truck leaves its spot
                if st.stop_since is not None and (
                    zi >= 0 or math.hypot(xi - stop_x, yi - stop_y) > th.stop_radius_m
                ):
                    st.stop_since = None
                    self.close(AlertKind.UNSCHEDULED_STOP, f.fix_time, Resolution.MOVED_ON)
                if zi < 0:
                    if st.stop_since is None:
                        if f.speed_kmh < th.stop_speed_kmh:
                            st.stop_since, st.stop_lon, st.stop_lat = f.fix_time, f.lon, f.lat
                            stop_x, stop_y, stop_t = xi, yi, t
                    elif t - stop_t >= dwell_s and AlertKind.UNSCHEDULED_STOP not in self.open:
                        self.open_alert(
                            AlertKind.UNSCHEDULED_STOP, st.stop_since,
                            **self.where(st.stop_lon, st.stop_lat, zi, ch),
                        )  # fmt: skip
            else:
                st.jumps += 1
                if st.jumps <= th.max_jump_alerts:
                    jump = Alert(
                        st.trip_id, AlertKind.IMPLAUSIBLE_JUMP, f.fix_time,
                        details={"lon": f.lon, "lat": f.lat, "speed_kmh": round(speeds[i])},
                    ).closed(f.fix_time, Resolution.DISCARDED_AS_NOISE)  # fmt: skip
                    st.alerts.setdefault(jump.id, jump)
            self._lock_and_battery(f)
            last_dt, last_t = f.fix_time, t
            # a timer's signal loss settles once the record covers it and no run is pending
            if (
                sig is not None
                and sig_hi is not None
                and t >= sig_hi
                and st.outside_run == 0
                and st.stop_since is None
            ):
                settled = self.settled_signal(sig, f.fix_time, st.blind_until)
                if settled is not None:
                    self.open.pop(AlertKind.SIGNAL_LOST, None)
                    st.blind_until = None
                    st.alerts[sig.id] = settled
                    sig = None
        if placed:
            st.last_fix_time = last_dt
        if fixes:
            st.last_report_time = fixes[-1].fix_time

    def _gap(self, last_dt: datetime, f: SealFix, gap: float, chain_after: float | None) -> None:
        """A silence longer than the threshold in the record itself."""
        st = self.st
        before = st.pos_chainage_m if st.pos_inside else None
        details: dict[str, Detail] = {
            "gap_minutes": round(gap / 60.0, 1),
            "threshold_minutes": self.th.signal_lost_minutes,
            **self.last_position(),
        }
        if before is not None and chain_after is not None:
            implied = (chain_after - before) / 1000.0 / (gap / 3600.0)
            details["implied_kmh_along_route"] = round(implied, 1)
            details["consistent_with_route"] = (chain_after - before) / 1000.0 >= -1.0 and (
                implied <= self.th.max_plausible_kmh
            )
        sig = self.open.get(AlertKind.SIGNAL_LOST)
        if sig is not None and sig.started_at == last_dt:
            self.close(AlertKind.SIGNAL_LOST, f.fix_time, Resolution.FIXES_RESUMED, **details)
            return
        if sig is not None:  # a timer alert from another start: the record tells otherwise
            self.close(AlertKind.SIGNAL_LOST, f.fix_time, Resolution.BACKFILLED)
        alert = Alert(st.trip_id, AlertKind.SIGNAL_LOST, last_dt, details=details)
        if alert.id not in st.alerts:
            st.alerts[alert.id] = alert.closed(f.fix_time, Resolution.FIXES_RESUMED)

    def _outside(self, f: SealFix, dist: float, zi: int, ch: float) -> None:
        st, th = self.st, self.th
        st.outside_run += 1
        if st.outside_run == 1:
            st.outside_since, st.outside_max_m = f.fix_time, dist
        st.outside_max_m = max(st.outside_max_m, dist)
        far = th.deviation_far_m is not None and dist > th.deviation_far_m
        if AlertKind.ROUTE_DEVIATION not in self.open and (
            st.outside_run >= th.deviation_fixes or far
        ):
            assert st.outside_since is not None
            self.open_alert(
                AlertKind.ROUTE_DEVIATION, st.outside_since, distance_m=round(dist),
                **self.where(f.lon, f.lat, zi, ch),
            )  # fmt: skip

    def _progress(self, f: SealFix, zi: int, ins: bool, ch: float, en_route_m: float) -> None:
        st = self.st
        if st.trip_state is TripState.IN_YARD and zi != self.dep:
            st.trip_state = TripState.DEPARTED
            st.transitions.append((TripState.DEPARTED, f.fix_time))
        if st.trip_state is TripState.DEPARTED and ins and zi != self.dep and ch >= en_route_m:
            st.trip_state = TripState.EN_ROUTE
            st.transitions.append((TripState.EN_ROUTE, f.fix_time))
        if zi == self.dest:
            st.trip_state = TripState.AT_BORDER
            st.transitions.append((TripState.AT_BORDER, f.fix_time))
            st.first_arrival = f.fix_time
            self.close(AlertKind.OVERDUE, f.fix_time, Resolution.ARRIVED_LATE)

    def _lock_and_battery(self, f: SealFix) -> None:
        st, th = self.st, self.th
        if f.lock_state is not st.lock:
            zone = self.c.zone_index(st.pos_zone) if st.pos_zone else -1
            if st.pos_time is None and st.trip_state is TripState.IN_YARD:
                zone = self.dep  # no position yet (no satellite fix): where it was armed
            where = self.where_reported(f)
            opened = f.lock_state is LockState.OPENED
            allowed = zone == self.dest or (zone == self.dep and st.trip_state is TripState.IN_YARD)
            st.lock_events.append(
                {
                    "at": f.fix_time.isoformat(),
                    "lock": f.lock_state.value,
                    "allowed": allowed,
                    **where,
                }
            )
            if opened and not allowed:
                self.open_alert(AlertKind.SEAL_OPENED, f.fix_time, **where)
            st.lock = f.lock_state
        if f.tamper and not st.tamper:
            self.open_alert(AlertKind.TAMPER, f.fix_time, **self.where_reported(f))
        st.tamper = f.tamper
        b = f.battery_pct
        if b is not None:
            st.battery_pct = b
            if b < th.low_battery_pct and AlertKind.LOW_BATTERY not in self.open:
                self.open_alert(AlertKind.LOW_BATTERY, f.fix_time, battery_pct=b)
            elif b >= th.low_battery_pct + th.battery_hysteresis_pct:
                self.close(AlertKind.LOW_BATTERY, f.fix_time, Resolution.BATTERY_RECOVERED)
