"""What an insider with write access to the database can do to the audit log."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from landport.adapters.db import tables as t
from landport.audit.chain import GENESIS, entry_hash


def rewrite_from(engine: Engine, seq: int, actor: str) -> None:
    """What an insider with write access to the database can do: change entry `seq`, chain
    every later entry again and move the head, so the chain checks out on its own."""
    with engine.begin() as conn:
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).mappings().all()
        prev = GENESIS
        for row in rows:
            fields = dict(row)
            if fields["seq"] == seq:
                fields["actor"] = actor
            if fields["seq"] >= seq:
                keep = ("at", "actor", "action", "entity_type", "entity_id", "detail")
                fields["hash"] = entry_hash(
                    prev_hash=prev,
                    seq=fields["seq"],
                    before_digest=fields["before_digest"] or "",
                    after_digest=fields["after_digest"] or "",
                    **{k: fields[k] or "" for k in keep},
                )
                conn.execute(
                    update(t.audit_log)
                    .where(t.audit_log.c.seq == fields["seq"])
                    .values(actor=fields["actor"], hash=fields["hash"], prev_hash=prev)
                )
            prev = fields["hash"]
        conn.execute(update(t.audit_head).values(hash=prev))
