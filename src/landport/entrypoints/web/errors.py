"""Domain errors to HTTP statuses, in one place, with messages in English and Chinese."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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
}


def _message_zh(path: str, error: Any) -> str:
    template = _RULES_ZH.get(str(error["type"]))
    if template is not None:
        try:
            return template.format(field=path, **error.get("ctx", {}))
        except (KeyError, IndexError, ValueError):
            pass  # a rule's values not as expected: the generic line below
    return f"字段 {path} 无效：{error['msg']}"


def _status_for(exc: DomainError) -> int:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


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
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"] if p not in ("body", "query", "path")]
            path = ".".join(loc) or "body"
            errors.append(
                {
                    "field": path,
                    "code": e["type"],
                    "message_en": e["msg"],
                    "message_zh": _message_zh(path, e),
                    "severity": "error",
                }
            )
        return JSONResponse(
            {
                "code": "invalid_input",
                "message_en": "the request is invalid",
                "message_zh": "请求无效",
                "errors": errors,
            },
            status_code=422,
        )
