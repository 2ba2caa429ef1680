"""Replaying the dead-letter store: kept messages fed back through the ingest path.

A message the ingest refused (`unknown_seal` before its lock was registered, `fix_in_future`
from a clock since put right) or could not store (`unstorable:<error>`, a trip whose data was
damaged and has since been repaired) waits in `telemetry_rejects`. A replay passes each one
through the same verification, de-duplication, storage and monitoring as a live message. The
transaction that stores an accepted one also deletes its dead letter and audits the replay,
so a crash leaves it either kept or stored, never lost nor stored twice; one refused again
is left as it is and reported with the reason it gets now. The MQTT path's messages are
replayed, and the fixes an authenticated channel (the JT/T 808 gateway) kept whole
(`fix_in_future`); a JT/T 808 frame the gateway could not read is kept as hex, for people.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, or_, select

from landport.adapters.db import tables as t
from landport.adapters.db.audit import SqlAuditTrail
from landport.adapters.telemetry.ingest import (
    FIX_LETTER_PREFIX,
    IngestReport,
    RawMessage,
    TelemetryIngestor,
    fix_of_letter,
)
from landport.seals.telemetry import FUTURE_TOLERANCE, TOPIC_PREFIX
from landport.shared.clock import Clock

_R = t.telemetry_rejects
#: Tries at a dead letter that fails to store: a conflict with another writer passes.
TRIES = 3
#: Dead letters read at once (their ids only go up: those stored are deleted as they go).
PAGE = 500

Outcome = Literal["stored", "duplicate", "refused", "gone"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    received_at: datetime
    seal_id: str | None
    reason: str
    topic: str
    payload: str


@dataclass(frozen=True, slots=True)
class Replayed:
    """What became of one dead letter: `stored` (or `duplicate`, its fix was stored since)
    and deleted, `refused` again and kept (`reason`: why, now), or `gone` (another replay
    took it first). With a dry run nothing is stored nor deleted: the outcome is what would
    have been."""

    letter: DeadLetter
    outcome: Outcome
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """Which dead letters to replay: all of the MQTT path's unless narrowed. A reason also
    takes its detailed forms (`unstorable` takes `unstorable:LookupError`)."""

    seal_id: str | None = None
    since: datetime | None = None
    reasons: Sequence[str] = ()

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [
            or_(
                _R.c.topic.startswith(TOPIC_PREFIX, autoescape=True),
                _R.c.topic.startswith(FIX_LETTER_PREFIX, autoescape=True),
            )
        ]
        if self.seal_id is not None:
            clauses.append(_R.c.seal_id == self.seal_id)
        if self.since is not None:
            clauses.append(_R.c.received_at >= self.since)
        if self.reasons:
            clauses.append(
                or_(
                    *(_R.c.reason == r for r in self.reasons),
                    *(_R.c.reason.startswith(f"{r}:", autoescape=True) for r in self.reasons),
                )
            )
        return clauses


def count_dead_letters(engine: Engine, selection: Selection) -> tuple[int, int]:
    """How many dead letters the selection holds, and the highest id among them (the replay
    stops there: what arrives meanwhile waits for the next one)."""
    with engine.connect() as conn:
        n, last = conn.execute(
            select(func.count(), func.max(_R.c.id)).where(*selection.where())
        ).one()
    return int(n), int(last or 0)


def dead_letters(
    engine: Engine, selection: Selection, *, up_to: int, limit: int | None = None
) -> Iterator[DeadLetter]:
    """The selected dead letters, oldest first, a page at a time."""
    after, left = 0, limit
    while left is None or left > 0:
        page = PAGE if left is None else min(PAGE, left)
        query = (
            select(_R.c.id, _R.c.received_at, _R.c.seal_id, _R.c.reason, _R.c.topic, _R.c.payload)
            .where(*selection.where(), _R.c.id > after, _R.c.id <= up_to)
            .order_by(_R.c.id)
            .limit(page)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield DeadLetter(*row)
        if len(rows) < page:
            return
        after = rows[-1][0]
        left = None if left is None else left - len(rows)


class _Gone(Exception):
    """The dead letter was deleted meanwhile (another replay stored it)."""


class _DryRun(Exception):
    """Raised at the end of a dry run's transaction, so that it rolls back."""


class DeadLetterReplay(TelemetryIngestor):
    """The ingest path, as the workers run it, with two differences for a dead letter: a
    message refused again writes nothing (its dead letter stays as it was received), and the
    transaction that stores an accepted one first deletes its dead letter (the row lock also
    keeps a second replay off it) and audits the replay before it commits."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        actor: str,
        dry_run: bool = False,
        future_tolerance: timedelta = FUTURE_TOLERANCE,
    ) -> None:
        super().__init__(engine, clock, future_tolerance=future_tolerance)
        self._actor = actor
        self._dry_run = dry_run

    def replay(self, letter: DeadLetter) -> Replayed:
        """One dead letter through the ingest path; a database that stops answering raises."""
        payload = letter.payload.encode("utf-8")
        failure: Exception | None = None
        for _ in range(TRIES):
            report = IngestReport(received=1)
            try:
                if letter.topic.startswith(FIX_LETTER_PREFIX):  # a gateway's fix, kept whole
                    fixes, rejects = self._in_time([fix_of_letter(payload)])
                else:
                    fixes, rejects = self._verified([RawMessage(letter.topic, payload)])
                if rejects:  # refused again: the dead letter stays, nothing is written
                    return Replayed(letter, "refused", rejects[0][1])
                self._store(fixes, [], report, around=partial(self._replaying, letter, report))
            except _Gone:
                return Replayed(letter, "gone")
            except _DryRun:
                pass
            except Exception as exc:
                if not self.reachable():
                    raise
                failure = exc
                continue
            return Replayed(letter, "stored" if report.accepted else "duplicate")
        return Replayed(letter, "refused", f"unstorable:{type(failure).__name__}"[:40])

    @contextmanager
    def _replaying(
        self, letter: DeadLetter, report: IngestReport, conn: Connection
    ) -> Iterator[None]:
        """Around the ingest's writes: take the dead letter first, audit its replay last (a
        dry run rolls everything back instead)."""
        if not _take(conn, letter.id):
            raise _Gone
        yield
        if self._dry_run:
            raise _DryRun
        audit = SqlAuditTrail(conn, self._clock.now())
        audit.append(
            actor=self._actor,
            action="telemetry.reject_replayed",
            entity_type="telemetry_reject",
            entity_id=str(letter.id),
            before={
                "reason": letter.reason,
                "seal_id": letter.seal_id,
                "topic": letter.topic,
                "received_at": letter.received_at.isoformat(),
                "payload": letter.payload,
            },
            after={"stored": report.accepted, "duplicates": report.duplicates},
            detail=f"{letter.seal_id or '-'} {letter.reason}",
        )
        audit.flush()


def _take(conn: Connection, reject_id: int) -> bool:
    """Delete the dead letter in the storing transaction: False if it is gone already."""
    return bool(conn.execute(delete(_R).where(_R.c.id == reject_id)).rowcount == 1)
