"""The ingest pipeline: verify, de-duplicate, store, monitor — one transaction per batch.

A batch is committed before any of its messages is acknowledged to the broker or device,
so a crash loses nothing and a redelivery is only a duplicate, which changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    case,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from landport.adapters.db import tables as t
from landport.adapters.db.audit import SqlAuditTrail
from landport.adapters.db.custody import route_version
from landport.adapters.db.engine import writer_lock
from landport.adapters.telemetry.position_store import (
    TRIP_HEADS,
    active_trips,
    fix_key,
    history,
    insert_positions,
    update_batteries,
    update_trips,
)
from landport.adapters.telemetry.state_text import StateText
from landport.adapters.telemetry.trip_cache import KnownTrip, TripCache
from landport.seals.alerts import Alert, AlertChange, AlertKind, TripStateChange
from landport.seals.corridor import Corridor
from landport.seals.corridor_loading import corridor_from_approved
from landport.seals.model import (
    LOCK_STATES,
    LockState,
    SealFix,
    TransitTrip,
    TripState,
    before_arming,
)
from landport.seals.monitor_state import MonitorState
from landport.seals.monitoring import check_silence, ingest_many
from landport.seals.telemetry import (
    FUTURE_TOLERANCE,
    SEAL_ID_MAX,
    Rejected,
    ahead_of_clock,
    parse,
    seal_of_topic,
    verify,
)
from landport.shared.clock import Clock

MONITORED = (TripState.IN_YARD, TripState.DEPARTED, TripState.EN_ROUTE, TripState.AT_BORDER)


@dataclass(frozen=True, slots=True)
class RawMessage:
    topic: str
    payload: bytes


@dataclass
class IngestReport:
    """What one batch did; the alert changes go out as events after the commit."""

    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    without_trip: int = 0
    alert_changes: list[AlertChange] = field(default_factory=list)
    trip_changes: list[tuple[str, TripStateChange]] = field(default_factory=list)


#: A message refused, with its seal (when it names one) and the reason: a dead letter.
Reject = tuple[str | None, str, RawMessage]
#: See `TelemetryIngestor._store`.
Around = Callable[[Connection], AbstractContextManager[object]]


def _upsert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class TelemetryIngestor:
    """Shared by the MQTT worker, the JT/T 808 gateway and the embedded demo transport."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        secret_ttl_s: float = 30.0,
        future_tolerance: timedelta = FUTURE_TOLERANCE,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._ahead = future_tolerance
        self._secret_ttl_s = secret_ttl_s
        self._state_text = StateText()
        self._secrets: dict[str, tuple[str, float]] = {}
        self._corridors: dict[tuple[str, int], Corridor] = {}
        self.trips = TripCache(self._corridor)

    # -- entry points ------------------------------------------------------------------------

    def ingest_messages(self, messages: Sequence[RawMessage]) -> IngestReport:
        """Signed JSON messages from MQTT: verified first, a forgery is never applied."""
        report = IngestReport(received=len(messages))
        self._store(*self._verified(messages), report)
        return report

    def ingest_fixes(self, fixes: Sequence[SealFix]) -> IngestReport:
        """Fixes from an authenticated channel (the JT/T 808 gateway, the embedded transport)."""
        report = IngestReport(received=len(fixes))
        self._store(*self._in_time(fixes), report)
        return report

    def quarantine(self, message: RawMessage, reason: str) -> None:
        """Keep a message no batch could store (the worker found it fails alone while the
        database answers) in the dead-letter store, so that it stops blocking the queue and
        is not lost: it can be looked at and replayed."""
        report = IngestReport(received=1)
        self._store([], [(seal_of_topic(message.topic), reason[:40], message)], report)

    def reachable(self) -> bool:
        """Whether the database answers: a failure then lies in the batch, not in the store."""
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception:
            return False
        return True

    def check_silence(self) -> IngestReport:
        """The timer side: trips whose seals went quiet get a signal-lost alert."""
        report = IngestReport()
        now = self._clock.now()
        written: list[KnownTrip] = []
        with self._transaction() as conn:
            updates = []
            audit = SqlAuditTrail(conn, now)
            query = TRIP_HEADS.where(t.trips.c.state.in_(MONITORED)).order_by(t.trips.c.id)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()  # as the batches do: one writer per trip
            heads = list(conn.execute(query).mappings())
            known = self.trips.resolve(conn, heads)
            for head in heads:
                k = known[head["id"]]
                after, changes = check_silence(k.plan, k.state, now)
                if changes:
                    values = self._apply(conn, k.trip, head, after, changes, report, audit)
                    updates.append(values)
                    written.append(k.after_write(after, values["state"]))
            update_trips(conn, updates)
            audit.flush()
        self.trips.publish(written, keep_only={h["id"] for h in heads})
        return report

    # -- what a batch stores ------------------------------------------------------------------

    def _verified(self, messages: Sequence[RawMessage]) -> tuple[list[SealFix], list[Reject]]:
        """The fixes of the messages that parse, verify against their seal's secret and are
        not ahead of the clock; the others as dead letters, with their reasons."""
        envelopes: list[tuple[RawMessage, Any]] = []
        rejects: list[Reject] = []
        for m in messages:
            try:
                envelopes.append((m, parse(m.topic, m.payload)))
            except Rejected as exc:
                rejects.append((None, exc.reason, m))
        secrets = self._secrets_for({e.seal_id for _, e in envelopes})
        fixes: list[SealFix] = []
        now = self._clock.now()
        for m, envelope in envelopes:
            secret = secrets.get(envelope.seal_id)
            try:
                if secret is None:
                    raise Rejected("unknown_seal")
                fix = verify(envelope, secret)
                if ahead_of_clock(fix, now, self._ahead):
                    raise Rejected("fix_in_future")
                fixes.append(fix)
            except Rejected as exc:
                rejects.append((envelope.seal_id, exc.reason, m))
        return fixes, rejects

    def _in_time(self, fixes: Sequence[SealFix]) -> tuple[list[SealFix], list[Reject]]:
        """The fixes not ahead of the clock; the others as dead letters kept whole."""
        now = self._clock.now()
        kept: list[SealFix] = []
        rejects: list[Reject] = []
        for f in fixes:
            if ahead_of_clock(f, now, self._ahead):
                rejects.append((f.seal_id, "fix_in_future", fix_letter(f)))
            else:
                kept.append(f)
        return kept, rejects

    # -- the transaction ---------------------------------------------------------------------

    def _transaction(self) -> Any:
        return _write_transaction(self._engine)

    def _store(
        self,
        fixes: list[SealFix],
        rejects: list[Reject],
        report: IngestReport,
        *,
        around: Around | None = None,
    ) -> None:
        """Store the batch in one transaction. `around`: what a caller does in the same
        transaction, entered before the batch's writes and left after them, just before the
        commit (raising rolls the whole batch back)."""
        now = self._clock.now()
        written: list[KnownTrip] = []
        for _, reason, _ in rejects:
            report.rejected[reason] = report.rejected.get(reason, 0) + 1
        unique = _unique(fixes)
        report.duplicates += len(fixes) - len(unique)  # the same fix twice in one batch
        fixes = unique
        with self._transaction() as conn, around(conn) if around else nullcontext():
            if rejects:
                store_dead_letters(conn, [_reject_row(now, *r) for r in rejects])
            if not fixes:
                return
            audit = SqlAuditTrail(conn, now)
            trips = active_trips(conn, {f.seal_id for f in fixes})
            fixes, early = _armed_since(fixes, trips)
            new = _insert_new(conn, fixes, {seal: row["id"] for seal, row in trips.items()}, now)
            stray = _insert_new(conn, early, {}, now)  # on no trip: not the armed trip's
            report.accepted += len(new) + len(stray)
            report.duplicates += len(fixes) + len(early) - len(new) - len(stray)
            report.without_trip += len(stray)
            by_seal: dict[str, list[SealFix]] = defaultdict(list)
            for f in new:
                by_seal[f.seal_id].append(f)
            work, monitored, batteries = [], [], []
            known = self.trips.resolve(conn, [trips[s] for s in sorted(by_seal) if s in trips])
            for seal_id in sorted(by_seal):
                row = trips.get(seal_id)
                if row is None:
                    report.without_trip += len(by_seal[seal_id])
                    continue
                k = known[row["id"]]
                work.append((k.plan, k.state, by_seal[seal_id]))
                monitored.append((k, row))
                battery = next(
                    (f.battery_pct for f in reversed(by_seal[seal_id]) if f.battery_pct), None
                )
                if battery is not None:
                    batteries.append({"b_seal": seal_id, "battery_pct": battery})
            # All trips of the batch at once: each corridor's geometry in one vectorised pass;
            # a trip whose fixes arrive late is replayed from its stored history.
            results = ingest_many(work, history=lambda plan: history(conn, plan.trip_id))
            trip_updates = []
            for (k, row), (after, changes) in zip(monitored, results, strict=True):
                values = self._apply(conn, k.trip, row, after, changes, report, audit)
                trip_updates.append(values)
                written.append(k.after_write(after, values["state"]))
            update_trips(conn, trip_updates)
            if batteries:
                update_batteries(conn, batteries)
            audit.flush()
        self.trips.publish(written)

    def _apply(
        self,
        conn: Connection,
        trip: TransitTrip,
        row: Any,
        after: MonitorState,
        changes: Iterable[AlertChange | TripStateChange],
        report: IngestReport,
        audit: SqlAuditTrail,
    ) -> dict[str, Any]:
        """Alerts are written now; the trip's new row values are returned for one executemany.
        What the track changed (the trip's state, an alert opened or closed) is audited as the
        custody's own doing: the border's verdict rests on it."""
        values: dict[str, Any] = {
            "b_id": trip.id,
            "b_version": row["version"],
            "monitor": self._state_text(after),
            "version": row["version"] + 1,
            # The state after every fix, not the last change listed: a late fix replays the
            # trip and lists only what moved (an earlier departure), not the later states.
            "state": after.trip_state.value,
            "last_fix_time": after.pos_time or row["last_fix_time"],
            "last_lat": after.pos_lat if after.pos_time else row["last_lat"],
            "last_lon": after.pos_lon if after.pos_time else row["last_lon"],
        }
        alarm = False
        for change in changes:
            if isinstance(change, TripStateChange):
                report.trip_changes.append((trip.id, change))
                audit.append(
                    actor="custody",
                    action=f"trip.{change.state.value}",
                    entity_type="trip",
                    entity_id=trip.id,
                    before={"state": row["state"]},
                    after={"state": change.state.value, "at": change.at.isoformat()},
                )
                continue
            self._upsert_alert(conn, trip, change)
            report.alert_changes.append(change)
            a = change.alert
            alarm |= change.action == "opened" and a.kind in (
                AlertKind.SEAL_OPENED,
                AlertKind.TAMPER,
            )
            if change.action in ("opened", "closed"):
                audit.append(
                    actor="custody",
                    action=f"alert.{change.action}",
                    entity_type="trip",
                    entity_id=trip.id,
                    before=None if change.action == "opened" else {"alert": a.id, "state": "open"},
                    after={"alert": a.id, "kind": a.kind.value, **_alert_times(a)},
                    detail=a.id,
                )
        if alarm:
            moved = conn.execute(
                update(t.seals)
                .where(t.seals.c.seal_id == trip.seal_id, t.seals.c.state == "armed")
                .values(state="alarm")
            ).rowcount
            if moved:
                audit.append(
                    actor="custody",
                    action="seal.alarm",
                    entity_type="seal",
                    entity_id=trip.seal_id,
                    before={"state": "armed"},
                    after={"state": "alarm"},
                    detail=f"trip {trip.id}",
                )
        return values

    def _upsert_alert(self, conn: Connection, trip: TransitTrip, change: AlertChange) -> None:
        a = change.alert
        lat, lon = a.details.get("lat"), a.details.get("lon")
        values = {
            "trip_id": trip.id,
            "seal_id": trip.seal_id,
            "kind": a.kind.value,
            "key": a.id,
            "severity": a.severity.value,
            "state": "open" if a.is_open else "closed",
            "opened_at": a.started_at,
            "closed_at": a.closed_at,
            "lat": float(lat) if isinstance(lat, int | float) else None,
            "lon": float(lon) if isinstance(lon, int | float) else None,
            "message_en": a.message_en,
            "message_zh": a.message_zh,
            "details": a.as_dict(),
        }
        ins = _upsert(conn)(t.alerts).values(**values)
        keep = t.alerts.c.state.in_(["acknowledged", "resolved"])
        state = case(
            (t.alerts.c.state == "resolved", "resolved"),
            (ins.excluded.state == "closed", "closed"),
            (keep, t.alerts.c.state),
            else_=ins.excluded.state,
        )
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=["trip_id", "key"],
                set_={
                    "state": state,
                    # an officer's resolution keeps its own time, whatever the track does
                    "closed_at": case(
                        (t.alerts.c.state == "resolved", t.alerts.c.closed_at),
                        else_=ins.excluded.closed_at,
                    ),
                    "message_en": ins.excluded.message_en,
                    "message_zh": ins.excluded.message_zh,
                    "details": ins.excluded.details,
                },
            )
        )

    # -- reads ------------------------------------------------------------------------------

    def _corridor(self, conn: Connection, route_id: str, version: int) -> Corridor:
        key = (route_id, int(version))
        if key not in self._corridors:
            route = route_version(conn, route_id, version)
            if route is None:
                raise LookupError(f"route {route_id} version {version} is missing")
            self._corridors[key] = corridor_from_approved(route)
        return self._corridors[key]

    def _secrets_for(self, seal_ids: set[str]) -> dict[str, str]:
        now = time.monotonic()
        fresh = {
            s: v[0]
            for s, v in self._secrets.items()
            if s in seal_ids and now - v[1] < self._secret_ttl_s
        }
        missing = seal_ids - fresh.keys()
        if missing:
            with self._engine.connect() as conn:
                rows = conn.execute(
                    select(t.seals.c.seal_id, t.seals.c.secret).where(
                        t.seals.c.seal_id.in_(sorted(missing)), t.seals.c.protocol == "json-mqtt"
                    )
                ).all()
            for seal_id, secret in rows:
                self._secrets[seal_id] = (secret, now)
                fresh[seal_id] = secret
        return fresh


@contextmanager
def _write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction (queued behind other SQLite writers in this process)."""
    with writer_lock(engine) or nullcontext(), engine.begin() as conn:
        yield conn


def _alert_times(alert: Alert) -> dict[str, str | None]:
    return {
        "started_at": alert.started_at.isoformat(),
        "closed_at": alert.closed_at.isoformat() if alert.closed_at else None,
    }


def _unique(fixes: list[SealFix]) -> list[SealFix]:
    """The batch without repeats of a fix (the first kept): a device or broker that sends one
    message twice in a batch stores it once and counts it once."""
    seen: set[tuple[str, int, datetime]] = set()
    out = []
    for f in fixes:
        key = fix_key(f)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _armed_since(
    fixes: list[SealFix], trips: Mapping[str, Any]
) -> tuple[list[SealFix], list[SealFix]]:
    """The fixes made while their seal's active trip was armed, and those made before it
    (`before_arming`: stored on no trip, never monitored), in one pass."""
    armed = {seal: row["armed_at"] for seal, row in trips.items()}
    if not armed:
        return fixes, []
    kept: list[SealFix] = []
    early: list[SealFix] = []
    for f in fixes:
        at = armed.get(f.seal_id)
        (early if at is not None and before_arming(f.fix_time, at) else kept).append(f)
    return kept, early


def _insert_new(
    conn: Connection, fixes: list[SealFix], trip_of: dict[str, str], now: datetime
) -> list[SealFix]:
    """Store the fixes on their seals' trips (`trip_of`); those the insert stored, the ones
    stored before left out."""
    if not fixes:
        return []
    stored = insert_positions(conn, fixes, trip_of, now)
    return fixes if stored is None else [f for f in fixes if fix_key(f) in stored]


#: Where a fix from an authenticated channel (the JT/T 808 gateway, the embedded transport)
#: is kept as a dead letter: whole, as the channel decoded it, since there is no signed
#: message to keep (`fix_letter`, `fix_of_letter`).
FIX_LETTER_PREFIX = "landport/v1/fixes/"
_FIX_FIELDS = tuple(f.name for f in fields(SealFix))


def fix_letter(fix: SealFix) -> RawMessage:
    """A fix from an authenticated channel as the dead-letter store keeps it: every field,
    so that a replay (the clock since put right) stores exactly what the device reported."""
    body = {name: getattr(fix, name) for name in _FIX_FIELDS}
    body["fix_time"] = fix.fix_time.isoformat()
    body["lock_state"] = fix.lock_state.value
    return RawMessage(f"{FIX_LETTER_PREFIX}{fix.seal_id}", json.dumps(body).encode())


def fix_of_letter(payload: bytes) -> SealFix:
    """The fix `fix_letter` kept."""
    d = json.loads(payload)
    d["fix_time"] = datetime.fromisoformat(d["fix_time"])
    d["lock_state"] = LOCK_STATES.get(d["lock_state"]) or LockState(d["lock_state"])
    return SealFix(**d)


def store_dead_letters(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Keep dead letters (`received_at`, `seal_id`, `reason`, `topic`, `payload`, `digest`),
    each message once: one redelivered after a crash between the commit and the broker's
    acknowledgement, or sent twice, finds its letter kept already (`digest`, unique)."""
    conn.execute(
        _upsert(conn)(t.telemetry_rejects).on_conflict_do_nothing(index_elements=["digest"]),
        rows,
    )


def dead_letter_digest(topic: str, payload: bytes) -> str:
    """The key of a dead letter: SHA-256 of its topic and payload as received (the stored
    text replaces what is not UTF-8 and cuts a long topic, so two different messages could
    store alike)."""
    return hashlib.sha256(topic.encode() + b"\n" + payload).hexdigest()


def _reject_row(
    now: datetime, seal_id: str | None, reason: str, message: RawMessage
) -> dict[str, Any]:
    """A dead letter as the store can keep it on either database: no NUL in text, ids and
    topics within their columns."""
    return {
        "received_at": now,
        "seal_id": seal_id[:SEAL_ID_MAX] if seal_id else None,
        "reason": reason,
        "topic": message.topic[:200].replace("\x00", "\ufffd"),
        "payload": message.payload.decode("utf-8", "replace").replace("\x00", "\ufffd"),
        "digest": dead_letter_digest(message.topic, message.payload),
    }
