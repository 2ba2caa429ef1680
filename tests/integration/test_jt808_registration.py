"""JT/T 808 registration on both engines: who may register a JT/T 808 seal, the auth code a
terminal is issued once (its hash stored, never the seal's secret), an officer's reset, and
fixes refused as out of range into the dead-letter store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, insert, select

from landport.adapters.db import tables as t
from landport.adapters.db.migrate import upgrade
from landport.adapters.jt808_gateway import start
from landport.adapters.jt808_registrations import auth_code_hash
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.adapters.telemetry.jt808_wiring import RejectStore, SealDirectory, run_gateway
from landport.enterprises.model import Actor, Role
from landport.seals.commands import RegisterSeal, ResetTerminalRegistration
from landport.seals.jt808 import (
    Authentication,
    Edition,
    FrameSplitter,
    Heartbeat,
    LocationReport,
    Registration,
    RegistrationResponse,
    decode_message,
    encode,
)
from landport.seals.jt808.messages import Body
from landport.seals.model import SealFix
from landport.shared.clock import FixedClock
from landport.shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from tracks import T0
from world import World

OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)
SECRET = "signing-secret-of-the-lock"
PHONE = "13912345678"


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url, clock=FixedClock(T0))
    yield w
    w.close()


def register_jt808(
    w: World, seal_id: str = "EL-808-01", terminal: str | None = PHONE, **fields: Any
) -> Any:
    body = {"seal_id": seal_id, "vendor": "generic", "protocol": "jt808", "secret": SECRET}
    return w.post("officer", "/api/v1/seals", {**body, "terminal_id": terminal, **fields})


def seal_rows(w: World) -> list[tuple[str, str | None]]:
    with w.services.engine.connect() as conn:
        rows = conn.execute(select(t.seals.c.seal_id, t.seals.c.terminal_id)).all()
    return [(r[0], r[1]) for r in rows]


def errors(response: Any) -> list[tuple[str, str]]:
    body = response.json()
    assert all(e["message_en"] and e["message_zh"] for e in body["errors"])
    return [(e["field"], e["code"]) for e in body["errors"]]


# --- registering a JT/T 808 seal ---------------------------------------------------------------


def test_a_jt808_seal_of_a_vendor_without_a_vendor_table_is_refused(world: World) -> None:
    refused = register_jt808(world, vendor="Huali")
    assert refused.status_code == 422
    assert errors(refused) == [("vendor", "unknown_jt808_vendor")]
    assert "generic" in refused.json()["errors"][0]["message_zh"]
    assert seal_rows(world) == []
    assert register_jt808(world, vendor="door-bits").status_code == 201


@pytest.mark.parametrize("terminal", ["abc", "", "1391234567x", None])
def test_a_jt808_seal_without_a_terminal_number_of_digits_is_refused(
    world: World, terminal: str | None
) -> None:
    refused = register_jt808(world, terminal=terminal)
    assert refused.status_code == 422
    assert errors(refused) == [("terminal_id", "terminal_id_format")]
    assert seal_rows(world) == []


def test_a_terminal_number_longer_than_a_2019_header_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.services.bus.handle(
            RegisterSeal(OFFICER, "EL-808-01", "generic", "jt808", SECRET, "1" * 21)
        )
    assert [(v.field, v.code) for v in refused.value.violations] == [
        ("terminal_id", "terminal_id_format")
    ]


def test_a_zero_padded_terminal_number_is_stored_as_the_gateway_reads_it(world: World) -> None:
    registered = register_jt808(world, terminal="013900000002")
    assert registered.status_code == 201, registered.text
    assert registered.json()["terminal_id"] == "13900000002"
    assert seal_rows(world) == [("EL-808-01", "13900000002")]
    # the 2013 header carries BCD[6] "013900000002": the lock is found and authenticates
    directory = SealDirectory(world.services.engine)
    issued = directory.register("13900000002")
    assert issued.result == 0
    binding = directory.authenticate("13900000002", issued.auth_code)
    assert binding is not None and binding.seal_id == "EL-808-01"


def test_a_terminal_number_already_held_by_another_lock_is_refused_by_name(
    world: World,
) -> None:
    """Two locks with one terminal number: the gateway could not tell whose fixes a frame
    carries. The second is refused naming the number and the lock that holds it."""
    assert register_jt808(world, "EL-808-01").status_code == 201
    refused = register_jt808(world, "EL-808-02", terminal="0" + PHONE)  # the same, padded
    assert refused.status_code == 409
    body = refused.json()
    assert f"terminal {PHONE}" in body["message_en"] and "EL-808-01" in body["message_en"]
    assert "EL-808-01" in body["message_zh"]
    assert seal_rows(world) == [("EL-808-01", PHONE)]


def test_other_protocols_keep_their_free_vendor_names(world: World) -> None:
    body = {"seal_id": "EL-0001", "vendor": "twin", "protocol": "json-mqtt", "secret": SECRET}
    assert world.post("officer", "/api/v1/seals", body).status_code == 201


# --- the auth code -------------------------------------------------------------------------------


def stored_registrations(w: World) -> list[tuple[str, str]]:
    with w.services.engine.connect() as conn:
        rows = conn.execute(
            select(t.jt808_registrations.c.seal_id, t.jt808_registrations.c.auth_code_hash)
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_the_first_registration_gets_a_fresh_code_and_only_its_hash_is_stored(
    world: World,
) -> None:
    assert register_jt808(world).status_code == 201
    directory = SealDirectory(world.services.engine, world.services.clock)
    issued = directory.register(PHONE)
    assert issued.result == 0 and issued.auth_code != SECRET and len(issued.auth_code) == 32
    assert stored_registrations(world) == [("EL-808-01", auth_code_hash(issued.auth_code))]
    again = directory.register(PHONE)
    assert (again.result, again.auth_code) == (3, "")
    assert directory.register("13900000099").result == 4
    assert directory.authenticate(PHONE, SECRET) is None
    assert directory.authenticate(PHONE, auth_code_hash(issued.auth_code)) is None
    assert directory.authenticate("13900000099", issued.auth_code) is None
    binding = directory.authenticate(PHONE, issued.auth_code)
    assert binding is not None and (binding.seal_id, binding.vendor) == ("EL-808-01", "generic")
    a = t.audit_log.c
    with world.services.engine.connect() as conn:  # the issued code, once, in the audit chain
        audited = conn.execute(
            select(a.actor, a.entity_id).where(a.action == "seal.terminal_registered")
        ).all()
    assert audited == [("jt808-gateway", "EL-808-01")]


def test_a_seal_id_that_looks_like_a_terminal_number_does_not_answer_for_it(world: World) -> None:
    """Terminals are found by their terminal number only, never by another seal's id."""
    assert register_jt808(world, seal_id="13900000001", terminal="13900000002").status_code == 201
    directory = SealDirectory(world.services.engine)
    assert directory.register("13900000001").result == 4


def test_an_officer_resets_a_registration_and_the_terminal_registers_again(world: World) -> None:
    assert register_jt808(world).status_code == 201
    directory = SealDirectory(world.services.engine)
    old = directory.register(PHONE).auth_code
    path = "/api/v1/seals/EL-808-01/terminal-registration/reset"
    assert world.post("exporter", path, {"reason": "lost code"}).status_code == 403
    assert world.post("border", path, {"reason": "lost code"}).status_code == 403
    assert world.post("officer", path, {"reason": ""}).status_code == 422
    reset = world.post("officer", path, {"reason": "lock replaced after a fault"})
    assert reset.status_code == 200, reset.text
    assert reset.json() == {"seal_id": "EL-808-01", "terminal_id": PHONE, "registered": False}
    assert world.post("admin", path, {"reason": "again"}).status_code == 409  # nothing to reset
    assert directory.authenticate(PHONE, old) is None
    new = directory.register(PHONE)
    assert new.result == 0 and new.auth_code != old
    assert directory.authenticate(PHONE, new.auth_code) is not None
    with world.services.engine.connect() as conn:
        audited = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.detail).where(
                t.audit_log.c.action == "seal.terminal_registration_reset"
            )
        ).all()
    assert [tuple(a) for a in audited] == [("officer", "lock replaced after a fault")]


def test_a_reset_is_refused_for_unknown_seals_other_protocols_and_other_roles(
    world: World,
) -> None:
    bus = world.services.bus
    bus.handle(RegisterSeal(OFFICER, "EL-0001", "generic", "json-mqtt", SECRET))
    with pytest.raises(NotFound):
        bus.handle(ResetTerminalRegistration(OFFICER, "EL-9999", "why"))
    with pytest.raises(Conflict):
        bus.handle(ResetTerminalRegistration(OFFICER, "EL-0001", "why"))
    with pytest.raises(InvalidInput):
        bus.handle(ResetTerminalRegistration(OFFICER, "EL-0001", "  "))
    with pytest.raises(Forbidden):
        bus.handle(ResetTerminalRegistration(Actor("pemba", Role.BORDER_OFFICER), "EL-0001", "x"))


# --- over TCP ------------------------------------------------------------------------------------


class Terminal:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.splitter, self.pending, self.serial = FrameSplitter(), list[bytes](), 0

    async def ask(self, body: Body, phone: str = PHONE) -> Any:
        self.serial += 1
        self.writer.write(encode(body, terminal=phone, serial=self.serial, edition=Edition.V2013))
        async with asyncio.timeout(5):
            while not self.pending:
                data = await self.reader.read(4096)
                assert data, "the gateway closed the connection"
                self.pending += self.splitter.feed(data)
        return decode_message(self.pending.pop(0)).body


REGISTRATION = Registration(54, 100, "LPT", "ELOCK", "T1", 0, "藏D12345")
LHASA = LocationReport.at(29.652, 91.172, T0, extras=((0xE1, b"\x00"),))


def converse(w: World, *talks: Any) -> list[Any]:
    """Each talk on its own connection to a gateway wired as in production."""
    engine = w.services.engine
    ingestor = TelemetryIngestor(engine, w.services.clock)

    async def main() -> list[Any]:
        async def sink(fixes: list[SealFix]) -> None:
            await asyncio.to_thread(ingestor.ingest_fixes, fixes)

        rejects = RejectStore(engine, w.services.clock)

        async def reject(refused: Any) -> None:
            await asyncio.to_thread(rejects.record, refused)

        directory = SealDirectory(engine, w.services.clock)
        server = await start("127.0.0.1", 0, sink, directory=directory, reject=reject)
        port = server.sockets[0].getsockname()[1]
        results = []
        try:
            for talk in talks:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                try:
                    results.append(await talk(Terminal(reader, writer)))
                finally:
                    writer.close()
                    await writer.wait_closed()
        finally:
            server.close()
            await server.wait_closed()
        return results

    return asyncio.run(main())


def positions(w: World) -> int:
    with w.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.positions)).scalar_one())


def test_reading_the_number_off_a_registered_lock_gets_an_intruder_nothing(world: World) -> None:
    assert register_jt808(world).status_code == 201
    codes: list[str] = []

    async def the_lock(lock: Terminal) -> int:
        registered = await lock.ask(REGISTRATION)
        assert isinstance(registered, RegistrationResponse) and registered.result == 0
        codes.append(registered.auth_code)  # the device keeps it
        return int((await lock.ask(Authentication(registered.auth_code))).result)

    async def the_intruder(intruder: Terminal) -> list[int]:
        registered = await intruder.ask(REGISTRATION)
        assert isinstance(registered, RegistrationResponse) and registered.auth_code == ""
        return [
            registered.result,
            (await intruder.ask(Authentication(SECRET))).result,
            (await intruder.ask(Authentication(""))).result,
            (await intruder.ask(LHASA)).result,
        ]

    async def the_lock_again(lock: Terminal) -> list[int]:
        return [
            (await lock.ask(Authentication(codes[0]))).result,
            (await lock.ask(LHASA)).result,
        ]

    lock, intruder, later = converse(world, the_lock, the_intruder, the_lock_again)
    assert lock == 0
    assert intruder == [3, 1, 1, 1]  # already registered; wrong code twice; not authenticated
    assert later == [0, 0]  # the lock keeps the code it received, on a new connection
    assert positions(world) == 1


def test_a_fix_out_of_range_goes_to_the_dead_letter_store_and_nothing_is_stored(
    world: World,
) -> None:
    assert register_jt808(world).status_code == 201

    async def talk(lock: Terminal) -> list[int]:
        registered = await lock.ask(REGISTRATION)
        results = [(await lock.ask(Authentication(registered.auth_code))).result]
        results.append((await lock.ask(replace(LHASA, latitude_e6=0xFFFFFFFF))).result)
        results.append((await lock.ask(Heartbeat())).result)
        return results

    [results] = converse(world, talk)
    assert results == [0, 2, 0]  # refused as a bad message; the connection answers on
    assert positions(world) == 0
    rejected = world.get("officer", "/api/v1/telemetry/rejects").json()
    assert rejected["counts"] == {"bad_values": 1}
    [item] = rejected["items"]
    assert (item["seal_id"], item["topic"]) == ("EL-808-01", f"jt808/{PHONE}/0x0200")
    assert item["payload"].startswith("7E0200")


def test_run_gateway_accepts_a_clock(world: World) -> None:
    """The production wiring: the same directory and dead-letter store behind `start`."""

    async def main() -> None:
        task = asyncio.create_task(
            run_gateway(
                "127.0.0.1",
                0,
                world.services.engine,
                TelemetryIngestor(world.services.engine, world.services.clock),
                clock=world.services.clock,
            )
        )
        await asyncio.sleep(0.05)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


# --- the upgrade ---------------------------------------------------------------------------------


def test_the_upgrade_stores_jt808_terminal_numbers_as_the_gateway_reads_them(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0012")
    engine = create_engine(url)
    at = datetime(2026, 3, 2, tzinfo=UTC)
    seal = {"vendor": "generic", "secret": SECRET, "state": "available"}
    rows = [
        ("EL-PADDED", "jt808", "013900000002"),  # was never found: the header drops the zero
        ("13900000003", "jt808", None),  # was found by its seal id
        ("EL-NO-NUMBER", "jt808", None),  # never reachable: stays as it is
        ("013900000004", "json-mqtt", None),  # not JT/T 808: untouched
        ("EL-TAKEN", "jt808", "13900000005"),
        ("EL-CLASH", "jt808", "013900000005"),  # normalised it would clash: left as it is
    ]
    try:
        with engine.begin() as conn:
            for seal_id, protocol, terminal in rows:
                conn.execute(
                    insert(t.seals).values(
                        seal_id=seal_id,
                        protocol=protocol,
                        terminal_id=terminal,
                        registered_at=at,
                        version=0,
                        **seal,
                    )
                )
        upgrade(url)
        with engine.connect() as conn:
            stored = dict(conn.execute(select(t.seals.c.seal_id, t.seals.c.terminal_id)).all())
            registrations = conn.execute(
                select(func.count()).select_from(t.jt808_registrations)
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == {
        "EL-PADDED": "13900000002",
        "13900000003": "13900000003",
        "EL-NO-NUMBER": None,
        "013900000004": None,
        "EL-TAKEN": "13900000005",
        "EL-CLASH": "013900000005",
    }
    assert registrations == 0  # every JT/T 808 lock registers once more
