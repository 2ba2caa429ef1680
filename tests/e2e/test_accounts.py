"""A port administrator deactivates, reactivates and resets the password of an account: the
person's tokens stop working on the next request, however they are sent, and each change is
audited with its reason."""

from __future__ import annotations

import time
from typing import Any

import pytest

from landport.enterprises.accounts import DeactivateUser
from landport.enterprises.model import SYSTEM_ACTOR
from landport.entrypoints.web.deps import SESSION_COOKIE
from landport.shared.errors import Conflict
from world import PASSWORD, World

ORIGIN = {"origin": "http://testserver"}


def login(world: World, username: str, password: str = PASSWORD) -> Any:
    return world.client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(world: World, token: str) -> int:
    status: int = world.client.get("/api/v1/me", headers=bearer(token)).status_code
    return status


def browser_session(world: World) -> str:
    form = {"username": "officer", "password": PASSWORD, "next": ""}
    response = world.client.post("/login", data=form, headers=ORIGIN, follow_redirects=False)
    assert response.status_code == 303
    token: str = response.cookies[SESSION_COOKIE]
    world.client.cookies.clear()
    return token


def account_actions(world: World, username: str) -> list[tuple[str, str, str]]:
    entries = world.get("auditor", f"/api/v1/audit?entity_id={username}").json()["items"]
    return [(e["action"], e["actor"], e["detail"]) for e in entries if e["entity_type"] == "user"]


def test_a_deactivated_officer_is_shut_out_at_once_and_let_back_in(world: World) -> None:
    token = login(world, "officer").json()["access_token"]
    cookie = browser_session(world)
    assert me(world, token) == 200
    world.client.cookies.set(SESSION_COOKIE, cookie)
    assert world.client.get("/console/customs", follow_redirects=False).status_code == 200
    world.client.cookies.clear()
    done = world.post("admin", "/api/v1/users/officer/deactivate", {"reason": "left the port"})
    assert done.status_code == 200, done.text
    assert done.json()["active"] is False
    # The bearer token and the browser's cookie are refused from the next request on ...
    assert me(world, token) == 401
    world.client.cookies.set(SESSION_COOKIE, cookie)
    page = world.client.get("/console/customs", follow_redirects=False)
    api = world.client.get("/api/v1/me")
    world.client.cookies.clear()
    assert (page.status_code, page.headers.get("location", "")[:6]) == (303, "/login")
    assert api.status_code == 401
    # ... and so is a new login with the right password.
    assert login(world, "officer").status_code == 401
    listed = {u["username"]: u for u in world.get("admin", "/api/v1/users").json()["items"]}
    assert listed["officer"]["active"] is False

    back = world.post("admin", "/api/v1/users/officer/reactivate", {"reason": "returned"})
    assert back.status_code == 200 and back.json()["active"] is True
    fresh = login(world, "officer")
    assert fresh.status_code == 200
    assert me(world, fresh.json()["access_token"]) == 200
    assert me(world, token) == 401  # a token from before the deactivation stays ended
    assert account_actions(world, "officer") == [
        ("user.created", "system", ""),
        ("user.deactivated", "admin", "left the port"),
        ("user.reactivated", "admin", "returned"),
    ]
    assert world.get("auditor", "/api/v1/audit/verify").json()["intact"] is True


def test_a_password_reset_ends_the_old_password_and_every_earlier_token(world: World) -> None:
    old = login(world, "exporter").json()["access_token"]
    reset = world.post(
        "admin",
        "/api/v1/users/exporter/password",
        {"password": "a-new-long-password", "reason": "password seen on a shared screen"},
    )
    assert reset.status_code == 200, reset.text
    assert "password" not in reset.json()
    assert me(world, old) == 401
    assert login(world, "exporter").status_code == 401
    new = login(world, "exporter", "a-new-long-password")
    assert new.status_code == 200
    assert me(world, new.json()["access_token"]) == 200
    # Others' sessions are untouched.
    assert world.get("competitor", "/api/v1/me").status_code == 200
    assert account_actions(world, "exporter")[-1] == (
        "user.password_reset",
        "admin",
        "password seen on a shared screen",
    )


@pytest.mark.parametrize(
    ("user", "path", "body", "status", "field"),
    [
        ("officer", "/api/v1/users/exporter/deactivate", {"reason": "x"}, 403, None),
        (
            "exporter",
            "/api/v1/users/competitor/password",
            {"password": "p" * 10, "reason": "x"},
            403,
            None,
        ),
        ("admin", "/api/v1/users/admin/deactivate", {"reason": "testing"}, 409, None),
        ("admin", "/api/v1/users/nobody/deactivate", {"reason": "gone"}, 404, None),
        ("admin", "/api/v1/users/officer/reactivate", {"reason": "is active"}, 409, None),
        ("admin", "/api/v1/users/officer/deactivate", {"reason": ""}, 422, "reason"),
        ("admin", "/api/v1/users/officer/deactivate", {"reason": "   "}, 422, "reason"),
        (
            "admin",
            "/api/v1/users/officer/password",
            {"password": "short", "reason": "x"},
            422,
            "password",
        ),
    ],
    ids=[
        "officer",
        "declarant",
        "self",
        "unknown",
        "already-active",
        "no-reason",
        "blank-reason",
        "short-password",
    ],
)
def test_refused_account_changes_change_nothing(
    world: World, user: str, path: str, body: dict[str, str], status: int, field: str | None
) -> None:
    before = world.get("admin", "/api/v1/users").json()["items"]
    entries = len(world.get("auditor", "/api/v1/audit?limit=1000").json()["items"])
    officer = login(world, "officer").json()["access_token"]
    refused = world.post(user, path, body)
    assert refused.status_code == status, refused.text
    if field is not None:
        assert field in refused.text and "message_zh" in refused.text
    assert world.get("admin", "/api/v1/users").json()["items"] == before
    assert len(world.get("auditor", "/api/v1/audit?limit=1000").json()["items"]) == entries
    assert me(world, officer) == 200


def test_the_last_active_port_administrator_cannot_be_deactivated(world: World) -> None:
    """Someone must be able to manage accounts: the shell's administrator (not a user) may
    not deactivate the last one either; with two, one may deactivate the other."""
    world.add_user("admin2", "port_admin")
    done = world.post("admin2", "/api/v1/users/admin/deactivate", {"reason": "left"})
    assert done.status_code == 200, done.text
    with pytest.raises(Conflict) as refused:
        world.services.bus.handle(DeactivateUser(SYSTEM_ACTOR, "admin2", "testing"))
    assert "last active port administrator" in refused.value.message_en
    assert world.get("admin2", "/api/v1/me").status_code == 200


def test_an_open_live_stream_ends_when_its_account_is_deactivated(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screen left open by a person who is let go stops receiving the port's events within
    seconds, not at the end of the stream's lifetime, and cannot reconnect."""
    from landport.entrypoints.web.routers import events

    monkeypatch.setattr(events, "SESSION_CHECK_S", 0.2)
    monkeypatch.setattr(events, "KEEPALIVE_S", 0.05)
    monkeypatch.setattr(events, "STREAM_LIFETIME_S", 30.0)
    token = login(world, "officer").json()["access_token"]
    started = time.monotonic()
    with world.client.stream("GET", "/api/v1/events/stream", headers=bearer(token)) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        done = world.post("admin", "/api/v1/users/officer/deactivate", {"reason": "left"})
        assert done.status_code == 200, done.text
        rest = list(lines)  # the stream ends by itself
    assert time.monotonic() - started < 10.0
    assert "event: session.ended" in rest
    again = world.client.get("/api/v1/events/stream", headers=bearer(token))
    assert again.status_code == 401


def test_a_live_stream_of_an_active_account_runs_its_lifetime(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from landport.entrypoints.web.routers import events

    monkeypatch.setattr(events, "SESSION_CHECK_S", 0.1)
    monkeypatch.setattr(events, "KEEPALIVE_S", 0.05)
    monkeypatch.setattr(events, "STREAM_LIFETIME_S", 0.6)
    token = login(world, "officer").json()["access_token"]
    text = world.client.get("/api/v1/events/stream", headers=bearer(token)).text
    assert "session.ended" not in text and text.count(": keepalive") >= 3
