"""Repositories of e-lock custody: seals, routes, trips, alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, insert, or_, select, update

from landport.adapters.db import tables as t
from landport.adapters.db.seal_locks import hold_for_arming
from landport.seals.approved import ApprovedRoute, PermittedZone
from landport.seals.model import (
    CLOSED_TRIPS,
    ElectronicSeal,
    SealProtocol,
    SealState,
    TransitTrip,
    TripState,
)
from landport.shared.errors import Conflict

# The reads every custody command makes, built once (building costs more than running them).
_SEAL = select(t.seals).where(t.seals.c.seal_id == bindparam("seal_id"))
_TRIP = select(t.trips).where(t.trips.c.id == bindparam("trip_id"))
_ACTIVE_TRIP_OF = select(t.trips).where(
    t.trips.c.declaration_id == bindparam("declaration_id"), t.trips.c.active.is_(True)
)
# PostgreSQL: the row stays locked until commit (SQLite's writers take turns anyway).
_TRIP_LOCKED = _TRIP.with_for_update()
_ACTIVE_TRIP_OF_LOCKED = _ACTIVE_TRIP_OF.with_for_update()
_IS_VERSION = (t.route_versions.c.route_id == bindparam("route_id")) & (
    t.route_versions.c.version == bindparam("version")
)
_ROUTE_VERSION = select(t.route_versions).where(_IS_VERSION)
_ROUTE_TRAVEL = select(t.route_versions.c.road_km, t.route_versions.c.typical_hours).where(
    _IS_VERSION
)


class SqlSealRepository:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now
        self._versions: dict[str, int] = {}

    def get(self, seal_id: str) -> ElectronicSeal | None:
        r = self._conn.execute(_SEAL, {"seal_id": seal_id}).mappings().one_or_none()
        if r is None:
            return None
        self._versions[seal_id] = r["version"]
        return ElectronicSeal(
            r["seal_id"],
            r["vendor"],
            SealProtocol(r["protocol"]),
            r["secret"],
            SealState(r["state"]),
            r["battery_pct"],
            r["terminal_id"],
        )

    def hold_for_arming(self, seal_id: str) -> None:
        hold_for_arming(self._conn, seal_id)

    def holding_terminal(self, terminal_id: str) -> str | None:
        return self._conn.execute(
            select(t.seals.c.seal_id).where(t.seals.c.terminal_id == terminal_id)
        ).scalar_one_or_none()

    def add(self, s: ElectronicSeal) -> None:
        self._conn.execute(
            insert(t.seals).values(
                seal_id=s.seal_id,
                vendor=s.vendor,
                protocol=s.protocol.value,
                secret=s.secret,
                terminal_id=s.terminal_id,
                state=s.state.value,
                battery_pct=s.battery_pct,
                registered_at=self._now,
                version=0,
            )
        )
        self._versions[s.seal_id] = 0

    def save(self, s: ElectronicSeal) -> None:
        version = self._versions[s.seal_id]
        result = self._conn.execute(
            update(t.seals)
            .where(t.seals.c.seal_id == s.seal_id, t.seals.c.version == version)
            .values(state=s.state.value, battery_pct=s.battery_pct, version=version + 1)
        )
        if result.rowcount != 1:
            raise Conflict(
                f"e-lock {s.seal_id} was changed meanwhile; try again", "关锁状态已被修改，请重试"
            )
        self._versions[s.seal_id] = version + 1


def route_from_row(r: Any) -> ApprovedRoute:
    return ApprovedRoute(
        route_id=r["route_id"],
        name=r["name"],
        from_place=r["from_place"],
        to_port=r["to_port"],
        coordinates=tuple((float(x), float(y)) for x, y in r["coordinates"]),
        road_km=r["road_km"],
        typical_hours=r["typical_hours"],
        half_width_m=r["half_width_m"],
        zones=tuple(PermittedZone(**z) for z in r["zones"]),
        confidence=r["confidence"],
        version=r["version"],
    )


class SqlRouteRepository:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    def get(self, route_id: str, version: int | None = None) -> ApprovedRoute | None:
        if version is not None:
            return route_version(self._conn, route_id, version)
        r = (
            self._conn.execute(select(t.routes).where(t.routes.c.route_id == route_id))
            .mappings()
            .one_or_none()
        )
        return None if r is None else route_from_row(r)

    def travel(self, route_id: str, version: int) -> tuple[float, float] | None:
        row = self._conn.execute(_ROUTE_TRAVEL, {"route_id": route_id, "version": version}).first()
        return None if row is None else (float(row[0]), float(row[1]))

    def put(self, route: ApprovedRoute, *, actor: str) -> int:
        values = dict(
            name=route.name,
            from_place=route.from_place,
            to_port=route.to_port,
            coordinates=[list(c) for c in route.coordinates],
            half_width_m=route.half_width_m,
            road_km=route.road_km,
            typical_hours=route.typical_hours,
            zones=[z.as_dict() for z in route.zones],
            confidence=route.confidence,
            imported_at=self._now,
            imported_by=actor,
        )
        current = self._conn.execute(
            select(t.routes.c.version).where(t.routes.c.route_id == route.route_id)
        ).scalar()
        version = 1 if current is None else int(current) + 1
        self._conn.execute(
            insert(t.route_versions).values(route_id=route.route_id, version=version, **values)
        )
        if current is None:
            self._conn.execute(
                insert(t.routes).values(route_id=route.route_id, version=1, **values)
            )
            return 1
        self._conn.execute(
            update(t.routes)
            .where(t.routes.c.route_id == route.route_id)
            .values(version=current + 1, **values)
        )
        return int(current) + 1


def route_version(conn: Connection, route_id: str, version: int) -> ApprovedRoute | None:
    """One approved version of a route (the one a trip was sealed on)."""
    values = {"route_id": route_id, "version": version}
    r = conn.execute(_ROUTE_VERSION, values).mappings().one_or_none()
    return None if r is None else route_from_row(r)


def trip_from_row(r: Any) -> TransitTrip:
    return TransitTrip(
        id=r["id"],
        seal_id=r["seal_id"],
        declaration_id=r["declaration_id"],
        vehicle_plate=r["vehicle_plate"],
        containers=tuple(r["containers"]),
        route_id=r["route_id"],
        exit_port=r["exit_port"],
        passport_digest=r["passport_digest"],
        armed_at=r["armed_at"],
        armed_by=r["armed_by"],
        window_start=r["window_start"],
        window_end=r["window_end"],
        state=TripState(r["state"]),
        route_version=r["route_version"],
        version=r["version"],
        closed_at=r["closed_at"],
        departs_at=r["departs_at"],
    )


class SqlTripRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, trip_id: str, *, for_update: bool = False) -> TransitTrip | None:
        query = _TRIP_LOCKED if for_update else _TRIP
        r = self._conn.execute(query, {"trip_id": trip_id}).mappings().one_or_none()
        return None if r is None else trip_from_row(r)

    def active_for_declaration(
        self, declaration_id: str, *, for_update: bool = False
    ) -> TransitTrip | None:
        query = _ACTIVE_TRIP_OF_LOCKED if for_update else _ACTIVE_TRIP_OF
        r = self._conn.execute(query, {"declaration_id": declaration_id}).mappings().first()
        return None if r is None else trip_from_row(r)

    def sealing(self, containers: Sequence[str]) -> dict[str, tuple[str, str]]:
        if not containers:
            return {}
        # The active trips whose container list names one of them (as JSON text: the numbers
        # are letters and digits only), then exactly, in the few rows that match.
        listed = cast(t.trips.c.containers, Text)
        query = select(t.trips.c.id, t.trips.c.vehicle_plate, t.trips.c.containers).where(
            t.trips.c.active.is_(True), or_(*(listed.contains(f'"{c}"') for c in containers))
        )
        wanted = set(containers)
        return {
            c: (r.id, r.vehicle_plate)
            for r in self._conn.execute(query)
            for c in r.containers
            if c in wanted
        }

    def hold_declaration(self, declaration_id: str) -> None:
        if self._conn.dialect.name == "postgresql":
            row = select(t.declarations.c.id).where(t.declarations.c.id == declaration_id)
            self._conn.execute(row.with_for_update())

    def add(self, trip: TransitTrip) -> None:
        self._conn.execute(
            insert(t.trips).values(
                id=trip.id,
                seal_id=trip.seal_id,
                declaration_id=trip.declaration_id,
                vehicle_plate=trip.vehicle_plate,
                containers=list(trip.containers),
                route_id=trip.route_id,
                route_version=trip.route_version,
                exit_port=trip.exit_port,
                passport_digest=trip.passport_digest,
                armed_at=trip.armed_at,
                armed_by=trip.armed_by,
                window_start=trip.window_start,
                window_end=trip.window_end,
                departs_at=trip.departs_at,
                state=trip.state.value,
                active=True,
                version=0,
            )
        )

    def save(self, trip: TransitTrip) -> None:
        active = trip.state not in CLOSED_TRIPS
        result = self._conn.execute(
            update(t.trips)
            .where(t.trips.c.id == trip.id, t.trips.c.version == trip.version)
            .values(
                state=trip.state.value,
                active=active,
                version=trip.version + 1,
                closed_at=trip.closed_at,
            )
        )
        if result.rowcount != 1:
            raise Conflict(
                f"trip {trip.id} was changed meanwhile; reload and try again",
                "行程已被修改，请刷新后重试",
            )
        trip.version += 1

    def move_window(
        self, trip_id: str, start: datetime, end: datetime, departs_at: datetime
    ) -> None:
        trips = t.trips.c
        self._conn.execute(
            update(t.trips)
            .where(trips.id == trip_id)
            .values(
                window_start=start,
                window_end=end,
                departs_at=departs_at,
                version=trips.version + 1,
            )
        )


class SqlAlertRepository:
    def __init__(self, conn: Connection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    def get(self, alert_id: int) -> dict[str, Any] | None:
        r = (
            self._conn.execute(select(t.alerts).where(t.alerts.c.id == alert_id))
            .mappings()
            .one_or_none()
        )
        return None if r is None else dict(r)

    def set_state(self, alert_id: int, *, was: str, state: str, actor: str, reason: str) -> bool:
        handled: dict[str, Any] = {"handled_by": actor, "handled_at": self._now}
        if state == "resolved":  # closed by the officer's finding, at that moment
            handled["closed_at"] = self._now
        moved = self._conn.execute(
            update(t.alerts)
            .where(t.alerts.c.id == alert_id, t.alerts.c.state == was)
            .values(state=state, resolution=reason, **handled)
        )
        return bool(moved.rowcount == 1)

    def open_for_trip(self, trip_id: str) -> list[dict[str, Any]]:
        rows = (
            self._conn.execute(
                select(t.alerts)
                .where(
                    t.alerts.c.trip_id == trip_id, t.alerts.c.state.in_(["open", "acknowledged"])
                )
                .order_by(t.alerts.c.opened_at)
            )
            .mappings()
            .all()
        )
        return [dict(r) for r in rows]
