"""Per-trip corridor monitoring: a pure state machine over e-lock fixes, in fix-time order.

- `advance(plan, state, fixes)`: the fast path for fixes at or after the last one processed
  (one vectorised corridor pass per batch, then a lean loop for the sequential rules).
- `replay(plan, fixes, previous=..., start=...)`: re-evaluates in fix-time order when a batch
  holds fixes older than the last processed one (a device flushing its buffer after a dead
  zone). Strategy: recompute from the start (or from a saved checkpoint state) over all the
  trip's fixes, then reconcile with the previous state: alerts keep their identity (kind +
  start fix time), so unchanged alerts produce no change, history is never deleted, a
  signal loss whose gap the backfill covers is closed as explained (or as backfilled when the
  late fixes show a deviation, stop or opening), and alerts the late fixes disprove are
  closed as superseded. A trip's fixes are a few thousand: a replay takes milliseconds.
- `check_silence(plan, state, now)`: the timer side (signal lost, overdue).
- `ingest(...)`: advance, or replay from history when the batch is late.
- `advance_many` / `ingest_many`: the same for a worker's batch of many trips, with each
  corridor's geometry computed in one vectorised pass.

Duplicates (same seq and fix time: a device's counter may wrap, so seq alone is not a key)
change nothing: recent keys are kept in the state, older redeliveries go through a replay
that drops them. A state loaded without its recent keys (the ingest does not store them)
counts on its caller to pass only fixes not seen before: the ingest passes those its insert
stored. Nothing here reads a clock or a file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

from landport.seals.alerts import (
    PROBLEM_KINDS,
    Alert,
    AlertChange,
    AlertKind,
    Change,
    Resolution,
    TripStateChange,
)
from landport.seals.model import SealFix
from landport.seals.monitor_state import RECENT_KEYS, MonitorState
from landport.seals.tracking import Geometry, Tracker, with_position
from landport.seals.trip_plan import Thresholds, TripPlan

__all__ = [
    "MonitorState",
    "OutOfOrderBatch",
    "Thresholds",
    "TripPlan",
    "advance",
    "advance_many",
    "check_silence",
    "close_alert",
    "ingest",
    "ingest_many",
    "needs_replay",
    "replay",
    "trip_statistics",
]


class OutOfOrderBatch(Exception):
    """The batch holds fixes older than the last processed one: call `replay`."""

    def __init__(self, earliest: datetime) -> None:
        super().__init__(f"fixes from {earliest.isoformat()} arrive after newer ones: replay")
        self.earliest = earliest


_UTC_OFFSET = timedelta(0)
_BY_TIME = attrgetter("fix_time", "seq")


def _fresh(plan: TripPlan, state: MonitorState, fixes: Iterable[SealFix]) -> list[SealFix]:
    """Fixes of this seal not seen before, sorted by fix time (then seq).

    Every key in `state.recent` is at or before `state.last_report_time`: a fix after it is new
    unless repeated within the batch, so a live batch skips hashing the recent keys.
    """
    checked: list[SealFix] = []
    for f in fixes:
        if f.seal_id != plan.seal_id:
            raise ValueError(f"fix of seal {f.seal_id} given to the plan of {plan.seal_id}")
        offset = f.fix_time.utcoffset()
        if offset is None:
            raise ValueError(f"fix {f.seq} has a naive fix_time: UTC only")
        if offset != _UTC_OFFSET:  # alert ids carry the time: one spelling per instant
            f = replace(f, fix_time=f.fix_time.astimezone(UTC))
        checked.append(f)
    checked.sort(key=_BY_TIME)
    newest = state.last_report_time
    seen: set[tuple[int, float]] | None = None  # the recent keys, built when needed
    known: set[tuple[int, float]] = set()  # keys of this batch
    out: list[SealFix] = []
    for f in checked:
        key = (f.seq, f.fix_time.timestamp())
        if key in known:
            continue
        if newest is None or f.fix_time <= newest:
            if seen is None:
                seen = set(state.recent)
            if key in seen:
                continue
        known.add(key)
        out.append(f)
    return out


def needs_replay(plan: TripPlan, state: MonitorState, fixes: Sequence[SealFix]) -> bool:
    fresh = _fresh(plan, state, fixes)
    newest = state.last_report_time
    return bool(fresh and newest and fresh[0].fix_time < newest)


def advance(
    plan: TripPlan, state: MonitorState, fixes: Sequence[SealFix]
) -> tuple[MonitorState, list[Change]]:
    """Process fixes newer than the state's last; raise `OutOfOrderBatch` for older ones."""
    fresh = _fresh(plan, state, fixes)
    if not fresh:
        return state, []
    newest = state.last_report_time
    if newest is not None and fresh[0].fix_time < newest:
        raise OutOfOrderBatch(fresh[0].fix_time)
    return _apply(plan, state, fresh, None)


def _apply(
    plan: TripPlan, state: MonitorState, fresh: list[SealFix], ahead: Geometry | None
) -> tuple[MonitorState, list[Change]]:
    """The rules over fresh, in-order fixes, on a copy: the caller's state is left as it was."""
    after = state.clone()
    Tracker(plan, after).feed(fresh, ahead)
    after.recent = (after.recent + [(f.seq, f.fix_time.timestamp()) for f in fresh])[-RECENT_KEYS:]
    return after, _diff(state, after)


def advance_many(
    work: Sequence[tuple[TripPlan, MonitorState, Sequence[SealFix]]],
) -> list[tuple[MonitorState, list[Change]] | OutOfOrderBatch]:
    """`advance` for many trips at once, in order: what a worker's batch holds.

    Each corridor's geometry (projection, distance, chainage, zones) is computed in one
    vectorised pass over the fixes of all its trips, instead of per trip; the rules then run
    per trip as in `advance`. A trip whose batch is late gets its `OutOfOrderBatch` in
    place of a result (call `replay` for it); the others are not affected. One entry per trip.
    """
    results: list[tuple[MonitorState, list[Change]] | OutOfOrderBatch] = []
    pending: list[tuple[int, list[SealFix]]] = []
    for k, (plan, state, fixes) in enumerate(work):
        fresh = _fresh(plan, state, fixes)
        newest = state.last_report_time
        if not fresh:
            results.append((state, []))
        elif newest is not None and fresh[0].fix_time < newest:
            results.append(OutOfOrderBatch(fresh[0].fix_time))
        else:
            results.append((state, []))  # replaced below
            pending.append((k, fresh))
    by_corridor: dict[int, list[tuple[int, list[SealFix]]]] = {}
    for k, fresh in pending:
        by_corridor.setdefault(id(work[k][0].corridor), []).append((k, fresh))
    for group in by_corridor.values():
        corridor = work[group[0][0]][0].corridor
        # a fix without a satellite fix has no position to measure (see `Tracker.feed`)
        placed = [with_position(fresh) for _, fresh in group]
        lons = [f.lon for fixes in placed for f in fixes]
        lats = [f.lat for fixes in placed for f in fixes]
        x, y = corridor.projection.forward_points(lons, lats)
        dist, chain, zone, inside = corridor.measure_points(x, y)
        lo = 0
        for (k, fresh), fixes in zip(group, placed, strict=True):
            hi = lo + len(fixes)
            ahead = Geometry(
                fixes, x[lo:hi], y[lo:hi], dist[lo:hi], chain[lo:hi], zone[lo:hi], inside[lo:hi]
            )
            plan, state, _ = work[k]
            results[k] = _apply(plan, state, fresh, ahead)
            lo = hi
    return results


def ingest_many(
    work: Sequence[tuple[TripPlan, MonitorState, Sequence[SealFix]]],
    history: Callable[[TripPlan], Iterable[SealFix]],
) -> list[tuple[MonitorState, list[Change]]]:
    """`ingest` for many trips: `advance_many`, and a `replay` over `history(plan)` (all
    stored fixes of that trip, this batch included) for each trip whose batch is late."""
    out: list[tuple[MonitorState, list[Change]]] = []
    for (plan, state, _), result in zip(work, advance_many(work), strict=True):
        if isinstance(result, OutOfOrderBatch):
            out.append(replay(plan, history(plan), previous=state))
        else:
            out.append(result)
    return out


def replay(
    plan: TripPlan,
    fixes: Iterable[SealFix],
    *,
    previous: MonitorState | None = None,
    start: MonitorState | None = None,
) -> tuple[MonitorState, list[Change]]:
    """Re-evaluate the trip's fixes in fix-time order, from the start or from `start`.

    `fixes`: every stored fix of the trip (any order, duplicates allowed); with a `start`
    checkpoint, at least those after its `last_report_time`. `previous`: the state before this
    call, whose alerts are reconciled so that the changes are only what really changed.
    """
    base = start.clone() if start is not None else MonitorState(trip_id=plan.trip_id)
    fresh = _fresh(plan, base, fixes)
    newest = base.last_report_time
    if newest is not None and any(f.fix_time < newest for f in fresh):
        raise ValueError("the checkpoint is newer than some of the fixes: replay from earlier")
    if fresh:
        Tracker(plan, base).feed(fresh)
        base.recent = (base.recent + [(f.seq, f.fix_time.timestamp()) for f in fresh])[
            -RECENT_KEYS:
        ]
    before = previous if previous is not None else MonitorState(trip_id=plan.trip_id)
    if previous is not None:
        _reconcile(plan, previous, base)
    return base, _diff(before, base)


def ingest(
    plan: TripPlan,
    state: MonitorState,
    fixes: Sequence[SealFix],
    history: Callable[[], Iterable[SealFix]],
) -> tuple[MonitorState, list[Change]]:
    """`advance`, or a full `replay` over `history()` (all stored fixes, this batch included)."""
    try:
        return advance(plan, state, fixes)
    except OutOfOrderBatch:
        return replay(plan, history(), previous=state)


def check_silence(
    plan: TripPlan, state: MonitorState, now: datetime
) -> tuple[MonitorState, list[Change]]:
    """Open signal_lost after the silence threshold, and overdue past the window's end."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    now = now.astimezone(UTC)
    after = state.clone()
    tracker = Tracker(plan, after)
    last = after.last_fix_time or plan.armed_at
    if now - last > plan.thresholds.signal_lost_after and AlertKind.SIGNAL_LOST not in tracker.open:
        tracker.open_alert(
            AlertKind.SIGNAL_LOST,
            last,
            raised_at=now.isoformat(),
            threshold_minutes=plan.thresholds.signal_lost_minutes,
            **tracker.last_position(),
        )
    if AlertKind.SIGNAL_LOST in tracker.open:
        after.blind_until = now  # what a backfill must cover to explain the silence
    tracker.check_overdue(now)
    return after, _diff(state, after)


def close_alert(
    state: MonitorState, alert_id: str, at: datetime, *, by: str
) -> tuple[MonitorState, list[Change]]:
    """An officer closes an alert (e.g. a seal opening he has inspected); replays keep it."""
    alert = state.alerts.get(alert_id)
    if alert is None or not alert.is_open:
        return state, []
    after = state.clone()
    after.alerts[alert_id] = alert.closed(at, Resolution.RESOLVED_BY_OFFICER, officer=by)
    return after, _diff(state, after)


def _diff(before: MonitorState, after: MonitorState) -> list[Change]:
    known = set(before.transitions)
    changes: list[Change] = [
        TripStateChange(s, at) for s, at in after.transitions if (s, at) not in known
    ]
    for aid, alert in after.alerts.items():
        old = before.alerts.get(aid)
        if old is None:
            opened = Alert(alert.trip_id, alert.kind, alert.started_at, details=alert.details)
            changes.append(AlertChange("opened", opened if not alert.is_open else alert))
            if not alert.is_open:
                changes.append(AlertChange("closed", alert))
        elif old is not alert and old != alert:  # untouched alerts are the same object
            action = "closed" if old.is_open and not alert.is_open else "updated"
            changes.append(AlertChange(action, alert))
    return changes


def _reconcile(plan: TripPlan, previous: MonitorState, new: MonitorState) -> None:
    """Carry the previous alerts into a recomputed state (see the module docstring)."""
    for aid, old in previous.alerts.items():
        rec = new.alerts.get(aid)
        if rec is not None:
            if old.resolution is Resolution.RESOLVED_BY_OFFICER:
                new.alerts[aid] = old
            elif old.details.keys() - rec.details.keys():
                new.alerts[aid] = Alert(
                    rec.trip_id,
                    rec.kind,
                    rec.started_at,
                    rec.closed_at,
                    rec.resolution,
                    {**old.details, **rec.details},
                )
            continue
        carried = old
        if old.kind is AlertKind.SIGNAL_LOST and "raised_at" in old.details:
            if old.resolution in (None, Resolution.FIXES_RESUMED):
                blind = previous.blind_until
                carried = Tracker(plan, new).settled_signal(old, new.last_fix_time, blind) or old
                if carried.is_open:
                    new.blind_until = blind
        elif old.kind is AlertKind.OVERDUE and old.is_open:
            if new.first_arrival is not None and new.first_arrival <= plan.window_end:
                carried = old.closed(new.first_arrival, Resolution.EXPLAINED_BY_BACKFILL)
        elif old.is_open and new.last_fix_time is not None:
            carried = old.closed(new.last_fix_time, Resolution.SUPERSEDED_BY_REPLAY)
        new.alerts[aid] = carried


def trip_statistics(plan: TripPlan, state: MonitorState) -> dict[str, Any]:
    """What the border officer's verdict needs, JSON-ready."""
    corridor = plan.corridor
    alerts = list(state.alerts.values())
    return {
        "trip_id": state.trip_id,
        "trip_state": state.trip_state.value,
        "fixes": state.fixes,
        "fixes_received": state.received,
        "discarded_jumps": state.jumps,
        "inside_share": round(state.inside / state.fixes, 4) if state.fixes else None,
        "longest_gap_minutes": round(state.longest_gap_s / 60.0, 1),
        "longest_gap_from": state.longest_gap_from.isoformat() if state.longest_gap_from else None,
        "first_arrival": state.first_arrival.isoformat() if state.first_arrival else None,
        "chainage_km": round(state.max_chainage_m / 1000.0, 2),
        "route_km": round(corridor.length_m / 1000.0, 2),
        "progress_share": round(min(1.0, state.max_chainage_m / corridor.length_m), 4),
        "road_km_progress": round(corridor.road_km_at(state.max_chainage_m), 1),
        "route_approximate": corridor.meta.approximate,
        "lock_events": [dict(e) for e in state.lock_events],
        "tamper_events": [a.as_dict() for a in alerts if a.kind is AlertKind.TAMPER],
        "open_alerts": [a.id for a in alerts if a.is_open],
        "problem_alerts": [a.id for a in alerts if a.kind in PROBLEM_KINDS],
        "alerts_by_kind": {
            k.value: sum(1 for a in alerts if a.kind is k)
            for k in AlertKind
            if k in {a.kind for a in alerts}
        },
    }
