"""Whatever a device or a stranger publishes, a batch is stored: a bad message is refused on its
own, kept in the dead-letter store with its reason, and never takes its batch down with it
(the worker would otherwise retry that batch for ever, holding back every good fix in it).
What the track changes (a trip's state, an alert opened or closed) is in the audit chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from armed import OFFICER, Port, armed_port
from landport.adapters.db import tables as t
from landport.adapters.db.audit import verify_audit
from landport.adapters.telemetry.ingest import RawMessage, TelemetryIngestor
from landport.seals.commands import RegisterSeal
from landport.seals.model import SealFix
from landport.seals.telemetry import seal_of_topic, signed, topic_for
from landport.shared.errors import InvalidInput
from signed import SECRET, message
from tracks import Detour, build_track, shipped_corridors

SEAL = "SEAL-0001"


@pytest.fixture
def port(database_url: str) -> Iterator[Port]:
    with armed_port(database_url, [SEAL]) as armed:
        yield armed


def journey(**kwargs: object) -> list[SealFix]:
    return build_track(
        shipped_corridors()["shigatse-gyirong"], seal_id=SEAL, interval_s=120, **kwargs
    ).live()


def signed_body(**changes: object) -> bytes:
    body: dict[str, object] = {
        "seq": 5,
        "fix_time": "2026-03-02T01:00:00Z",
        "lat": 29.25,
        "lon": 88.88,
        "speed_kmh": 0.0,
        "course": 0.0,
        "lock_state": "locked",
        "tamper": False,
        "battery_pct": 90.0,
        **changes,
    }
    return json.dumps(signed(body, SECRET)).encode()


def rejects(port: Port) -> list[tuple[str | None, str]]:
    r = t.telemetry_rejects.c
    with port.world.services.engine.connect() as conn:
        return [(a, b) for a, b in conn.execute(select(r.seal_id, r.reason).order_by(r.id))]


def stored(port: Port) -> int:
    with port.world.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.positions)).scalar_one())


def test_bad_messages_are_refused_one_by_one_and_the_good_ones_stored(port: Port) -> None:
    good = journey()[:6]
    port.clock._now = good[-1].fix_time
    ahead = (port.clock._now + timedelta(hours=1)).isoformat()
    topic = topic_for(SEAL)
    bad = [
        RawMessage(topic, signed_body(seq=10**19)),  # beyond any 64-bit column
        RawMessage(topic, signed_body(fix_time="9999-12-31T23:00:00-05:00")),  # overflows UTC
        RawMessage(topic, signed_body(fix_time="0001-01-01T00:00:00+01:00")),
        RawMessage(topic, signed_body(seq=7, fix_time=ahead)),  # a broken device clock
        RawMessage(topic_for("S" * 41), signed_body()),  # longer than any seal id
        RawMessage(topic_for("SEAL\x000001"), signed_body()),
        RawMessage(topic, b'{"seq": 1, "note": "\x00"}'),  # no NUL in PostgreSQL's text
    ]
    batch = [message(good[0]), *bad[:4], message(good[1]), *bad[4:], *map(message, good[2:])]

    report = TelemetryIngestor(port.world.services.engine, port.clock).ingest_messages(batch)

    assert report.accepted == len(good)
    assert stored(port) == len(good)
    assert report.rejected == {
        "bad_values": 3,
        "fix_in_future": 1,
        "bad_topic": 2,
        "not_json": 1,
    }
    assert rejects(port) == [  # those refused before the signature is looked at come first
        (None, "bad_topic"),
        (None, "bad_topic"),
        (None, "not_json"),
        (SEAL, "bad_values"),
        (SEAL, "bad_values"),
        (SEAL, "bad_values"),
        (SEAL, "fix_in_future"),
    ]


def test_a_fix_sent_twice_in_one_batch_is_stored_and_counted_once(port: Port) -> None:
    fixes = journey()[:3]
    port.clock._now = fixes[-1].fix_time
    batch = [message(fixes[0]), message(fixes[1]), message(fixes[1]), message(fixes[2])]

    report = TelemetryIngestor(port.world.services.engine, port.clock).ingest_messages(batch)

    assert (report.accepted, report.duplicates) == (3, 1)
    assert stored(port) == 3


def test_a_fix_from_the_future_over_an_authenticated_channel_is_kept_aside(port: Port) -> None:
    fixes = journey()[:4]
    port.clock._now = fixes[-1].fix_time
    broken = replace(fixes[-1], seq=99, fix_time=fixes[-1].fix_time + timedelta(days=3))

    report = TelemetryIngestor(port.world.services.engine, port.clock).ingest_fixes(
        [*fixes, broken]
    )

    assert (report.accepted, report.rejected) == (4, {"fix_in_future": 1})
    assert rejects(port) == [(SEAL, "fix_in_future")]
    # The trip still follows the real clock of the device: its last fix is the real one.
    with port.world.services.engine.connect() as conn:
        last = conn.execute(
            select(t.trips.c.last_fix_time).where(t.trips.c.id == port.trips[SEAL])
        ).scalar_one()
    assert last.replace(tzinfo=fixes[-1].fix_time.tzinfo) == fixes[-1].fix_time


def test_what_the_track_changes_is_in_the_audit_chain(port: Port) -> None:
    fixes = journey(detours=[Detour(at_km=120, off_km=6, length_km=20)])
    ingestor = TelemetryIngestor(port.world.services.engine, port.clock)
    for i in range(0, len(fixes), 40):
        batch = fixes[i : i + 40]
        port.clock._now = max(f.fix_time for f in batch)
        ingestor.ingest_messages([message(f) for f in batch])

    a = t.audit_log.c
    with port.world.services.engine.connect() as conn:
        rows = conn.execute(
            select(a.actor, a.action, a.entity_id)
            .where(a.entity_type == "trip", a.actor == "custody")
            .order_by(a.seq)
        ).all()
    trip = port.trips[SEAL]
    actions = [action for actor, action, entity in rows if entity == trip]
    assert actions[:2] == ["trip.departed", "trip.en_route"]
    assert actions.count("alert.opened") == 1 and actions.count("alert.closed") == 1
    assert actions.index("alert.opened") < actions.index("alert.closed")
    assert actions[-1] == "trip.at_border"
    assert verify_audit(port.world.services.engine).intact


@pytest.mark.parametrize("seal_id", ["SEAL-0009\n", "seal-0009", "S-1", "SEAL 0009", "S" * 41])
def test_a_seal_id_no_topic_could_name_is_not_registered(port: Port, seal_id: str) -> None:
    """Registration and the telemetry topics read a seal id by one rule: a lock registered
    under an id its topic cannot carry would never be heard."""
    with pytest.raises(InvalidInput) as refused:
        port.world.services.bus.handle(
            RegisterSeal(OFFICER, seal_id, "generic", "json-mqtt", SECRET)
        )
    assert refused.value.violations[0].code == "seal_id_format"
    assert seal_of_topic(topic_for(seal_id)) is None
