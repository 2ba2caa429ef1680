"""What no endpoint should have to refuse itself: a body too large to be a request, a body
that is not UTF-8, and text that cannot be stored or displayed as it was sent.

A pure ASGI middleware in front of the routes. It reads a write request's body once (up to
its limit), answers 413 or 422 in both languages without the route ever running, and hands
the same bytes on. Text is refused when it holds a lone surrogate (no UTF-8 encoding exists:
the audit chain could not hash it), a NUL (PostgreSQL keeps none in text), another control
character but tab and line breaks, or a text-direction override (a name that displays
otherwise than it is stored, in an audit log above all).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import JSONResponse

from landport.entrypoints.web.errors import invalid_request
from landport.entrypoints.web.routers.transit_routes import MAX_ROUTE_UPLOAD

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

#: A JSON or form request: the largest declaration (999 goods lines) is a few hundred KB.
MAX_BODY = 2 * 1024 * 1024
#: A route file upload (multipart): the file's own limit and room for the form around it.
MAX_UPLOAD = MAX_ROUTE_UPLOAD + 1024 * 1024
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: C0 controls but tab, LF and CR; DEL; lone surrogates; bidi embeddings, overrides, isolates.
_ESCAPED = re.compile(r"\\[ubf]")  # JSON escapes that can write such a character
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


class RequestGuard:
    """The middleware (see the module)."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        limit = MAX_UPLOAD if kind == b"multipart/form-data" else MAX_BODY
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if kind == b"application/json" or kind.endswith(b"+json"):
            problem = json_text_problem(body)
            if problem is not None:
                field, code, message_en, message_zh = problem
                error = {"field": field, "code": code, "message_en": message_en,
                         "message_zh": message_zh, "severity": "error"}  # fmt: skip
                await invalid_request([error])(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only the client's disconnect is left

        await self.app(scope, replay, send)


def json_text_problem(body: bytes) -> tuple[str, str, str, str] | None:
    """(field, code, English, Chinese) of the first text in a JSON body that cannot be taken
    as sent; None when there is none, or when the body is no JSON at all (the route's own
    validation says so, naming the position)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            "body",
            "not_utf8",
            f"the body is not UTF-8 text (byte {exc.start})",
            f"请求体不是 UTF-8 文本（第 {exc.start} 字节）",
        )
    if not _UNSTORABLE.search(text) and not _ESCAPED.search(text):
        return None  # the usual case: no escape could hide one either
    try:
        document = json.loads(text)
    except ValueError:
        return None
    found = _first_unstorable(document, [])
    if found is None:
        return None
    path, char = found
    field = ".".join(path) or "body"
    code_point = f"U+{ord(char):04X}"
    return (
        field,
        "unstorable_character",
        f"{field} contains a character that cannot be stored as sent ({code_point}): control"
        " characters, lone surrogates and text-direction overrides are refused",
        f"字段 {field} 含有无法按原样保存的字符（{code_point}）：不接受控制字符、孤立代理字符和"
        "文字方向控制符",
    )


def _first_unstorable(value: Any, path: list[str]) -> tuple[list[str], str] | None:
    if isinstance(value, str):
        hit = _UNSTORABLE.search(value)
        return (path, hit.group()) if hit else None
    if isinstance(value, dict):
        for key, item in value.items():
            hit = _UNSTORABLE.search(key)
            if hit:
                return ([*path, key.encode("utf-8", "replace").decode()], hit.group())
            found = _first_unstorable(item, [*path, key])
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, [*path, str(index)])
            if found is not None:
                return found
    return None


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    mb = limit // (1024 * 1024)
    document = {
        "code": "body_too_large",
        "message_en": f"the request body exceeds {mb} MB",
        "message_zh": f"请求体超过 {mb} MB",
    }
    await JSONResponse(document, status_code=413)(scope, receive, send)
