"""The e-lock pool's JT/T 808 commands as an operator runs them: register, reset registration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from landport.adapters.db import tables as t
from landport.adapters.telemetry.jt808_wiring import SealDirectory
from landport.bootstrap import bootstrap
from landport.settings import DatabaseSettings, Settings

LANDPORT = str(Path(sys.executable).with_name("landport"))
SECRET = "s3cret-key-of-the-e-lock-0808"


def landport(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_an_operator_registers_a_jt808_lock_and_resets_its_registration(database_url: str) -> None:
    register = ("seals", "register", "--seal-id", "EL-0808", "--protocol", "jt808")
    unknown = landport(database_url, *register, "--vendor", "Huali", "--secret", SECRET)
    assert unknown.returncode != 0 and "unknown_jt808_vendor" in unknown.stdout + unknown.stderr
    registered = landport(
        database_url, *register, "--vendor", "generic", "--secret", SECRET,
        "--terminal-id", "013900000808",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stdout + registered.stderr
    reset = ("seals", "reset-registration", "--seal-id", "EL-0808", "--reason", "new SIM")
    nothing = landport(database_url, *reset)
    assert nothing.returncode != 0  # the terminal has not registered yet
    services = bootstrap(Settings(environment="test", database=DatabaseSettings(url=database_url)))
    try:
        directory = SealDirectory(services.engine)
        first = directory.register("13900000808")
        assert first.result == 0
        assert directory.register("13900000808").result == 3
        done = landport(database_url, *reset)
        assert done.returncode == 0, done.stdout + done.stderr
        assert directory.authenticate("13900000808", first.auth_code) is None
        assert directory.register("13900000808").result == 0
        with services.engine.connect() as conn:
            actors = conn.execute(
                select(t.audit_log.c.actor).where(
                    t.audit_log.c.action == "seal.terminal_registration_reset"
                )
            ).scalars()
            assert [a.startswith("cli:") for a in actors] == [True]
    finally:
        services.dispose()
