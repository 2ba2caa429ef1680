"""The waiting-time simulation of bench/yard.py: trucks at the scan lanes with appointments
against first come first served on the same trucks, lanes and service draws (a small heapq
queue).

Split from the script, which keeps booking, departures and the report.
"""

from __future__ import annotations

import random
import statistics
from datetime import date, datetime, timedelta
from heapq import heappop, heappush
from typing import Any

from _support import log
from _yard_common import (
    FORWARDERS,
    SEED,
    SIM_DAYS,
    START,
    TRUCKS_PER_DAY,
    A,
    at,
    lane_resources,
    load,
    resource_for,
)

from landport.shared.errors import InvalidInput
from landport.yard.appointments import AppointmentBook, BookingRequest, book, cancel
from landport.yard.model import ScanLane, yard_from_document


def natural_arrival(rng: random.Random) -> float:
    """Minutes after local midnight a truck would turn up without an appointment."""
    r = rng.random()
    if r < 0.15:  # queueing at the gate before the lanes open
        m = rng.uniform(7 * 60 + 30, 9 * 60)
    elif r < 0.60:  # the morning peak
        m = rng.gauss(10 * 60, 50)
    elif r < 0.80:  # after lunch
        m = rng.gauss(14 * 60 + 15, 40)
    else:
        m = rng.uniform(9 * 60, 18 * 60)
    return min(max(m, 7 * 60 + 30), 18 * 60 + 30)


def open_from(lane: ScanLane, minute: float) -> float:
    """The first minute >= `minute` (since sim start) at which the lane is open."""
    day, clock = divmod(minute, 1440)
    for _ in range(3):
        for opens, closes in lane.hours:
            o = opens.hour * 60 + opens.minute
            c = (
                1440
                if closes.hour == 23 and closes.minute == 59
                else closes.hour * 60 + closes.minute
            )
            if clock < c:
                return day * 1440 + max(clock, o)
        day, clock = day + 1, 0.0
    raise RuntimeError("lane never opens")


def serve(lanes: tuple[ScanLane, ...], trucks: list[tuple[float, float, float]]) -> list[float]:
    """Waits (minutes) of trucks (arrival, priority, service factor), non-preemptive.

    A free lane takes the waiting truck with the lowest priority (slot start, or arrival
    time for first come first served), ties by arrival. The lanes open and close by hours.
    """
    order = sorted(range(len(trucks)), key=lambda i: (trucks[i][0], i))
    free: list[tuple[float, int]] = [(open_from(lane, 0.0), k) for k, lane in enumerate(lanes)]
    free.sort()
    waiting: list[tuple[float, float, int]] = []
    waits = [0.0] * len(trucks)
    j = 0
    served = 0
    while served < len(trucks):
        t, k = heappop(free)
        if not waiting:  # idle until the next truck arrives
            t = max(t, trucks[order[j]][0])
        start = open_from(lanes[k], t)
        if start > t or (not waiting and trucks[order[j]][0] > start):
            heappush(free, (start, k))  # not free before then: the other lanes go first
            continue
        while j < len(order) and trucks[order[j]][0] <= t:
            i = order[j]
            heappush(waiting, (trucks[i][1], trucks[i][0], i))
            j += 1
        _, arrival, i = heappop(waiting)
        waits[i] = t - arrival
        heappush(free, (t + lanes[k].service_minutes * trucks[i][2], k))
        served += 1
    return waits


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def measure_waiting() -> dict[str, Any]:
    layout = yard_from_document(load("yard.json"))
    lanes = layout.scan_lanes
    resources = lane_resources(lanes)
    ledger = AppointmentBook(resources=resources)
    rng = random.Random(SEED + 2)
    names = [f"fwd-{i:02d}" for i in range(FORWARDERS)]
    fcfs: list[tuple[float, float, float]] = []
    appt: list[tuple[float, float, float]] = []
    shifts: list[float] = []
    walk_ins = 0
    log(f"yard: waiting times, {SIM_DAYS} days x {TRUCKS_PER_DAY} trucks ...")
    for d in range(SIM_DAYS):
        day = START.date() + timedelta(days=d)
        trucks = [
            (natural_arrival(rng), rng.uniform(0.8, 1.25), rng.choice(names))
            for _ in range(TRUCKS_PER_DAY)
        ]
        booked_at = at(day - timedelta(days=1), 17 * 60)  # booked the evening before
        for n, (wish, factor, fwd) in enumerate(trucks):
            base = d * 1440
            fcfs.append((base + wish, base + wish, factor))
            slot = _book_nearest(ledger, f"S{d}-{n}", fwd, day, wish, booked_at)
            if slot is None:  # no free hour: comes as a walk-in when it wished
                walk_ins += 1
                appt.append((base + wish, base + wish, factor))
                continue
            # Punctual-ish: around the slot start, within the check-in window.
            arrive = slot + min(max(rng.gauss(8, 15), -30), 80)
            appt.append((base + arrive, base + slot, factor))
            shifts.append(abs(slot + 30 - wish))
    w_appt, w_fcfs = serve(lanes, appt), serve(lanes, fcfs)
    # Scan start minus the time the truck wished to come: the appointment's full cost.
    late = [a[0] + w - f[0] for a, w, f in zip(appt, w_appt, fcfs, strict=True)]
    return {
        "wait_trucks": len(fcfs),
        "wait_days": SIM_DAYS,
        "wait_avg_min": round(statistics.fmean(w_appt), 2),
        "wait_p90_min": round(p90(w_appt), 2),
        "wait_max_min": round(max(w_appt), 1),
        "wait_avg_min_fcfs": round(statistics.fmean(w_fcfs), 2),
        "wait_p90_min_fcfs": round(p90(w_fcfs), 2),
        "wait_max_min_fcfs": round(max(w_fcfs), 1),
        "wait_trucks_with_slot": len(shifts),
        "wait_walk_ins_without_slot": walk_ins,
        "wait_slot_shift_avg_min": round(statistics.fmean(shifts), 1),
        "scan_after_wish_avg_min": round(statistics.fmean(late), 2),
        "scan_after_wish_p90_min": round(p90(late), 2),
        "scan_after_wish_avg_min_fcfs": round(statistics.fmean(w_fcfs), 2),
        "wait_lanes": {lane.id: lane.service_minutes for lane in lanes},
    }


def _book_nearest(
    ledger: AppointmentBook, ident: str, fwd: str, day: date, wish: float, now: datetime
) -> float | None:
    """Book the wished hour, else the next ones, else earlier ones; minutes of the slot."""
    hours = [9, 10, 11, 14, 15, 16, 17, 18]
    wished = min(hours, key=lambda h: (abs(h * 60 + 30 - wish), h))
    later = [h for h in hours if h >= wished]
    earlier = [h for h in reversed(hours) if h < wished]
    for h in later + earlier:
        attempt = f"{ident}-{h:02d}"
        req = BookingRequest(attempt, fwd, ident, "藏D00000", resource_for(h), at(day, h * 60))
        try:
            a = book(ledger, req, now=now)
        except InvalidInput:
            continue  # peak quota of this forwarder: try another hour
        if a.status is A.BOOKED:
            return h * 60.0
        cancel(ledger, attempt, forwarder=fwd, now=now)  # full: leave standby, try another
    return None
