"""The audit-chain measure of bench/clearance.py: `verify_audit` on the log the submissions
wrote, then on a scratch copy extended to BENCH_AUDIT_ENTRIES valid chained entries
(in-process and through the `landport audit verify` CLI).

Split from the script, which keeps the HTTP load, the databases and the report.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _support import base_env, log, run_cli

AUDIT_TARGET = int(os.environ.get("BENCH_AUDIT_ENTRIES", "100000"))


def _extend_chain(db: Path, target: int) -> int:
    """Append valid chained entries (copies of the real ones, re-sequenced and re-hashed)
    straight into a scratch SQLite copy until it holds TARGET entries; returns the count."""
    from landport.audit.chain import entry_hash, format_time

    con = sqlite3.connect(db)
    try:
        seq, prev = con.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        templates = con.execute(
            "SELECT actor, action, entity_type, entity_id, before_digest, after_digest, detail "
            "FROM audit_log ORDER BY seq LIMIT 5000"
        ).fetchall()
        if not templates or seq >= target:
            return int(seq)
        start = datetime.now(UTC)
        rows = []
        while seq < target:
            actor, action, etype, eid, before, after, detail = templates[seq % len(templates)]
            seq += 1
            at = format_time(start + timedelta(microseconds=seq))
            h = entry_hash(
                prev_hash=prev,
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                entity_type=etype,
                entity_id=eid,
                before_digest=before or "",
                after_digest=after or "",
                detail=detail or "",
            )
            rows.append((seq, at, actor, action, etype, eid, before, after, detail, prev, h))
            prev = h
        with con:
            con.executemany("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            con.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, prev))
        return int(seq)
    finally:
        con.close()


def measure_audit(db: Path, workdir: Path) -> dict[str, Any]:
    """verify_audit in-process on the real log, then on a copy extended to AUDIT_TARGET
    entries (in-process and through the `landport audit verify` CLI)."""
    from landport.adapters.db.audit import verify_audit
    from landport.adapters.db.engine import make_engine

    def timed_verify(path: Path) -> tuple[int, float, bool]:
        engine = make_engine(f"sqlite:///{path}", writer=False)
        try:
            verify_audit(engine)  # warm: page cache, imports
            t0 = time.perf_counter()
            report = verify_audit(engine)
            return report.entries, time.perf_counter() - t0, report.intact
        finally:
            engine.dispose()

    real_entries, real_s, real_ok = timed_verify(db)
    scratch = workdir / "audit-scratch.db"
    src, dst = sqlite3.connect(db), sqlite3.connect(scratch)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    t0 = time.perf_counter()
    total = _extend_chain(scratch, AUDIT_TARGET)
    log(f"[audit] scratch chain extended to {total} entries in {time.perf_counter() - t0:.1f}s")
    entries, seconds, intact = timed_verify(scratch)
    t0 = time.perf_counter()
    out = run_cli(["audit", "verify", "--json"], base_env(f"sqlite:///{scratch}"))
    cli_s = time.perf_counter() - t0
    cli_report = json.loads(out)
    return {
        "audit_entries": entries,
        "audit_intact": intact and bool(cli_report.get("intact")),
        "audit_verify_s": round(seconds, 3),
        "audit_verify_entries_per_s": round(entries / seconds) if seconds else None,
        "audit_verify_cli_s": round(cli_s, 3),
        "audit_entries_from_submissions": real_entries,
        "audit_verify_entries_per_s_submissions_db": (
            round(real_entries / real_s) if real_s and real_ok else None
        ),
    }
