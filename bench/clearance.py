"""End-to-end clearance throughput: HTTP submissions on SQLite and PostgreSQL, against the
framework's ceiling (an authenticated ping on the same server), plus the risk engine and the
audit-chain verification.

A submission is one `POST /api/v1/declarations?submit=true` (validate, persist, number,
assess, audit) by a declarant; every request is a distinct declaration. The server is a real
`landport serve` subprocess (one uvicorn worker) on a free loopback port; the load generator
runs in this process with raw keep-alive HTTP/1.1 connections (see bench/_support.py).

Goals from the issue: >= 300 submissions/s on one worker, >= 30 % of the ceiling, p99 < 50 ms;
risk >= 20,000 assessments/s; audit verify >= 100,000 entries/s. No pass/fail here: the
figures are printed as one JSON object on stdout (progress on stderr).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import landport  # noqa: F401
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _clearance_audit import measure_audit
from _support import (
    POSTGRES_ADMIN_URL,
    Server,
    base_env,
    build_request,
    create_database,
    drop_database,
    http_json,
    load,
    log,
    run_cli,
)

from landport.shared.identifiers import iso6346_check_digit

SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", "3000"))
PINGS = int(os.environ.get("BENCH_PINGS", "5000"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "200"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
# Latency is also measured below saturation: a closed loop of 16 clients measures queueing.
LATENCY_CONCURRENCY = int(os.environ.get("BENCH_LATENCY_CONCURRENCY", "2"))
LATENCY_REQUESTS = int(os.environ.get("BENCH_LATENCY_REQUESTS", "1000"))
PHASE_MAX_S = float(os.environ.get("BENCH_PHASE_MAX_S", "60"))

USCC = "91330100716105852F"
USERNAME = "bench.declarant"
PASSWORD = "bench-declarant-pass"

# The default payload of tests/builders.py (valid_declaration_payload), inlined so the bench
# does not depend on the test tree; plate and container vary per request.
_DECLARATION: dict[str, Any] = {
    "trade_mode": "0110",
    "consignor_uscc": USCC,
    "exit_port": "gyirong-port",
    "destination_country": "NP",
    "transport_mode": "4",
    "trade_terms": "3",
    "vehicle_plate": "藏D12345",
    "containers": [{"number": "CSQU3054383", "size_type": "22G1", "gross_kg": "17600"}],
    "gross_kg": "15200",
    "net_kg": "14000",
    "packages": 20,
    "items": [
        {
            "hs_code": "8507600020",
            "name": "锂离子蓄电池储能系统 lithium-ion battery energy storage system",
            "quantity": "20",
            "unit": "set",
            "value": "168000.00",
            "currency": "USD",
            "origin_province": "zhejiang",
            "net_kg": "14000",
        }
    ],
    "total_value": "168000.00",
    "currency": "USD",
}


def declaration(i: int) -> dict[str, Any]:
    """The i-th distinct valid declaration: its own plate (藏D + 5 digits) and container."""
    body = json.loads(json.dumps(_DECLARATION))
    body["vehicle_plate"] = f"藏D{i % 100_000:05d}"
    prefix = f"CSQU{i % 1_000_000:06d}"
    body["containers"][0]["number"] = prefix + str(iso6346_check_digit(prefix))
    return body


def _prepare(env: dict[str, str]) -> None:
    """Schema, the consignor enterprise and a declarant, through the real CLI."""
    run_cli(["db", "upgrade"], env)
    run_cli(
        [
            "enterprises",
            "create",
            "--uscc",
            USCC,
            "--name-zh",
            "杭州某进出口有限公司",
            "--name-en",
            "Hangzhou Example Trading",
            "--province",
            "zhejiang",
            "--rating",
            "general",
        ],
        env,
    )
    run_cli(
        [
            "users",
            "create",
            "--username",
            USERNAME,
            "--password",
            PASSWORD,
            "--role",
            "declarant",
            "--enterprise",
            USCC,
        ],
        env,
    )


def measure_server(env: dict[str, str], workdir: Path, label: str) -> dict[str, Any]:
    """Prepare the database, serve it, and load it: the ping ceiling, then submissions."""
    t0 = time.perf_counter()
    _prepare(env)
    log(f"[{label}] database prepared in {time.perf_counter() - t0:.1f}s")
    with Server(env, workdir / f"server-{label}.log") as server:
        port = server.port
        status, answer = http_json(
            port, "POST", "/api/v1/auth/token", form={"username": USERNAME, "password": PASSWORD}
        )
        if status != 200:
            raise RuntimeError(f"token: HTTP {status} {answer}")
        token = answer["access_token"]

        ping = build_request("GET", "/api/v1/ping", token=token, port=port)
        log(f"[{label}] ceiling: {PINGS} pings, concurrency {CONCURRENCY}")
        ceiling = load(
            port,
            [ping] * PINGS,
            concurrency=CONCURRENCY,
            warmup=[ping] * WARMUP,
            max_seconds=PHASE_MAX_S,
        ).summary()
        log(f"[{label}] ceiling: {ceiling}")

        path = "/api/v1/declarations?submit=true"
        bodies = [
            build_request("POST", path, token=token, body=declaration(i), port=port)
            for i in range(WARMUP + SUBMISSIONS + LATENCY_REQUESTS)
        ]
        log(f"[{label}] submissions: {SUBMISSIONS}, concurrency {CONCURRENCY}")
        subs = load(
            port,
            bodies[WARMUP:],
            concurrency=CONCURRENCY,
            warmup=bodies[:WARMUP],
            ok_status=201,
            max_seconds=PHASE_MAX_S,
        ).summary()
        log(f"[{label}] submissions: {subs}")
        tail = bodies[WARMUP + SUBMISSIONS :]
        log(f"[{label}] latency: {len(tail)} submissions, concurrency {LATENCY_CONCURRENCY}")
        latency = load(
            port, tail, concurrency=LATENCY_CONCURRENCY, ok_status=201, max_seconds=PHASE_MAX_S
        ).summary()
        log(f"[{label}] latency: {latency}")
        if server.proc is not None and server.proc.poll() is not None:
            raise RuntimeError(f"server died: {server.log_tail()}")
    return {"ceiling": ceiling, "submissions": subs, "latency": latency}


# --- main ----------------------------------------------------------------------------------


def _share(subs: dict[str, Any] | None, ceiling: dict[str, Any] | None) -> float | None:
    if not subs or not ceiling or not subs.get("ok_per_s") or not ceiling.get("ok_per_s"):
        return None
    return round(subs["ok_per_s"] / ceiling["ok_per_s"], 3)


def main() -> dict[str, Any]:
    notes: list[str] = []
    result: dict[str, Any] = {
        "settings": {
            "submissions": SUBMISSIONS,
            "pings": PINGS,
            "warmup": WARMUP,
            "concurrency": CONCURRENCY,
            "latency_concurrency": LATENCY_CONCURRENCY,
            "workers": 1,
            "phase_max_s": PHASE_MAX_S,
            "cpus": os.cpu_count(),
            "load_generator": "asyncio raw HTTP/1.1 keep-alive, in the bench process",
        }
    }
    runs: dict[str, dict[str, Any] | None] = {"sqlite": None, "postgres": None}
    workdir = Path(tempfile.mkdtemp(prefix="landport-bench-"))
    try:
        db = workdir / "bench.db"
        try:
            runs["sqlite"] = measure_server(base_env(f"sqlite:///{db}"), workdir, "sqlite")
        except Exception as exc:
            notes.append(f"sqlite run failed: {type(exc).__name__}: {exc}")
            log(notes[-1])
        if runs["sqlite"]:
            try:
                result.update(measure_audit(db, workdir))
            except Exception as exc:
                notes.append(f"audit measure failed: {type(exc).__name__}: {exc}")
                log(notes[-1])

        try:
            pg_url: str | None = create_database(POSTGRES_ADMIN_URL, "bench_clearance")
        except Exception as exc:  # any failure means: report nulls, never fail
            pg_url = None
            notes.append(
                f"PostgreSQL unavailable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}: {exc}"
            )
            log(notes[-1])
        if pg_url is not None:
            try:
                runs["postgres"] = measure_server(base_env(pg_url), workdir, "postgres")
            except Exception as exc:
                notes.append(f"postgres run failed: {type(exc).__name__}: {exc}")
                log(notes[-1])
            finally:
                try:
                    drop_database(pg_url)
                except Exception as exc:
                    notes.append(f"could not drop the bench database: {exc}")

        log("[risk] measuring the selectivity engine in-process")
        from risk_engine import measure

        result.update(measure())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    for engine_name, run in runs.items():
        subs = run["submissions"] if run else None
        ceiling = run["ceiling"] if run else None
        result[f"http_submissions_per_s_{engine_name}"] = subs["ok_per_s"] if subs else None
        result[f"http_p50_ms_{engine_name}"] = subs["p50_ms"] if subs else None
        result[f"http_p99_ms_{engine_name}"] = subs["p99_ms"] if subs else None
        result[f"http_errors_{engine_name}"] = subs["errors"] if subs else None
        latency = run["latency"] if run else None
        result[f"http_p50_ms_{engine_name}_light_load"] = latency["p50_ms"] if latency else None
        result[f"http_p99_ms_{engine_name}_light_load"] = latency["p99_ms"] if latency else None
        result[f"http_per_s_{engine_name}_light_load"] = latency["ok_per_s"] if latency else None
        result[f"submission_share_of_ceiling_{engine_name}"] = _share(subs, ceiling)
        result[f"ceiling_requests_per_s_{engine_name}"] = ceiling["ok_per_s"] if ceiling else None
        result[f"ceiling_p99_ms_{engine_name}"] = ceiling["p99_ms"] if ceiling else None
        if subs and subs["first_error"]:
            notes.append(f"{engine_name}: first error: {subs['first_error']}")
        if subs and subs["timed_out"]:
            notes.append(f"{engine_name}: submissions stopped at the {PHASE_MAX_S}s bound")
    # The headline ceiling is the SQLite server's (an authenticated ping reads one indexed row:
    # whether its token was ended by a logout).
    primary = runs["sqlite"] or runs["postgres"]
    result["ceiling_requests_per_s"] = primary["ceiling"]["ok_per_s"] if primary else None
    result["ceiling_p99_ms"] = primary["ceiling"]["p99_ms"] if primary else None
    result["notes"] = notes
    return result


if __name__ == "__main__":
    started = time.perf_counter()
    output = main()
    output["bench_wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(output, ensure_ascii=False))
