"""Read side of telemetry: the dead-letter store, counted by reason."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from landport.adapters.db import tables as t


def rejected_telemetry(engine: Engine, *, seal_id: str | None, limit: int) -> dict[str, Any]:
    """Counts per reason and the latest rejected messages (never applied, kept as received)."""
    r = t.telemetry_rejects
    where = [r.c.seal_id == seal_id] if seal_id else []
    with engine.connect() as conn:
        counts = conn.execute(
            select(r.c.reason, func.count()).where(*where).group_by(r.c.reason)
        ).all()
        rows = (
            conn.execute(select(r).where(*where).order_by(r.c.id.desc()).limit(limit))
            .mappings()
            .all()
        )
    return {
        "counts": {reason: int(n) for reason, n in counts},
        "items": [{**row, "received_at": row["received_at"].isoformat()} for row in rows],
    }
