"""What a run of the twin tells a port manager: throughput, time-release, utilisation,
queues, and whether every injected incident raised its alert (and nothing else did)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from landport.shared import stats
from landport.simulation.elocks import EXPECTED_ALERTS, Incident
from landport.simulation.model import TruckRecord
from landport.simulation.scenario import minutes_of_day
from landport.simulation.twin import Twin

#: Lanes whose trucks stop at an inspection station in the yard (documents, scan, bay): most
#: trucks are released before they arrive, so `clearance` over all trucks is often 0 at p90,
#: and scan lanes and bays are sized by these trucks' clearance alone.
INSPECTED_LANES = ("yellow", "red")
#: Segments of the time-release study (WCO TRS): from, to, and the lanes counted (None: all).
SEGMENTS: tuple[tuple[str, str, str, tuple[str, ...] | None], ...] = (
    ("gate_wait", "arrival", "gate_in", None),
    ("clearance", "gate_in", "decided", None),
    ("clearance_inspected", "gate_in", "decided", INSPECTED_LANES),
    ("sealing", "decided", "sealed", None),
    ("parking_wait", "sealed", "parked", None),  # in the yard lane until a slot is free
    ("parking_dwell", "sealed", "gate_out", None),
    ("road", "gate_out", "border_arrival", None),
    ("border", "border_arrival", "border_done", None),
    ("yard_total", "arrival", "gate_out", None),
)


@dataclass(frozen=True)
class RaisedAlert:
    trip_id: str
    kind: str
    severity: str
    opened_at: datetime
    state: str = ""  # open | acknowledged | closed (by the track) | resolved (by an officer)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The platform's percentile (`shared.stats`) to two decimals; None for no values."""
    value = stats.percentile(values, q)
    return None if value is None else round(value, 2)


def _minutes(rec: TruckRecord, a: str, b: str) -> float | None:
    t0, t1 = getattr(rec, a), getattr(rec, b)
    return None if t0 is None or t1 is None else (t1 - t0).total_seconds() / 60.0


def _open_s(hours: Iterable[tuple[str, str]]) -> float:
    return sum((minutes_of_day(b) - minutes_of_day(a)) * 60.0 for a, b in hours)


def detection(incidents: Sequence[Incident], alerts: Sequence[RaisedAlert]) -> dict[str, Any]:
    """Match ground truth with the alerts the platform raised."""
    by_trip: dict[str, list[RaisedAlert]] = {}
    for a in alerts:
        by_trip.setdefault(a.trip_id, []).append(a)
    incident_trips = {i.trip_id: i for i in incidents if i.trip_id}
    detected, missed = 0, []
    for i in incidents:
        kinds = {a.kind for a in by_trip.get(i.trip_id, [])}
        if kinds & EXPECTED_ALERTS[i.kind]:
            detected += 1
        else:
            missed.append({"kind": i.kind, "trip_id": i.trip_id, "at_km": round(i.at_km, 1)})
    explained = [
        a
        for a in alerts
        if a.trip_id in incident_trips and a.kind in EXPECTED_ALERTS[incident_trips[a.trip_id].kind]
    ]
    false = [a for a in alerts if a.trip_id not in incident_trips]
    return {
        "incidents_injected": len(incidents),
        "incidents_detected": detected,
        "incidents_by_kind": dict(Counter(i.kind for i in incidents)),
        "alerts_raised": len(alerts),
        "alerts_by_kind": dict(Counter(a.kind for a in alerts)),
        "false_alerts": len(false),
        "false_alert_kinds": dict(Counter(a.kind for a in false)),
        "precision": round(len(explained) / len(alerts), 3) if alerts else 1.0,
        "recall": round(detected / len(incidents), 3) if incidents else 1.0,
        "missed": missed,
    }


#: The truck's instants shown beside a false alert: where it was when the alert came.
_TIMELINE = ("sealed", "parked", "gate_out", "border_arrival", "border_done")


def false_alert_examples(
    records: Sequence[TruckRecord],
    incidents: Sequence[Incident],
    alerts: Sequence[RaisedAlert],
    *,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """The first alerts on clean trips, each with its truck's timeline: enough to tell from
    one run why a rule fired where nothing happened."""
    incident_trips = {i.trip_id for i in incidents if i.trip_id}
    truck_of = {r.trip_id: r for r in records if r.trip_id}
    out: list[dict[str, Any]] = []
    for a in alerts:
        if a.trip_id in incident_trips:
            continue
        example: dict[str, Any] = {
            "trip_id": a.trip_id,
            "kind": a.kind,
            "opened_at": a.opened_at.isoformat(),
        }
        truck = truck_of.get(a.trip_id)
        if truck is not None:
            example.update(plate=truck.plate, port=truck.port, cargo=truck.cargo)
            example.update(outcome=truck.outcome)
            for name in _TIMELINE:
                at = getattr(truck, name)
                example[name] = at.isoformat() if at is not None else None
        out.append(example)
        if len(out) == limit:
            break
    return out


def alert_handling(twin: Twin, alerts: Sequence[RaisedAlert]) -> dict[str, Any]:
    """What the monitoring officers did with the alerts, and what was left unanswered."""
    desk = twin.desk
    states = Counter(a.state for a in alerts)
    return {
        "alerts_acknowledged": desk.outcomes["acknowledged"] if desk else 0,
        "alerts_resolved": desk.outcomes["resolved"] if desk else 0,
        "alert_ack_p50_min": percentile(desk.ack_min, 50) if desk else None,
        "alert_ack_p90_min": percentile(desk.ack_min, 90) if desk else None,
        "alert_resolve_p50_min": percentile(desk.resolve_min, 50) if desk else None,
        "alert_findings": dict(desk.findings) if desk else {},
        "alert_desk_outcomes": dict(desk.outcomes) if desk else {},
        "alert_states": dict(states),
        "alerts_left_open": states["open"] + states["acknowledged"],
    }


def summarise(
    twin: Twin,
    alerts: Sequence[RaisedAlert],
    *,
    days: int,
    wall_s: float,
    events: int,
    sim_s: float,
) -> dict[str, Any]:
    s = twin.s
    recs = twin.records
    handled = [r for r in recs if r.sealed is not None]
    green = [r.clearance_handling_min for r in handled if r.lane in ("green", "blue")]
    segments = {}
    for name, a, b, lanes in SEGMENTS:
        counted = recs if lanes is None else [r for r in recs if r.lane in lanes]
        values = [m for r in counted if (m := _minutes(r, a, b)) is not None]
        segments[name] = {"p50_min": percentile(values, 50), "p90_min": percentile(values, 90)}
    utilisation = {}
    for key, st in twin.stations.items():
        capacity_s = st.capacity * _open_s(st.hours) * days
        utilisation[key] = round(st.busy_s / capacity_s, 3) if capacity_s else None
    lot = twin.parking
    # Over the days of arrivals, as the stations are (not while the lot empties afterwards).
    parking_s = lot.slots * min(lot.window_s, sim_s)
    utilisation["parking"] = round(lot.used_s / parking_s, 3) if parking_s else None
    # Queues only: trucks waiting for a station, and sealed trucks waiting for a slot.
    peak_queue = {k: st.peak_queue for k, st in twin.stations.items()}
    peak_queue["parking"] = lot.peak_waiting
    parking = {
        "slots": lot.slots,
        "peak_in_use": lot.peak,
        "trucks_waited": lot.waited,  # sealed trucks that found the lot or their zone full
        "refused_tries": lot.refused,  # of those, tries the platform refused (zone full)
    }
    outcomes = Counter(r.outcome.split(":")[0] for r in recs)
    result: dict[str, Any] = {
        "scenario": s.name,
        "days": days,
        "seed": twin.seed,
        "trucks_declared": len(recs),
        "trucks_arrived": sum(1 for r in recs if r.arrival is not None),
        "trucks_handled": len(handled),
        "trucks_handled_per_day": round(len(handled) / days, 1),
        "no_shows": outcomes.get("no_show", 0),
        "trucks_shut_out": outcomes.get("shut_out", 0),  # goods refused: back inland
        "released_at_border": outcomes.get("released", 0),
        "referred_at_border": outcomes.get("referred", 0),
        # Sealed but not through the border when the run ended: still in the yard or on the
        # road. Trucks handled are counted at the yard; a port that cannot send them on
        # shows here, not there.
        "trucks_not_across": len(handled) - outcomes["released"] - outcomes["referred"],
        "referral_reasons": dict(twin.referrals),
        "appointments": dict(twin.appointments),
        "refusals": dict(twin.refusals),
        "refusal_examples": dict(twin.refusal_examples),
        "per_lane": dict(Counter(r.lane for r in handled)),
        # Newcomers meet the first-time-exporter rules: their lanes, beside everyone's.
        "newcomers": {
            "declared": sum(1 for r in recs if r.newcomer and r.declared is not None),
            "per_lane": dict(Counter(r.lane for r in handled if r.newcomer)),
        },
        # Which rules decided the lanes: declarations whose assessment fired each rule.
        "rules_fired": dict(sorted(Counter(rule for r in recs for rule in r.rules).items())),
        "per_border_port": dict(Counter(r.port for r in handled)),
        "border_closures": list(twin.closures_announced),
        "trucks_held_for_closure": sum(1 for r in recs if r.held_for_closure),
        "per_cargo": dict(Counter(r.cargo for r in handled)),
        "green_clearance_p50_min": percentile(green, 50),
        "green_clearance_p90_min": percentile(green, 90),
        "green_clearance_max_min": round(max(green), 2) if green else None,
        "time_release": segments,
        "utilisation": utilisation,
        "peak_queue": peak_queue,
        "parking": parking,
        **detection(twin.incidents, alerts),
        "false_alert_examples": false_alert_examples(recs, twin.incidents, alerts),
        **alert_handling(twin, alerts),
        "telemetry_messages": twin.pump.messages,
        "telemetry_batches": twin.pump.batches,
        "events": events,
        "wall_s": round(wall_s, 3),
        "events_per_s": round(events / wall_s) if wall_s else None,
        # every simulated day counts, the days that follow the last arrivals' trips included
        "simulated_days": round(sim_s / 86400.0, 3),
        "sim_days_per_wall_s": round(sim_s / 86400.0 / wall_s, 4) if wall_s else None,
    }
    return result
