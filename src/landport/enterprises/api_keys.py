"""Machine clients (gate cameras, scanner consoles, weighbridges) act with revocable API keys.

A key is bound to one role and, optionally, one resource (``gate-in-1``); it is never a
person's password. The core never sees the clear key: the adapter generates it, hands the
core only its SHA-256 hash, and shows the clear key once. Audit entries name the key by its
id, name, role and resource, never by the key or its hash.

`Actor` (enterprises/model.py) has no resource field, so a machine is represented twice:
`MachineActor` carries everything the key is bound to (the resource included) for the
entrypoints, and `MachineActor.actor` is the plain `Actor` the handlers see, named
``key:<name>``: the audit log then records every event a device posts under its key. The
name is unique, so ``key:<name>`` leads back to the key's resource without a second field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from landport.declarations.ports import ClearanceContext, UnitOfWork
from landport.enterprises.model import Actor, Role
from landport.shared.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Violation,
    required_reason,
)

KEY_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
RESOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MACHINE_PREFIX = "key:"

#: Roles a key may not carry: an administrator key could issue keys and users, and a
#: declarant must be bound to an enterprise, which a key is not.
NOT_FOR_MACHINES = frozenset({Role.PORT_ADMIN, Role.DECLARANT})


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What is known about a key once issued: metadata only, never the key."""

    id: str
    name: str
    role: Role
    resource_id: str | None
    active: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "resource_id": self.resource_id,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
        }


@dataclass(frozen=True, slots=True)
class MachineActor:
    """A device acting with an active key: its role and the resource it is bound to."""

    key_id: str
    name: str
    role: Role
    resource_id: str | None = None

    @property
    def actor(self) -> Actor:
        """The actor the handlers and the audit log see: ``key:<name>``, no person."""
        return Actor(username=f"{MACHINE_PREFIX}{self.name}", role=self.role, port_id=None)

    @classmethod
    def of(cls, key: ApiKey) -> MachineActor:
        return cls(key.id, key.name, key.role, key.resource_id)


def is_machine(actor: Actor) -> bool:
    return actor.username.startswith(MACHINE_PREFIX)


@dataclass(frozen=True)
class IssueApiKey:
    """The key arrives already hashed (SHA-256 hex): the core never sees a clear key."""

    actor: Actor
    name: str
    role: str
    resource_id: str | None
    key_hash: str


@dataclass(frozen=True)
class RevokeApiKey:
    actor: Actor
    name: str
    reason: str


class ApiKeyStore(Protocol):
    """The keys, in the unit of work's transaction."""

    def get(self, name: str) -> ApiKey | None: ...

    def add(self, key: ApiKey, key_hash: str) -> None: ...

    def revoke(self, name: str, at: datetime, by: str) -> None: ...


KeyStoreFor = Callable[[Any], ApiKeyStore]  # the unit of work -> its key store


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.PORT_ADMIN or is_machine(actor):
        raise Forbidden(
            "only a port administrator may manage API keys", "只有口岸管理员可以管理 API 密钥"
        )


def _name_violation(name: str) -> Violation | None:
    if KEY_NAME.match(name):
        return None
    return Violation(
        "name",
        "api_key_name_format",
        "name must be 3-64 lower-case letters, digits, '.', '_' or '-'",
        "密钥名称须为 3 至 64 位小写字母、数字或 . _ -",
    )


def _issue_violations(cmd: IssueApiKey) -> list[Violation]:
    problems: list[Violation] = []
    if (bad := _name_violation(cmd.name)) is not None:
        problems.append(bad)
    allowed = [r.value for r in Role if r not in NOT_FOR_MACHINES]
    if cmd.role not in {r.value for r in Role}:
        problems.append(
            Violation(
                "role",
                "unknown_role",
                "role must be one of: " + ", ".join(r.value for r in Role),
                "角色须为以下之一：" + "、".join(r.value for r in Role),
            )
        )
    elif Role(cmd.role) in NOT_FOR_MACHINES:
        problems.append(
            Violation(
                "role",
                "role_not_for_machines",
                f"a machine key may not carry role '{cmd.role}' (allowed: {', '.join(allowed)})",
                f"机器密钥不能使用角色「{cmd.role}」",
            )
        )
    if cmd.resource_id is not None and not RESOURCE_ID.match(cmd.resource_id):
        problems.append(
            Violation(
                "resource_id",
                "resource_id_format",
                "resource_id must be 1-40 lower-case letters, digits, '.', '_' or '-'",
                "资源编号须为 1 至 40 位小写字母、数字或 . _ -",
            )
        )
    if not SHA256_HEX.match(cmd.key_hash):
        problems.append(
            Violation(
                "key_hash",
                "key_hash_format",
                "key_hash must be the SHA-256 of the key, in lower-case hex",
                "密钥摘要须为 SHA-256 十六进制小写",
            )
        )
    return problems


def issuing_api_keys(store_for: KeyStoreFor) -> Callable[..., ApiKey]:
    """The handler of `IssueApiKey`, bound to the key store of each unit of work."""

    def issue_api_key(cmd: IssueApiKey, uow: UnitOfWork, ctx: ClearanceContext) -> ApiKey:
        _require_admin(cmd.actor)
        problems = _issue_violations(cmd)
        if problems:
            raise InvalidInput(problems)
        store = store_for(uow)
        if store.get(cmd.name) is not None:
            raise Conflict(
                f"an API key named {cmd.name} already exists (names are never reused)",
                "同名 API 密钥已存在（名称不可重复使用）",
            )
        key = ApiKey(
            id=ctx.new_id(),
            name=cmd.name,
            role=Role(cmd.role),
            resource_id=cmd.resource_id,
            active=True,
            created_at=ctx.clock.now(),
            created_by=cmd.actor.username,
        )
        store.add(key, cmd.key_hash)
        uow.audit.append(
            actor=cmd.actor.username,
            action="api_key.issued",
            entity_type="api_key",
            entity_id=key.name,
            before=None,
            after=_audited(key),
            detail=f"id={key.id} role={key.role.value} resource={key.resource_id or '-'}",
        )
        return key

    return issue_api_key


def revoking_api_keys(store_for: KeyStoreFor) -> Callable[..., ApiKey]:
    """The handler of `RevokeApiKey`: the key stops working; its record and name stay."""

    def revoke_api_key(cmd: RevokeApiKey, uow: UnitOfWork, ctx: ClearanceContext) -> ApiKey:
        _require_admin(cmd.actor)
        reason = required_reason(cmd.reason, max_len=500)
        store = store_for(uow)
        key = store.get(cmd.name)
        if key is None:
            raise NotFound(f"no API key named {cmd.name}", "该 API 密钥不存在")
        if not key.active:
            raise Conflict(f"API key {cmd.name} is already revoked", "该 API 密钥已被吊销")
        now = ctx.clock.now()
        store.revoke(cmd.name, now, cmd.actor.username)
        revoked = replace(key, active=False, revoked_at=now, revoked_by=cmd.actor.username)
        uow.audit.append(
            actor=cmd.actor.username,
            action="api_key.revoked",
            entity_type="api_key",
            entity_id=key.name,
            before=_audited(key),
            after=_audited(revoked),
            detail=f"id={key.id}: {reason}",
        )
        return revoked

    return revoke_api_key


def _audited(key: ApiKey) -> dict[str, Any]:
    """What the audit log may know of a key: never the key nor its hash."""
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role.value,
        "resource_id": key.resource_id,
        "active": key.active,
    }
