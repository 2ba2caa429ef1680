"""JT/T 808 terminal registrations: the auth code issued to each terminal, kept as a hash.

A terminal registers (0x0100) once and is issued a fresh random auth code (0x8100); it keeps
the code and authenticates (0x0102) with it on every connection. Only the code's SHA-256 is
stored: the code is random and long, so a fast hash is enough, and a database dump gives no
code to authenticate with. A second registration is refused until an officer resets the
terminal's registration (`ResetTerminalRegistration`), which deletes the row.

The seal's own secret never goes on the wire: it is not the auth code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from landport.adapters.db import tables as t

#: 128 random bits as 32 hex digits: short enough for any terminal's auth-code field.
AUTH_CODE_BYTES = 16


def new_auth_code() -> str:
    return secrets.token_hex(AUTH_CODE_BYTES)


def auth_code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


_NO_HASH = "0" * 64


def auth_code_matches(code: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of the code's hash with the stored one (False if none)."""
    matches = hmac.compare_digest(auth_code_hash(code), stored_hash or _NO_HASH)
    return matches and stored_hash is not None


def issue(conn: Connection, seal_id: str, now: datetime) -> str:
    """Register the seal's terminal: a new code, of which only the hash is stored.

    Raises IntegrityError if the terminal has registered: of two registrations at once,
    the insert lets one through.
    """
    code = new_auth_code()
    conn.execute(
        insert(t.jt808_registrations).values(
            seal_id=seal_id, auth_code_hash=auth_code_hash(code), registered_at=now
        )
    )
    return code


def stored_hash(conn: Connection, seal_id: str) -> str | None:
    return conn.execute(
        select(t.jt808_registrations.c.auth_code_hash).where(
            t.jt808_registrations.c.seal_id == seal_id
        )
    ).scalar_one_or_none()


class SqlTerminalRegistrations:
    """The registrations as the custody handlers change them, in the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def forget(self, seal_id: str) -> datetime | None:
        r = t.jt808_registrations
        registered_at: datetime | None = self._conn.execute(
            select(r.c.registered_at).where(r.c.seal_id == seal_id)
        ).scalar_one_or_none()
        if registered_at is None:
            return None
        deleted = self._conn.execute(delete(r).where(r.c.seal_id == seal_id))
        return registered_at if deleted.rowcount == 1 else None  # a concurrent reset won


def terminal_registrations(uow: Any) -> SqlTerminalRegistrations:
    """The store of a `SqlUnitOfWork`: same connection, same transaction."""
    return SqlTerminalRegistrations(uow.conn)
