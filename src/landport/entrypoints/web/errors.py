"""Domain errors to HTTP statuses, in one place, with messages in English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from landport.entrypoints.web.deps import Unauthenticated
from landport.inspection.handlers import ReleaseBlocked
from landport.shared.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

STATUS = {Unauthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409, InvalidInput: 422}

#: The Chinese line of a request's broken rule, by the validator's code; `{field}` and the
#: rule's own values (`{le}`, `{ge}`, ...) are filled in. Other codes keep the generic line.
_RULES_ZH = {
    "missing": "字段 {field} 必填",
    "int_parsing": "字段 {field} 须为整数",
    "int_type": "字段 {field} 须为整数",
    "bool_parsing": "字段 {field} 须为 true 或 false",
    "less_than_equal": "字段 {field} 不得大于 {le}",
    "greater_than_equal": "字段 {field} 不得小于 {ge}",
    "less_than": "字段 {field} 须小于 {lt}",
    "greater_than": "字段 {field} 须大于 {gt}",
    "string_too_long": "字段 {field} 不得超过 {max_length} 个字符",
    "string_too_short": "字段 {field} 至少 {min_length} 个字符",
    "literal_error": "字段 {field} 须为 {expected} 之一",
    "date_parsing": "字段 {field} 须为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "字段 {field} 须为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "字段 {field} 须为日期（YYYY-MM-DD），不含时刻",
    "datetime_parsing": "字段 {field} 须为带时区的 ISO 8601 时间",
    "datetime_from_date_parsing": "字段 {field} 须为带时区的 ISO 8601 时间",
    "timezone_aware": "字段 {field} 须带时区",
    "date_out_of_range": "字段 {field} 须为 {first} 至 {last} 之间的日期",
    "datetime_out_of_range": "字段 {field} 须在 {first} 年至 {last} 年之间",
    "string_type": "字段 {field} 须为文本",
    "string_pattern_mismatch": "字段 {field} 的格式不符合要求",
    "float_parsing": "字段 {field} 须为数字",
    "float_type": "字段 {field} 须为数字",
    "int_from_float": "字段 {field} 须为整数",
    "decimal_parsing": "字段 {field} 须为数字",
    "decimal_type": "字段 {field} 须为数字",
    "bool_type": "字段 {field} 须为 true 或 false",
    "list_type": "字段 {field} 须为列表",
    "dict_type": "字段 {field} 须为对象",
    "model_type": "字段 {field} 须为对象",
    "model_attributes_type": "字段 {field} 须为对象",
    "too_long": "字段 {field} 最多 {max_length} 项",
    "too_short": "字段 {field} 至少 {min_length} 项",
    "extra_forbidden": "不接受字段 {field}",
    "enum": "字段 {field} 须为 {expected} 之一",
    "uuid_parsing": "字段 {field} 须为 UUID",
    "json_invalid": "请求体不是有效的 JSON",
    "json_type": "请求体须为 JSON",
}
#: Pydantic's tag of a union member in an error's location ("literal['x']",
#: "function-after[...]"), and the plain type names it uses beside such a tag ("datetime" in
#: `datetime | Literal["earliest"]`): not fields, so not shown to the user.
_MEMBER_TAG = re.compile(r"^[a-z-]+\[.*\]$")
_TYPE_NAMES = frozenset({"str", "int", "float", "bool", "date", "datetime", "decimal", "none"})
_WHERE = ("body", "query", "path", "header")


def _fields(errors: Sequence[Any]) -> list[str]:
    """The field each request error is about, as the API names it: `items.1.name`."""
    unions = {
        tuple(e["loc"][:i])
        for e in errors
        for i, part in enumerate(e["loc"])
        if _MEMBER_TAG.match(str(part))
    }

    def member(loc: Sequence[Any], i: int) -> bool:
        part = str(loc[i])
        return bool(_MEMBER_TAG.match(part)) or (part in _TYPE_NAMES and tuple(loc[:i]) in unions)

    return [
        ".".join(
            str(p) for i, p in enumerate(e["loc"]) if p not in _WHERE and not member(e["loc"], i)
        )
        or "body"
        for e in errors
    ]


def _message_en(error: Any) -> str:
    if error["type"] == "json_invalid":
        position = f" at character {error['loc'][-1]}" if len(error["loc"]) > 1 else ""
        return f"the body is not valid JSON{position}: {error.get('ctx', {}).get('error', '')}"
    return str(error["msg"])


def _message_zh(path: str, error: Any) -> str:
    template = _RULES_ZH.get(str(error["type"]))
    if template is not None:
        try:
            return template.format(field=path, **error.get("ctx", {}))
        except (KeyError, IndexError, ValueError):
            pass  # a rule's values not as expected: the generic line below
    if error["type"] in ("value_error", "assertion_error"):  # our validators' own words
        return f"字段 {path} 无效：{error['msg']}"
    return f"字段 {path} 的值不符合要求（{error['type']}）"


#: What the framework itself answers (no route, a method the route does not take), in both
#: languages like every other refusal; `detail` keeps the framework's own words.
_HTTP_ZH = {
    404: ("not_found", "the address does not exist", "该地址不存在"),
    405: ("method_not_allowed", "this method is not allowed here", "该地址不接受此请求方法"),
}


def http_error(exc: StarletteHTTPException) -> JSONResponse:
    """The JSON answer to an HTTP error the framework raised."""
    code, en, zh = _HTTP_ZH.get(exc.status_code, ("http_error", str(exc.detail), str(exc.detail)))
    return JSONResponse(
        {"code": code, "message_en": en, "message_zh": zh, "detail": exc.detail},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _status_for(exc: DomainError) -> int:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def invalid_request(errors: list[dict[str, Any]]) -> JSONResponse:
    """422 for a request refused before any rule of the domain ran (its shape, its text):
    each error a `{field, code, message_en, message_zh, severity}`."""
    return JSONResponse(
        {
            "code": "invalid_input",
            "message_en": "the request is invalid",
            "message_zh": "请求无效",
            "errors": errors,
        },
        status_code=422,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        body: dict[str, object] = {
            "code": exc.code,
            "message_en": exc.message_en,
            "message_zh": exc.message_zh,
        }
        if isinstance(exc, InvalidInput):
            body["errors"] = [v.as_dict() for v in exc.violations if v.severity == "error"]
            body["warnings"] = [v.as_dict() for v in exc.violations if v.severity != "error"]
        if isinstance(exc, ReleaseBlocked):
            body["errors"] = [v.as_dict() for v in exc.blockers]
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return JSONResponse(body, status_code=_status_for(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors, seen = [], set()
        found = exc.errors()
        for e, field in zip(found, _fields(found), strict=True):
            # a JSON error's location ends in a character offset, not a field
            path = "body" if e["type"] == "json_invalid" else field
            if (path, e["type"]) in seen:  # a union's members failing alike: said once
                continue
            seen.add((path, e["type"]))
            errors.append(
                {
                    "field": path,
                    "code": e["type"],
                    "message_en": _message_en(e),
                    "message_zh": _message_zh(path, e),
                    "severity": "error",
                }
            )
        return invalid_request(errors)
