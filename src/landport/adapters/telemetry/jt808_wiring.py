"""Connects the JT/T 808 gateway to the seal registry and the ingest pipeline."""

from __future__ import annotations

import asyncio
from contextlib import nullcontext

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from landport.adapters.db import tables as t
from landport.adapters.db.audit import SqlAuditTrail
from landport.adapters.db.engine import writer_lock
from landport.adapters.jt808_gateway import RefusedFix, Registered, SealBinding, start
from landport.adapters.jt808_registrations import auth_code_matches, issue, stored_hash
from landport.adapters.telemetry.ingest import (
    TelemetryIngestor,
    dead_letter_digest,
    store_dead_letters,
)
from landport.seals.jt808.messages import REG_NO_TERMINAL, REG_OK, REG_TERMINAL_TAKEN
from landport.seals.model import SealFix
from landport.shared.clock import Clock, SystemClock

# A JT/T 808 seal by its terminal number, stored as the gateway reads it from a frame
# header (digits, leading zeros dropped; `terminal_id` is unique).
_SEAL_OF_TERMINAL = select(t.seals.c.seal_id, t.seals.c.vendor).where(
    t.seals.c.protocol == "jt808", t.seals.c.terminal_id.is_not(None)
)


class SealDirectory:
    """Terminal phone number → seal, and the auth code issued at its registration."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()

    @staticmethod
    def _seal(conn: Connection, terminal: str) -> SealBinding | None:
        row = conn.execute(_SEAL_OF_TERMINAL.where(t.seals.c.terminal_id == terminal)).one_or_none()
        return None if row is None else SealBinding(seal_id=row[0], vendor=row[1])

    def register(self, terminal: str) -> Registered:
        """The first registration gets a new code; later ones wait for an officer's reset."""
        try:
            with writer_lock(self._engine) or nullcontext(), self._engine.begin() as conn:
                seal = self._seal(conn, terminal)
                if seal is None:
                    return Registered(REG_NO_TERMINAL)
                if stored_hash(conn, seal.seal_id) is not None:
                    return Registered(REG_TERMINAL_TAKEN)
                now = self._clock.now()
                code = issue(conn, seal.seal_id, now)
                audit = SqlAuditTrail(conn, now)  # a code now opens the gateway to this lock
                audit.append(
                    actor="jt808-gateway",
                    action="seal.terminal_registered",
                    entity_type="seal",
                    entity_id=seal.seal_id,
                    before=None,
                    after={"terminal": terminal},
                )
                audit.flush()
        except IntegrityError:  # registered at the same moment on another connection
            return Registered(REG_TERMINAL_TAKEN)
        return Registered(REG_OK, code)

    def authenticate(self, terminal: str, auth_code: str) -> SealBinding | None:
        with self._engine.connect() as conn:
            seal = self._seal(conn, terminal)
            expected = None if seal is None else stored_hash(conn, seal.seal_id)
        return seal if auth_code_matches(auth_code, expected) else None


class RejectStore:
    """Refused fixes go to the dead-letter store, as the MQTT path's rejected messages do."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()

    def record(self, refused: list[RefusedFix]) -> None:
        now = self._clock.now()
        rows = []
        for r in refused:
            topic = f"jt808/{r.terminal}/0x{r.msg_id:04X}"
            rows.append(
                {
                    "received_at": now,
                    "seal_id": r.seal_id,
                    "reason": r.reason,
                    "topic": topic,
                    "payload": r.frame.hex().upper(),  # as received; the detail is logged
                    "digest": dead_letter_digest(topic, r.frame),
                }
            )
        with writer_lock(self._engine) or nullcontext(), self._engine.begin() as conn:
            store_dead_letters(conn, rows)


async def run_gateway(
    host: str,
    port: int,
    engine: Engine,
    ingestor: TelemetryIngestor,
    *,
    clock: Clock | None = None,
) -> None:
    """Serve until cancelled; each report is acknowledged after its fixes are committed."""
    directory = SealDirectory(engine, clock)
    rejects = RejectStore(engine, clock)

    async def sink(fixes: list[SealFix]) -> None:
        await asyncio.to_thread(ingestor.ingest_fixes, fixes)

    async def reject(refused: list[RefusedFix]) -> None:
        await asyncio.to_thread(rejects.record, refused)

    server = await start(host, port, sink, directory=directory, reject=reject)
    async with server:
        await server.serve_forever()
