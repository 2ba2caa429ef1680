"""Ended browser sessions: logging out must end the session on the server too.

Tokens are signed and carry who they are for, so a copied token would stay valid until it
expires. Logging out records the token's digest until then, and every request's token is
looked up here by that digest (one indexed read), as a cookie or as a bearer token alike.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from landport.adapters.db.tables import ended_sessions


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_session(
    engine: Engine, token: str, *, username: str, now: datetime, expires_at: datetime
) -> None:
    """Idempotent: a second logout with the same cookie changes nothing."""
    try:
        with engine.begin() as conn:
            conn.execute(delete(ended_sessions).where(ended_sessions.c.expires_at < now))
            conn.execute(
                insert(ended_sessions).values(
                    token_digest=token_digest(token),
                    username=username,
                    ended_at=now,
                    expires_at=expires_at,
                )
            )
    except IntegrityError:
        pass  # already ended


def session_ended(engine: Engine, token: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            select(ended_sessions.c.token_digest).where(
                ended_sessions.c.token_digest == token_digest(token)
            )
        ).first()
    return found is not None
