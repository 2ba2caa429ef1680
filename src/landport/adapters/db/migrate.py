"""Alembic, configured in code so the CLI and the tests migrate the same way on both engines."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from landport.adapters.db.engine import _ensure_sqlite_dir, is_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the tables in code and the migrations disagree (alembic check)."""
    command.check(alembic_config(url))
