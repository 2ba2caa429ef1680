"""The two appointment books `bench/yard.py` drives with the same requests: the pure core in
memory (`CoreBook`, the baseline), and the real path (`DatabaseBook`): the handlers through
the message bus on a temporary SQLite file (one transaction, slot lock and audit entry each).

Setup is not timed: the demo port is seeded for a real declaration, which is cloned into one
declaration row per booking request and one enterprise per forwarder. Trucks that keep their
slot get a truck visit with a gate-in step, so the no-show sweep derives arrivals as in
production.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from landport import bootstrap as wiring
from landport.adapters.db import tables as t
from landport.adapters.db.appointment_queries import standings
from landport.adapters.db.appointment_store import appointment_store
from landport.adapters.db.appointment_tables import appointments
from landport.adapters.db.migrate import upgrade
from landport.adapters.db.yard_tables import truck_visits, visit_steps
from landport.adapters.reference_files import packaged_layout
from landport.demo.dataset import seed, uscc
from landport.enterprises.model import Actor, Role
from landport.settings import DatabaseSettings, Settings
from landport.yard import appointment_commands as ac
from landport.yard.appointment_handlers import handling_appointments
from landport.yard.appointments import (
    AppointmentBook,
    AppointmentPolicy,
    AppointmentStatus,
    BookingRequest,
    Resource,
    book,
    cancel,
    check_in,
    priority_suspended,
    record_no_shows,
)

ACTOR = Actor("bench", Role.PORT_ADMIN)  # books on each forwarder's behalf
A = AppointmentStatus


class CoreBook:
    """The pure `AppointmentBook` in memory: the rules' own cost, the baseline."""

    def __init__(self, resources: dict[str, Resource]) -> None:
        self.ledger = AppointmentBook(resources=resources)

    def book(self, now: datetime, req: BookingRequest) -> str:
        return book(self.ledger, req, now=now).status.value

    def cancel(self, when: datetime, ident: str) -> bool:
        fwd = self.ledger.appointments[ident].forwarder
        return cancel(self.ledger, ident, forwarder=fwd, now=when).promoted is not None

    def close_day(
        self, day: date, first: datetime, last: datetime, miss: dict[str, float], rng: random.Random
    ) -> int:
        """Check in the day's booked trucks (unreliable forwarders miss 15 %), record no-shows."""
        todays = sorted(
            (
                a
                for a in self.ledger.appointments.values()
                if a.status is A.BOOKED and first <= a.slot_start < last
            ),
            key=lambda a: a.sequence,
        )
        arrived = 0
        for a in todays:
            if rng.random() < miss.get(a.forwarder, 0.0):
                continue
            check_in(self.ledger, a.id, now=a.slot_start + timedelta(minutes=rng.uniform(-20, 50)))
            arrived += 1
        record_no_shows(self.ledger, now=last + timedelta(hours=2))
        return arrived

    def suspended(self, end: datetime, policy: AppointmentPolicy) -> set[str]:
        forwarders = {a.forwarder for a in self.ledger.appointments.values()}
        return {f for f in forwarders if priority_suspended(self.ledger, f, now=end)}

    def final_status(self) -> Counter[str]:
        return Counter(a.status.value for a in self.ledger.appointments.values())


class BenchClock:
    """The bus's clock, set to each request's time."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class DatabaseBook:
    def __init__(
        self,
        folder: Path,
        resources: dict[str, Resource],
        declarations: dict[str, str],  # declaration id -> forwarder name
        start: datetime,
    ) -> None:
        url = f"sqlite:///{folder / 'bench-yard.db'}"
        upgrade(url)
        wiring.HANDLERS.update(
            handling_appointments(appointment_store, packaged_layout(), resources=resources)
        )
        self.clock = BenchClock(start)
        settings = Settings(environment="test", database=DatabaseSettings(url=url))
        self.services = wiring.bootstrap(settings, clock=self.clock)
        wiring.ensure_reference_data(self.services)
        seed(self.services, declarations_per_goods=1)
        self.uscc = {
            name: uscc(f"91540200{k:09d}")
            for k, name in enumerate(sorted(set(declarations.values())))
        }
        self.name = {v: k for k, v in self.uscc.items()}
        self._clone(declarations, start)
        self.ids: dict[str, str] = {}  # the request's appointment id -> the stored one

    def _clone(self, declarations: dict[str, str], start: datetime) -> None:
        with self.services.engine.begin() as conn:
            template = dict(
                conn.execute(select(t.declarations).where(t.declarations.c.status == "released"))
                .mappings()
                .first()
                or {}
            )
            conn.execute(
                insert(t.enterprises),
                [
                    {"uscc": code, "name_zh": "货代", "name_en": name, "province": "tibet",
                     "rating": "general", "created_at": start}
                    for name, code in self.uscc.items()
                ],
            )  # fmt: skip
            rows = [
                {**template, "id": ident, "number": None, "enterprise_uscc": self.uscc[fwd]}
                for ident, fwd in declarations.items()
            ]
            for i in range(0, len(rows), 1000):
                conn.execute(insert(t.declarations), rows[i : i + 1000])

    def book(self, now: datetime, req: BookingRequest) -> str:
        self.clock.at = now
        cmd = ac.BookAppointment(
            ACTOR, req.declaration_id, req.resource_id, req.slot_start, join_standby=True
        )
        made = self.services.bus.handle(cmd).result
        self.ids[req.appointment_id] = made.id
        return str(made.status.value)

    def cancel(self, when: datetime, ident: str) -> bool:
        """Cancel; True when a standby entry was promoted into the freed place."""
        self.clock.at = when
        stored = self.ids[ident]
        with self.services.read_engine.connect() as conn:
            slot = conn.execute(
                select(appointments.c.resource_id, appointments.c.slot_start).where(
                    appointments.c.id == stored
                )
            ).one()
        self.services.bus.handle(ac.CancelAppointment(ACTOR, stored))
        with self.services.read_engine.connect() as conn:
            return bool(
                conn.execute(
                    select(func.count()).where(
                        appointments.c.resource_id == slot[0],
                        appointments.c.slot_start == slot[1],
                        appointments.c.promoted_at == when,
                    )
                ).scalar_one()
            )

    def close_day(
        self, day: date, first: datetime, last: datetime, miss: dict[str, float], rng: random.Random
    ) -> int:
        """Trucks that keep their slot gate in (a truck visit); then the no-show sweep."""
        with self.services.read_engine.connect() as conn:
            todays = conn.execute(
                select(appointments)
                .where(
                    appointments.c.status == "booked",
                    appointments.c.slot_start >= first,
                    appointments.c.slot_start < last,
                )
                .order_by(appointments.c.slot_start, appointments.c.sequence)
            ).mappings().all()  # fmt: skip
        visits: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        for a in todays:
            if rng.random() < miss.get(self.name[a["forwarder"]], 0.0):
                continue
            came = a["slot_start"] + timedelta(minutes=rng.uniform(-20, 50))
            ident = uuid.uuid4().hex
            visits.append(
                {"id": ident, "plate": a["plate"], "status": "gated_in",
                 "declaration_id": a["declaration_id"], "appointment_id": a["id"],
                 "fees_paid": False, "created_at": came, "updated_at": came, "version": 0}
            )  # fmt: skip
            steps.append({"visit_id": ident, "status": "gated_in", "at": came, "actor": "gate"})
        if visits:
            with self.services.engine.begin() as conn:
                conn.execute(insert(truck_visits), visits)
                conn.execute(insert(visit_steps), steps)
        self.clock.at = last + timedelta(hours=2)
        self.services.bus.handle(ac.SweepNoShows(ACTOR))
        return len(visits)

    def suspended(self, end: datetime, policy: AppointmentPolicy) -> set[str]:
        found = standings(self.services.read_engine, policy, end)
        return {self.name[s["forwarder"]] for s in found if s["priority_suspended"]}

    def final_status(self) -> Counter[str]:
        with self.services.read_engine.connect() as conn:
            rows = conn.execute(
                select(appointments.c.status, func.count()).group_by(appointments.c.status)
            ).all()
        return Counter({str(r[0]): int(r[1]) for r in rows})

    def close(self) -> None:
        self.services.dispose()
