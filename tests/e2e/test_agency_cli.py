"""`landport enterprises authorise | authorisations | revoke-authorisation`, run as a user
would: a subprocess honouring LANDPORT_DATABASE__URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LANDPORT = str(Path(sys.executable).with_name("landport"))
CONSIGNOR = "91330100716105852F"
BROKER = "91330100MA2B000018"


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url}
    return subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def enterprise(url: str, uscc: str) -> None:
    created = run(
        url, "enterprises", "create", "--uscc", uscc, "--name-zh", "测试企业",
        "--name-en", "Test", "--province", "zhejiang", "--rating", "general",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr


def test_an_operator_records_lists_and_revokes_an_authorisation(sqlite_url: str) -> None:
    enterprise(sqlite_url, CONSIGNOR)
    enterprise(sqlite_url, BROKER)
    authorise = ("enterprises", "authorise", "--consignor", CONSIGNOR, "--agent", BROKER)
    backwards = run(
        sqlite_url, *authorise, "--valid-from", "2026-02-01", "--valid-to", "2026-01-01"
    )
    assert backwards.returncode == 2
    assert "valid_to" in backwards.stderr and "委托" in backwards.stderr
    recorded = run(sqlite_url, *authorise, "--valid-from", "2026-01-01", "--valid-to", "2026-12-31")
    assert recorded.returncode == 0, recorded.stderr
    listed = run(sqlite_url, "enterprises", "authorisations", "--agent", BROKER)
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    assert (found["consignor_uscc"], found["agent_uscc"]) == (CONSIGNOR, BROKER)
    assert found["recorded_by"].startswith("cli:") and found["revoked_at"] is None
    revoked = run(
        sqlite_url, "enterprises", "revoke-authorisation", found["id"], "--reason", "ended"
    )
    assert revoked.returncode == 0, revoked.stderr
    again = run(sqlite_url, "enterprises", "revoke-authorisation", found["id"], "--reason", "x")
    assert again.returncode == 2 and "已被撤销" in again.stderr
    listed = run(sqlite_url, "enterprises", "authorisations")
    assert json.loads(listed.stdout)["revocation_reason"] == "ended"
    assert run(sqlite_url, "audit", "verify").returncode == 0
