"""`landport telemetry broker-logins` writes logins the production broker admits, each to its
role, with passwords shown once and kept only as hashes."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broker import mosquitto

pytestmark = pytest.mark.mqtt
LANDPORT = str(Path(sys.executable).with_name("landport"))


def landport(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LANDPORT, *args], capture_output=True, text=True, timeout=120, check=False
    )


def subscribe_code(port: int, login: tuple[str, str], topic: str) -> int | None:
    """The broker's answer to one subscription after logging in (None: not let in)."""
    connected: queue.Queue[int] = queue.Queue()
    granted: queue.Queue[int] = queue.Queue()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"t-{login[0]}", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(*login)
    client.on_connect = lambda _c, _u, _f, code, _p: connected.put(code.value)
    client.on_subscribe = lambda _c, _u, _m, codes, _p: granted.put(codes[0].value)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        if connected.get(timeout=10) != 0:
            return None
        client.subscribe(topic, qos=1)
        return granted.get(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_written_logins_are_what_the_broker_admits() -> None:
    folder = Path(tempfile.mkdtemp(prefix="landport-logins-"))
    os.chmod(folder, 0o755)  # the broker reads it after dropping root privileges
    file = folder / "landport-security.json"
    done = landport(
        "telemetry", "broker-logins", str(file),
        "--login", "worker-1=ingest-worker", "--login", "web=event-reader",
        "--login", "vendor-gw=telemetry-publisher",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = dict(
        (name, (role, password))
        for name, role, password in (line.split("\t") for line in done.stdout.splitlines())
    )
    assert {n: r for n, (r, _) in printed.items()} == {
        "worker-1": "ingest-worker",
        "web": "event-reader",
        "vendor-gw": "telemetry-publisher",
    }
    assert oct(file.stat().st_mode & 0o777) == "0o600"  # password hashes: the broker's only
    text = file.read_text()
    assert all(password not in text for _, password in printed.values())
    assert {c["username"] for c in json.loads(text)["clients"]} == set(printed)

    os.chmod(file, 0o644)  # as `chown mosquitto:` would let the broker's user read it
    with mosquitto(file) as port:
        telemetry = "$share/landport-ingest/landport/v1/seals/+/telemetry"
        assert subscribe_code(port, ("worker-1", printed["worker-1"][1]), telemetry) == 1
        assert subscribe_code(port, ("web", printed["web"][1]), "landport/v1/events/#") == 1
        assert subscribe_code(port, ("web", printed["web"][1]), telemetry) == 135
        assert subscribe_code(port, ("vendor-gw", printed["vendor-gw"][1]), telemetry) == 135
        assert subscribe_code(port, ("worker-1", "not-the-password"), telemetry) is None
    shutil.rmtree(folder)


def test_bad_logins_and_an_existing_file_are_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    file = tmp_path / "landport-security.json"
    for bad in (["--login", "worker-1=admin"], ["--login", "two words=ingest-worker"],
                ["--login", "a=ingest-worker", "--login", "a=event-reader"]):  # fmt: skip
        done = landport("telemetry", "broker-logins", str(file), *bad)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "--login" in done.stderr and "错误" in done.stderr
        assert not file.exists()
    file.write_text("{}")
    done = landport("telemetry", "broker-logins", str(file), "--login", "w=ingest-worker")
    assert done.returncode == 2 and "--force" in done.stderr
    assert file.read_text() == "{}"
    done = landport(
        "telemetry", "broker-logins", str(file), "--login", "w=ingest-worker", "--force"
    )
    assert done.returncode == 0 and json.loads(file.read_text())["clients"][0]["username"] == "w"
