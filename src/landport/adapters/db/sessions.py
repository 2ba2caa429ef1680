"""Ended browser sessions: logging out must end the session on the server too.

Tokens are signed and carry who they are for, so a copied token would stay valid until it
expires. Logging out records the token's digest until then, and every request's token is
looked up here by that digest (one indexed read), as a cookie or as a bearer token alike.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from landport.adapters.db.audit import SqlAuditTrail
from landport.adapters.db.engine import writer_lock
from landport.adapters.db.tables import ended_sessions, users


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_session(
    engine: Engine, token: str, *, username: str, now: datetime, expires_at: datetime
) -> None:
    """Idempotent: a second logout with the same cookie changes nothing. The logout is
    audited with the row it writes (who ended which session: the token's digest, never the
    token), so the log shows when an account's access ended."""
    digest = token_digest(token)
    try:
        with writer_lock(engine) or nullcontext(), engine.begin() as conn:
            conn.execute(delete(ended_sessions).where(ended_sessions.c.expires_at < now))
            conn.execute(
                insert(ended_sessions).values(
                    token_digest=digest,
                    username=username,
                    ended_at=now,
                    expires_at=expires_at,
                )
            )
            audit = SqlAuditTrail(conn, now)
            audit.append(
                actor=username,
                action="session.ended",
                entity_type="user",
                entity_id=username,
                before=None,
                after={"session": digest, "valid_until": expires_at.isoformat()},
            )
            audit.flush()
    except IntegrityError:
        pass  # already ended


def session_withdrawn(engine: Engine, token: str, username: str, generation: int) -> bool:
    """Whether a token this server signed is no credential any more: its session ended by
    logging out, or its account deactivated, its password reset (a newer session
    generation) or gone since it was issued. One indexed read."""
    ended = (
        select(ended_sessions.c.token_digest)
        .where(ended_sessions.c.token_digest == token_digest(token))
        .exists()
    )
    with engine.connect() as conn:
        account = conn.execute(
            select(users.c.active, users.c.session_generation, ended.label("ended")).where(
                users.c.username == username
            )
        ).first()
    if account is None:
        return True
    return bool(account.ended) or not account.active or account.session_generation != generation
