"""Logging out ends the token itself, however it is presented afterwards."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import select

from landport.adapters.db import tables as t
from landport.enterprises.model import Role
from landport.entrypoints.web.deps import SESSION_COOKIE
from landport.entrypoints.web.machine_auth import Caller, require_machine_or_person
from world import PASSWORD, World

ORIGIN = {"origin": "http://testserver"}


def _browser_login(world: World) -> str:
    form = {"username": "officer", "password": PASSWORD, "next": ""}
    response = world.client.post("/login", data=form, headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 303
    token: str = response.cookies[SESSION_COOKIE]
    return token


def test_a_logged_out_sessions_token_is_refused_as_a_bearer_token_too(world: World) -> None:
    token = _browser_login(world)
    bearer = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/me", headers=bearer).status_code == 200
    logout = world.client.post("/logout", headers=ORIGIN, follow_redirects=False)
    assert logout.status_code == 303
    world.client.cookies.clear()
    refused = world.client.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    # A write is refused the same way (no CSRF question: the header carries the token).
    write = world.client.post("/api/v1/declarations", json={}, headers=bearer)
    assert write.status_code == 401


def test_bearer_tokens_and_api_keys_keep_working_beside_an_ended_session(world: World) -> None:
    _browser_login(world)
    world.client.post("/logout", headers=ORIGIN, follow_redirects=False)
    world.client.cookies.clear()
    # The same person's token from the API is another token: it is not ended.
    assert world.get("officer", "/api/v1/me").status_code == 200
    assert world.get("officer", "/api/v1/ping").json() == {"pong": "officer"}
    # A forged token is still a bad token (and costs no lookup of ended sessions).
    forged = world.client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def"})
    assert forged.status_code == 401


def test_a_device_key_is_judged_alone_even_beside_an_ended_token(world: World) -> None:
    app: Any = world.client.app

    @app.get("/test/gate-event")
    def gate_event(
        caller: Annotated[Caller, Depends(require_machine_or_person(Role.YARD_OPERATOR))],
    ) -> dict[str, Any]:
        return {"actor": caller.actor.username}

    created = world.post(
        "admin",
        "/api/v1/api-keys",
        {"name": "gate-in-1-camera", "role": "yard_operator", "resource_id": "gate-in-1"},
    )
    assert created.status_code == 201, created.text
    ended = _browser_login(world)
    world.client.post("/logout", headers=ORIGIN, follow_redirects=False)
    world.client.cookies.clear()
    headers = {"X-API-Key": created.json()["key"], "Authorization": f"Bearer {ended}"}
    answer = world.client.get("/test/gate-event", headers=headers)
    assert answer.status_code == 200 and answer.json() == {"actor": "key:gate-in-1-camera"}
    # Without the key, the ended token opens nothing.
    del headers["X-API-Key"]
    assert world.client.get("/test/gate-event", headers=headers).status_code == 401


def test_an_api_client_ends_its_own_bearer_token(world: World) -> None:
    token = world.client.post(
        "/api/v1/auth/token", data={"username": "officer", "password": PASSWORD}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/me", headers=bearer).status_code == 200
    assert world.client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    assert world.client.get("/api/v1/me", headers=bearer).status_code == 401
    assert world.client.post("/api/v1/auth/logout", headers=bearer).status_code == 401
    # Another token of the same officer is not affected.
    other = world.headers("officer")
    assert world.client.get("/api/v1/me", headers=other).status_code == 200
    assert world.client.post("/api/v1/auth/logout").status_code == 401


def test_a_logout_is_audited_once_without_the_token(world: World) -> None:
    """Ending a session writes a row: the audit log says who ended which session (by the
    token's digest, never the token), from the browser and from the API alike, and a
    repeated logout adds nothing."""
    token = _browser_login(world)
    for _ in range(2):  # the second with the same cookie: already ended
        world.client.cookies.set(SESSION_COOKIE, token)
        logout = world.client.post("/logout", headers=ORIGIN, follow_redirects=False)
        assert logout.status_code == 303
    world.client.cookies.clear()
    bearer = world.headers("border")
    for _ in range(2):
        world.client.post("/api/v1/auth/logout", headers=bearer)
    entries = world.get("auditor", "/api/v1/audit?limit=1000").json()["items"]
    ended = [e for e in entries if e["action"] == "session.ended"]
    assert sorted((e["actor"], e["entity_id"]) for e in ended) == [
        ("border", "border"),
        ("officer", "officer"),
    ]
    with world.services.read_engine.connect() as conn:
        everything = str([dict(r) for r in conn.execute(select(t.audit_log)).mappings()])
    assert token not in everything and bearer["Authorization"][7:] not in everything
    assert world.get("auditor", "/api/v1/audit/verify").json()["intact"] is True
