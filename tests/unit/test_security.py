"""Tokens carry the actor and cannot be forged or outlive their time; settings guard secrets."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from landport.adapters.security import InvalidToken, TokenSigner, hash_password, verify_password
from landport.enterprises.model import Actor, Role
from landport.settings import Settings

SIGNER = TokenSigner(b"k" * 32, ttl_seconds=60)
ALICE = Actor("alice", Role.DECLARANT, "91330100716105852F")


def test_a_token_round_trips_the_actor() -> None:
    assert SIGNER.verify(SIGNER.issue(ALICE, now=1000), now=1010) == ALICE


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(InvalidToken, match="expired"):
        SIGNER.verify(SIGNER.issue(ALICE, now=1000), now=1061)


def test_a_token_signed_with_another_key_is_refused() -> None:
    other = TokenSigner(b"x" * 32, ttl_seconds=60)
    with pytest.raises(InvalidToken, match="signature"):
        SIGNER.verify(other.issue(ALICE, now=1000), now=1000)


def test_an_edited_role_breaks_the_signature() -> None:
    _body, signature = SIGNER.issue(ALICE, now=1000).split(".")
    officer = TokenSigner(b"k" * 32, 60).issue(Actor("alice", Role.PORT_ADMIN), now=1000)
    with pytest.raises(InvalidToken):
        SIGNER.verify(f"{officer.split('.')[0]}.{signature}", now=1000)


def test_passwords_are_argon2_hashes() -> None:
    hashed = hash_password("a long secret")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long secret")
    assert not verify_password(hashed, "a long secreT")


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANDPORT_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()
    monkeypatch.setenv("LANDPORT_AUTH__SECRET_KEY", "a-real-secret-from-the-vault-4f9c2e7a")
    assert Settings().environment == "production"


def test_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANDPORT_DATABASE__URL", "postgresql+psycopg://u@db/landport")
    assert Settings().database.url == "postgresql+psycopg://u@db/landport"


def test_a_token_carries_its_accounts_session_generation() -> None:
    """The generation is signed with the rest: a token cannot be moved onto a newer one."""
    actor = Actor("alice", Role.PORT_ADMIN)
    token = SIGNER.issue(actor, generation=3)
    assert SIGNER.verify_session(token) == (actor, 3)
    assert SIGNER.verify_session(SIGNER.issue(actor)) == (actor, 0)
    body, signature = token.split(".", 1)
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["gen"] = 4
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(InvalidToken):
        SIGNER.verify_session(f"{forged}.{signature}")
