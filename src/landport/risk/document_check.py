"""Reading a posted document while collecting every violation, by path, in English and Chinese.

The typed readers answer None and record why, so a validator walks on and reports every
mistake at once instead of stopping at the first (see `validation.py`).
"""

from __future__ import annotations

import math
from typing import Any

from landport.shared.errors import Violation


class DocumentCheck:
    """Collects violations while walking the document."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, path: str, code: str, en: str, zh: str, severity: str = "error") -> None:
        """Every message names its path, so the operator can find the line in a long file."""
        if path not in en:
            en, zh = f"{path}: {en}", f"{path}：{zh}"
        self.violations.append(Violation(path, code, en, zh, severity))

    def mapping(self, value: Any, path: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.add(path, "wrong_type", f"{path} must be an object", f"{path} 必须是对象")
        return None

    def keys(self, data: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(data) - allowed):
            where = f"{path}.{key}" if path else key
            self.add(
                where,
                "unknown_key",
                f"{where} is not a known key (allowed: {', '.join(sorted(allowed))})",
                f"{where} 不是可识别的字段",
            )

    def text(self, data: dict[str, Any], key: str, path: str) -> str | None:
        where = f"{path}.{key}"
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
        self.add(where, "required", f"{where} must be a non-empty text", f"{where} 必须为非空文本")
        return None

    def integer(self, value: Any, path: str) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.add(path, "wrong_type", f"{path} must be an integer", f"{path} 必须是整数")
        return None

    def rate(self, value: Any, path: str) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and math.isfinite(value) and 0.0 <= value <= 1.0:
            return float(value)
        self.add(
            path,
            "invalid_rate",
            f"{path} must be a share between 0 and 1 (0.01 = 1%)",
            f"{path} 必须是 0 到 1 之间的比例（0.01 即 1%）",
        )
        return None

    def texts(self, value: Any, path: str, allow_empty: bool = False) -> tuple[str, ...] | None:
        if not isinstance(value, list) or (not value and not allow_empty):
            self.add(
                path, "wrong_type", f"{path} must be a non-empty list", f"{path} 必须是非空列表"
            )
            return None
        good = True
        for i, item in enumerate(value):
            if not (isinstance(item, str) and item.strip()):
                self.add(
                    f"{path}[{i}]",
                    "wrong_type",
                    f"{path}[{i}] must be a non-empty text",
                    f"{path}[{i}] 必须为非空文本",
                )
                good = False
        return tuple(value) if good else None

    def hs_prefixes(
        self, value: Any, path: str, allow_empty: bool = False
    ) -> tuple[str, ...] | None:
        items = self.texts(value, path, allow_empty)
        if items is None:
            return None
        good = True
        for i, item in enumerate(items):
            if not (item.isdigit() and item.isascii() and 1 <= len(item) <= 10):
                self.add(
                    f"{path}[{i}]",
                    "invalid_hs_prefix",
                    f"{path}[{i}] must be 1 to 10 digits of an HS code, got {item!r}",
                    f"{path}[{i}] 必须是 1 至 10 位数字的商品编码前缀，实际为 {item!r}",
                )
                good = False
        return items if good else None

    def one_of(self, items: tuple[str, ...], allowed: tuple[str, ...], path: str) -> bool:
        good = True
        for i, item in enumerate(items):
            if item not in allowed:
                self.add(
                    f"{path}[{i}]",
                    "invalid_value",
                    f"{path}[{i}] must be one of {', '.join(allowed)}, got {item!r}",
                    f"{path}[{i}] 必须是 {'、'.join(allowed)} 之一，实际为 {item!r}",
                )
                good = False
        return good
