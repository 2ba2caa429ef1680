"""`landport audit checkpoint` and `audit verify --checkpoints`, run as an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from audit_tamper import rewrite_from

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


def test_a_checkpoint_kept_outside_catches_a_chain_rewritten_with_its_head(
    database_url: str, tmp_path: Path
) -> None:
    keys, witness = tmp_path / "keys", tmp_path / "witness"
    assert run(database_url, keys, "db", "upgrade").returncode == 0
    created = run(
        database_url, keys, "enterprises", "create", "--uscc", USCC, "--name-zh", "杭州示例",
        "--name-en", "Hangzhou Example", "--province", "zhejiang", "--rating", "general",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
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
