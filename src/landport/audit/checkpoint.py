"""Checkpoints: the chain's head at a moment, signed by the port and kept outside the database.

The chain head lives beside the entries, so whoever can rewrite both (a database
administrator, a doctored backup restored) leaves a chain that verifies. A checkpoint taken
earlier and kept elsewhere (another host, write-once storage, paper) pins entry `seq` to its
hash: a rewrite of anything up to that entry shows, and so does a chain cut back below it.
Entries after the newest checkpoint are covered only by the next one: take them often.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KIND = "landport-audit-checkpoint"
_FIELDS = ("kind", "seq", "hash", "taken_at", "key_id", "signature")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Entry `seq` had hash `hash` at `taken_at` (ISO 8601 UTC), signed by key `key_id`."""

    seq: int
    hash: str
    taken_at: str
    key_id: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        """What the signature covers: every field but the signature, in a fixed order."""
        return "\x1f".join((KIND, str(self.seq), self.hash, self.taken_at, self.key_id)).encode()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "seq": self.seq,
            "hash": self.hash,
            "taken_at": self.taken_at,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class CheckpointError(ValueError):
    """A checkpoint that cannot be read: it proves nothing and must be explained."""


def checkpoint_from(document: Any) -> Checkpoint:
    """Read a checkpoint document; refuse anything but the exact shape."""
    if not isinstance(document, Mapping) or document.get("kind") != KIND:
        raise CheckpointError(f"not a {KIND} document")
    missing = [f for f in _FIELDS if f not in document]
    if missing:
        raise CheckpointError(f"missing {', '.join(missing)}")
    seq, digest = document["seq"], document["hash"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise CheckpointError("seq must be a whole number >= 0")
    if not isinstance(digest, str) or len(digest) != 64 or digest.strip("0123456789abcdef"):
        raise CheckpointError("hash must be 64 lower-case hex digits")
    texts = [document[f] for f in ("taken_at", "key_id", "signature")]
    if not all(isinstance(v, str) and v for v in texts):
        raise CheckpointError("taken_at, key_id and signature must be non-empty text")
    return Checkpoint(seq, digest, *texts)


def witnesses_of(checkpoints: Iterable[Checkpoint]) -> dict[int, str]:
    """seq -> hash for `verify_chain`; two checkpoints disagreeing on one entry cannot both
    be true, so that is an error (seq 0 is the empty chain: nothing to pin)."""
    pinned: dict[int, str] = {}
    for c in checkpoints:
        if c.seq == 0:
            continue
        if pinned.setdefault(c.seq, c.hash) != c.hash:
            raise CheckpointError(f"two checkpoints disagree on entry {c.seq}")
    return pinned
