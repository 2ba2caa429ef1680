"""The `VisitStore` of the yard handlers, on the unit of work's connection; and the layout.

Truck visits carry a `version`: a save whose version moved raises `Conflict` (409). A slot is
taken by inserting its `parking_occupancy` row inside a savepoint, so a concurrent twin that
lost the primary key race leaves the transaction usable and the handler may try the next slot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from landport.adapters.db.appointment_store import lock_booked_slots
from landport.adapters.db.appointment_tables import appointments
from landport.adapters.db.tables import declarations
from landport.adapters.db.yard_tables import (
    container_moves,
    parking_occupancy,
    truck_visits,
    visit_holds,
    visit_steps,
)
from landport.risk.capacity import ScanQueue
from landport.shared.clock import Clock
from landport.shared.errors import Conflict
from landport.yard.appointment_model import HOLDING
from landport.yard.model import YardLayout
from landport.yard.ports import ContainerMove, DepartureSlot, YardVisit
from landport.yard.stations import scan_queue
from landport.yard.visits import IN_YARD, Hold, HoldKind, TruckVisit, VisitStatus, VisitStep

_DEPARTURE_LOCK = 7_400_001  # advisory lock key of departure planning
_OPEN = [s.value for s in IN_YARD] + [VisitStatus.PRE_ADVISED.value]
_SLOT_COLUMNS = (
    truck_visits.c.id,
    truck_visits.c.status,
    truck_visits.c.departure_at,
    declarations.c.exit_port,
)
# A slot's exit port comes in the same row: planning reads every truck that books capacity.
_SLOTS = select(*_SLOT_COLUMNS).select_from(
    truck_visits.outerjoin(declarations, declarations.c.id == truck_visits.c.declaration_id)
)
# The statements every command runs, built once: building one costs about twice running it.
# Trucks booking border capacity, counted per exit port and departure in the database.
_BOOKED_SINCE = (
    select(declarations.c.exit_port, truck_visits.c.departure_at, func.count())
    .select_from(
        truck_visits.join(declarations, declarations.c.id == truck_visits.c.declaration_id)
    )
    .where(
        truck_visits.c.departure_at >= bindparam("after"),
        truck_visits.c.id.not_in(bindparam("excluding", expanding=True)),
    )
    .group_by(declarations.c.exit_port, truck_visits.c.departure_at)
)
_SLOTS_IN = _SLOTS.where(truck_visits.c.status.in_(bindparam("statuses", expanding=True))).order_by(
    truck_visits.c.updated_at, truck_visits.c.id
)
_VISIT = select(truck_visits).where(truck_visits.c.id == bindparam("visit_id"))
_VISITS_WITH_PLATE = (
    select(truck_visits)
    .where(truck_visits.c.plate == bindparam("plate"), truck_visits.c.status.in_(_OPEN))
    .order_by(truck_visits.c.created_at, truck_visits.c.id)
)
_VISIT_OF_DECLARATION = select(truck_visits).where(
    truck_visits.c.declaration_id == bindparam("declaration_id"),
    truck_visits.c.status.in_(_OPEN),
)
_STEPS_OF = (
    select(visit_steps)
    .where(visit_steps.c.visit_id.in_(bindparam("ids", expanding=True)))
    .order_by(visit_steps.c.id)
)
_HOLDS_OF = (
    select(visit_holds)
    .where(visit_holds.c.visit_id.in_(bindparam("ids", expanding=True)))
    .order_by(visit_holds.c.placed_at, visit_holds.c.id)
)
#: What a save writes (`SqlVisitStore._columns`, and the version it moves to).
_SAVED = (
    "plate",
    "status",
    "declaration_id",
    "appointment_id",
    "lane_id",
    "slot_id",
    "departure_at",
    "fees_paid",
    "updated_at",
    "version",
)
_SAVE_VISIT = (
    update(truck_visits)
    .where(truck_visits.c.id == bindparam("b_id"), truck_visits.c.version == bindparam("b_version"))
    .values({name: bindparam(name) for name in _SAVED})
)
_ADD_STEPS = insert(visit_steps)
_OCCUPIED = select(parking_occupancy.c.slot_id)


class SqlVisitStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # --- reading ---------------------------------------------------------------------------

    def _load(self, rows: list[Any]) -> list[YardVisit]:
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        steps: dict[str, list[VisitStep]] = {i: [] for i in ids}
        for s in self._conn.execute(_STEPS_OF, {"ids": ids}).mappings():
            steps[s["visit_id"]].append(
                VisitStep(VisitStatus(s["status"]), s["at"], s["actor"], s["reason"])
            )
        holds: dict[str, list[Hold]] = {i: [] for i in ids}
        for h in self._conn.execute(_HOLDS_OF, {"ids": ids}).mappings():
            holds[h["visit_id"]].append(
                Hold(
                    h["id"],
                    HoldKind(h["kind"]),
                    h["reason"],
                    h["placed_at"],
                    h["placed_by"],
                    h["lifted_at"],
                    h["lifted_by"],
                    h["lift_note"],
                )
            )
        result = []
        for r in rows:
            visit = TruckVisit(
                id=r["id"],
                plate=r["plate"],
                status=VisitStatus(r["status"]),
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                declaration_id=r["declaration_id"],
                appointment_id=r["appointment_id"],
                lane_id=r["lane_id"],
                holds=holds[r["id"]],
                history=steps[r["id"]],
            )
            result.append(
                YardVisit(
                    visit,
                    slot_id=r["slot_id"],
                    departure_at=r["departure_at"],
                    fees_paid=bool(r["fees_paid"]),
                    version=int(r["version"]),
                    stored_steps=len(visit.history),
                    stored_holds=frozenset(h.id for h in visit.holds),
                )
            )
        return result

    def get(self, visit_id: str) -> YardVisit | None:
        found = self._load(list(self._conn.execute(_VISIT, {"visit_id": visit_id}).mappings()))
        return found[0] if found else None

    def with_plate(self, plate: str) -> list[YardVisit]:
        rows = self._conn.execute(_VISITS_WITH_PLATE, {"plate": plate}).mappings()
        return self._load(list(rows))

    def open_for_declaration(self, declaration_id: str) -> YardVisit | None:
        query, values = _VISIT_OF_DECLARATION, {"declaration_id": declaration_id}
        found = self._load(list(self._conn.execute(query, values).mappings()))
        return found[0] if found else None

    def in_status(self, *statuses: VisitStatus) -> list[YardVisit]:
        rows = self._conn.execute(
            select(truck_visits)
            .where(truck_visits.c.status.in_([s.value for s in statuses]))
            .order_by(truck_visits.c.updated_at, truck_visits.c.id)
        ).mappings()
        return self._load(list(rows))

    def booked_since(
        self, after: datetime, excluding: Collection[str] = ()
    ) -> Counter[tuple[str, datetime]]:
        values = {"after": after, "excluding": sorted(excluding)}
        booked: Counter[tuple[str, datetime]] = Counter()
        for port, at, n in self._conn.execute(_BOOKED_SINCE, values):
            booked[(port, at)] += n  # one instant written two ways would be two groups
        return booked

    def departure_slots(self, *statuses: VisitStatus) -> list[DepartureSlot]:
        return self._slots(_SLOTS_IN, {"statuses": [s.value for s in statuses]})

    def _slots(self, query: Any, values: dict[str, Any]) -> list[DepartureSlot]:
        return [
            DepartureSlot(vid, VisitStatus(status), at, port)
            for vid, status, at, port in self._conn.execute(query, values)
        ]

    def get_many(self, visit_ids: Sequence[str]) -> list[YardVisit]:
        if not visit_ids:
            return []
        rows = self._conn.execute(
            select(truck_visits).where(truck_visits.c.id.in_(list(visit_ids)))
        ).mappings()
        found = {yv.visit.id: yv for yv in self._load(list(rows))}
        return [found[i] for i in visit_ids if i in found]

    def appointment_declaration(self, appointment_id: str) -> str | None:
        holding = [status.value for status in HOLDING]
        query = select(appointments.c.declaration_id).where(
            appointments.c.id == appointment_id, appointments.c.status.in_(holding)
        )
        found = self._conn.execute(query).scalar()
        return str(found) if found is not None else None

    def lock_declaration(self, declaration_id: str) -> None:
        # SQLite writers already run one at a time; PostgreSQL locks the declaration's row.
        if self._conn.dialect.name == "postgresql":
            row = select(declarations.c.id).where(declarations.c.id == declaration_id)
            self._conn.execute(row.with_for_update())

    def lock_bookings_of(self, declaration_ids: Iterable[str]) -> None:
        # SQLite writers already run one at a time; PostgreSQL locks the slots' rows.
        if self._conn.dialect.name == "postgresql":
            lock_booked_slots(self._conn, declaration_ids)

    def lock_departures(self) -> None:
        # SQLite writers already run one at a time (BEGIN IMMEDIATE); PostgreSQL needs a lock.
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(select(func.pg_advisory_xact_lock(_DEPARTURE_LOCK)))

    # --- writing ---------------------------------------------------------------------------

    def _columns(self, yv: YardVisit) -> dict[str, Any]:
        v = yv.visit
        return {
            "plate": v.plate,
            "status": v.status.value,
            "declaration_id": v.declaration_id,
            "appointment_id": v.appointment_id,
            "lane_id": v.lane_id,
            "slot_id": yv.slot_id,
            "departure_at": yv.departure_at,
            "fees_paid": yv.fees_paid,
            "updated_at": v.updated_at,
        }

    def add(self, yv: YardVisit) -> None:
        v = yv.visit
        self._conn.execute(
            insert(truck_visits).values(
                id=v.id, created_at=v.created_at, version=0, **self._columns(yv)
            )
        )
        yv.version = 0
        self._write_children(yv)

    def save(self, yv: YardVisit) -> None:
        values = {"b_id": yv.visit.id, "b_version": yv.version, "version": yv.version + 1}
        result = self._conn.execute(_SAVE_VISIT, {**values, **self._columns(yv)})
        if result.rowcount != 1:
            raise Conflict(
                f"truck visit {yv.visit.id} was changed meanwhile; reload and try again",
                "车辆作业已被他人修改，请刷新后重试",
            )
        yv.version += 1
        self._write_children(yv)

    def _write_children(self, yv: YardVisit) -> None:
        v = yv.visit
        new_steps = v.history[yv.stored_steps :]
        if new_steps:
            self._conn.execute(
                _ADD_STEPS,
                [
                    {
                        "visit_id": v.id,
                        "status": s.status.value,
                        "at": s.at,
                        "actor": s.actor,
                        "reason": s.reason,
                    }
                    for s in new_steps
                ],
            )
        for h in v.holds:
            values = {
                "lifted_at": h.lifted_at,
                "lifted_by": h.lifted_by,
                "lift_note": h.lift_note,
            }
            if h.id in yv.stored_holds:
                self._conn.execute(
                    update(visit_holds).where(visit_holds.c.id == h.id).values(**values)
                )
            else:
                self._conn.execute(
                    insert(visit_holds).values(
                        id=h.id,
                        visit_id=v.id,
                        kind=h.kind.value,
                        reason=h.reason,
                        placed_at=h.placed_at,
                        placed_by=h.placed_by,
                        **values,
                    )
                )
        yv.stored_steps = len(v.history)
        yv.stored_holds = frozenset(h.id for h in v.holds)

    # --- parking and containers ------------------------------------------------------------

    def occupied_slots(self) -> set[str]:
        return set(self._conn.execute(_OCCUPIED).scalars())

    def occupy(self, slot_id: str, visit_id: str, *, at: Any, actor: str) -> bool:
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(parking_occupancy).values(
                        slot_id=slot_id, visit_id=visit_id, since=at, assigned_by=actor
                    )
                )
        except IntegrityError:
            return False
        return True

    def free_slot_of(self, visit_id: str) -> None:
        self._conn.execute(
            delete(parking_occupancy).where(parking_occupancy.c.visit_id == visit_id)
        )

    def add_move(self, move: ContainerMove) -> None:
        self._conn.execute(
            insert(container_moves).values(
                container_number=move.container_number,
                kind=move.kind,
                location=move.location,
                visit_id=move.visit_id,
                at=move.at,
                actor=move.actor,
                note=move.note,
            )
        )


def yard_store(uow: Any) -> SqlVisitStore:
    """The store of a `SqlUnitOfWork`: same connection, same transaction."""
    return SqlVisitStore(uow.conn)


#: The yard reports its scan queue only while it is operating: a truck in the inspection
#: area now, or a scan-lane step within this long. Otherwise selectivity keeps its floor.
LIVE_WINDOW = timedelta(hours=1)


def scan_queue_reader(
    layout: Callable[[Any], YardLayout], clock: Clock
) -> Callable[[Any], ScanQueue | None]:
    """The `ClearanceContext.scan_queue` of a SQL unit of work: live scan-lane figures (the
    layout in force read on the unit of work's connection)."""

    def read(uow: Any) -> ScanQueue | None:
        conn: Connection = uow.conn
        now = clock.now()
        store = SqlVisitStore(conn)
        at_stations = store.in_status(VisitStatus.AT_LANE, VisitStatus.AT_BAY)
        unassigned = conn.execute(
            select(func.count())
            .select_from(truck_visits.join(declarations))
            .where(truck_visits.c.status == VisitStatus.QUEUED.value, declarations.c.lane == "red")
        ).scalar_one()
        recent = conn.execute(
            select(func.count())
            .select_from(visit_steps)
            .where(
                visit_steps.c.status == VisitStatus.AT_LANE.value,
                visit_steps.c.at >= now - LIVE_WINDOW,
            )
        ).scalar_one()
        if not at_stations and not unassigned and not recent:
            return None
        return scan_queue(layout(uow), at_stations, unassigned_red=int(unassigned), now=now)

    return read
