"""Checkpoints kept outside the database catch what the in-database head cannot: a chain
rewritten together with its head, or cut back with its head moved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from audit_tamper import rewrite_from
from goods import furniture_payload, primary_lithium_payload
from landport.adapters.audit_checkpoints import read_checkpoints, take_checkpoint, write_checkpoint
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.adapters.ed25519_keys import generate_keypair
from landport.audit.checkpoint import CheckpointError, witnesses_of
from world import World

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
KEY, PUBLIC = generate_keypair()


@pytest.fixture
def busy_world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    w.without_random_selection()
    for _ in range(3):
        w.lodge(furniture_payload(), submit=True)
    w.lodge(primary_lithium_payload(), submit=True)
    yield w
    w.close()


def kept(folder: Path) -> dict[int, str]:
    found = read_checkpoints(folder, [PUBLIC])
    assert found.problems == ()
    return witnesses_of(found.checkpoints)


def test_a_chain_rewritten_with_its_head_passes_alone_but_not_against_a_checkpoint(
    busy_world: World, tmp_path: Path
) -> None:
    engine = busy_world.services.engine
    taken = take_checkpoint(engine, KEY, NOW)
    write_checkpoint(tmp_path, taken)
    rewrite_from(engine, 3, "mallory")
    assert verify_audit(engine).intact  # the head moved with the rewrite: nothing to see
    report = verify_audit(engine, kept(tmp_path))
    assert not report.intact
    assert report.first_broken_seq == taken.seq
    assert report.reason is not None and "checkpoint" in report.reason


def test_entries_after_a_checkpoint_keep_the_chain_intact(
    busy_world: World, tmp_path: Path
) -> None:
    engine = busy_world.services.engine
    write_checkpoint(tmp_path, take_checkpoint(engine, KEY, NOW))
    busy_world.lodge(furniture_payload(), submit=True)
    write_checkpoint(tmp_path, take_checkpoint(engine, KEY, NOW))
    witnesses = kept(tmp_path)
    assert len(witnesses) == 2
    assert verify_audit(engine, witnesses).intact


def test_a_chain_cut_back_below_a_checkpoint_is_detected(busy_world: World, tmp_path: Path) -> None:
    engine = busy_world.services.engine
    taken = take_checkpoint(engine, KEY, NOW)
    write_checkpoint(tmp_path, taken)
    with engine.begin() as conn:  # delete the last two entries and move the head back
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq > taken.seq - 2))
        last = conn.execute(
            select(t.audit_log.c.hash).where(t.audit_log.c.seq == taken.seq - 2)
        ).scalar_one()
        conn.execute(update(t.audit_head).values(seq=taken.seq - 2, hash=last))
    assert verify_audit(engine).intact
    report = verify_audit(engine, kept(tmp_path))
    assert (report.intact, report.first_broken_seq) == (False, taken.seq - 1)
    assert report.reason == f"chain ends at {taken.seq - 2} but a checkpoint saw entry {taken.seq}"


def test_a_forged_or_foreign_checkpoint_is_a_problem_not_a_witness(
    busy_world: World, tmp_path: Path
) -> None:
    engine = busy_world.services.engine
    genuine = write_checkpoint(tmp_path, take_checkpoint(engine, KEY, NOW))
    forged = json.loads(genuine.read_text(encoding="utf-8"))
    forged["hash"] = "f" * 64
    (tmp_path / "audit-checkpoint-forged.json").write_text(json.dumps(forged), encoding="utf-8")
    stranger, _ = generate_keypair()
    write_checkpoint(tmp_path, take_checkpoint(engine, stranger, datetime(2026, 3, 3, tzinfo=UTC)))
    (tmp_path / "audit-checkpoint-junk.json").write_text("{", encoding="utf-8")
    found = read_checkpoints(tmp_path, [PUBLIC])
    assert len(found.checkpoints) == 1
    reasons = sorted(p.split(": ", 1)[1] for p in found.problems)
    assert reasons[0].startswith("signed by unknown key")
    assert reasons[1] == "the signature does not verify"
    assert reasons[2].startswith("unreadable")


def test_a_checkpoint_file_is_never_overwritten(busy_world: World, tmp_path: Path) -> None:
    taken = take_checkpoint(busy_world.services.engine, KEY, NOW)
    first = write_checkpoint(tmp_path, taken)
    with pytest.raises(CheckpointError, match="exists already"):
        write_checkpoint(tmp_path, taken)
    assert json.loads(first.read_text(encoding="utf-8"))["seq"] == taken.seq
    assert list(tmp_path.glob("*.part")) == []


def test_an_auditor_takes_a_checkpoint_through_the_api_and_checks_the_chain_against_it(
    busy_world: World,
) -> None:
    w = busy_world
    taken = w.post("auditor", "/api/v1/audit/checkpoints")
    assert taken.status_code == 201, taken.text
    checkpoint = taken.json()
    with w.services.engine.connect() as conn:
        assert checkpoint["seq"] == conn.execute(select(t.audit_head.c.seq)).scalar_one()
    body = {"checkpoints": [checkpoint]}
    agreed = w.post("auditor", "/api/v1/audit/verify", body).json()
    assert agreed["intact"] is True and agreed["checkpoint_problems"] == []
    rewrite_from(w.services.engine, 2, "mallory")
    assert w.get("auditor", "/api/v1/audit/verify").json()["intact"] is True
    caught = w.post("auditor", "/api/v1/audit/verify", body).json()
    assert (caught["intact"], caught["first_broken_seq"]) == (False, checkpoint["seq"])
    forged = {**checkpoint, "seq": checkpoint["seq"] - 1}
    refused = w.post("auditor", "/api/v1/audit/verify", {"checkpoints": [forged]}).json()
    assert refused["intact"] is False
    assert refused["checkpoint_problems"] == ["checkpoints[0]: the signature does not verify"]


def test_checkpoints_are_for_auditors_and_must_agree(busy_world: World) -> None:
    w = busy_world
    assert w.post("exporter", "/api/v1/audit/checkpoints").status_code == 403
    assert w.post("officer", "/api/v1/audit/verify", {"checkpoints": [{}]}).status_code == 403
    one = w.post("admin", "/api/v1/audit/checkpoints").json()
    w.lodge(furniture_payload())
    two = w.post("auditor", "/api/v1/audit/checkpoints").json()
    assert two["seq"] > one["seq"]
    both = w.post("auditor", "/api/v1/audit/verify", {"checkpoints": [one, two]}).json()
    assert both["intact"] is True
    empty = w.post("auditor", "/api/v1/audit/verify", {"checkpoints": []})
    assert empty.status_code == 422


def test_no_checkpoint_is_signed_over_a_broken_or_rewritten_chain(
    busy_world: World, tmp_path: Path
) -> None:
    engine = busy_world.services.engine
    write_checkpoint(tmp_path, take_checkpoint(engine, KEY, NOW))
    rewrite_from(engine, 2, "mallory")
    with pytest.raises(CheckpointError, match="broken at entry"):
        take_checkpoint(engine, KEY, NOW, kept(tmp_path))  # the kept one sees the rewrite
    with engine.begin() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 3).values(detail="x"))
    with pytest.raises(CheckpointError, match="broken at entry 3"):
        take_checkpoint(engine, KEY, NOW)
    assert busy_world.post("auditor", "/api/v1/audit/checkpoints").status_code == 409


def test_a_checkpoint_written_with_a_padded_signature_still_verifies(
    busy_world: World, tmp_path: Path
) -> None:
    """Checkpoints taken before signatures were written unpadded end in base64's "=": an
    auditor's folder of them keeps verifying."""
    taken = take_checkpoint(busy_world.services.engine, KEY, NOW)
    padded = taken.signature + "=" * (-len(taken.signature) % 4)
    assert padded != taken.signature  # a 64-byte signature pads to a multiple of four
    write_checkpoint(tmp_path, replace(taken, signature=padded))
    assert list(kept(tmp_path)) == [taken.seq]
