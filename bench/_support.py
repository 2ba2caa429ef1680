"""Shared helpers for the benchmarks: a real server subprocess and a cheap load generator.

Not a benchmark itself (`make bench` runs every bench/*.py: this one does nothing as a script).

- `free_port()`, `Server` (a `landport serve` subprocess, one uvicorn worker, waited for on
  /api/v1/health and killed on exit), `run_cli()` (the `landport` command line);
- `http_json()`: one blocking request, for setup (tokens, seeding);
- `create_database()` / `drop_database()`: scratch PostgreSQL databases for a run;
- `load()`: a fixed number of pre-built HTTP/1.1 requests over N keep-alive connections with
  asyncio streams (hand-built requests, Content-Length parsing): no HTTP library in the loop,
  so that the generator takes as little CPU from the server as possible.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landport.shared.stats import percentile

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LANDPORT = str(BIN / "landport")
HOST = "127.0.0.1"
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def log(*parts: object) -> None:
    """Progress goes to stderr: stdout carries only the JSON result."""
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def run_cli(args: Sequence[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run `landport ARGS` with ENV; raise with its output if it fails; return stdout."""
    proc = subprocess.run(
        [LANDPORT, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"landport {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def http_json(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    form: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """One blocking request for setup; returns (status, decoded JSON or raw text)."""
    import http.client

    headers: dict[str, str] = {}
    data: bytes | None = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw.decode(errors="replace")


class Server:
    """`landport serve` on a free loopback port (one uvicorn worker process)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [LANDPORT, "serve", "--host", HOST, "--port", str(self.port)],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}): {self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _ = http_json(self.port, "GET", "/api/v1/health", timeout=2)
                if status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server not healthy after {timeout}s: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        with contextlib.suppress(AttributeError, OSError):
            self._log.close()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- load generator -------------------------------------------------------------------------


def build_request(
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    port: int = 0,
) -> bytes:
    """A complete HTTP/1.1 keep-alive request as bytes (JSON body if any)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    payload = b""
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        lines.append("Content-Type: application/json")
    if payload or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class LoadResult:
    requests: int = 0
    ok: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str | None = None
    timed_out: bool = False

    def percentile(self, q: float) -> float | None:
        return percentile(self.latencies_ms, q)

    def summary(self) -> dict[str, Any]:
        p50, p99 = self.percentile(50), self.percentile(99)
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            "ok_per_s": round(self.ok / self.elapsed_s, 1) if self.elapsed_s else None,
            "p50_ms": round(p50, 2) if p50 is not None else None,
            "p99_ms": round(p99, 2) if p99 is not None else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "first_error": self.first_error,
            "timed_out": self.timed_out,
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server wants to close). Content-Length or chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and "close" in value.lower():
            close = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(parts), close
    body = await reader.readexactly(length) if length else b""
    return status, body, close


async def _load(
    port: int,
    requests: Sequence[bytes],
    concurrency: int,
    ok_status: int,
    deadline_s: float,
    result: LoadResult,
) -> None:
    next_index = 0
    deadline = time.perf_counter() + deadline_s

    async def worker() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while next_index < len(requests) and time.perf_counter() < deadline:
                req = requests[next_index]
                next_index += 1
                t0 = time.perf_counter()
                try:
                    writer.write(req)
                    status, body, close = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    result.requests += 1
                    result.errors += 1
                    result.first_error = result.first_error or f"{type(exc).__name__}: {exc}"
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                result.requests += 1
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == ok_status:
                    result.ok += 1
                else:
                    result.errors += 1
                    if result.first_error is None:
                        result.first_error = f"HTTP {status}: {body[:500].decode(errors='replace')}"
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    result.timed_out = next_index < len(requests)


def load(
    port: int,
    requests: Sequence[bytes],
    *,
    concurrency: int = 16,
    warmup: Sequence[bytes] = (),
    ok_status: int = 200,
    max_seconds: float = 90,
) -> LoadResult:
    """Send WARMUP (not recorded), then REQUESTS, each once, over CONCURRENCY connections.

    Bounded in count (each request once) and in time (MAX_SECONDS per phase). The garbage
    collector is paused meanwhile so that the generator's own pauses do not count as latency.
    """
    if warmup:
        asyncio.run(_load(port, warmup, concurrency, ok_status, max_seconds, LoadResult()))
    result = LoadResult()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        asyncio.run(_load(port, requests, concurrency, ok_status, max_seconds, result))
    finally:
        if gc_was_enabled:
            gc.enable()
    return result


def base_env(database_url: str) -> dict[str, str]:
    """The caller's environment with the database URL set (and nothing else of ours)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDPORT_")}
    env["LANDPORT_DATABASE__URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --- scratch PostgreSQL databases --------------------------------------------------------------


def _as_admin(admin_url: str, statement: str) -> None:
    """CREATE/DROP DATABASE cannot run inside a transaction: one autocommit statement."""
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def create_database(admin_url: str = POSTGRES_ADMIN_URL, prefix: str = "bench") -> str:
    """A fresh, empty database on the admin URL's server; its URL."""
    import secrets

    from sqlalchemy.engine import make_url

    name = f"{prefix}_{secrets.token_hex(4)}"
    _as_admin(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Drop a scratch database, even with connections still open to it."""
    from sqlalchemy.engine import make_url

    _as_admin(admin_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


if __name__ == "__main__":  # `make bench` runs every bench/*.py: nothing to measure here
    pass
