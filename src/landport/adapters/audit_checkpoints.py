"""Audit checkpoints on disk: taken from the chain head, signed with the port's key, written
to a folder outside the database, and read back to verify the chain against them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine

from landport.adapters.db.audit import verify_audit
from landport.adapters.ed25519_keys import key_id, public_keyring, sign_b64url, verifies_b64url
from landport.audit.chain import format_time
from landport.audit.checkpoint import Checkpoint, CheckpointError, checkpoint_from

PREFIX = "audit-checkpoint-"


def take_checkpoint(
    engine: Engine,
    key: Ed25519PrivateKey,
    now: datetime,
    witnesses: Mapping[int, str] | None = None,
) -> Checkpoint:
    """The chain head, signed, once the chain verifies (against `witnesses`, the checkpoints
    kept so far): a checkpoint signed over a broken or rewritten chain would vouch for it."""
    report = verify_audit(engine, witnesses)
    if not report.intact or report.last_hash is None:
        raise CheckpointError(
            f"the audit log is broken at entry {report.first_broken_seq} ({report.reason}): "
            "no checkpoint is signed over it"
        )
    unsigned = Checkpoint(
        report.entries, report.last_hash, format_time(now), key_id(key.public_key())
    )
    return replace(unsigned, signature=sign_b64url(key, unsigned.signed_bytes()))


def write_checkpoint(folder: Path, checkpoint: Checkpoint) -> Path:
    """A new file per checkpoint, written whole and synced, then linked into place: a link
    never replaces an existing file, so a checkpoint is never overwritten."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = checkpoint.taken_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    target = folder / f"{PREFIX}{checkpoint.seq:012d}-{stamp}.json"
    partial = target.with_suffix(".part")
    with partial.open("w", encoding="utf-8") as f:
        f.write(json.dumps(checkpoint.as_dict(), indent=1) + "\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(partial, target)
    except FileExistsError:
        raise CheckpointError(f"{target.name} exists already") from None
    finally:
        partial.unlink()
    return target


@dataclass(frozen=True, slots=True)
class CheckpointFolder:
    """What a folder of checkpoints holds: the ones that verify, and why the others do not."""

    checkpoints: tuple[Checkpoint, ...]
    problems: tuple[str, ...]


def read_checkpoints(folder: Path, keys: Iterable[Ed25519PublicKey]) -> CheckpointFolder:
    """Every `audit-checkpoint-*.json` in `folder`; a file that is unreadable or not signed by
    one of `keys` is a problem to explain, never silently skipped."""
    documents: list[tuple[str, Any]] = []
    unreadable: list[str] = []
    for path in sorted(folder.glob(f"{PREFIX}*.json")):
        try:
            documents.append((path.name, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, RecursionError) as e:  # ValueError: bad JSON or text
            unreadable.append(f"{path.name}: unreadable ({type(e).__name__})")
    found = check_checkpoints(documents, keys)
    return CheckpointFolder(found.checkpoints, (*unreadable, *found.problems))


def check_checkpoints(
    documents: Iterable[tuple[str, Any]], keys: Iterable[Ed25519PublicKey]
) -> CheckpointFolder:
    """Named checkpoint documents (a file, an item of a request) read and their signatures
    checked against `keys`: the good ones, and what is wrong with each of the others."""
    ring = public_keyring(keys)
    good: list[Checkpoint] = []
    problems: list[str] = []
    for name, document in documents:
        try:
            checkpoint = checkpoint_from(document)
        except CheckpointError as e:
            problems.append(f"{name}: unreadable ({e})")
            continue
        key = ring.get(checkpoint.key_id)
        if key is None:
            problems.append(f"{name}: signed by unknown key {checkpoint.key_id}")
        # checkpoints written before signatures were unpadded carry base64url's "=" padding
        elif not verifies_b64url(key, checkpoint.signature.rstrip("="), checkpoint.signed_bytes()):
            problems.append(f"{name}: the signature does not verify")
        else:
            good.append(checkpoint)
    return CheckpointFolder(tuple(good), tuple(problems))
