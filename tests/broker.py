"""A real Mosquitto started with the production configuration (deploy/), on a free port, with
the production roles and a login for each kind of client."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from landport.adapters.broker_security import (
    DEPLOYED_PLUGIN,
    dynamic_security_plugin,
    write_security_file,
)

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto" / "landport.conf"
#: Logins on the test broker, (user name, password), each with its production role.
GATEWAY = ("landport-gateway", "gateway-pass")  # relays many locks' telemetry
INGEST = ("landport-ingest", "ingest-pass")
WEB = ("landport-web", "web-pass")
DEVICES = {f"SEAL-{n:04d}": f"device-pass-{n}" for n in range(1, 4)}  # a lock logs in as itself
ROLES = {
    GATEWAY: "telemetry-publisher",
    INGEST: "ingest-worker",
    WEB: "event-reader",
    **{login: "telemetry-publisher" for login in DEVICES.items()},
}


def _security_file(workdir: Path) -> Path:
    path = workdir / "landport-security.json"
    logins = {user: (password, role) for (user, password), role in ROLES.items()}
    # Any shared group: tests give each worker a group of its own.
    write_security_file(path, logins, group="+", mode=0o666)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def mosquitto(security_file: Path | None = None) -> Iterator[int]:
    """Start a broker from deploy/mosquitto/landport.conf; yield its port. Its logins are
    the test logins above, or those of `security_file`."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    workdir = Path(tempfile.mkdtemp(prefix="landport-broker-"))
    os.chmod(workdir, 0o777)  # mosquitto drops root privileges before writing persistence
    port = free_port()
    text = CONFIG.read_text()
    text = text.replace("listener 1883", f"listener {port} 127.0.0.1")
    text = text.replace(
        "persistence_location /var/lib/mosquitto/", f"persistence_location {workdir}/"
    )
    logins = security_file or _security_file(workdir)
    text = text.replace("/var/lib/mosquitto/landport-security.json", str(logins))
    text = text.replace(DEPLOYED_PLUGIN, dynamic_security_plugin())
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


def publisher(
    port: int, client_id: str = "test-device-gateway", login: tuple[str, str] = GATEWAY
) -> mqtt.Client:
    """A client logged in as `login` (a vendor's gateway unless told otherwise)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.username_pw_set(*login)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish_all(client: mqtt.Client, messages: list[tuple[str, bytes]]) -> None:
    """QoS 1; returns when the broker has acknowledged every message."""
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(timeout=60)
    unacknowledged = sum(not info.is_published() for info in infos)
    if unacknowledged:
        raise AssertionError(f"the broker did not acknowledge {unacknowledged} messages in 60 s")


def subscribe_granted(client: mqtt.Client, topic: str, timeout: float = 30.0) -> None:
    """Subscribes (QoS 1) and returns once the broker has granted it: anything published
    before the grant matches no subscriber and is dropped, so a test must wait for it."""
    answered = threading.Event()
    refused: list[ReasonCode] = []

    def on_subscribe(
        _c: mqtt.Client, _u: object, _mid: int, reasons: list[ReasonCode], _p: object
    ) -> None:
        # A SUBACK may refuse (reason code >= 0x80): an answer, but no grant. The refusal is
        # raised in the test's thread, not in the client's network loop.
        refused.extend(r for r in reasons if r.is_failure)
        answered.set()

    client.on_subscribe = on_subscribe
    _rc, _mid = client.subscribe(topic, qos=1)
    if not answered.wait(timeout):
        raise AssertionError(f"the broker did not grant {topic} within {timeout:.0f} s")
    if refused:
        raise AssertionError(f"the broker refused {topic}: {', '.join(map(str, refused))}")
