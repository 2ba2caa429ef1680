"""`landport audit checkpoint` and `audit verify --checkpoints`, run as an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, update

from audit_tamper import rewrite_from
from landport.adapters.db import tables as t

LANDPORT = str(Path(sys.executable).with_name("landport"))
USCC = "91330100716105852F"


def run(url: str, keys: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LANDPORT_DATABASE__URL": url,
        "LANDPORT_CUSTODY__DEV_KEY_DIR": str(keys),
    }
    env.pop("LANDPORT_CUSTODY__SIGNING_KEY", None)
    return subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def seed(url: str, keys: Path) -> None:
    """A port with some history: an enterprise registered (audited, with the reference data)."""
    created = run(
        url, keys, "enterprises", "create", "--uscc", USCC, "--name-zh", "杭州示例",
        "--name-en", "Hangzhou Example", "--province", "zhejiang", "--rating", "general",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr


def test_a_checkpoint_kept_outside_catches_a_chain_rewritten_with_its_head(
    database_url: str, tmp_path: Path
) -> None:
    keys, witness = tmp_path / "keys", tmp_path / "witness"
    assert run(database_url, keys, "db", "upgrade").returncode == 0
    seed(database_url, keys)
    taken = run(database_url, keys, "audit", "checkpoint", "--out", str(witness), "--json")
    assert taken.returncode == 0, taken.stderr
    checkpoint = json.loads(taken.stdout)
    assert checkpoint["seq"] >= 2 and Path(checkpoint["file"]).parent == witness
    agreed = run(database_url, keys, "audit", "verify", "--checkpoints", str(witness))
    assert agreed.returncode == 0, agreed.stderr
    assert "1 checkpoints agree" in agreed.stdout

    engine = create_engine(database_url)
    rewrite_from(engine, 2, "mallory")
    engine.dispose()
    assert run(database_url, keys, "audit", "verify").returncode == 0  # the head moved too
    caught = run(database_url, keys, "audit", "verify", "--checkpoints", str(witness), "--json")
    assert caught.returncode == 1
    report = json.loads(caught.stdout)
    assert report["intact"] is False and report["first_broken_seq"] == checkpoint["seq"]
    assert "checkpoint" in report["reason"]


def test_a_forged_checkpoint_fails_the_check_and_a_missing_folder_is_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    keys, witness = tmp_path / "keys", tmp_path / "witness"
    assert run(sqlite_url, keys, "audit", "checkpoint", "--out", str(witness)).returncode == 0
    [written] = witness.glob("audit-checkpoint-*.json")
    forged = json.loads(written.read_text(encoding="utf-8"))
    forged["seq"] += 100
    written.write_text(json.dumps(forged), encoding="utf-8")
    refused = run(sqlite_url, keys, "audit", "verify", "--checkpoints", str(witness))
    assert refused.returncode == 1
    assert "the signature does not verify" in refused.stderr and "检查点无效" in refused.stderr
    missing = run(sqlite_url, keys, "audit", "verify", "--checkpoints", str(tmp_path / "none"))
    assert missing.returncode == 2 and "--checkpoints" in missing.stderr


def test_an_empty_checkpoint_folder_proves_nothing_and_fails(
    sqlite_url: str, tmp_path: Path
) -> None:
    seed(sqlite_url, tmp_path / "keys")
    made = run(sqlite_url, tmp_path / "keys", "audit", "checkpoint", "--out", str(tmp_path / "a"))
    assert made.returncode == 0, made.stderr  # the port has a key, but this folder is empty
    (tmp_path / "witness").mkdir()
    empty = run(sqlite_url, tmp_path / "keys", "audit", "verify", "--checkpoints",
                str(tmp_path / "witness"))  # fmt: skip
    assert empty.returncode == 1 and "no valid checkpoint" in empty.stderr


def test_checkpoints_signed_with_a_retired_key_verify_with_its_public_key(
    sqlite_url: str, tmp_path: Path
) -> None:
    old_keys, new_keys, witness = tmp_path / "old", tmp_path / "new", tmp_path / "witness"
    seed(sqlite_url, old_keys)
    assert run(sqlite_url, old_keys, "audit", "checkpoint", "--out", str(witness)).returncode == 0
    retired = old_keys / "landport-dev-ed25519.pub.pem"  # what a retired key leaves behind
    foreign = run(sqlite_url, new_keys, "audit", "checkpoint", "--out", str(witness))
    assert foreign.returncode == 1 and "signed by unknown key" in foreign.stderr
    unknown = run(sqlite_url, new_keys, "audit", "verify", "--checkpoints", str(witness))
    assert unknown.returncode == 1 and "signed by unknown key" in unknown.stderr
    known = run(
        sqlite_url, new_keys, "audit", "verify", "--checkpoints", str(witness),
        "--public-key", str(retired),
    )  # fmt: skip
    assert known.returncode == 0, known.stderr
    assert "1 checkpoints agree" in known.stdout


def test_no_checkpoint_is_written_over_a_broken_chain(sqlite_url: str, tmp_path: Path) -> None:
    seed(sqlite_url, tmp_path / "keys")
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 2).values(detail="forged"))
    engine.dispose()
    refused = run(
        sqlite_url, tmp_path / "keys", "audit", "checkpoint", "--out", str(tmp_path / "w")
    )
    assert refused.returncode == 1 and "broken at entry 2" in refused.stderr
    assert not (tmp_path / "w").exists() or not list((tmp_path / "w").iterdir())
