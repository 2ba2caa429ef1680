"""The command line contract, run as a user would: a subprocess honouring LANDPORT_DATABASE__URL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from landport.adapters.db import tables as t

LANDPORT = str(Path(sys.executable).with_name("landport"))
USCC = "91330100716105852F"


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url}
    return subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def cli_db(database_url: str) -> str:
    return database_url


def test_operator_sets_up_a_port_and_verifies_the_audit_log(cli_db: str) -> None:
    assert run(cli_db, "db", "upgrade").returncode == 0
    created = run(
        cli_db,
        "enterprises",
        "create",
        "--uscc",
        USCC,
        "--name-zh",
        "杭州示例进出口",
        "--name-en",
        "Hangzhou Example Trading",
        "--province",
        "zhejiang",
        "--rating",
        "advanced",
        "--exports-here-since",
        "2024-05-20",
    )
    assert created.returncode == 0, created.stderr
    history = run(cli_db, "enterprises", "history", "--uscc", USCC, "--since", "2023-01-09")
    assert history.returncode == 0, history.stderr
    user = run(
        cli_db,
        "users",
        "create",
        "--username",
        "alice",
        "--password",
        "a long secret",
        "--role",
        "declarant",
        "--enterprise",
        USCC,
    )
    assert user.returncode == 0, user.stderr
    border = run(
        cli_db,
        "users",
        "create",
        "--username",
        "pemba",
        "--password",
        "a long secret",
        "--role",
        "border_officer",
        "--port",
        "zhangmu-port",
    )
    assert border.returncode == 0, border.stderr
    verified = run(cli_db, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout

    engine = create_engine(cli_db)
    with engine.begin() as conn:
        since = conn.execute(select(t.enterprises.c.exports_here_since)).scalar_one()
        assert since == date(2023, 1, 9)  # the history recorded after the registration
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 2).values(detail="forged"))
    engine.dispose()
    broken = run(cli_db, "audit", "verify")
    assert broken.returncode == 1
    assert "entry 2" in broken.stderr


def test_bad_input_is_refused_with_the_field_and_changes_nothing(sqlite_url: str) -> None:
    bad = run(
        sqlite_url,
        "enterprises",
        "create",
        "--uscc",
        "914403001922038217",
        "--name-zh",
        "某公司",
        "--name-en",
        "Some Co",
        "--province",
        "atlantis",
        "--rating",
        "general",
        "--exports-here-since",
        "2999-01-01",
    )
    assert bad.returncode == 2
    assert "uscc" in bad.stderr and "province" in bad.stderr
    assert "exports_here_since" in bad.stderr
    assert "校验码" in bad.stderr or "统一社会信用代码" in bad.stderr
    declarant = run(
        sqlite_url,
        "users",
        "create",
        "--username",
        "bob",
        "--password",
        "a long secret",
        "--role",
        "declarant",
    )
    assert declarant.returncode == 2 and "enterprise" in declarant.stderr
    # only the default ruleset and the three shipped routes: the refused commands wrote nothing
    assert "intact: 4 entries" in run(sqlite_url, "audit", "verify").stdout
