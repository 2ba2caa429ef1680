"""The processes bench/telemetry.py measures: the `landport telemetry listen` workers under
test, and the CPU seconds they, the broker, PostgreSQL and the bench spend in a phase.

Split from _telemetry_support.py (the MQTT side: broker, publisher, raw subscriber).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from _support import LANDPORT
from _telemetry_support import INGEST_LOGIN

#: How far ahead of the clock the replayed tracks run at most (a week of track time).
REPLAY_AHEAD_S = 7 * 24 * 3600

# --- ingest workers -------------------------------------------------------------------------


class Workers:
    """N `landport telemetry listen` subprocesses sharing one subscription group."""

    def __init__(
        self,
        database_url: str,
        port: int,
        group: str,
        count: int,
        batch: int,
        logdir: Path,
        label: str,
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANDPORT_")}
        env.update(
            LANDPORT_DATABASE__URL=database_url,
            LANDPORT_MQTT__PORT=str(port),
            LANDPORT_MQTT__GROUP=group,
            LANDPORT_MQTT__USERNAME=INGEST_LOGIN[0],
            LANDPORT_MQTT__PASSWORD=INGEST_LOGIN[1],
            # The fleet's hours of tracks are replayed in minutes, dated from now on.
            LANDPORT_TELEMETRY__FUTURE_TOLERANCE_S=str(REPLAY_AHEAD_S),
            PYTHONUNBUFFERED="1",
        )
        self.logs = [logdir / f"worker-{label}-{i}.log" for i in range(count)]
        self.procs: list[subprocess.Popen[bytes]] = []
        for i, path in enumerate(self.logs):
            with open(path, "wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        [
                            LANDPORT,
                            "telemetry",
                            "listen",
                            "--client-id",
                            f"bench-{label}-{i}-{secrets.token_hex(3)}",
                            "--batch",
                            str(batch),
                        ],
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def wait_subscribed(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(range(len(self.procs)))
        while pending and time.monotonic() < deadline:
            for i in list(pending):
                if self.procs[i].poll() is not None:
                    raise RuntimeError(f"worker {i} exited: {self.tail(i)}")
                if "subscribed to" in self.logs[i].read_text(errors="replace"):
                    pending.discard(i)
            time.sleep(0.05)
        if pending:
            raise RuntimeError(f"workers {sorted(pending)} not subscribed after {timeout}s")
        time.sleep(0.2)  # the SUBACK follows the log line by a hair

    def tail(self, i: int, chars: int = 1500) -> str:
        with contextlib.suppress(OSError):
            return self.logs[i].read_text(errors="replace")[-chars:]
        return ""

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)  # KeyboardInterrupt: the worker disconnects
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


# --- CPU accounting -------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_times(pids: Sequence[int]) -> dict[int, float]:
    """User + system CPU seconds of each live process (Linux /proc; {} elsewhere)."""
    out: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def pids_named(name: str) -> list[int]:
    """Processes whose command name is `name` (e.g. the PostgreSQL server's backends)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds spent by groups of processes between `start()` and `stop()`."""

    def __init__(self) -> None:
        self.groups: dict[str, list[int]] = {}
        self._before: dict[int, float] = {}
        self.result: dict[str, float] = {}

    def add(self, group: str, pids: Sequence[int]) -> None:
        self.groups.setdefault(group, []).extend(pids)

    def start(self) -> None:
        self.groups.setdefault("postgres", []).extend(pids_named("postgres"))
        self._before = cpu_times([p for ps in self.groups.values() for p in ps])
        self._before.update(cpu_times([os.getpid()]))

    def stop(self) -> dict[str, float]:
        self.groups["postgres"] = sorted(set(self.groups["postgres"]) | set(pids_named("postgres")))
        self.groups["bench"] = [os.getpid()]
        now = cpu_times([p for ps in self.groups.values() for p in ps])
        self.result = {
            group: round(sum(now.get(p, 0.0) - self._before.get(p, 0.0) for p in set(ps)), 2)
            for group, ps in self.groups.items()
        }
        return self.result
