"""PostgreSQL for bench/telemetry.py: PostGIS for the baseline, installed from Debian's
packages when missing (scratch databases come from `_support`).

Split from _telemetry_support.py (the MQTT side: broker, publisher, raw subscriber).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from _support import log

# --- PostgreSQL -----------------------------------------------------------------------------


def ensure_postgis(admin_url: str) -> str | None:
    """None if PostGIS is (now) available on the server, else why not.

    Installs Debian's `postgresql-N-postgis-3` (N from /etc/postgresql) when the extension is
    missing and the server is local; `apt-get update` only if the package is not found.
    """
    from sqlalchemy import create_engine, text

    def available() -> bool:
        engine = create_engine(admin_url)
        try:
            with engine.connect() as conn:
                return bool(
                    conn.execute(
                        text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
                    ).first()
                )
        finally:
            engine.dispose()

    try:
        if available():
            return None
    except Exception as exc:
        return f"PostgreSQL unreachable: {type(exc).__name__}: {exc}"
    versions = sorted(Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").exists() else []
    if not versions or shutil.which("apt-get") is None:
        return "PostGIS missing and the server is not a local Debian PostgreSQL"
    package = f"postgresql-{versions[-1].name}-postgis-3"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"[postgis] installing {package}")
    run = [["apt-get", "install", "-y", package]]
    ok = subprocess.run(run[0], env=env, capture_output=True, timeout=600).returncode == 0
    if not ok:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
        proc = subprocess.run(run[0], env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            return f"apt-get install {package} failed: {proc.stderr[-300:]}"
    try:
        return None if available() else f"{package} installed but postgis not available"
    except Exception as exc:
        return f"PostgreSQL unreachable after install: {exc}"
