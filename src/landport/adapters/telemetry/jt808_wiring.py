"""Connects the JT/T 808 gateway to the seal registry and the ingest pipeline."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, or_, select

from landport.adapters.db import tables as t
from landport.adapters.jt808_gateway import SealBinding, start
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.seals.model import SealFix


class SealDirectory:
    """Terminal phone number → seal (by terminal_id, or the seal id itself)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _row(self, terminal: str) -> tuple[str, str, str] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.seals.c.seal_id, t.seals.c.vendor, t.seals.c.secret).where(
                    t.seals.c.protocol == "jt808",
                    or_(t.seals.c.terminal_id == terminal, t.seals.c.seal_id == terminal),
                )
            ).first()
        return None if row is None else (row[0], row[1], row[2])

    def auth_code(self, terminal: str) -> str | None:
        row = self._row(terminal)
        return None if row is None else row[2]

    def binding(self, terminal: str) -> SealBinding | None:
        row = self._row(terminal)
        return None if row is None else SealBinding(seal_id=row[0], vendor=row[1])


async def run_gateway(host: str, port: int, engine: Engine, ingestor: TelemetryIngestor) -> None:
    """Serve until cancelled; each report is acknowledged after its fixes are committed."""
    directory = SealDirectory(engine)

    async def sink(fixes: list[SealFix]) -> None:
        await asyncio.to_thread(ingestor.ingest_fixes, fixes)

    server = await start(host, port, sink, auth=directory.auth_code, seal_for=directory.binding)
    async with server:
        await server.serve_forever()
