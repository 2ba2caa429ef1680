"""The custody broker (deploy/mosquitto) lets in only known clients, each to its own topics:
positions are no one else's to read, and the screens' alerts no one else's to write."""

from __future__ import annotations

import queue
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broker import DEVICES, GATEWAY, INGEST, WEB

pytestmark = pytest.mark.mqtt

TELEMETRY = "landport/v1/seals/{}/telemetry"
EVENTS = "landport/v1/events/alerts"


class Client:
    """A paho client that records what the broker answered and what it delivered."""

    def __init__(self, port: int, login: tuple[str, str] | None) -> None:
        self.connected: queue.Queue[int] = queue.Queue()
        self.granted: queue.Queue[list[int]] = queue.Queue()
        self.received: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"acl-{time.time_ns()}", protocol=mqtt.MQTTv5
        )
        if login is not None:
            self.c.username_pw_set(*login)
        self.c.on_connect = lambda _c, _u, _f, rc, _p: self.connected.put(rc.value)
        self.c.on_subscribe = lambda _c, _u, _m, rcs, _p: self.granted.put([r.value for r in rcs])
        self.c.on_message = lambda _c, _u, m: self.received.put((m.topic, bytes(m.payload)))
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        self.code = self.connected.get(timeout=10)

    def subscribe(self, topic: str) -> int:
        self.c.subscribe(topic, qos=1)
        return self.granted.get(timeout=10)[0]

    def publish(self, topic: str, payload: bytes) -> int:
        info = self.c.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)
        return info.rc

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()

    def heard(self, wait: float = 1.0) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.received.get(timeout=left))
            except queue.Empty:
                break
        return out


def test_a_client_without_a_login_or_with_a_wrong_one_is_refused(broker_port: int) -> None:
    assert Client(broker_port, None).code != 0
    assert Client(broker_port, (INGEST[0], "guess")).code != 0
    ok = Client(broker_port, INGEST)
    assert ok.code == 0
    ok.close()


def test_each_login_reaches_only_the_topics_of_its_role(broker_port: int) -> None:
    worker, screen = Client(broker_port, INGEST), Client(broker_port, WEB)
    lock = Client(broker_port, ("SEAL-0001", DEVICES["SEAL-0001"]))
    gateway = Client(broker_port, GATEWAY)
    clients = (worker, screen, lock, gateway)
    try:
        assert worker.subscribe(TELEMETRY.format("+")) < 128
        assert screen.subscribe(EVENTS) < 128
        # Nobody else reads a position, and locks and gateways read no event either.
        for nosy in (screen, lock, gateway):
            assert nosy.subscribe(TELEMETRY.format("+")) >= 128
            assert nosy.subscribe(TELEMETRY.format("SEAL-0001")) >= 128
        for nosy in (lock, gateway):
            assert nosy.subscribe(EVENTS) >= 128

        lock.publish(TELEMETRY.format("SEAL-0001"), b"own")
        gateway.publish(TELEMETRY.format("SEAL-0003"), b"relayed")
        worker.publish(EVENTS, b'{"kind": "real"}')
        assert sorted(p for _, p in worker.heard()) == [b"own", b"relayed"]
        assert screen.heard() == [(EVENTS, b'{"kind": "real"}')]

        # A lock that writes to the screens' topic is turned away and its alert never shows.
        forger = Client(broker_port, ("SEAL-0002", DEVICES["SEAL-0002"]))
        try:
            forger.c.publish(EVENTS, b'{"kind": "fake"}', qos=1)
            assert screen.heard() == []
        finally:
            forger.close()
    finally:
        for client in clients:
            client.close()


def test_nobody_but_the_workers_joins_their_shared_subscription(broker_port: int) -> None:
    """A stranger in the workers' group would be given a share of the telemetry, which would
    then reach neither it nor the workers: the broker refuses it the group."""
    worker = Client(broker_port, INGEST)
    lock = Client(broker_port, ("SEAL-0002", DEVICES["SEAL-0002"]))
    gateway = Client(broker_port, GATEWAY)
    try:
        shared = "$share/landport-ingest/" + TELEMETRY.format("+")
        assert worker.subscribe(shared) < 128
        assert lock.subscribe(shared) >= 128
        for n in range(10):
            gateway.publish(TELEMETRY.format("SEAL-0003"), f"fix {n}".encode())
        assert len(worker.heard()) == 10
    finally:
        for client in (worker, lock, gateway):
            client.close()
