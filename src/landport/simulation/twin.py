"""The digital twin: trucks, officers and e-locks as SimPy processes driving the real rules.

Nothing here decides a customs or yard question: every step is a command on the platform's
own message bus (declare, pre-advise, gate in, scan, release, arm the seal, park, schedule,
gate out, border release), read with the twin's clock. What the twin adds is time: when
trucks arrive, how long a scan or an examination takes, and how long resources are busy.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Generator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import simpy

from landport.adapters.db.yard_store import yard_layout
from landport.declarations.commands import DecideDeclaration, DeclareExport, RecordInspection
from landport.enterprises.handlers import RegisterEnterprise
from landport.enterprises.model import SYSTEM_ACTOR, Actor, Role
from landport.messagebus import MessageBus
from landport.seals.calendar import BEIJING
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.shared.errors import Conflict, DomainError, InvalidInput
from landport.simulation import cargo
from landport.simulation.elocks import ELockFeed, Incident, TelemetryPump
from landport.simulation.model import SimClock, Station, TruckRecord, TwinOptions
from landport.simulation.officers import MonitoringDesk
from landport.simulation.scenario import ROUTE_OF_PORT, Scenario, minutes_of_day
from landport.simulation.tracks import shipped_corridors
from landport.simulation.trips import drive_to_border
from landport.yard import appointment_commands as ac
from landport.yard import commands as yc

log = logging.getLogger(__name__)
OFFICER = Actor("twin.officer", Role.CUSTOMS_OFFICER)
YARD = Actor("twin.yard", Role.YARD_OPERATOR)
Process = Generator[simpy.Event, Any, None]


class Twin:
    """Builds the processes of one scenario on `env`; `records` and stations hold the results."""

    def __init__(
        self,
        bus: MessageBus,
        scenario: Scenario,
        env: simpy.Environment,
        clock: SimClock,
        *,
        seed: int,
        days: int,
        options: TwinOptions,
    ) -> None:
        self.bus, self.s, self.env, self.clock = bus, scenario, env, clock
        self.rng = random.Random(seed)
        self.seed = seed
        self.days = days
        self.opts = options
        self.records: list[TruckRecord] = []
        self.incidents: list[Incident] = []
        self.refusals: dict[str, int] = {}
        self.refusal_examples: dict[str, str] = {}
        self.appointments: Counter[str] = Counter()
        self.lane_ids = [lane.id for lane in yard_layout().scan_lanes]
        self.referrals: dict[str, int] = {}  # border checks that failed, by check
        self.pump = TelemetryPump(options.sink, check_silence=options.check_silence)
        self.corridors = shipped_corridors()
        s = scenario
        self.stations = {
            "gate": self._station("gate", s.gates_in, s.gate_hours),
            "scan_lane": self._station("scan_lane", s.scan_lanes, s.lane_hours),
            "exam_bay": self._station("exam_bay", s.exam_bays, s.lane_hours),
            "document_officer": self._station(
                "document_officer", s.document_officers, s.lane_hours
            ),
            "sealing": self._station("sealing", s.sealing_stations, s.lane_hours),
        }
        self.border = {
            p: self._station(f"border:{p}", s.border_officers, (("00:00", "24:00"),))
            for p in s.border_capacity
        }
        self.parked_now = 0
        self.parking_refused = 0  # tries that found no free slot (then wait for a departure)
        self.slot_freed = env.event()  # fires when a parked truck leaves
        self.parked_peak = 0
        self.parked_s = 0.0
        self._parked_since = 0.0
        self.free_seals: list[str] = []
        self.seal_count = 0
        self.waiting_departure: dict[str, simpy.Event] = {}
        self.serial = options.first_serial
        self.calendars = bus.context.catalog.calendars
        self.desk = MonitoringDesk(self, options.open_alerts) if options.open_alerts else None

    def _station(self, name: str, capacity: int, hours: Any) -> Station:
        return Station(name, capacity, hours, simpy.Resource(self.env, max(capacity, 1)))

    # -- setup -------------------------------------------------------------------------------

    def register_exporters(self) -> None:
        """Idempotent: a database that already knows an exporter keeps it."""
        for province in self.s.by_province:
            for goods in self.s.cargo_mix:
                e = cargo.exporter(province, goods)
                command = RegisterEnterprise(
                    SYSTEM_ACTOR, e.uscc, e.name_zh, e.name_en, province, e.rating
                )
                with contextlib.suppress(Conflict):  # known from an earlier run
                    self.bus.handle(command)

    def start(self) -> None:
        self.env.process(self._arrivals())
        self.env.process(self._telemetry())
        self.env.process(self._no_show_sweeps())
        self.env.process(self._planner())
        if self.desk is not None:
            self.desk.start()

    # -- common steps ------------------------------------------------------------------------

    def _handle(self, rec: TruckRecord, command: object) -> Any:
        try:
            return self.bus.handle(command).result
        except DomainError as exc:
            key = f"{type(command).__name__}:{_reason(exc)}"
            self.refusal_examples.setdefault(key, exc.message_en)
            self.refusals[key] = self.refusals.get(key, 0) + 1
            rec.outcome = f"refused:{key}"
            raise

    def _move(self, rec: TruckRecord, visit_id: str, to: str) -> None:
        """A yard step; one already taken by an automatic step is not an error."""
        with contextlib.suppress(Conflict):
            self.bus.handle(yc.MoveVisit(YARD, visit_id, to))

    def _tri(self, name: str) -> float:
        low, mode, high = self.s.service_minutes[name]
        return self.rng.triangular(low, high, mode) * 60.0

    def _wait_open(self, hours: tuple[tuple[str, str], ...], need_s: float = 0.0) -> float:
        """Seconds until the hours admit a service of `need_s` starting then."""
        now = self.clock.now().astimezone(BEIJING)
        minute = now.hour * 60 + now.minute + now.second / 60.0
        for day in range(3):
            for a, b in hours:
                lo, hi = minutes_of_day(a) + day * 1440, minutes_of_day(b) + day * 1440
                start = max(lo, minute)
                if start + need_s / 60.0 <= hi:
                    return (start - minute) * 60.0
        return 0.0

    def _serve(self, rec: TruckRecord, station: Station, seconds: float) -> Process:
        with station.request() as req:
            yield req
            wait = self._wait_open(station.hours, seconds)
            if wait:
                yield self.env.timeout(wait)
            station.busy_s += seconds
            station.served += 1
            rec.handling_min += seconds / 60.0
            yield self.env.timeout(seconds)

    def _pick(self, weights: dict[str, float]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    # -- arrivals ----------------------------------------------------------------------------

    def _arrivals(self) -> Process:
        s = self.s
        first = self.clock.now().astimezone(BEIJING).date()
        hours = sorted(s.by_hour)
        for d in range(self.days):
            day = first + timedelta(days=d)
            midnight = datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)
            plans = []
            for _ in range(s.trucks_per_day):
                hour = self.rng.choices(hours, weights=[s.by_hour[h] for h in hours])[0]
                arrival = midnight + timedelta(hours=hour, seconds=self.rng.uniform(0, 3600))
                lead = self.rng.uniform(*s.declaration_lead_minutes) * 60.0
                plans.append((arrival - timedelta(seconds=lead), arrival))
            plans.sort()
            for declare_at, arrival in plans:
                if self.opts.first_arrival is not None and arrival < self.opts.first_arrival:
                    continue
                delay = (declare_at - self.clock.now()).total_seconds()
                if delay > 0:
                    yield self.env.timeout(delay)
                self.env.process(self._truck(arrival))
            end_of_day = (midnight + timedelta(days=1) - self.clock.now()).total_seconds()
            if end_of_day > 0:
                yield self.env.timeout(end_of_day)

    # -- appointments ------------------------------------------------------------------------

    def _book(self, declarant: Actor, declaration_id: str, arrival: datetime) -> Any:
        """Book a scan-lane hour through the real booking rules (quotas, hours, standby):
        the wished hour on either lane, else the earliest free one; None means walk in."""
        hour = arrival.replace(minute=0, second=0, microsecond=0)
        lanes = list(self.lane_ids)
        self.rng.shuffle(lanes)
        for wish in (hour, None):
            for lane in lanes:
                try:
                    made = self.bus.handle(
                        ac.BookAppointment(declarant, declaration_id, lane, wish)
                    )
                except DomainError as exc:
                    self.appointments[f"refused:{_reason(exc)}"] += 1
                    continue
                self.appointments["booked" if wish else "booked_later_hour"] += 1
                return made.result
        return None

    def _walk_in(self, declaration_id: str) -> None:
        lane = self.rng.choice(self.lane_ids)
        try:
            made = self.bus.handle(ac.AdmitWalkIn(YARD, declaration_id, lane)).result
            self.appointments[f"walk_in_{made.status.value}"] += 1
        except DomainError as exc:
            self.appointments[f"walk_in_refused:{_reason(exc)}"] += 1

    def _no_show_sweeps(self) -> Process:
        """The gate clerk closes past slots every hour: arrived, no-show or expired."""
        while True:
            yield self.env.timeout(3600.0)
            self._guarded(lambda: self.bus.handle(ac.SweepNoShows(YARD)))

    # -- a truck's visit ---------------------------------------------------------------------

    def _truck(self, arrival: datetime) -> Process:
        try:
            yield from self._visit(arrival)
        except Exception as exc:
            if not self.opts.tolerate_errors:
                raise
            self.refusals[f"error:{type(exc).__name__}"] = 1 + self.refusals.get(
                f"error:{type(exc).__name__}", 0
            )
            log.exception("a simulated truck failed; the twin goes on")

    def _guarded(self, work: Callable[[], object]) -> None:
        """Periodic work of the yard; in the live demo a failure is logged, not fatal."""
        try:
            work()
        except Exception:
            if not self.opts.tolerate_errors:
                raise
            log.exception("periodic work of the twin failed; it is retried next time")

    def _visit(self, arrival: datetime) -> Process:
        s = self.s
        self.serial += 1
        rec = TruckRecord(
            self.serial,
            self._pick(s.cargo_mix),
            self._pick(s.by_province),
            self._pick(s.border_share),
            self.rng.random() < s.appointment_share,
        )
        self.records.append(rec)
        exporter = cargo.exporter(rec.province, rec.cargo)
        declarant = Actor(exporter.username, Role.DECLARANT, exporter.uscc)
        rec.plate = cargo.plate(rec.province, rec.serial)
        payload = cargo.declaration_payload(
            exporter, serial=rec.serial, truck_plate=rec.plate, exit_port=rec.port
        )
        try:
            declaration = self._handle(rec, DeclareExport(declarant, payload, submit=True))
            rec.declared, rec.lane = self.clock.now(), declaration.lane
            booked = self._book(declarant, declaration.id, arrival) if rec.appointment else None
            rec.appointment = booked is not None
            if booked is not None:  # the truck comes in its hour (a little early or late)
                minutes = self.rng.uniform(-10.0, 50.0)
                arrival = max(self.clock.now(), booked.slot_start + timedelta(minutes=minutes))
            visit = self._handle(
                rec,
                yc.PreAdvise(declarant, declaration.id, rec.plate, booked and booked.id),
            )
        except DomainError:
            return
        no_show = rec.appointment and self.rng.random() < s.no_show_rate
        if no_show:
            rec.outcome = "no_show"
            return
        yield self.env.timeout(max(0.0, (arrival - self.clock.now()).total_seconds()))
        rec.arrival = self.clock.now()
        if not rec.appointment:
            self._walk_in(declaration.id)
        try:
            yield from self._yard(rec, declaration, visit.visit.id)
        except DomainError:
            return

    def _yard(self, rec: TruckRecord, declaration: Any, visit_id: str) -> Process:
        """Gate, the dispatcher's stations, the officers' records and decisions, the seal."""
        st = self.stations
        yield from self._serve(rec, st["gate"], self._tri("gate_check"))
        self._handle(rec, yc.GateIn(YARD, rec.plate))
        rec.gate_in = self.clock.now()
        did = declaration.id
        sent = self._handle(rec, yc.DispatchVisit(YARD, visit_id))
        if sent.get("station") is None and "waiting_for" in sent:  # documents first (yellow)
            start = self.clock.now()
            yield from self._serve(rec, st["document_officer"], self._tri("document_check"))
            record = RecordInspection(
                OFFICER,
                did,
                "document_check",
                "conform",
                start,
                self.clock.now(),
                "documents match",
            )
            self._handle(rec, record)
            self._handle(rec, DecideDeclaration(OFFICER, did, "release", "documents conform"))
            sent = self._redispatch(visit_id)
        station = sent.get("station") or {}
        rec.station = {k: str(v) for k, v in station.items() if k in ("station_id", "kind")}
        if station.get("kind") == "scan_lane":
            yield from self._scan(rec, did, visit_id)
        self._move(rec, visit_id, "decided")  # usually already followed from the release
        rec.decided = self.clock.now()
        yield from self._seal(rec, declaration, visit_id)

    def _redispatch(self, visit_id: str) -> dict[str, Any]:
        """Dispatch again after a decision; a visit the release already moved on is fine."""
        try:
            sent: dict[str, Any] = self.bus.handle(yc.DispatchVisit(YARD, visit_id)).result
        except Conflict:  # followed to 'decided' by the release itself
            return {"station": None}
        return sent

    def _scan(self, rec: TruckRecord, did: str, visit_id: str) -> Process:
        start = self.clock.now()
        before = rec.handling_min
        rec.lane_start = start
        yield from self._serve(rec, self.stations["scan_lane"], self._tri("scan"))
        rec.lane_min = rec.handling_min - before
        suspicious = self.rng.random() < self.s.suspicious_scan_rate
        digest = hashlib.sha256(f"{self.seed}-{rec.serial}".encode()).hexdigest()
        scan = RecordInspection(
            OFFICER,
            did,
            "scan",
            "suspicious" if suspicious else "clear",
            start,
            self.clock.now(),
            image_sha256=digest,
            equipment_id=rec.station.get("station_id", "NII"),
        )
        self._handle(rec, scan)
        if suspicious:
            self._redispatch(visit_id)  # to the bay with the least wait
            start = self.clock.now()
            yield from self._serve(rec, self.stations["exam_bay"], self._tri("examination"))
            exam = RecordInspection(
                OFFICER,
                did,
                "physical_examination",
                "conform",
                start,
                self.clock.now(),
                "goods as declared",
            )
            self._handle(rec, exam)
        self._handle(rec, DecideDeclaration(OFFICER, did, "release", "inspection clear"))

    def _seal(self, rec: TruckRecord, declaration: Any, visit_id: str) -> Process:
        yield from self._serve(rec, self.stations["sealing"], self._tri("sealing"))
        seal_id = self._seal_from_pool()
        route_id = ROUTE_OF_PORT[rec.port]
        trip = self._handle(rec, ArmSeal(OFFICER, seal_id, declaration.id, route_id))
        rec.trip_id, rec.seal_id = trip.id, seal_id
        self._move(rec, visit_id, "sealed")
        rec.sealed = self.clock.now()
        rec.clearance_handling_min = rec.handling_min
        rec.outcome = "cleared"
        feed = ELockFeed(seal_id, _secret(seal_id), timedelta(seconds=self.s.parked_interval_s))
        feed.park(self.corridors[route_id], self.clock.now())
        self.pump.attach(feed)
        while True:
            if self.parked_now < self.s.parking:
                try:
                    slot = self.bus.handle(yc.AssignParking(YARD, visit_id)).result
                    break
                except Conflict:  # the zone is full: wait in the yard lane and try again
                    pass
            self.parking_refused += 1
            # Nothing frees a slot but a departure; look again then (or after an hour).
            yield self.slot_freed | self.env.timeout(3600.0)
        rec.parked = self.clock.now()
        self._park(+1)
        planned = slot.get("departure") if isinstance(slot, dict) else None
        if planned:  # parking plans the departure at once (border calendars and capacities)
            depart = datetime.fromisoformat(planned["departure_utc"])
        else:  # else the yard operator's next planning round gives the time
            event = self.env.event()
            self.waiting_departure[visit_id] = event
            depart = yield event
        self._handle(rec, yc.MarkFeesPaid(YARD, visit_id))
        yield self.env.timeout(max(0.0, (depart - self.clock.now()).total_seconds()))
        self._handle(rec, yc.GateOut(YARD, rec.plate))
        self._park(-1)
        rec.gate_out = self.clock.now()
        yield from self._trip(rec, feed, route_id)

    def _park(self, delta: int) -> None:
        self.parked_s += self.parked_now * (self.env.now - self._parked_since)
        self._parked_since = self.env.now
        self.parked_now += delta
        self.parked_peak = max(self.parked_peak, self.parked_now)
        if delta < 0:
            freed, self.slot_freed = self.slot_freed, self.env.event()
            freed.succeed()

    def _planner(self) -> Process:
        """The yard operator plans departures every quarter hour (border calendars and daily
        capacities are the platform's rules); each parked truck learns its time."""
        while True:
            yield self.env.timeout(900.0)
            if self.waiting_departure:
                self._guarded(self._plan_departures)

    def _plan_departures(self) -> None:
        result = self.bus.handle(yc.PlanDepartures(YARD)).result
        for plan in result["planned"]:
            event = self.waiting_departure.pop(plan["visit_id"], None)
            if event is not None:
                event.succeed(datetime.fromisoformat(plan["departure_utc"]))
        if self.opts.departure_of is not None:  # planned by someone else meanwhile
            for visit_id in list(self.waiting_departure):
                at = self.opts.departure_of(visit_id)
                if at is not None:
                    self.waiting_departure.pop(visit_id).succeed(at)

    def _seal_from_pool(self) -> str:
        if self.free_seals:
            return self.free_seals.pop()
        self.seal_count += 1
        seal_id = f"TWIN-{self.opts.run_tag}-{self.seal_count:05d}"
        self.bus.handle(RegisterSeal(OFFICER, seal_id, "twin", "json-mqtt", _secret(seal_id)))
        return seal_id

    # -- the trip ----------------------------------------------------------------------------

    def _trip(self, rec: TruckRecord, feed: ELockFeed, route_id: str) -> Process:
        return drive_to_border(self, rec, feed, route_id)

    def _telemetry(self) -> Process:
        since_silence = 0.0
        while True:
            yield self.env.timeout(self.s.batch_s)
            self._guarded(lambda: self.pump.flush_due(self.clock.now()))
            since_silence += self.s.batch_s
            if self.opts.check_silence is not None and since_silence >= self.opts.silence_every_s:
                since_silence = 0.0
                self._guarded(self.opts.check_silence)

    def close_parking(self) -> None:
        self._park(0)


def _reason(exc: DomainError) -> str:
    """The rule that refused: the first violation's code, else the error's code."""
    if isinstance(exc, InvalidInput) and exc.violations:
        return exc.violations[0].code
    return str(getattr(exc, "code", type(exc).__name__))


def _secret(seal_id: str) -> str:
    return hashlib.sha256(f"twin-device-{seal_id}".encode()).hexdigest()[:32]
