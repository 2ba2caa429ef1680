"""Use cases of the port administrator: register enterprises and create users."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from landport.declarations.ports import ClearanceContext, UnitOfWork
from landport.enterprises.model import Actor, CreditRating, Enterprise, Role, User
from landport.shared.clock import beijing_date
from landport.shared.errors import Conflict, Forbidden, InvalidInput, NotFound, Violation
from landport.shared.identifiers import check_uscc

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
CUSTOMS_CODE = re.compile(r"^[0-9A-Z]{10}$")


@dataclass(frozen=True)
class RegisterEnterprise:
    actor: Actor
    uscc: str
    name_zh: str
    name_en: str
    province: str
    rating: str
    customs_code: str | None = None
    exports_here_since: date | None = None  # known export history at this port


@dataclass(frozen=True)
class RecordExportHistory:
    """The first export of a registered enterprise through this port, from earlier records
    (None: no such history); the register is often migrated after the enterprises."""

    actor: Actor
    uscc: str
    exports_here_since: date | None


@dataclass(frozen=True)
class CreateUser:
    """Passwords arrive already hashed: the core never sees a clear-text password."""

    actor: Actor
    username: str
    password_hash: str
    role: str
    enterprise_uscc: str | None = None
    port_id: str | None = None


def _v(field: str, code: str, en: str, zh: str) -> Violation:
    return Violation(field, code, en, zh)


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.PORT_ADMIN:
        raise Forbidden("only a port administrator may do this", "只有口岸管理员可以执行此操作")


def _history_problems(since: date | None, ctx: ClearanceContext) -> list[Violation]:
    today = beijing_date(ctx.clock.now())
    if since is None or since <= today:
        return []
    return [
        _v(
            "exports_here_since",
            "date_in_future",
            f"exports_here_since must not be after today ({today.isoformat()})",
            f"本口岸首次出口日期不能晚于今天（{today.isoformat()}）",
        )
    ]


def record_export_history(
    cmd: RecordExportHistory, uow: UnitOfWork, ctx: ClearanceContext
) -> Enterprise:
    """Audited; the same date again changes nothing."""
    _require_admin(cmd.actor)
    problems = _history_problems(cmd.exports_here_since, ctx)
    if problems:
        raise InvalidInput(problems)
    enterprise = uow.enterprises.get(cmd.uscc)
    if enterprise is None:
        raise NotFound(f"enterprise {cmd.uscc} is not registered", f"企业 {cmd.uscc} 未备案")
    before = enterprise.exports_here_since
    if before == cmd.exports_here_since:
        return enterprise
    uow.enterprises.set_export_history(cmd.uscc, cmd.exports_here_since)
    enterprise.exports_here_since = cmd.exports_here_since
    uow.audit.append(
        actor=cmd.actor.username,
        action="enterprise.export_history_recorded",
        entity_type="enterprise",
        entity_id=cmd.uscc,
        before={"exports_here_since": _iso(before)},
        after={"exports_here_since": _iso(cmd.exports_here_since)},
    )
    return enterprise


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def register_enterprise(
    cmd: RegisterEnterprise, uow: UnitOfWork, ctx: ClearanceContext
) -> Enterprise:
    """An enterprise is known by its USCC, which must carry a valid GB 32100 check character."""
    _require_admin(cmd.actor)
    problems: list[Violation] = []
    check = check_uscc(cmd.uscc)
    if not check.ok:
        hint = f" (check character should be {check.expected})" if check.expected else ""
        problems.append(
            _v(
                "uscc",
                check.reason or "uscc_invalid",
                f"uscc is not a valid unified social credit code{hint}",
                "统一社会信用代码无效"
                + (f"（校验码应为 {check.expected}）" if check.expected else ""),
            )
        )
    if cmd.province not in ctx.catalog.provinces:
        problems.append(
            _v(
                "province",
                "unknown_province",
                f"province must be one of the province ids, e.g. zhejiang; got '{cmd.province}'",
                "省份无效（应为如 zhejiang 的省份代码）",
            )
        )
    if cmd.rating not in {r.value for r in CreditRating}:
        problems.append(
            _v(
                "rating",
                "unknown_rating",
                "rating must be advanced, general or untrusted",
                "信用等级只能是 advanced（高级认证）、general（一般）或 untrusted（失信）",
            )
        )
    for field, value in (("name_zh", cmd.name_zh), ("name_en", cmd.name_en)):
        if not value.strip() or len(value) > 200:
            problems.append(
                _v(
                    field,
                    "name_required",
                    f"{field} must be 1 to 200 characters",
                    "企业名称须为 1 至 200 个字符",
                )
            )
    if cmd.customs_code is not None and not CUSTOMS_CODE.match(cmd.customs_code):
        problems.append(
            _v(
                "customs_code",
                "customs_code_format",
                "customs_code must be 10 digits or capital letters",
                "海关编码须为 10 位数字或大写字母",
            )
        )
    problems += _history_problems(cmd.exports_here_since, ctx)
    if problems:
        raise InvalidInput(problems)
    if uow.enterprises.get(cmd.uscc) is not None:
        raise Conflict(f"enterprise {cmd.uscc} is already registered", "该企业已备案")
    enterprise = Enterprise(
        cmd.uscc,
        cmd.name_zh.strip(),
        cmd.name_en.strip(),
        cmd.province,
        CreditRating(cmd.rating),
        cmd.customs_code,
        exports_here_since=cmd.exports_here_since,
    )
    uow.enterprises.add(enterprise)
    uow.audit.append(
        actor=cmd.actor.username,
        action="enterprise.registered",
        entity_type="enterprise",
        entity_id=cmd.uscc,
        before=None,
        after={
            "uscc": cmd.uscc,
            "name_zh": enterprise.name_zh,
            "name_en": enterprise.name_en,
            "province": cmd.province,
            "rating": cmd.rating,
            "customs_code": cmd.customs_code,
            "exports_here_since": _iso(cmd.exports_here_since),
        },
    )
    return enterprise


def create_user(cmd: CreateUser, uow: UnitOfWork, ctx: ClearanceContext) -> User:
    """Declarants are bound to an enterprise, border officers to a border port."""
    _require_admin(cmd.actor)
    problems: list[Violation] = []
    if not USERNAME.match(cmd.username):
        problems.append(
            _v(
                "username",
                "username_format",
                "username must be 3-64 lower-case letters, digits, '.', '_' or '-'",
                "用户名须为 3 至 64 位小写字母、数字或 . _ -",
            )
        )
    try:
        role = Role(cmd.role)
    except ValueError:
        raise InvalidInput(
            [
                _v(
                    "role",
                    "unknown_role",
                    "role must be one of: " + ", ".join(r.value for r in Role),
                    "角色须为以下之一：" + "、".join(r.value for r in Role),
                )
            ]
        ) from None
    if role is Role.DECLARANT:
        if not cmd.enterprise_uscc:
            problems.append(
                _v(
                    "enterprise",
                    "enterprise_required",
                    "a declarant must be bound to an enterprise (--enterprise USCC)",
                    "申报人必须绑定企业",
                )
            )
        elif uow.enterprises.get(cmd.enterprise_uscc) is None:
            problems.append(
                _v(
                    "enterprise",
                    "enterprise_not_registered",
                    f"enterprise {cmd.enterprise_uscc} is not registered",
                    "该企业尚未备案",
                )
            )
    elif cmd.enterprise_uscc:
        problems.append(
            _v(
                "enterprise",
                "enterprise_only_for_declarants",
                "only declarants are bound to an enterprise",
                "只有申报人绑定企业",
            )
        )
    if role is Role.BORDER_OFFICER:
        if cmd.port_id not in ctx.catalog.exit_ports:
            ports = ", ".join(sorted(ctx.catalog.exit_ports))
            problems.append(
                _v(
                    "port",
                    "border_port_required",
                    f"a border officer must be bound to a border port: {ports}",
                    "边境口岸关员必须绑定口岸",
                )
            )
    elif cmd.port_id:
        problems.append(
            _v(
                "port",
                "port_only_for_border_officers",
                "only border officers are bound to a port",
                "只有口岸关员绑定口岸",
            )
        )
    if problems:
        raise InvalidInput(problems)
    if uow.users.get(cmd.username) is not None:
        raise Conflict(f"user {cmd.username} already exists", "用户名已存在")
    user = User(cmd.username, role, cmd.password_hash, cmd.enterprise_uscc, cmd.port_id)
    uow.users.add(user)
    uow.audit.append(
        actor=cmd.actor.username,
        action="user.created",
        entity_type="user",
        entity_id=cmd.username,
        before=None,
        after={
            "username": cmd.username,
            "role": role.value,
            "enterprise": cmd.enterprise_uscc,
            "port": cmd.port_id,
        },
    )
    return user
