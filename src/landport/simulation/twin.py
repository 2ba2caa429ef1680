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
from collections.abc import Callable, Generator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import simpy

from landport.declarations.commands import DecideDeclaration, DeclareExport, RecordInspection
from landport.enterprises.handlers import RecordExportHistory, RegisterEnterprise
from landport.enterprises.model import SYSTEM_ACTOR, Actor, Role
from landport.messagebus import MessageBus
from landport.seals.calendar import BEIJING
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.shared.clock import beijing_date
from landport.shared.errors import Conflict, DomainError
from landport.simulation import cargo
from landport.simulation.booking import BookingClerk, refusal_code
from landport.simulation.elocks import ELockFeed, Incident, TelemetryPump
from landport.simulation.model import SimClock, Station, TruckDraws, TruckRecord, TwinOptions
from landport.simulation.officers import MonitoringDesk
from landport.simulation.parking import DepartureRound, ParkingLot
from landport.simulation.scenario import Scenario, route_of_port, scenario_yard, seconds_until_open
from landport.simulation.scenario_lists import BorderClosure
from landport.simulation.tracks import shipped_corridors
from landport.simulation.trips import drive_to_border
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
        # Streams of random numbers by purpose (common random numbers): the arrivals, each
        # truck's own draws and the officers' never take from one another, so configurations
        # of a sweep with one seed get the same trucks, cargo and service times, and differ
        # only by what was changed; the share of newcomers leaves every other draw as it was.
        self.arrivals_draws = random.Random(f"arrivals-{seed}")
        self.newcomers = random.Random(f"newcomers-{seed}")
        self.seed = seed
        self.days = days
        self.opts = options
        self.records: list[TruckRecord] = []
        self.incidents: list[Incident] = []
        self.refusals: dict[str, int] = {}
        self.refusal_examples: dict[str, str] = {}
        yard = scenario_yard(scenario)  # the layout the platform was given
        lanes = [lane["id"] for lane in yard["scan_lanes"]]
        self.booking = BookingClerk(env, bus, YARD, lanes, random.Random(f"booking-{seed}"))
        self.appointments = self.booking.counts
        self.referrals: dict[str, int] = {}  # border checks that failed, by check
        self.closures_announced: list[dict[str, str]] = []
        self.pump = TelemetryPump(options.sink)
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
        slots = sum(z["slots"] for z in yard["parking_zones"])  # the platform's, zone by zone
        self.parking = ParkingLot(env, slots, window_s=days * 86400.0)
        self.departures = DepartureRound(env, bus, YARD, departure_of=options.departure_of)
        self.free_seals: list[str] = []
        self.seal_count = 0
        self.serial = options.first_serial
        self.desk = MonitoringDesk(self, options.open_alerts) if options.open_alerts else None

    def _station(self, name: str, capacity: int, hours: Any) -> Station:
        return Station(name, capacity, hours, simpy.Resource(self.env, max(capacity, 1)))

    # -- setup -------------------------------------------------------------------------------

    def register_exporters(self) -> None:
        """The port's regulars, shipping here for a year before the first simulated day (so an
        ordinary day has no first-time exporter but the scenario's newcomers). Idempotent: a
        database that already knows an exporter keeps it, with that history."""
        since = self.s.start - timedelta(days=365)
        for province in self.s.by_province:
            for goods in self.s.cargo_mix:
                e = cargo.exporter(province, goods)
                if not self._register(e, since):  # known: make sure it is a regular
                    self.bus.handle(RecordExportHistory(SYSTEM_ACTOR, e.uscc, since))

    def _register(self, e: cargo.Exporter, since: date | None = None) -> bool:
        """Register the exporter; False when a database from an earlier run knows it."""
        command = RegisterEnterprise(
            SYSTEM_ACTOR,
            e.uscc,
            e.name_zh(self.bus.context.catalog.provinces),
            e.name_en,
            e.province,
            e.rating,
            exports_here_since=since,
        )
        try:
            self.bus.handle(command)
        except Conflict:
            return False
        return True

    def start(self) -> None:
        self.env.process(self._arrivals())
        self.env.process(self._telemetry())
        self.env.process(self.booking.sweeps(self._guarded))
        self.env.process(self.departures.run(self._guarded))
        for closure in self.s.closures:
            self.env.process(self._announce(closure))
        if self.desk is not None:
            self.desk.start()

    def _announce(self, closure: BorderClosure) -> Process:
        """The yard hears of a border closure (06:00 of its day; at once if known from the
        start) and tells the platform, which keeps it and re-plans the trucks due."""
        first = beijing_date(self.clock.now())
        if closure.announced_day:
            day = first + timedelta(days=closure.announced_day)
            at = datetime.combine(day, time(6), tzinfo=BEIJING).astimezone(UTC)
            yield self.env.timeout(max(0.0, (at - self.clock.now()).total_seconds()))
        start = first + timedelta(days=closure.from_day)
        end = start + timedelta(days=closure.days - 1)
        command = yc.AddPortClosure(YARD, closure.port, start, end, closure.reason)

        def announce() -> None:
            self.bus.handle(command)
            self.closures_announced.append(
                {
                    "port": closure.port,
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "announced": self.clock.now().astimezone(BEIJING).isoformat(timespec="minutes"),
                    "reason": closure.reason,
                }
            )

        self._guarded(announce)  # kept only once the platform has it

    # -- common steps ------------------------------------------------------------------------

    def _handle(self, rec: TruckRecord, command: object) -> Any:
        try:
            return self.bus.handle(command).result
        except DomainError as exc:
            key = f"{type(command).__name__}:{refusal_code(exc)}"
            self.refusal_examples.setdefault(key, exc.message_en)
            self.refusals[key] = self.refusals.get(key, 0) + 1
            rec.outcome = f"refused:{key}"
            raise

    def _move(self, visit_id: str, to: str) -> None:
        """A yard step; one already taken by an automatic step is not an error."""
        with contextlib.suppress(Conflict):
            self.bus.handle(yc.MoveVisit(YARD, visit_id, to))

    def _tri(self, rec: TruckRecord, name: str) -> float:
        low, mode, high = self.s.service_minutes[name]
        return rec.draws(name).triangular(low, high, mode) * 60.0

    def _wait_open(self, hours: tuple[tuple[str, str], ...], need_s: float = 0.0) -> float:
        now = self.clock.now().astimezone(BEIJING)
        return seconds_until_open(now.hour * 60 + now.minute + now.second / 60.0, hours, need_s)

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

    @staticmethod
    def _pick(draws: random.Random, weights: dict[str, float]) -> str:
        keys = list(weights)
        return draws.choices(keys, weights=[weights[k] for k in keys])[0]

    # -- arrivals ----------------------------------------------------------------------------

    def _arrivals(self) -> Process:
        s = self.s
        first = beijing_date(self.clock.now())
        hours = sorted(s.by_hour)
        for d in range(self.days):
            day = first + timedelta(days=d)
            midnight = datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)
            plans = []
            for _ in range(s.trucks_per_day):
                draws = self.arrivals_draws
                hour = draws.choices(hours, weights=[s.by_hour[h] for h in hours])[0]
                arrival = midnight + timedelta(hours=hour, seconds=draws.uniform(0, 3600))
                lead = draws.uniform(*s.declaration_lead_minutes) * 60.0
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

    def _exporter(self, rec: TruckRecord) -> cargo.Exporter:
        """A regular of the province and goods, or (at the scenario's share) a newcomer."""
        if self.newcomers.random() >= self.s.new_exporter_share:
            return cargo.exporter(rec.province, rec.cargo)
        e = cargo.newcomer(rec.province, rec.cargo, rec.serial)
        rec.newcomer = True
        self._register(e)
        return e

    def _visit(self, arrival: datetime) -> Process:
        s = self.s
        self.serial += 1
        draws = TruckDraws(f"truck-{self.seed}-{self.serial}")
        profile = draws("profile")
        rec = TruckRecord(
            self.serial,
            self._pick(profile, s.cargo_mix),
            self._pick(profile, s.by_province),
            self._pick(profile, s.border_share),
            profile.random() < s.appointment_share,
            draws=draws,
        )
        self.records.append(rec)
        exporter = self._exporter(rec)
        declarant = Actor(exporter.username, Role.DECLARANT, exporter.uscc)
        rec.plate = cargo.plate(rec.province, rec.serial)
        payload = cargo.declaration_payload(
            exporter,
            serial=rec.serial,
            truck_plate=rec.plate,
            exit_port=rec.port,
            catalog=self.bus.context.catalog,
        )
        try:
            declaration = self._handle(rec, DeclareExport(declarant, payload, submit=True))
            rec.declared, rec.lane = self.clock.now(), declaration.lane
            fired = (declaration.assessment or {}).get("fired", ())
            rec.rules = tuple(str(rule["rule_id"]) for rule in fired)
            booked = None
            if rec.appointment:
                booked = self.booking.book(declarant, declaration.id, arrival)
            rec.appointment = booked is not None
            if booked is not None:  # the truck comes in its hour (a little early or late)
                minutes = rec.draws("booked_arrival").uniform(-10.0, 50.0)
                arrival = max(self.clock.now(), booked.slot_start + timedelta(minutes=minutes))
            visit = self._handle(
                rec,
                yc.PreAdvise(declarant, declaration.id, rec.plate, booked and booked.id),
            )
        except DomainError:
            return
        no_show = rec.appointment and rec.draws("no_show").random() < s.no_show_rate
        if no_show:
            rec.outcome = "no_show"
            return
        yield self.env.timeout(max(0.0, (arrival - self.clock.now()).total_seconds()))
        rec.arrival = self.clock.now()
        if not rec.appointment:
            self.booking.walk_in(declaration.id)
        try:
            yield from self._yard(rec, declaration, visit.visit.id)
        except DomainError:
            return

    def _yard(self, rec: TruckRecord, declaration: Any, visit_id: str) -> Process:
        """Gate, the dispatcher's stations, the officers' records and decisions, the seal."""
        st = self.stations
        yield from self._serve(rec, st["gate"], self._tri(rec, "gate_check"))
        self._handle(rec, yc.GateIn(YARD, rec.plate))
        rec.gate_in = self.clock.now()
        did = declaration.id
        sent = self._handle(rec, yc.DispatchVisit(YARD, visit_id))
        if sent.get("station") is None and "waiting_for" in sent:  # documents first (yellow)
            start = self.clock.now()
            yield from self._serve(rec, st["document_officer"], self._tri(rec, "document_check"))
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
            refused = yield from self._scan(rec, did, visit_id)
            if refused:  # not exported: the truck pays and leaves back inland (shut out)
                rec.decided = self.clock.now()  # customs decided: refused
                self._handle(rec, yc.MarkFeesPaid(YARD, visit_id))
                self._handle(rec, yc.GateOut(YARD, rec.plate))
                rec.gate_out, rec.outcome = self.clock.now(), "shut_out"
                return
        self._move(visit_id, "decided")  # usually already followed from the release
        rec.decided = self.clock.now()
        yield from self._seal(rec, declaration, visit_id)

    def _redispatch(self, visit_id: str) -> dict[str, Any]:
        """Dispatch again after a decision; a visit the release already moved on is fine."""
        try:
            sent: dict[str, Any] = self.bus.handle(yc.DispatchVisit(YARD, visit_id)).result
        except Conflict:  # followed to 'decided' by the release itself
            return {"station": None}
        return sent

    def _scan(self, rec: TruckRecord, did: str, visit_id: str) -> Generator[simpy.Event, Any, bool]:
        """The scan, and the examination a suspicious image calls for; returns whether the
        examination found the goods not as declared (customs refuses them)."""
        start = self.clock.now()
        before = rec.handling_min
        rec.lane_start = start
        yield from self._serve(rec, self.stations["scan_lane"], self._tri(rec, "scan"))
        rec.lane_min = rec.handling_min - before
        suspicious = rec.draws("scan_finding").random() < self.s.suspicious_scan_rate
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
        refused = False
        if suspicious:
            self._redispatch(visit_id)  # to the bay with the least wait
            start = self.clock.now()
            yield from self._serve(rec, self.stations["exam_bay"], self._tri(rec, "examination"))
            refused = rec.draws("exam_finding").random() < self.s.refused_share
            exam = RecordInspection(
                OFFICER,
                did,
                "physical_examination",
                "discrepancy" if refused else "conform",
                start,
                self.clock.now(),
                "goods not as declared" if refused else "goods as declared",
            )
            self._handle(rec, exam)
        if refused:
            self._handle(rec, DecideDeclaration(OFFICER, did, "reject", "goods not as declared"))
            return True
        self._handle(rec, DecideDeclaration(OFFICER, did, "release", "inspection clear"))
        return False

    def _seal(self, rec: TruckRecord, declaration: Any, visit_id: str) -> Process:
        yield from self._hold_while_closed(rec)
        yield from self._serve(rec, self.stations["sealing"], self._tri(rec, "sealing"))
        yield from self._hold_while_closed(rec)  # announced while the truck stood there
        seal_id = self._seal_from_pool()
        route_id = route_of_port()[rec.port]
        trip = self._handle(rec, ArmSeal(OFFICER, seal_id, declaration.id, route_id))
        rec.trip_id, rec.seal_id = trip.id, seal_id
        self._move(visit_id, "sealed")
        rec.sealed = self.clock.now()
        rec.clearance_handling_min = rec.handling_min
        rec.outcome = "cleared"
        feed = ELockFeed(seal_id, _secret(seal_id), timedelta(seconds=self.s.parked_interval_s))
        feed.park(self.corridors[route_id], self.clock.now())
        self.pump.attach(feed)
        woken = False  # first come, first served: a newcomer asks only when no one waits
        while True:
            refused = False
            if self.parking.has_room and (woken or not self.parking.queued(rec.cargo)):
                try:
                    slot = self.bus.handle(yc.AssignParking(YARD, visit_id)).result
                    break
                except Conflict:  # the zone is full: wait in the yard lane and try again
                    refused = True
            if not woken:
                self.parking.queue_up()
            yield self.parking.wait_for_room(rec.cargo, refused=refused, front=woken)
            woken = True
        rec.parked = self.clock.now()
        zone = slot.get("zone_id") if isinstance(slot, dict) else None
        self.parking.arrive(rec.cargo, zone, waited=woken)
        planned = slot.get("departure") if isinstance(slot, dict) else None
        if planned:  # parking plans the departure at once (border calendars and capacities)
            depart = datetime.fromisoformat(planned["departure_utc"])
        else:  # else the yard operator's next planning round gives the time
            depart = yield self.departures.wait(visit_id)
        self._handle(rec, yc.MarkFeesPaid(YARD, visit_id))
        yield from self._until_departure(visit_id, depart)
        self._handle(rec, yc.GateOut(YARD, rec.plate))
        self.parking.leave(zone)
        rec.gate_out = self.clock.now()
        yield from drive_to_border(self, rec, feed, route_id)

    def _hold_while_closed(self, rec: TruckRecord) -> Process:
        """No seal for a closed border (the rule): the truck waits in the yard lane."""
        while (reopens := self._closed_until(rec.port)) is not None:
            rec.held_for_closure = True
            yield self.env.timeout(max(60.0, (reopens - self.clock.now()).total_seconds()))

    def _closed_until(self, port: str) -> datetime | None:
        """When the exit port reopens, if the platform's calendar has it closed today."""
        calendar = self.bus.context.calendars_in().get(port)
        today = beijing_date(self.clock.now())
        closure = calendar.closure_on(today) if calendar is not None else None
        if closure is None:
            return None
        reopens = datetime.combine(closure.end + timedelta(days=1), time(0), tzinfo=BEIJING)
        return reopens.astimezone(UTC)

    def _until_departure(self, visit_id: str, depart: datetime) -> Process:
        """Wait for the planned departure and follow the platform when it re-plans meanwhile
        (a border closure announced after the truck parked moves its departure)."""
        read = self.departures.departure_of
        while True:
            yield self.env.timeout(max(0.0, (depart - self.clock.now()).total_seconds()))
            current = read(visit_id) if read is not None else depart
            if current is None:  # no longer planned: the operator's next round gives a time
                depart = yield self.departures.wait(visit_id)
            elif current > self.clock.now():
                depart = current
            else:
                return

    def _seal_from_pool(self) -> str:
        if self.free_seals:
            return self.free_seals.pop()
        self.seal_count += 1
        seal_id = f"TWIN-{self.opts.run_tag}-{self.seal_count:05d}"
        self.bus.handle(RegisterSeal(OFFICER, seal_id, "twin", "json-mqtt", _secret(seal_id)))
        return seal_id

    # -- the trip ----------------------------------------------------------------------------

    def _telemetry(self) -> Process:
        since_silence = 0.0
        while True:
            yield self.env.timeout(self.s.batch_s)
            self._guarded(lambda: self.pump.flush_due(self.clock.now()))
            since_silence += self.s.batch_s
            if self.opts.check_silence is not None and since_silence >= self.opts.silence_every_s:
                since_silence = 0.0
                self._guarded(self.opts.check_silence)


def _secret(seal_id: str) -> str:
    return hashlib.sha256(f"twin-device-{seal_id}".encode()).hexdigest()[:32]
