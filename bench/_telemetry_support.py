"""Helpers for bench/telemetry.py, the MQTT side: brokers, a publisher process, a raw subscriber.

Not a benchmark itself (`make bench` runs every bench/*.py: as a script without arguments
this does nothing; `python _telemetry_support.py publish JOB OUT PORT RATE` is the
publisher process the bench starts).

- `broker(config)`: Mosquitto on a free loopback port, from `deploy/mosquitto/landport.conf`
  (the approach of tests/broker.py) or from Mosquitto's defaults (the baseline);
- `Publisher`: a separate process publishing pre-signed messages with paho (QoS 1), as fast
  as possible or paced, noting the wall time at which marked messages were published;
- `RawSubscriber`: paho MQTT v5, shared subscription, QoS 1, manual ack right away: the
  ceiling the ingest workers are compared with (same library, same settings).

The ingest workers and CPU accounting are in _telemetry_processes.py, PostgreSQL scratch
databases and PostGIS in _telemetry_postgres.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _support import HOST, ROOT, free_port

DEPLOY_CONFIG = Path(
    os.environ.get("BENCH_MOSQUITTO_CONFIG", ROOT / "deploy" / "mosquitto" / "landport.conf")
)  # an override is for experiments (e.g. a larger max_inflight_messages)
TOPIC_FILTER = "landport/v1/seals/+/telemetry"
#: Logins on the bench's broker (deploy's roles): the publisher stands for a vendor's gateway.
GATEWAY_LOGIN = ("bench-gateway", "bench-gateway-pass")
INGEST_LOGIN = ("bench-ingest", "bench-ingest-pass")


def _security_file(workdir: Path) -> Path:
    """deploy's roles, with the bench's two logins; any shared group (each phase has its own)."""
    from landport.adapters.broker_security import write_security_file

    path = workdir / "landport-security.json"
    logins = {
        GATEWAY_LOGIN[0]: (GATEWAY_LOGIN[1], "telemetry-publisher"),
        INGEST_LOGIN[0]: (INGEST_LOGIN[1], "ingest-worker"),
    }
    write_security_file(path, logins, group="+", mode=0o666)
    return path


# --- broker ---------------------------------------------------------------------------------


@contextlib.contextmanager
def broker(config: str = "deploy") -> Iterator[tuple[int, int]]:
    """Mosquitto on a free loopback port, yields (port, pid); `config`: "deploy" (ours) or
    "default" (Mosquitto's defaults, the baseline)."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise RuntimeError("mosquitto is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="landport-bench-broker-"))
    os.chmod(workdir, 0o777)  # mosquitto drops root privileges before writing persistence
    port = free_port()
    if config == "deploy":
        text = DEPLOY_CONFIG.read_text()
        text = text.replace("listener 1883", f"listener {port} {HOST}")
        text = text.replace(
            "persistence_location /var/lib/mosquitto/", f"persistence_location {workdir}/"
        )
        text = text.replace(
            "/var/lib/mosquitto/landport-security.json", str(_security_file(workdir))
        )
        from landport.adapters.broker_security import DEPLOYED_PLUGIN, dynamic_security_plugin

        text = text.replace(DEPLOYED_PLUGIN, dynamic_security_plugin())
    else:  # Mosquitto's defaults: max_queued_messages 1000, max_inflight_messages 20
        text = f"listener {port} {HOST}\nallow_anonymous true\n"
    (workdir / "mosquitto.conf").write_text(text)
    proc = subprocess.Popen(
        [binary, "-c", str(workdir / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    reason = proc.stderr.read().decode() if proc.stderr else "broker died"
                    raise RuntimeError(f"mosquitto exited: {reason}") from None
                time.sleep(0.05)
        else:
            raise RuntimeError("mosquitto did not listen within 10 s")
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


# --- publisher process ----------------------------------------------------------------------


@dataclass
class PublishResult:
    published: int
    t_start: float  # wall clock (time.time()) just before the first publish
    t_sent: float  # the last publish() call returned
    t_acked: float  # every PUBACK received
    marks: dict[int, float]  # index of a marked message -> wall time of its publish()
    unacked: int
    cpu_s: float  # the publisher process's own CPU time


class Publisher:
    """A separate process (`python _telemetry_support.py publish ...`): paho, QoS 1."""

    def __init__(
        self,
        port: int,
        messages: Sequence[tuple[str, bytes]],
        workdir: Path,
        *,
        rate: float = 0.0,
        marks: Sequence[int] = (),
        name: str = "pub",
    ) -> None:
        self.job = workdir / f"{name}-job.pickle"
        self.out = workdir / f"{name}-result.json"
        self.log = workdir / f"{name}.log"
        with open(self.job, "wb") as f:
            pickle.dump({"messages": list(messages), "marks": list(marks)}, f, protocol=5)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "publish",
                str(self.job),
                str(self.out),
                str(port),
                str(rate),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "wb"),  # noqa: SIM115
        )

    def wait(self, timeout: float) -> PublishResult:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"publisher did not finish within {timeout:.0f}s") from None
        if self.proc.returncode != 0 or not self.out.exists():
            log_tail = self.log.read_text(errors="replace")[-800:] if self.log.exists() else ""
            raise RuntimeError(f"publisher failed ({self.proc.returncode}): {log_tail}")
        data = json.loads(self.out.read_text())
        return PublishResult(
            published=data["published"],
            t_start=data["t_start"],
            t_sent=data["t_sent"],
            t_acked=data["t_acked"],
            marks={int(k): v for k, v in data["marks"].items()},
            unacked=data["unacked"],
            cpu_s=data["cpu_s"],
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _publish_main(job_path: str, out_path: str, port: str, rate_s: str) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    with open(job_path, "rb") as f:
        job = pickle.load(f)
    messages: list[tuple[str, bytes]] = job["messages"]
    marks = set(job["marks"])
    rate = float(rate_s)
    connected = threading.Event()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"bench-gateway-{os.getpid()}",
        protocol=mqtt.MQTTv5,
    )
    acked = [0]

    def on_publish(*_a: Any) -> None:
        acked[0] += 1

    client.on_connect = lambda *_a: connected.set()
    client.on_publish = on_publish
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.username_pw_set(*GATEWAY_LOGIN)
    client.connect(HOST, int(port))
    client.loop_start()
    if not connected.wait(10):
        raise SystemExit("publisher: no CONNACK")
    stamped: dict[int, float] = {}
    infos = []
    window = 30_000  # paho's message ids wrap at 65,535: never hold more than this unacked

    def publish(topic: str, payload: bytes, qos: int) -> Any:
        while len(infos) - acked[0] >= window:
            time.sleep(0.001)
        return client.publish(topic, payload, qos=qos)

    t_start = time.time()
    if rate <= 0:
        for i, (topic, payload) in enumerate(messages):
            if i in marks:
                stamped[i] = time.time()
            infos.append(publish(topic, payload, qos=1))
    else:
        chunk = max(1, int(rate / 200))  # a slice every ~5 ms
        for lo in range(0, len(messages), chunk):
            due = t_start + lo / rate
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            for i in range(lo, min(lo + chunk, len(messages))):
                topic, payload = messages[i]
                if i in marks:
                    stamped[i] = time.time()
                infos.append(publish(topic, payload, qos=1))
    t_sent = time.time()
    unacked = 0
    for info in infos:
        with contextlib.suppress(RuntimeError, ValueError):
            info.wait_for_publish(timeout=max(1.0, 300 - (time.time() - t_sent)))
        if not info.is_published():
            unacked += 1
    t_acked = time.time()
    client.disconnect()
    client.loop_stop()
    Path(out_path).write_text(
        json.dumps(
            {
                "published": len(messages),
                "t_start": t_start,
                "t_sent": t_sent,
                "t_acked": t_acked,
                "marks": stamped,
                "unacked": unacked,
                "cpu_s": round(time.process_time(), 2),
            }
        )
    )


# --- raw subscriber -------------------------------------------------------------------------


class RawSubscriber:
    """paho MQTT v5 in this process: the workers' settings, but only counting and acking."""

    def __init__(self, port: int, group: str, receive_maximum: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self._subscribed = threading.Event()
        self._topic = f"$share/{group}/{TOPIC_FILTER}"
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"bench-raw-{os.getpid()}",
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self._client.username_pw_set(*INGEST_LOGIN)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_a: self._subscribed.set()
        self._client.on_message = self._on_message
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        props.ReceiveMaximum = max(1, min(65535, receive_maximum))
        self._client.connect(HOST, port, keepalive=30, clean_start=False, properties=props)
        self._client.loop_start()

    def _on_connect(self, client: Any, *_a: Any) -> None:
        client.subscribe(self._topic, qos=1)

    def _on_message(self, client: Any, _u: Any, message: Any) -> None:
        client.ack(message.mid, message.qos)  # right away: nothing to commit
        self.last = time.time()
        if not self.count:
            self.first = self.last
        self.count += 1

    def wait_subscribed(self, timeout: float = 10.0) -> bool:
        return self._subscribed.wait(timeout)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.disconnect()
        self._client.loop_stop()


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "publish":
        _publish_main(*sys.argv[2:6])
