"""Read side of e-lock custody: seals, trips, alerts, routes (the border's is `border_queries.py`).

Straight from the tables, never through the aggregates (like `queries.py`). The one writer
here is `SqlMonitorStore`, the `MonitorStore` port the custody handlers use inside their
unit of work (wired with `monitor_store` in `bootstrap.HANDLERS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select, update

from landport.adapters.db import tables as t
from landport.adapters.db.custody import route_from_row, route_version, trip_from_row
from landport.adapters.db.views import iso_value, plain_row
from landport.seals.approved import ApprovedRoute, PermittedZone
from landport.seals.border_handlers import StoredMonitor
from landport.seals.calendar import BEIJING, PortCalendar, arrival_window
from landport.seals.corridor import Corridor
from landport.seals.corridor_loading import corridor_from_approved
from landport.seals.model import TOWARDS_BORDER
from landport.seals.monitor_state import MonitorState
from landport.seals.monitoring import trip_statistics
from landport.seals.trip_plan import TripPlan
from landport.shared.errors import Conflict

# --- the monitor store (the handlers' port) --------------------------------------------------


class SqlMonitorStore:
    """The trip's serialised monitor state, read and written with the trip row's version."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def load(self, trip_id: str) -> StoredMonitor | None:
        row = self._conn.execute(
            select(t.trips.c.version, t.trips.c.monitor).where(t.trips.c.id == trip_id)
        ).one_or_none()
        if row is None:
            return None
        return StoredMonitor(int(row[0]), stored_monitor(trip_id, row[1]))

    def save(self, trip_id: str, state: MonitorState, *, version: int) -> None:
        result = self._conn.execute(
            update(t.trips)
            .where(t.trips.c.id == trip_id, t.trips.c.version == version)
            .values(monitor=state.as_dict(), version=version + 1)
        )
        if result.rowcount != 1:
            raise Conflict(
                f"trip {trip_id} was changed meanwhile; try again", "行程已被修改，请重试"
            )


def monitor_store(uow: Any) -> SqlMonitorStore:
    """The store of a `SqlUnitOfWork`: same connection, same transaction."""
    return SqlMonitorStore(uow.conn)


def stored_monitor(trip_id: str, stored: Any) -> MonitorState:
    """The trip's monitor as stored, or a fresh one before its first fix."""
    return MonitorState.from_dict(stored) if stored else MonitorState(trip_id)


_CORRIDORS: dict[tuple[str, int], Corridor] = {}


def corridor_for(route: ApprovedRoute) -> Corridor:
    key = (route.route_id, route.version)
    if key not in _CORRIDORS:
        _CORRIDORS[key] = corridor_from_approved(route)
    return _CORRIDORS[key]


# --- helpers ---------------------------------------------------------------------------------


def _bj(value: datetime | None) -> str | None:
    return value.astimezone(BEIJING).isoformat() if value is not None else None


# --- seals -----------------------------------------------------------------------------------


def list_seals(engine: Engine) -> list[dict[str, Any]]:
    """The pool with state and battery; never the device secret."""
    s = t.seals.c
    columns = (s.seal_id, s.vendor, s.protocol, s.terminal_id, s.state, s.battery_pct)
    with engine.connect() as conn:
        rows = conn.execute(select(*columns, s.registered_at).order_by(s.seal_id)).mappings()
        return [plain_row(r) for r in rows]


# --- trips -----------------------------------------------------------------------------------

_TRIP_LIST = select(
    t.trips,
    t.declarations.c.number,
    t.declarations.c.enterprise_uscc,
    t.declarations.c.declaring_agent_uscc,
).join_from(t.trips, t.declarations, t.trips.c.declaration_id == t.declarations.c.id)


_TRIP_COLUMNS = (
    "id", "state", "active", "seal_id", "declaration_id", "vehicle_plate", "route_id",
    "route_version", "exit_port", "passport_digest", "armed_at", "armed_by", "window_start",
    "window_end", "closed_at", "departs_at",
)  # fmt: skip


def _trip_summary(r: Mapping[Any, Any]) -> dict[str, Any]:
    last = None
    if r["last_fix_time"] is not None:
        last = {
            "lat": r["last_lat"],
            "lon": r["last_lon"],
            "fix_time": iso_value(r["last_fix_time"]),
        }
    return {
        **plain_row({k: r[k] for k in _TRIP_COLUMNS}),
        "declaration_number": r["number"],
        "enterprise_uscc": r["enterprise_uscc"],
        "declaring_agent_uscc": r["declaring_agent_uscc"],
        "containers": list(r["containers"]),
        "window_start_beijing": _bj(r["window_start"]),
        "window_end_beijing": _bj(r["window_end"]),
        "departs_at_beijing": _bj(r["departs_at"]),
        "last_position": last,
    }


@dataclass(frozen=True)
class TripFilter:
    state: str | None = None
    active: bool | None = None
    #: A declarant's enterprise: the trips of the declarations it is consignor of or lodged
    #: as customs broker for a client.
    enterprise_uscc: str | None = None
    exit_port: str | None = None


#: The orders a trip list comes in: the newest armed first, or as a border port's officers
#: meet them (`TOWARDS_BORDER`; earliest window first).
TRIP_ORDERS = ("newest", "border")
_TOWARDS_BORDER = case(
    {state.value: rank for state, rank in TOWARDS_BORDER.items()},
    value=t.trips.c.state,
    else_=max(TOWARDS_BORDER.values()) + 1,
)
_ORDER_BY = {
    "newest": (t.trips.c.armed_at.desc(), t.trips.c.id),
    "border": (_TOWARDS_BORDER, t.trips.c.window_start, t.trips.c.id),
}


def list_trips(
    engine: Engine, f: TripFilter, *, page: int, page_size: int, order: str = "newest"
) -> tuple[int, list[dict[str, Any]]]:
    where = []
    if f.state is not None:
        where.append(t.trips.c.state == f.state)
    if f.exit_port is not None:
        where.append(t.trips.c.exit_port == f.exit_port)
    if f.active is not None:
        where.append(t.trips.c.active.is_(f.active))
    if f.enterprise_uscc is not None:
        where.append(t.visible_to(f.enterprise_uscc))
    with engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(_TRIP_LIST.where(*where).subquery())
        ).scalar_one()
        rows = conn.execute(
            _TRIP_LIST.where(*where)
            .order_by(*_ORDER_BY[order])
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).mappings()
        return int(total), [_trip_summary(r) for r in rows]


def trip_view(
    engine: Engine, trip_id: str, *, calendars: Mapping[str, PortCalendar]
) -> dict[str, Any] | None:
    """Everything about one trip: window, route, seal, alerts, last position, statistics."""
    with engine.connect() as conn:
        r = conn.execute(_TRIP_LIST.where(t.trips.c.id == trip_id)).mappings().one_or_none()
        if r is None:
            return None
        route = route_version(conn, r["route_id"], r["route_version"])  # the sealed-on corridor
        if route is None:
            return None
        seal = (
            conn.execute(
                select(
                    t.seals.c.state, t.seals.c.battery_pct, t.seals.c.vendor, t.seals.c.protocol
                ).where(t.seals.c.seal_id == r["seal_id"])
            )
            .mappings()
            .one()
        )
        alerts = conn.execute(
            select(t.alerts).where(t.alerts.c.trip_id == trip_id).order_by(t.alerts.c.id)
        ).mappings()
        alert_views = [alert_view(a) for a in alerts]
    trip = trip_from_row(r)
    state = stored_monitor(trip.id, r["monitor"])
    view = _trip_summary(r)
    window: dict[str, Any] = {
        "start": view["window_start"],
        "end": view["window_end"],
        "start_beijing": view["window_start_beijing"],
        "end_beijing": view["window_end_beijing"],
        "expected": None,
        "expected_beijing": None,
        "reasons": [],
    }
    calendar = calendars.get(trip.exit_port)
    if calendar is not None:
        try:
            w = arrival_window(
                departure=trip.window_counts_from,
                road_km=route.road_km,
                typical_hours=route.typical_hours,
                calendar=calendar,
            )
        except ValueError:
            w = None
        if w is not None:
            expected = min(max(w.expected, trip.window_start), trip.window_end)
            window.update(expected=iso_value(expected), expected_beijing=_bj(expected))
            window["reasons"] = list(w.reasons)
    try:
        stats: dict[str, Any] | None = trip_statistics(
            TripPlan.for_trip(trip, corridor_for(route)), state
        )
    except (ValueError, StopIteration):  # a route without the zones a plan needs
        stats = None
    view.update(
        expected=window["expected"],
        expected_beijing=window["expected_beijing"],
        window=window,
        route_approximate=route.approximate,
        route={
            "route_id": route.route_id,
            "name": route.name,
            "version": route.version,
            "road_km": route.road_km,
            "confidence": route.confidence,
            "approximate": route.approximate,
        },
        seal={"seal_id": trip.seal_id, **dict(seal)},
        alerts=alert_views,
        statistics=stats,
        lock_state=state.lock.value,
    )
    return view


# --- alerts ----------------------------------------------------------------------------------

ALERT_STATES = ("open", "acknowledged", "resolved", "closed")


_ALERT_COLUMNS = (
    "id", "trip_id", "seal_id", "kind", "key", "severity", "state", "opened_at", "closed_at",
    "lat", "lon", "message_en", "message_zh", "handled_by", "handled_at",
)  # fmt: skip


def alert_view(r: Mapping[Any, Any]) -> dict[str, Any]:
    """The row, with the monitor's own resolution and the officer's reason."""
    details = r.get("details")
    return {
        **plain_row({k: r[k] for k in _ALERT_COLUMNS}),
        "monitor_resolution": details.get("resolution") if isinstance(details, dict) else None,
        "reason": r["resolution"],
    }


def list_alerts(
    engine: Engine,
    *,
    state: str | None,
    trip_id: str | None,
    kind: str | None,
    page: int,
    page_size: int,
) -> tuple[int, list[dict[str, Any]]]:
    c = t.alerts.c
    where = [col == v for col, v in ((c.state, state), (c.trip_id, trip_id), (c.kind, kind)) if v]
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(t.alerts).where(*where)).scalar_one()
        rows = conn.execute(
            select(t.alerts)
            .where(*where)
            .order_by(c.opened_at.desc(), c.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).mappings()
        return int(total), [alert_view(r) for r in rows]


# --- routes ----------------------------------------------------------------------------------


def existing_routes(engine: Engine) -> dict[str, ApprovedRoute]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.routes).order_by(t.routes.c.route_id)).mappings()
        return {r["route_id"]: route_from_row(r) for r in rows}


def rest_stops_of(engine: Engine, route_id: str, version: int) -> list[PermittedZone]:
    """The rest stops and checkpoints of the route version a trip was sealed on, in road
    order from the yard towards the border: where its driver may stop without an alert."""
    with engine.connect() as conn:
        route = route_version(conn, route_id, version)
    if route is None:
        return []
    stops = [z for z in route.zones if z.stopping_place]
    if not stops:
        return []
    kms = corridor_for(route).chainage_m([z.lon for z in stops], [z.lat for z in stops])
    return [z for _, z in sorted(zip(kms.tolist(), stops, strict=True), key=lambda p: p[0])]
