"""Read side of the monitoring big screen: the last 24 hours, live, by SQL.

A wall display shows a rolling day (the last 24 hours) rather than the Beijing calendar
day, so the screen does not fall to zero at midnight while trucks are still on the road.
Counts come from the declarations, their status events, the yard's visits, trips and
alerts; the time-release figures reuse the report's milestone query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, bindparam, func, or_, select

from landport.adapters.db import tables as t
from landport.adapters.db.custody import route_version
from landport.adapters.db.custody_queries import corridor_for
from landport.adapters.db.planner import not_indexed
from landport.adapters.db.report_queries import consignments_declared_on
from landport.adapters.db.yard_tables import truck_visits
from landport.reports.time_release import time_release
from landport.seals.calendar import BEIJING
from landport.yard.visits import IN_YARD, PAST_GATE
from landport.yard.whereabouts import inside_gate, sealed_without_visit

if TYPE_CHECKING:
    from landport.adapters.live_events import Owner

WINDOW = timedelta(hours=24)
#: Alerts the screen shows: raised and not yet resolved (being handled counts).
UNRESOLVED = ("open", "acknowledged")
#: Alerts that have ended: closed by the track itself, or resolved by an officer's finding.
HANDLED = ("closed", "resolved")
#: Declarations whose truck has not yet left for the border.
AT_PORT = ("declared", "assessed", "document_check", "examination", "held", "released")
IN_TRANSIT = ("departed", "en_route")
#: The declarations of the trucks inside the yard's gate (None for a truck without one); a
#: visit whose goods have exited at the border missed its gate-out record and is not inside.
_INSIDE = (
    select(truck_visits.c.declaration_id)
    .select_from(
        truck_visits.outerjoin(t.declarations, t.declarations.c.id == truck_visits.c.declaration_id)
    )
    .where(
        truck_visits.c.status.in_(sorted(IN_YARD)),
        or_(t.declarations.c.status.is_(None), t.declarations.c.status != "exited"),
    )
)
_GATED_OUT = select(truck_visits.c.declaration_id).where(
    truck_visits.c.declaration_id.in_(bindparam("ids", expanding=True)),
    not_indexed(truck_visits.c.status).in_(sorted(PAST_GATE)),
)


def _gated_out(conn: Any, declaration_ids: list[str]) -> set[str]:
    """Which of these declarations' trucks have passed the gate-out."""
    if not declaration_ids:
        return set()
    return set(conn.execute(_GATED_OUT, {"ids": declaration_ids}).scalars())


#: "New three" (新三样) and "old three" (老三样) export goods by HS code prefix.
#: Vehicles (8703) count only in their electric and hybrid sub-headings.
NEW_THREE = {
    **dict.fromkeys(("870340", "870350", "870360", "870370", "870380"), "new_energy_vehicles"),
    "850760": "lithium_batteries",
    "854142": "photovoltaics",
    "854143": "photovoltaics",
}
OLD_THREE_PREFIXES = {
    "furniture": ("9401", "9403", "9404"),
    "clothing": tuple(str(ch) for ch in range(50, 64)),  # textiles and garments, ch. 50-63
    "appliances": ("8415", "8418", "8422", "8450", "8451", "8508", "8509", "8516", "8528"),
}


def cargo_class(hs_code: str) -> tuple[str, str]:
    """(group, category): group is new_three, old_three or other."""
    for prefix, category in NEW_THREE.items():
        if hs_code.startswith(prefix):
            return "new_three", category
    for category, prefixes in OLD_THREE_PREFIXES.items():
        if hs_code.startswith(prefixes):
            return "old_three", category
    return "other", "other"


def owner_of(engine: Engine, declaration_id: str | None, trip_id: str | None) -> Owner | None:
    """The enterprises behind a declaration or a trip, (consignor, customs broker that lodged
    it as agent or None): decide which declarants hear of it."""
    d = t.declarations
    owners = select(d.c.enterprise_uscc, d.c.declaring_agent_uscc)
    if declaration_id:
        query = owners.where(d.c.id == declaration_id)
    elif trip_id:
        query = owners.join(t.trips, t.trips.c.declaration_id == d.c.id).where(
            t.trips.c.id == trip_id
        )
    else:
        return None
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or not row.enterprise_uscc:
        return None
    agent = row.declaring_agent_uscc
    return str(row.enterprise_uscc), str(agent) if agent else None


def _declared_since(conn: Any, since: datetime) -> list[Any]:
    e, d = t.declaration_events, t.declarations
    first = (
        select(e.c.declaration_id, func.min(e.c.at).label("at"))
        .where(e.c.status == "declared", e.c.at >= since)
        .group_by(e.c.declaration_id)
        .subquery()
    )
    return list(
        conn.execute(
            select(d.c.id, d.c.lane, d.c.exit_port, d.c.status, d.c.content, first.c.at)
            .join(first, first.c.declaration_id == d.c.id)
            .order_by(first.c.at)
        ).mappings()
    )


def _containers(content: Mapping[str, Any] | None) -> int:
    """Containers a declaration moves; a truck with none (bulk, a car carrier) counts as one."""
    return len((content or {}).get("containers") or []) or 1


def _status_times(conn: Any, status: str, since: datetime) -> list[datetime]:
    e = t.declaration_events
    rows = conn.execute(select(e.c.at).where(e.c.status == status, e.c.at >= since))
    return [r[0] for r in rows]


def _status_count(conn: Any, status: str, since: datetime) -> int:
    e = t.declaration_events
    query = select(func.count()).select_from(e).where(e.c.status == status, e.c.at >= since)
    return int(conn.execute(query).scalar_one())


HEADLINE_SPAN = "gated_in->sealed"


def screen_summary(
    engine: Engine, now: datetime, *, capacity: int, saving_per_container_cny: int
) -> dict[str, Any]:
    """Headline figures: trucks against capacity, where they are, clearance time, alerts."""
    since = now - WINDOW
    tr, al = t.trips, t.alerts
    with engine.connect() as conn:
        declared = _declared_since(conn, since)
        # counted here: grouped in SQL, SQLite walks the state index of every trip ever armed
        trips = conn.execute(
            select(tr.c.state, tr.c.declaration_id).where(tr.c.active.is_(True))
        ).all()
        inside = inside_gate(conn.execute(_INSIDE).scalars(), trips)
        sealed_here = sealed_without_visit(trips, inside)
        gone = _gated_out(conn, sealed_here)  # on its way: counted in transit
        exited = _status_count(conn, "exited", since)
        released = _status_count(conn, "released", since)
        alerts: dict[str, int] = dict(
            conn.execute(
                select(al.c.severity, func.count())
                .where(al.c.state.in_(UNRESOLVED))
                .group_by(al.c.severity)
            ).all()
        )
        raised = conn.execute(
            select(func.count()).select_from(al).where(al.c.opened_at >= since)
        ).scalar_one()
        ended: dict[str, int] = dict(
            conn.execute(
                select(al.c.state, func.count())
                .where(al.c.state.in_(HANDLED), al.c.closed_at >= since)
                .group_by(al.c.state)
            ).all()
        )
    active_trip_states = Counter(state for state, _ in trips)
    # In the yard: the trucks inside the gate, and any sealed there without a gate record;
    # expected: the last day's declarations whose truck is not inside and has no trip yet.
    seen = {d for d in inside if d} | {declaration for _, declaration in trips}
    in_yard = len(inside) + len(sealed_here) - len(gone)
    expected = sum(1 for r in declared if r["status"] in AT_PORT and r["id"] not in seen)
    lanes = Counter(r["lane"] or "none" for r in declared)
    containers = sum(_containers(r["content"]) for r in declared)
    report = time_release(_consignments(engine, now, since))
    overall = report["overall"]
    return {
        "window_hours": int(WINDOW.total_seconds() // 3600),
        "as_of": now.isoformat(),
        "trucks": {
            "declared": len(declared),
            "capacity": capacity,
            "utilisation": round(len(declared) / capacity, 3) if capacity else None,
            "in_yard": in_yard,
            "expected": expected,
            "in_transit": len(gone) + sum(int(active_trip_states.get(s, 0)) for s in IN_TRANSIT),
            "at_border": int(active_trip_states.get("at_border", 0)),
            "exited": exited,
            "released": released,
        },
        # A green declaration is released on lodging, before its truck arrives, so the
        # headline is the truck's handling in the yard: gate-in until its e-lock is armed.
        "clearance": {
            "span": HEADLINE_SPAN,
            "median_min": overall[HEADLINE_SPAN]["p50_min"],
            "p90_min": overall[HEADLINE_SPAN]["p90_min"],
            "count": overall[HEADLINE_SPAN]["count"],
            "segments": [
                {"segment": name, **figures}
                for name, figures in overall.items()
                if "->" in name and figures["count"]
            ],
            "milestones": report["milestones"],
        },
        "lanes": {lane: lanes.get(lane, 0) for lane in ("green", "blue", "yellow", "red")},
        "alerts": {
            "open": sum(int(v) for v in alerts.values()),
            "alarm": int(alerts.get("alarm", 0)),
            "warning": int(alerts.get("warning", 0)),
            "info": int(alerts.get("info", 0)),
            # the day's custody work, so a quiet wall still shows what was raised and done
            "raised_24h": int(raised),
            "resolved_24h": int(ended.get("resolved", 0)),
            "closed_24h": int(ended.get("closed", 0)),
        },
        "cost_saving": {
            "per_container_cny": saving_per_container_cny,
            "containers": containers,
            "total_cny": containers * saving_per_container_cny,
        },
    }


def _consignments(engine: Engine, now: datetime, since: datetime) -> list[Any]:
    days = sorted({since.astimezone(BEIJING).date(), now.astimezone(BEIJING).date()})
    found = [c for day in days for c in consignments_declared_on(engine, day)]
    return [c for c in found if c.reached.get("declared") and c.reached["declared"] >= since]


def screen_charts(
    engine: Engine, now: datetime, *, saving_per_container_cny: int
) -> dict[str, Any]:
    """Hourly throughput, cargo mix, origin provinces, border ports, saving per container."""
    since = now - WINDOW
    with engine.connect() as conn:
        declared = _declared_since(conn, since)
        released = _status_times(conn, "released", since)
        exited = _status_times(conn, "exited", since)
    start = (now - WINDOW).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hours = [start + timedelta(hours=h) for h in range(24)]

    def per_hour(times: list[datetime]) -> list[int]:
        counts = Counter(int((at - start).total_seconds() // 3600) for at in times if at >= start)
        return [counts.get(h, 0) for h in range(24)]

    mix: Counter[tuple[str, str]] = Counter()
    provinces: Counter[str] = Counter()
    ports: Counter[str] = Counter()
    saving_by_port: Counter[str] = Counter()
    for r in declared:
        content: Mapping[str, Any] = r["content"] or {}
        items = content.get("items") or []
        for item in items:
            mix[cargo_class(str(item.get("hs_code", "")))] += 1
            if item.get("origin_province"):
                provinces[str(item["origin_province"])] += 1
        ports[r["exit_port"]] += 1
        saving_by_port[r["exit_port"]] += _containers(content) * saving_per_container_cny
    return {
        "hours": [h.astimezone(BEIJING).strftime("%H:00") for h in hours],
        "throughput": {
            "declared": per_hour([r["at"] for r in declared]),
            "released": per_hour(released),
            "exited": per_hour(exited),
        },
        "cargo_mix": [{"group": g, "category": c, "items": n} for (g, c), n in sorted(mix.items())],
        "provinces": [{"province": p, "items": n} for p, n in provinces.most_common()],
        "border_ports": [{"port": p, "trucks": n} for p, n in ports.most_common()],
        "saving_by_port": [{"port": p, "total_cny": n} for p, n in saving_by_port.most_common()],
    }


_SEVERITY_RANK = {"alarm": 3, "warning": 2, "info": 1}


def map_trips(engine: Engine) -> list[dict[str, Any]]:
    """Every active trip with its last position, the permitted zone it lies in (`zone`, or
    None on the open road: since when its fixes lie there, and whether it is resting there)
    and its worst open alert."""
    tr, d, al = t.trips, t.declarations, t.alerts
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                tr.c.id,
                tr.c.seal_id,
                tr.c.declaration_id,
                tr.c.vehicle_plate,
                tr.c.route_id,
                tr.c.route_version,
                tr.c.exit_port,
                tr.c.state,
                tr.c.last_lat,
                tr.c.last_lon,
                tr.c.last_fix_time,
                tr.c.monitor[("pos", 5)].as_string().label("monitor_zone"),
                tr.c.monitor[("pos", 6)].as_string().label("zone_since"),
                d.c.number,
                tr.c.armed_at,
            )
            .join(d, d.c.id == tr.c.declaration_id)
            .where(tr.c.active.is_(True))
        ).mappings()
        # in arming order, sorted here: ordered in SQL, SQLite walks every trip ever armed
        trips = [dict(r) for r in sorted(rows, key=lambda r: (r["armed_at"], r["id"]))]
        for trip in trips:
            del trip["armed_at"]
            since = trip["zone_since"]
            trip["zone_since"] = datetime.fromisoformat(since) if since else None
        open_alerts = conn.execute(
            select(al.c.trip_id, al.c.severity).where(
                al.c.state.in_(UNRESOLVED), al.c.trip_id.in_([r["id"] for r in trips])
            )
        ).all()
        # sealed in the yard by the e-lock, but already through the gate-out (the KPI's "in
        # transit"): the list says so rather than "in the yard"
        gone = _gated_out(
            conn, sealed_without_visit([(r["state"], r["declaration_id"]) for r in trips], ())
        )
    zones = _zones_of(engine, trips)
    worst: dict[str, str] = {}
    count: Counter[str] = Counter()
    for trip_id, severity in open_alerts:
        count[trip_id] += 1
        if _SEVERITY_RANK.get(severity, 0) > _SEVERITY_RANK.get(worst.get(trip_id, ""), 0):
            worst[trip_id] = severity
    return [
        {
            "trip_id": r["id"],
            "seal_id": r["seal_id"],
            "declaration_id": r["declaration_id"],
            "declaration_number": r["number"],
            "vehicle_plate": r["vehicle_plate"],
            "route_id": r["route_id"],
            "exit_port": r["exit_port"],
            "state": r["state"],
            "gated_out": r["declaration_id"] in gone,
            "lat": r["last_lat"],
            "lon": r["last_lon"],
            "fix_time": r["last_fix_time"].isoformat() if r["last_fix_time"] else None,
            "open_alerts": count.get(r["id"], 0),
            "worst_severity": worst.get(r["id"]),
            "zone": zones.get(r["id"]),
        }
        for r in trips
    ]


def _zones_of(engine: Engine, trips: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The permitted zone each trip's last position lies in, on the route version it was
    sealed on, by trip id: at night most trucks on the road sleep at a rest stop, and the
    list says which."""
    by_route: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in trips:
        if r["last_lat"] is not None and r["last_lon"] is not None:
            by_route.setdefault((r["route_id"], r["route_version"]), []).append(r)
    found: dict[str, dict[str, Any]] = {}
    if not by_route:
        return found
    with engine.connect() as conn:
        routes = {key: route_version(conn, *key) for key in by_route}
    for key, placed in by_route.items():
        route = routes[key]
        if route is None:
            continue
        named = {z.id: z for z in route.zones}
        ids = corridor_for(route).zone_at(
            [r["last_lon"] for r in placed], [r["last_lat"] for r in placed]
        )
        for r, zone_id in zip(placed, ids, strict=True):
            z = named.get(zone_id) if zone_id else None
            if z is not None:
                # the monitor's time of entry, when it placed the last fix in this zone too
                since = r["zone_since"] if zone_id == r["monitor_zone"] else None
                found[r["id"]] = {
                    "id": z.id,
                    "kind": z.kind,
                    "name_en": z.names[0],
                    "name_zh": z.names[1],
                    "stopping_place": z.stopping_place,
                    "since": _iso(since),
                    "resting": z.resting_at(since, r["last_fix_time"]),
                }
    return found


_ALERT_ROW = (
    t.alerts.c.id.label("alert_id"),  # what the officers' acknowledge and resolve take
    t.alerts.c.key,
    t.alerts.c.trip_id,
    t.alerts.c.kind,
    t.alerts.c.severity,
    t.alerts.c.state,
    t.alerts.c.opened_at,
    t.alerts.c.lat,
    t.alerts.c.lon,
    t.alerts.c.message_en,
    t.alerts.c.message_zh,
    t.trips.c.vehicle_plate,
    t.trips.c.declaration_id,
)
#: What an alert's handling adds: when and by whom, how it ended, the officer's finding.
_HANDLING = (
    t.alerts.c.closed_at,
    t.alerts.c.handled_at,
    t.alerts.c.handled_by,
    t.alerts.c.resolution,
    t.alerts.c.details,
)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _with_handling(r: Mapping[Any, Any]) -> dict[str, Any]:
    """An alert with how it was handled: the `resolution` column holds the officer's reason,
    a finding only once resolved (acknowledging writes its note there too)."""
    details = r["details"] if isinstance(r["details"], dict) else {}
    row = {k: v for k, v in r.items() if k not in ("resolution", "details")}
    return {
        **row,
        "id": r["key"],
        "opened_at": r["opened_at"].isoformat(),
        "closed_at": _iso(r["closed_at"]),
        "handled_at": _iso(r["handled_at"]),
        "finding": r["resolution"] if r["state"] == "resolved" else None,
        "monitor_resolution": details.get("resolution") if r["state"] == "closed" else None,
    }


def recent_alerts(
    engine: Engine, *, limit: int = 20, handled_since: datetime | None = None
) -> list[dict[str, Any]]:
    """Unresolved alerts (open or being handled), newest first, with the truck they concern.

    With `handled_since`, then (up to `limit` more) the alerts closed by the track or
    resolved by an officer since then, the latest ended first, each with its handling: a
    wall watched for an hour shows the custody work done, not only what is open this second.
    """
    al, tr = t.alerts, t.trips
    columns = _ALERT_ROW if handled_since is None else _ALERT_ROW + _HANDLING
    with_truck = select(*columns).join(tr, tr.c.id == al.c.trip_id)
    with engine.connect() as conn:
        rows = conn.execute(
            with_truck.where(al.c.state.in_(UNRESOLVED))
            .order_by(al.c.opened_at.desc(), al.c.id.desc())
            .limit(limit)
        ).mappings()
        if handled_since is None:
            return [
                {**dict(r), "id": r["key"], "opened_at": r["opened_at"].isoformat()} for r in rows
            ]
        unresolved = [_with_handling(r) for r in rows]
        # ix_alerts_state_closed: a range of each ended state, the latest ended first
        ended = conn.execute(
            with_truck.where(al.c.state.in_(HANDLED), al.c.closed_at >= handled_since)
            .order_by(al.c.closed_at.desc(), al.c.id.desc())
            .limit(limit)
        ).mappings()
        return unresolved + [_with_handling(r) for r in ended]


def latest_trip_of(engine: Engine, declaration_id: str) -> str | None:
    tr = t.trips
    with engine.connect() as conn:
        value = conn.execute(
            select(tr.c.id)
            .where(tr.c.declaration_id == declaration_id)
            .order_by(tr.c.armed_at.desc())
            .limit(1)
        ).scalar()
    return str(value) if value else None
