"""Two officers arm two e-locks on one declaration at once: one arming wins, the other is
refused, and the declaration has one armed e-lock, on PostgreSQL as on SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from armed import OFFICER, Port, armed_port
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.shared.errors import Conflict
from signed import SECRET

SEALS = ("SEAL-0001", "SEAL-0002")


@pytest.fixture
def port(database_url: str) -> Iterator[Port]:
    """One declaration released (that of SEAL-0001), two e-locks in the pool, none armed."""
    with armed_port(database_url, SEALS[:1], arm=False) as port:
        port.world.services.bus.handle(
            RegisterSeal(OFFICER, SEALS[1], "generic", "json-mqtt", SECRET)
        )
        yield port


def active_trips(port: Port, declaration_id: str) -> list[tuple[str, str]]:
    trips = t.trips.c
    with port.world.services.engine.connect() as conn:
        query = select(trips.id, trips.seal_id).where(
            trips.declaration_id == declaration_id, trips.active.is_(True)
        )
        return [(str(a), str(b)) for a, b in conn.execute(query)]


def test_two_armings_of_one_declaration_at_once_give_one_armed_e_lock(port: Port) -> None:
    declaration = port.declarations[SEALS[0]]
    bus = port.world.services.bus
    start = threading.Barrier(2)

    def arm(seal: str) -> str:
        start.wait()
        try:
            return str(
                bus.handle(ArmSeal(OFFICER, seal, declaration, "shigatse-gyirong")).result.id
            )
        except Conflict as refused:
            return f"refused: {refused}"

    for _ in range(3):  # the race is lost at once without the lock: three tries to be sure
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(arm, SEALS))
        armed = active_trips(port, declaration)
        assert len(armed) == 1, outcomes
        refused = [o for o in outcomes if o.startswith("refused")]
        # The loser waited for the winner and was told why (not a bare uniqueness clash).
        assert len(refused) == 1 and "already has an armed seal" in refused[0], outcomes
        # Take the lock off again (as the database allows) for the next try.
        with port.world.services.engine.begin() as conn:
            conn.execute(t.trips.update().values(active=False, state="unsealed"))
            conn.execute(t.seals.update().values(state="available"))
    assert verify_audit(port.world.services.engine).intact


def test_the_database_keeps_one_active_trip_per_declaration(port: Port) -> None:
    """The backstop under the lock: a second active trip of one declaration is refused by the
    database itself, whoever writes it."""
    declaration = port.declarations[SEALS[0]]
    armed = port.world.services.bus.handle(
        ArmSeal(OFFICER, SEALS[0], declaration, "shigatse-gyirong")
    ).result
    with port.world.services.engine.connect() as conn:
        row = dict(conn.execute(select(t.trips).where(t.trips.c.id == armed.id)).mappings().one())
    row.update(id="second-trip", seal_id=SEALS[1])
    with pytest.raises(IntegrityError), port.world.services.engine.begin() as conn:
        conn.execute(insert(t.trips).values(**row))
