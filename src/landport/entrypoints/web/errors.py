"""Domain errors to HTTP statuses, in one place, with messages in English and Chinese."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from landport.entrypoints.web.deps import Unauthenticated
from landport.inspection.handlers import ReleaseBlocked
from landport.shared.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

STATUS = {Unauthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409, InvalidInput: 422}


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
                    "message_zh": f"字段 {path} 无效：{e['msg']}",
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
