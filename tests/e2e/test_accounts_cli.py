"""`landport users deactivate|reactivate|reset-password|list` as an administrator at the
shell runs them: the password asked for when not given, every change audited."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LANDPORT = str(Path(sys.executable).with_name("landport"))


def run(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [LANDPORT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def active(url: str, username: str) -> str:
    listed = run(url, "users", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if f" {username} " in line)
    return "yes" if " yes " in row else "no"


def test_an_account_is_deactivated_reset_and_reactivated_at_the_shell(sqlite_url: str) -> None:
    user = ("--username", "tashi", "--role", "customs_officer", "--password", "first-pass")
    assert run(sqlite_url, "users", "create", *user).returncode == 0
    off = run(sqlite_url, "users", "deactivate", "tashi", "--reason", "left the port")
    assert off.returncode == 0, off.stderr
    assert active(sqlite_url, "tashi") == "no"
    again = run(sqlite_url, "users", "deactivate", "tashi", "--reason", "twice")
    assert again.returncode == 2 and "already deactivated" in again.stderr
    assert "已停用" in again.stderr
    # The password is asked for, twice, and never echoed.
    reset = run(
        sqlite_url,
        *("users", "reset-password", "tashi", "--reason", "new start"),
        stdin="second-pass\nsecond-pass\n",
    )
    assert reset.returncode == 0, reset.stderr
    assert "second-pass" not in reset.stdout + reset.stderr
    on = run(sqlite_url, "users", "reactivate", "tashi", "--reason", "returned")
    assert on.returncode == 0, on.stderr
    assert active(sqlite_url, "tashi") == "yes"
    short = run(
        sqlite_url, "users", "reset-password", "tashi", "--reason", "x", "--password", "short"
    )
    assert short.returncode == 2 and "--password" in short.stderr
    verified = run(sqlite_url, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout
