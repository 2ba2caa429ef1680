"""API keys of machine clients: generated and hashed here; stored as SHA-256, never in clear."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from landport.adapters.db.yard_tables import api_keys as keys_table
from landport.enterprises.api_keys import ApiKey
from landport.enterprises.model import Role

KEY_PREFIX = "lpk_"  # recognisable in a config file or a leaked log, for secret scanners


def new_api_key() -> tuple[str, str]:
    """A fresh key (256 bits of randomness) and its SHA-256 hash: show the first once only."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, hash_api_key(key)


def hash_api_key(key: str) -> str:
    """A key is random and long: a fast hash is enough, and lets each request find it by index."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def _key(r: Mapping[Any, Any]) -> ApiKey:
    return ApiKey(
        id=r["id"],
        name=r["name"],
        role=Role(r["role"]),
        resource_id=r["resource_id"],
        active=bool(r["active"]),
        created_at=r["created_at"],
        created_by=r["created_by"],
        revoked_at=r["revoked_at"],
        revoked_by=r["revoked_by"],
    )


_METADATA = [c for c in keys_table.c if c.name != "key_hash"]


class SqlApiKeyStore:
    """The `ApiKeyStore` of a unit of work: same connection, same transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, name: str) -> ApiKey | None:
        row = (
            self._conn.execute(select(*_METADATA).where(keys_table.c.name == name))
            .mappings()
            .one_or_none()
        )
        return None if row is None else _key(row)

    def add(self, key: ApiKey, key_hash: str) -> None:
        self._conn.execute(
            insert(keys_table).values(
                id=key.id,
                name=key.name,
                key_hash=key_hash,
                role=key.role.value,
                resource_id=key.resource_id,
                active=key.active,
                created_at=key.created_at,
                created_by=key.created_by,
            )
        )

    def revoke(self, name: str, at: datetime, by: str) -> None:
        self._conn.execute(
            update(keys_table)
            .where(keys_table.c.name == name)
            .values(active=False, revoked_at=at, revoked_by=by)
        )


def api_key_store(uow: Any) -> SqlApiKeyStore:
    """The store of a `SqlUnitOfWork`."""
    return SqlApiKeyStore(uow.conn)


def find_active_key(engine: Engine, key: str) -> ApiKey | None:
    """The active key with this clear value, looked up by its hash; None if unknown or revoked."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(*_METADATA).where(
                    keys_table.c.key_hash == hash_api_key(key), keys_table.c.active.is_(True)
                )
            )
            .mappings()
            .one_or_none()
        )
    return None if row is None else _key(row)


def list_api_keys(engine: Engine) -> list[ApiKey]:
    """Every key ever issued, revoked ones too: metadata only."""
    with engine.connect() as conn:
        rows = conn.execute(select(*_METADATA).order_by(keys_table.c.name)).mappings().all()
    return [_key(r) for r in rows]
