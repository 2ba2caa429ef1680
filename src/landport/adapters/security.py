"""Password hashing (Argon2id) and signed bearer tokens (HMAC-SHA256, no database round trip)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from landport.enterprises.model import Actor, Role

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _stand_in_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


#: Password checks of logins running at once in this process: each holds Argon2's ~64 MiB
#: for ~200 ms, so a flood of logins waits for a turn instead of exhausting memory.
MAX_CONCURRENT_CHECKS = 4
#: How long a login waits for a turn before it is answered "busy, try again shortly".
CHECK_WAIT_SECONDS = 2.0
_check_slots = threading.BoundedSemaphore(MAX_CONCURRENT_CHECKS)


class PasswordChecksBusy(Exception):
    """Every password-check slot stayed taken for `CHECK_WAIT_SECONDS`."""


@contextmanager
def password_check_slot(wait_seconds: float | None = None) -> Iterator[None]:
    """One of the `MAX_CONCURRENT_CHECKS` turns at checking a password; raises
    `PasswordChecksBusy` when none frees up in time (a blocked thread holds no Argon2 memory)."""
    wait = CHECK_WAIT_SECONDS if wait_seconds is None else wait_seconds
    if not _check_slots.acquire(timeout=wait):
        raise PasswordChecksBusy()
    try:
        yield
    finally:
        _check_slots.release()


def check_login(password_hash: str | None, password: str) -> bool:
    """The password check of a login; an unknown username (None) costs the same Argon2 work
    as a known one, so the answer's timing does not tell which accounts exist. A login takes
    its `password_check_slot()` around it."""
    if password_hash is None:
        verify_password(_stand_in_hash(), password)
        return False
    return verify_password(password_hash, password)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class InvalidToken(Exception):
    """The bearer token is malformed, forged or expired."""


@dataclass(frozen=True)
class TokenSigner:
    """Issues and checks bearer tokens that carry the actor's role and bindings."""

    secret: bytes
    ttl_seconds: int

    def issue(self, actor: Actor, now: float | None = None, *, generation: int = 0) -> str:
        """`generation`: the account's session generation at the login (`verify_session`)."""
        issued = int(now if now is not None else time.time())
        payload = {
            "sub": actor.username,
            "role": actor.role.value,
            "ent": actor.enterprise_uscc,
            "port": actor.port_id,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
            "jti": secrets.token_hex(8),  # every login its own token: one can end alone
            "gen": generation,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, now: float | None = None) -> Actor:
        return self.verify_session(token, now)[0]

    def verify_session(self, token: str, now: float | None = None) -> tuple[Actor, int]:
        """The actor and the account's session generation the token was issued under (0 for
        tokens from before generations): one older than the account's is withdrawn."""
        try:
            body, signature = token.split(".", 1)
        except ValueError:
            raise InvalidToken("malformed token") from None
        # as bytes: a signature with non-ASCII characters is a bad one, not a crash
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise InvalidToken("bad signature")
        try:
            payload = json.loads(_unb64(body))
            role = Role(payload["role"])
            generation = int(payload.get("gen", 0))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidToken("bad payload") from exc
        if payload["exp"] < (now if now is not None else time.time()):
            raise InvalidToken("expired")
        actor = Actor(payload["sub"], role, payload.get("ent"), payload.get("port"))
        return actor, generation

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())
