"""A real Mosquitto started with the production configuration (deploy/), on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto" / "landport.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def mosquitto() -> Iterator[int]:
    """Start a broker from deploy/mosquitto/landport.conf; yield its port."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    workdir = Path(tempfile.mkdtemp(prefix="landport-broker-"))
    os.chmod(workdir, 0o777)  # mosquitto drops root privileges before writing persistence
    port = free_port()
    text = CONFIG.read_text()
    text = text.replace("listener 1883", f"listener {port} 127.0.0.1")
    text = text.replace(
        "persistence_location /var/lib/mosquitto/", f"persistence_location {workdir}/"
    )
    (workdir / "mosquitto.conf").write_text(text)
    proc = subprocess.Popen(
        [binary, "-c", str(workdir / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    reason = proc.stderr.read().decode() if proc.stderr else "broker died"
                    raise RuntimeError(reason) from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def publisher(port: int, client_id: str = "test-device-gateway") -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish_all(client: mqtt.Client, messages: list[tuple[str, bytes]]) -> None:
    """QoS 1; returns when the broker has acknowledged every message."""
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(timeout=60)
