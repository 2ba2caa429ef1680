"""Hash chain of audit entries: altering, inserting or deleting any entry breaks the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes on every machine."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def digest_of(value: Any) -> str:
    """SHA-256 of a value's canonical JSON; None stays None (no before-state on creation)."""
    if value is None:
        return ""
    return hashlib.sha256(canonical_json(value)).hexdigest()


def format_time(at: datetime) -> str:
    """Audit times are kept as ISO 8601 UTC text so that they hash the same on every engine."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One appended line of the audit log."""

    seq: int
    at: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before_digest: str
    after_digest: str
    detail: str
    prev_hash: str
    hash: str


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before_digest: str,
    after_digest: str,
    detail: str,
) -> str:
    """The entry's hash covers its own fields and the previous entry's hash."""
    fields = "\x1f".join(
        (
            prev_hash,
            str(seq),
            at,
            actor,
            action,
            entity_type,
            entity_id,
            before_digest,
            after_digest,
            detail,
        )
    )
    return hashlib.sha256(fields.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Outcome of verifying the chain: how many entries, and the first broken one if any."""

    entries: int
    first_broken_seq: int | None
    reason: str | None
    last_hash: str | None = None  # of the last entry, when intact: what a checkpoint signs

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None

    def as_dict(self, checkpoint_problems: list[str] | None = None) -> dict[str, Any]:
        """What the API and `audit verify --json` print; problems with the checkpoints kept
        outside (when some were given) make the log not intact."""
        answer: dict[str, Any] = {
            "intact": self.intact and not checkpoint_problems,
            "entries": self.entries,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
        }
        if checkpoint_problems is not None:
            answer["checkpoint_problems"] = checkpoint_problems
        return answer


def verify_chain(
    rows: Iterable[tuple[Any, ...]],
    head: tuple[int, str] | None = None,
    witnesses: Mapping[int, str] | None = None,
) -> ChainReport:
    """Walk the rows in seq order: (seq, at, actor, action, entity_type, entity_id,
    before_digest, after_digest, detail, prev_hash, hash). The head (last seq and hash,
    kept apart) reveals entries deleted from the end. `witnesses` (seq -> hash, from
    checkpoints kept outside the database) reveal a chain rewritten together with its head."""
    seen = witnesses or {}
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    sha256 = hashlib.sha256
    for row in rows:
        seq, at, actor, action, etype, eid, before, after, detail, stored_prev, stored = row
        if seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if stored_prev != prev_hash:
            return ChainReport(count, seq, "previous-hash link does not match")
        fields = "\x1f".join(
            (
                prev_hash,
                str(seq),
                at,
                actor,
                action,
                etype,
                eid,
                before or "",
                after or "",
                detail or "",
            )
        )
        if sha256(fields.encode("utf-8")).hexdigest() != stored:
            return ChainReport(count, seq, "entry content does not match its hash")
        if seq in seen and seen[seq] != stored:
            return ChainReport(
                count, seq, "entries up to here differ from a checkpoint kept outside"
            )
        prev_hash = stored
        expected_seq += 1
        count += 1
    if seen and max(seen) > count:
        return ChainReport(
            count, count + 1, f"chain ends at {count} but a checkpoint saw entry {max(seen)}"
        )
    if head is not None:
        head_seq, head_hash = head
        if head_seq != count:
            return ChainReport(count, count + 1, f"chain ends at {count} but head says {head_seq}")
        if head_seq and head_hash != prev_hash:
            return ChainReport(count, head_seq, "last entry does not match the chain head")
    return ChainReport(count, None, None, prev_hash)
