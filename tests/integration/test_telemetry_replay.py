"""Replaying the dead-letter store (what `landport telemetry replay-rejects` runs): a dead letter
now accepted is stored and deleted in one transaction, so a failure before the commit keeps it
and stores nothing, and two replays never store it twice; one refused again stays as it was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from armed import OFFICER, Port, armed_port
from landport.adapters.db import tables as t
from landport.adapters.db.audit import SqlAuditTrail, verify_audit
from landport.adapters.telemetry import replay as replay_module
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.adapters.telemetry.replay import (
    DeadLetter,
    DeadLetterReplay,
    Selection,
    count_dead_letters,
    dead_letters,
)
from landport.seals.commands import RegisterSeal
from landport.seals.model import LockState, SealFix
from signed import SECRET, message
from tracks import build_track, shipped_corridors

SEAL, LATE = "SEAL-0001", "SEAL-0009"  # LATE: registered only after its messages came in


@pytest.fixture
def port(database_url: str) -> Iterator[Port]:
    with armed_port(database_url, [SEAL]) as armed:
        yield armed


def fixes(seal_id: str, n: int) -> list[SealFix]:
    track = build_track(shipped_corridors()["shigatse-gyirong"], seal_id=seal_id, interval_s=120)
    return track.live()[:n]


def refused_then_registered(port: Port, n: int = 3) -> list[DeadLetter]:
    """Messages of a lock nobody had registered yet (kept as `unknown_seal`), and then the lock
    registered: replayed now, they are accepted."""
    sent = fixes(LATE, n)
    port.clock._now = sent[-1].fix_time
    ingestor = TelemetryIngestor(port.world.services.engine, port.clock)
    report = ingestor.ingest_messages([message(f) for f in sent])
    assert report.rejected == {"unknown_seal": n}
    port.world.services.bus.handle(RegisterSeal(OFFICER, LATE, "generic", "json-mqtt", SECRET))
    _, last = count_dead_letters(port.world.services.engine, Selection())
    return list(dead_letters(port.world.services.engine, Selection(), up_to=last))


def replayer(port: Port, **kwargs: bool) -> DeadLetterReplay:
    return DeadLetterReplay(port.world.services.engine, port.clock, actor="cli:test", **kwargs)


def rows(port: Port, table: object = t.positions) -> int:
    with port.world.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_dead_letter_now_accepted_is_stored_and_leaves_the_store_audited(port: Port) -> None:
    letters = refused_then_registered(port)
    replay = replayer(port)
    assert [replay.replay(letter).outcome for letter in letters] == ["stored"] * 3
    assert rows(port) == 3 and rows(port, t.telemetry_rejects) == 0
    with port.world.services.engine.connect() as conn:
        audited = conn.execute(
            select(t.audit_log.c.entity_id, t.audit_log.c.detail).where(
                t.audit_log.c.action == "telemetry.reject_replayed"
            )
        ).all()
    assert sorted(audited) == sorted((str(x.id), f"{LATE} unknown_seal") for x in letters)
    assert verify_audit(port.world.services.engine).intact


def test_a_dry_run_says_what_would_be_stored_and_changes_nothing(port: Port) -> None:
    letters = refused_then_registered(port)
    audit_before = rows(port, t.audit_log)
    replay = replayer(port, dry_run=True)
    assert [replay.replay(letter).outcome for letter in letters] == ["stored"] * 3
    assert rows(port) == 0 and rows(port, t.telemetry_rejects) == 3
    assert rows(port, t.audit_log) == audit_before


def test_a_failure_before_the_commit_keeps_the_dead_letter_and_stores_nothing(
    port: Port, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash the one transaction is for: the fix was written and its dead letter deleted,
    then the commit never came. Both are undone: the dead letter waits for the next replay."""
    letters = refused_then_registered(port, n=1)

    class Crashing(SqlAuditTrail):
        def flush(self) -> None:
            super().flush()
            raise RuntimeError("the process died before the commit")

    monkeypatch.setattr(replay_module, "SqlAuditTrail", Crashing)
    done = replayer(port).replay(letters[0])
    assert (done.outcome, done.reason) == ("refused", "unstorable:RuntimeError")
    assert rows(port) == 0 and rows(port, t.telemetry_rejects) == 1
    monkeypatch.undo()
    assert replayer(port).replay(letters[0]).outcome == "stored"
    assert rows(port) == 1 and rows(port, t.telemetry_rejects) == 0


def test_a_dead_letter_replayed_twice_is_stored_once(port: Port) -> None:
    letter = refused_then_registered(port, n=1)[0]
    assert replayer(port).replay(letter).outcome == "stored"
    assert replayer(port).replay(letter).outcome == "gone"  # read before the first took it
    assert rows(port) == 1 and rows(port, t.telemetry_rejects) == 0


def test_a_fix_stored_since_its_refusal_is_a_duplicate_and_leaves_the_store(port: Port) -> None:
    letter = refused_then_registered(port, n=1)[0]
    TelemetryIngestor(port.world.services.engine, port.clock).ingest_messages(
        [message(fixes(LATE, 1)[0])]  # the lock sent it again once registered
    )
    assert replayer(port).replay(letter).outcome == "duplicate"
    assert rows(port) == 1 and rows(port, t.telemetry_rejects) == 0


def test_a_message_refused_again_stays_as_it_was_received(port: Port) -> None:
    sent = fixes(SEAL, 1)[0]
    port.clock._now = sent.fix_time
    forged = message(sent, secret="another-lock-secret-0001")
    TelemetryIngestor(port.world.services.engine, port.clock).ingest_messages([forged])
    with port.world.services.engine.connect() as conn:
        before = conn.execute(select(t.telemetry_rejects)).all()
    (letter,) = dead_letters(port.world.services.engine, Selection(), up_to=before[0].id)
    done = replayer(port).replay(letter)
    assert (done.outcome, done.reason) == ("refused", "bad_signature")
    with port.world.services.engine.connect() as conn:
        assert conn.execute(select(t.telemetry_rejects)).all() == before
    assert rows(port) == 0


def test_the_selection_narrows_by_seal_reason_and_time_and_leaves_jt808_frames(
    port: Port,
) -> None:
    letters = refused_then_registered(port, n=2)
    engine = port.world.services.engine
    with engine.begin() as conn:
        conn.execute(
            t.telemetry_rejects.insert(),
            [
                {  # the JT/T 808 gateway keeps frames as hex: not for this path
                    "received_at": port.clock.now(),
                    "seal_id": LATE,
                    "reason": "unknown_seal",
                    "topic": "jt808/013912345678/0x0200",
                    "payload": "7E02007E",
                },
                {
                    "received_at": port.clock.now(),
                    "seal_id": SEAL,
                    "reason": "unstorable:LookupError",
                    "topic": f"landport/v1/seals/{SEAL}/telemetry",
                    "payload": "{}",
                },
            ],
        )

    def ids(selection: Selection) -> list[int]:
        _, last = count_dead_letters(engine, selection)
        return [x.id for x in dead_letters(engine, selection, up_to=last)]

    everything = ids(Selection())
    assert len(everything) == 3  # not the frame
    assert ids(Selection(seal_id=LATE)) == [x.id for x in letters]
    assert ids(Selection(reasons=("unstorable",))) == everything[-1:]
    assert ids(Selection(reasons=("unstorable:LookupError", "unknown_seal"))) == everything
    assert ids(Selection(since=port.clock.now())) == everything  # all received just now
    later = port.clock.now().replace(year=port.clock.now().year + 1)
    assert ids(Selection(since=later)) == []
    _, last = count_dead_letters(engine, Selection())
    assert [x.id for x in dead_letters(engine, Selection(), up_to=last, limit=2)] == everything[:2]


def test_a_gateways_fix_from_the_future_is_kept_whole_and_replayed_once_its_time_comes(
    port: Port,
) -> None:
    """A JT/T 808 lock whose clock ran a day ahead reported a tamper without a satellite fix:
    the gateway acknowledged it, so the dead letter is all there is. Kept whole (the readings
    and the missing fix included), it is stored as reported once the day has come."""
    sent = fixes(SEAL, 4)
    port.clock._now = sent[-1].fix_time
    ahead = replace(
        sent[-1],
        seq=7,
        fix_time=sent[-1].fix_time + timedelta(hours=6),
        lock_state=LockState.OPENED,
        tamper=True,
        battery_pct=11.0,
        source="jt808",
        positioned=False,
    )
    ingestor = TelemetryIngestor(port.world.services.engine, port.clock)
    assert ingestor.ingest_fixes([*sent[:3], ahead]).rejected == {"fix_in_future": 1}
    _, last = count_dead_letters(port.world.services.engine, Selection())
    (letter,) = dead_letters(port.world.services.engine, Selection(), up_to=last)
    assert replayer(port).replay(letter).outcome == "refused"  # still ahead of the clock
    port.clock._now = ahead.fix_time
    assert replayer(port).replay(letter).outcome == "stored"
    with port.world.services.engine.connect() as conn:
        p = t.positions.c
        row = conn.execute(
            select(p.lock_state, p.tamper, p.battery_pct, p.source, p.positioned).where(p.seq == 7)
        ).one()
    assert tuple(row) == ("opened", True, 11.0, "jt808", False)
    assert rows(port, t.telemetry_rejects) == 0
