"""Machine clients authenticate with `X-API-Key`; people keep their bearer tokens.

Keys are looked up by their SHA-256 hash among the active ones. Lookups are cached for
`CACHE_SECONDS` per application, so a camera posting every plate does not hit the database
each time; a key revoked elsewhere (the CLI, another worker) stops working within that
time, and one revoked through this application's API at once (`forget_api_keys`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine

from landport.adapters.db.api_keys import find_active_key, hash_api_key
from landport.enterprises.api_keys import MachineActor
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import ServicesDep, Unauthenticated, current_actor, oauth2
from landport.shared.errors import Forbidden

CACHE_SECONDS = 2.0
_CACHE_LIMIT = 4096


class KeyCache:
    """Hash -> (expiry, machine or None) for a few seconds; misses are cached too."""

    def __init__(self, ttl: float = CACHE_SECONDS, now: Callable[[], float] = time.monotonic):
        self._ttl = ttl
        self._now = now
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, MachineActor | None]] = {}

    def lookup(self, engine: Engine, key: str) -> MachineActor | None:
        digest = hash_api_key(key)
        now = self._now()
        with self._lock:
            hit = self._entries.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = find_active_key(engine, key)
        machine = MachineActor.of(found) if found is not None else None
        with self._lock:
            if len(self._entries) >= _CACHE_LIMIT:
                self._entries.clear()
            self._entries[digest] = (now + self._ttl, machine)
        return machine

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def key_cache(request: Request) -> KeyCache:
    """One cache per application, created on first use."""
    state = request.app.state
    cache: KeyCache | None = getattr(state, "api_key_cache", None)
    if cache is None:
        cache = state.api_key_cache = KeyCache()
    return cache


def forget_api_keys(request: Request) -> None:
    """After a revocation here: no cached lookup may outlive it in this process."""
    key_cache(request).clear()


def _machine(request: Request, services: ServicesDep, key: str) -> MachineActor:
    machine = key_cache(request).lookup(services.read_engine, key)
    if machine is None:
        raise Unauthenticated("unknown or revoked API key", "API 密钥无效或已被吊销")
    return machine


def machine_actor(
    request: Request,
    services: ServicesDep,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None,
) -> MachineActor:
    """A device with an active key; anything else is 401."""
    if not x_api_key:
        raise Unauthenticated("an X-API-Key header is required", "需要 X-API-Key 请求头")
    return _machine(request, services, x_api_key)


Machine = Annotated[MachineActor, Depends(machine_actor)]


@dataclass(frozen=True, slots=True)
class Caller:
    """A person or a device; `actor` is what commands carry (``key:<name>`` for a device)."""

    actor: Actor
    machine: MachineActor | None = None

    @property
    def resource_id(self) -> str | None:
        return self.machine.resource_id if self.machine else None


def require_machine_or_person(*roles: Role) -> Callable[..., Caller]:
    """A person's bearer token or a device's key, either way with one of `roles`; else 403.

    A request carrying an `X-API-Key` is judged by the key alone.
    """
    allowed = frozenset(roles)

    def check(
        request: Request,
        services: ServicesDep,
        token: Annotated[str | None, Depends(oauth2)],
        x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None,
    ) -> Caller:
        if x_api_key:
            machine = _machine(request, services, x_api_key)
            caller = Caller(machine.actor, machine)
        else:
            caller = Caller(current_actor(services, token))
        if caller.actor.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(
                f"role '{caller.actor.role.value}' may not do this (allowed: {names})",
                f"角色「{caller.actor.role.value}」无权执行此操作",
            )
        return caller

    return check
