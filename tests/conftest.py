"""Shared fixtures: real databases (SQLite file and PostgreSQL), the app, logged-in clients.

Tests that need PostgreSQL skip with a reason when it is absent, and fail instead when
LANDPORT_REQUIRE_SERVICES=1 (as in CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from landport.adapters.db.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "LANDPORT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("LANDPORT_REQUIRE_SERVICES") == "1"


def service_up(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip (locally) or fail (in CI) when a service the test needs is not there."""
    if service_up(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} and LANDPORT_REQUIRE_SERVICES=1")
    pytest.skip(message)


class PostgresDatabases:
    """Creates throwaway databases from a migrated template, one per test."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.template = f"lp_template_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def make_template(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        upgrade(self.url_for(self.template))

    def new(self, *, migrated: bool = True) -> str:
        name = f"lp_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{self.template}"' if migrated else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
        self.created.append(name)
        return self.url_for(name)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in [*self.created, self.template]:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    url = make_url(POSTGRES_URL)
    need_service("PostgreSQL", url.host or "127.0.0.1", url.port or 5432)
    dbs = PostgresDatabases(POSTGRES_URL)
    dbs.make_template()
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database on each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "landport.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    dbs: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return dbs.new()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "landport.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


def auth_header(token: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def broker_port() -> Iterator[int]:
    """A Mosquitto of our own with the production configuration, per test module."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        if REQUIRE_SERVICES:
            pytest.fail("mosquitto is not installed and LANDPORT_REQUIRE_SERVICES=1")
        pytest.skip("mosquitto is not installed")
    from broker import mosquitto

    with mosquitto() as port:
        yield port
