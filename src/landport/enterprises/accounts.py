"""People's accounts after they are created: an officer who leaves, a declarant whose firm
ends its contract, a password that may have been seen.

Tokens are signed and live for hours, so refusing the next login is not enough: each of
these changes moves the account's session generation on (`User.session_generation`), and a
token carrying an older generation is no credential from the next request on. Every change
is audited with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from landport.declarations.ports import ClearanceContext, UnitOfWork
from landport.enterprises.model import Actor, Role, User
from landport.shared.errors import Conflict, Forbidden, NotFound, required_reason

#: Long enough to say why; the audit log keeps it.
REASON_MAX = 500


@dataclass(frozen=True)
class DeactivateUser:
    """The person may no longer log in, and every token they hold stops working."""

    actor: Actor
    username: str
    reason: str


@dataclass(frozen=True)
class ReactivateUser:
    """The person may log in again (tokens from before the deactivation stay ended)."""

    actor: Actor
    username: str
    reason: str


@dataclass(frozen=True)
class ResetPassword:
    """A new password, already hashed; every token issued before it stops working."""

    actor: Actor
    username: str
    password_hash: str
    reason: str


def deactivate_user(cmd: DeactivateUser, uow: UnitOfWork, ctx: ClearanceContext) -> User:
    if cmd.username == cmd.actor.username:
        raise Conflict(
            "an administrator cannot deactivate their own account (ask another administrator)",
            "管理员不能停用自己的账户（请由另一位管理员操作）",
        )
    admins = uow.users.active_admins()  # first, in one order: two such changes queue up
    user = _account(cmd.actor, cmd.username, cmd.reason, uow)
    if not user.active:
        raise Conflict(f"user {user.username} is already deactivated", "该用户已停用")
    if user.role is Role.PORT_ADMIN and admins == [user.username]:
        raise Conflict(
            f"{user.username} is the last active port administrator: nobody could manage "
            "the port's accounts",
            f"{user.username} 是最后一位在用的口岸管理员：停用后无人能管理账户",
        )
    after = replace(user, active=False, session_generation=user.session_generation + 1)
    return _save(cmd.actor, "user.deactivated", user, after, cmd.reason, uow)


def reactivate_user(cmd: ReactivateUser, uow: UnitOfWork, ctx: ClearanceContext) -> User:
    user = _account(cmd.actor, cmd.username, cmd.reason, uow)
    if user.active:
        raise Conflict(f"user {user.username} is active", "该用户未停用")
    after = replace(user, active=True)
    return _save(cmd.actor, "user.reactivated", user, after, cmd.reason, uow)


def reset_password(cmd: ResetPassword, uow: UnitOfWork, ctx: ClearanceContext) -> User:
    user = _account(cmd.actor, cmd.username, cmd.reason, uow)
    after = replace(
        user, password_hash=cmd.password_hash, session_generation=user.session_generation + 1
    )
    return _save(cmd.actor, "user.password_reset", user, after, cmd.reason, uow)


def _account(actor: Actor, username: str, reason: str, uow: UnitOfWork) -> User:
    if actor.role is not Role.PORT_ADMIN:
        raise Forbidden("only a port administrator may do this", "只有口岸管理员可以执行此操作")
    required_reason(reason, max_len=REASON_MAX)  # the audit log keeps it
    user = uow.users.get(username, lock=True)  # read and written in one step (PostgreSQL)
    if user is None:
        raise NotFound(f"no user {username}", "用户不存在")
    return user


def _save(
    actor: Actor, action: str, before: User, after: User, reason: str, uow: UnitOfWork
) -> User:
    uow.users.save(after)
    uow.audit.append(
        actor=actor.username,
        action=action,
        entity_type="user",
        entity_id=after.username,
        before=_audited(before),
        after=_audited(after),
        detail=reason.strip(),
    )
    return after


def _audited(user: User) -> dict[str, object]:
    """What the log digests: never the password hash, only that it changed (the generation)."""
    return {
        "username": user.username,
        "active": user.active,
        "session_generation": user.session_generation,
    }
