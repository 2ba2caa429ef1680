"""Machine clients act with revocable API keys bound to a role and a resource, never a person's
password. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends
from sqlalchemy import select

from landport import bootstrap
from landport.adapters.db import tables as t
from landport.adapters.db.api_keys import api_key_store, hash_api_key
from landport.enterprises.api_keys import (
    IssueApiKey,
    RevokeApiKey,
    issuing_api_keys,
    revoking_api_keys,
)
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.machine_auth import (
    CACHE_SECONDS,
    Caller,
    require_machine_or_person,
)
from landport.entrypoints.web.routers import api_keys as api_keys_router
from world import World

# Until the integrator wires them in bootstrap.HANDLERS, app.py and cli/app.py, the tests
# register the handlers, the router and the CLI group themselves (harmless once wired).
_HANDLERS = {
    IssueApiKey: issuing_api_keys(api_key_store),
    RevokeApiKey: revoking_api_keys(api_key_store),
}
_CLI = (
    "from landport import bootstrap\n"
    "from landport.adapters.db.api_keys import api_key_store\n"
    "from landport.enterprises import api_keys as k\n"
    "bootstrap.HANDLERS.setdefault(k.IssueApiKey, k.issuing_api_keys(api_key_store))\n"
    "bootstrap.HANDLERS.setdefault(k.RevokeApiKey, k.revoking_api_keys(api_key_store))\n"
    "from landport.entrypoints.cli import api_keys\n"
    "from landport.entrypoints.cli.app import app, main\n"
    "api_keys.register(app)\n"
    "main()\n"
)
ADMIN = Actor("admin", Role.PORT_ADMIN)


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for command, handler in _HANDLERS.items():
        monkeypatch.setitem(bootstrap.HANDLERS, command, handler)
    w = World(database_url)
    app: Any = w.client.app
    if not any(getattr(r, "path", "") == "/api/v1/machine/whoami" for r in app.routes):
        app.include_router(api_keys_router.router)

    @app.get("/test/gate-event")
    def gate_event(
        caller: Annotated[Caller, Depends(require_machine_or_person(Role.YARD_OPERATOR))],
    ) -> dict[str, Any]:
        return {"actor": caller.actor.username, "resource_id": caller.resource_id}

    yield w
    w.close()


def issue(world: World, name: str = "gate-in-1-camera", **body: Any) -> Any:
    payload = {"name": name, "role": "yard_operator", "resource_id": "gate-in-1", **body}
    return world.post("admin", "/api/v1/api-keys", payload)


def as_device(world: World, key: str, path: str = "/api/v1/machine/whoami") -> Any:
    return world.client.get(path, headers={"X-API-Key": key})


def test_a_device_acts_with_its_key_until_the_administrator_revokes_it(world: World) -> None:
    issued = issue(world)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["key"].startswith("lpk_") and len(body["key"]) > 40
    assert issued.headers["cache-control"] == "no-store"

    me = as_device(world, body["key"])
    assert me.status_code == 200, me.text
    assert me.json() == {
        "actor": "key:gate-in-1-camera",
        "key_id": body["id"],
        "name": "gate-in-1-camera",
        "role": "yard_operator",
        "resource_id": "gate-in-1",
    }

    listing = world.get("admin", "/api/v1/api-keys").json()["items"]
    assert [k["name"] for k in listing] == ["gate-in-1-camera"]
    assert "key" not in listing[0] and "key_hash" not in listing[0]
    assert body["key"] not in str(listing)

    revoked = world.post(
        "admin", "/api/v1/api-keys/gate-in-1-camera/revoke", {"reason": "camera replaced"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["active"] is False and revoked.json()["revoked_by"] == "admin"
    assert as_device(world, body["key"]).status_code == 401
    again = world.post("admin", "/api/v1/api-keys/gate-in-1-camera/revoke", {"reason": "twice"})
    assert again.status_code == 409


def test_a_key_revoked_elsewhere_stops_working_within_seconds(world: World) -> None:
    key = issue(world).json()["key"]
    assert as_device(world, key).status_code == 200  # now cached
    # as the CLI or another worker would: this process's cache is not told
    world.services.bus.handle(RevokeApiKey(ADMIN, "gate-in-1-camera", "stolen"))
    started = time.monotonic()
    while as_device(world, key).status_code == 200:
        assert time.monotonic() - started < CACHE_SECONDS + 3, "revoked key still accepted"
        time.sleep(0.1)
    assert as_device(world, key).status_code == 401


def test_a_wrong_or_missing_key_is_refused(world: World) -> None:
    issue(world)
    wrong = as_device(world, "lpk_" + "x" * 43)
    assert wrong.status_code == 401
    assert wrong.json()["message_en"] and wrong.json()["message_zh"]
    assert world.client.get("/api/v1/machine/whoami").status_code == 401
    # a person's token is not a machine key
    assert world.get("admin", "/api/v1/machine/whoami").status_code == 401


def test_only_a_port_administrator_issues_or_revokes_keys(world: World) -> None:
    assert issue(world).status_code == 201
    payload = {"name": "rogue-camera", "role": "yard_operator"}
    assert world.post("exporter", "/api/v1/api-keys", payload).status_code == 403
    assert world.post("officer", "/api/v1/api-keys", payload).status_code == 403
    assert world.get("exporter", "/api/v1/api-keys").status_code == 403
    revoke = world.post("exporter", "/api/v1/api-keys/gate-in-1-camera/revoke", {"reason": "x"})
    assert revoke.status_code == 403
    assert world.client.post("/api/v1/api-keys", json=payload).status_code == 401


def test_every_broken_rule_of_a_new_key_is_reported_in_both_languages(world: World) -> None:
    response = issue(world, name="Gate 1!", role="port_admin", resource_id="Gate In")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("name", "api_key_name_format"),
        ("role", "role_not_for_machines"),
        ("resource_id", "resource_id_format"),
    }
    assert all(e["message_en"] and e["message_zh"] for e in errors)
    assert issue(world, role="captain").json()["errors"][0]["code"] == "unknown_role"
    assert issue(world).status_code == 201
    assert issue(world).status_code == 409  # names are never reused
    assert (
        world.post("admin", "/api/v1/api-keys/no-such-key/revoke", {"reason": "x"}).status_code
        == 404
    )


def test_gate_endpoints_admit_a_person_or_a_device_with_the_role(world: World) -> None:
    key = issue(world).json()["key"]
    device = as_device(world, key, "/test/gate-event")
    assert device.json() == {"actor": "key:gate-in-1-camera", "resource_id": "gate-in-1"}
    world.add_user("yard", "yard_operator")
    person = world.get("yard", "/test/gate-event")
    assert person.json() == {"actor": "yard", "resource_id": None}
    assert world.get("officer", "/test/gate-event").status_code == 403
    auditor_key = issue(world, name="audit-console", role="auditor").json()["key"]
    assert as_device(world, auditor_key, "/test/gate-event").status_code == 403
    assert as_device(world, "lpk_wrong", "/test/gate-event").status_code == 401
    assert world.client.get("/test/gate-event").status_code == 401


def test_the_audit_log_records_issue_and_revocation_but_never_the_key(world: World) -> None:
    key = issue(world).json()["key"]
    world.post("admin", "/api/v1/api-keys/gate-in-1-camera/revoke", {"reason": "decommissioned"})
    entries = world.get("auditor", "/api/v1/audit?entity_id=gate-in-1-camera").json()["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("api_key.issued", "admin"),
        ("api_key.revoked", "admin"),
    ]
    assert "decommissioned" in entries[1]["detail"]
    with world.services.read_engine.connect() as conn:
        everything = str([dict(r) for r in conn.execute(select(t.audit_log)).mappings()])
    assert key not in everything and hash_api_key(key) not in everything
    assert world.get("auditor", "/api/v1/audit/verify").json()["intact"] is True


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANDPORT_DATABASE__URL": url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_prints_a_working_key_once_and_revokes_it(world: World, database_url: str) -> None:
    created = cli(
        database_url, "api-keys", "create", "--name", "weighbridge-2", "--role",
        "yard_operator", "--resource", "wb-2",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    me = as_device(world, key)
    assert me.status_code == 200, me.text
    assert me.json()["resource_id"] == "wb-2"

    listed = cli(database_url, "api-keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert "weighbridge-2" in listed.stdout and key not in listed.stdout

    revoked = cli(
        database_url, "api-keys", "revoke", "--name", "weighbridge-2", "--reason", "moved"
    )
    assert revoked.returncode == 0, revoked.stderr
    started = time.monotonic()
    while as_device(world, key).status_code == 200:
        assert time.monotonic() - started < CACHE_SECONDS + 3
        time.sleep(0.1)

    refused = cli(database_url, "api-keys", "create", "--name", "x", "--role", "port_admin")
    assert refused.returncode == 2
    assert "may not carry role 'port_admin'" in refused.stderr
    assert "机器密钥不能使用角色" in refused.stderr
