"""Domain errors: one place maps them to HTTP statuses and CLI exit codes."""

from __future__ import annotations

import errno
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule, named by the field path it concerns, in English and Chinese."""

    field: str
    code: str
    message_en: str
    message_zh: str
    severity: str = "error"  # "error" refuses the input; "warning" is shown and accepted

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message_en": self.message_en,
            "message_zh": self.message_zh,
            "severity": self.severity,
        }


class DomainError(Exception):
    """Base for errors the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message_en: str, message_zh: str | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en


class NotFound(DomainError):
    """The entity does not exist, or the actor may not know that it exists."""

    code = "not_found"


class Forbidden(DomainError):
    """The actor's role does not allow this action."""

    code = "forbidden"


class Conflict(DomainError):
    """The action is not allowed in the entity's current state, or lost a race."""

    code = "conflict"


class InvalidInput(DomainError):
    """Input broke one or more rules; all of them are listed."""

    code = "invalid_input"

    def __init__(self, violations: Sequence[Violation]) -> None:
        errors = [v for v in violations if v.severity == "error"]
        super().__init__(
            f"{len(errors)} rule(s) broken: " + "; ".join(f"{v.field}: {v.code}" for v in errors),
            f"{len(errors)} 项规则未通过",
        )
        self.violations = tuple(violations)


#: Why a file could not be read or written, for the Chinese line (the English one has the
#: system's own words).
_OS_REASONS_ZH = {
    errno.ENOENT: "文件或目录不存在",
    errno.EISDIR: "这是一个目录",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
}


def os_error_text(exc: OSError) -> tuple[str, str]:
    """An operating-system error in English and Chinese, for a message a user reads."""
    en = exc.strerror or type(exc).__name__
    return en, _OS_REASONS_ZH.get(exc.errno or 0, en)


def required_reason(text: str, max_len: int | None = None) -> str:
    """An officer's reason, stripped; refused (`reason_required`) when blank, or longer than
    ``max_len`` characters when given: every decision that changes custody is written down
    with why."""
    reason = text.strip()
    if reason and (max_len is None or len(reason) <= max_len):
        return reason
    if max_len is None:
        en, zh = "a reason is required", "须填写原因"
    else:
        en = f"a reason of 1 to {max_len} characters is required"
        zh = f"须填写 1 至 {max_len} 个字符的原因"
    raise InvalidInput([Violation("reason", "reason_required", en, zh)])
