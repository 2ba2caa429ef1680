"""The one place that wires settings, database, reference data, bus and clock together."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Engine

from landport.adapters.db.api_keys import api_key_store
from landport.adapters.db.appointment_store import appointment_store
from landport.adapters.db.custody_queries import monitor_store
from landport.adapters.db.engine import is_sqlite, make_engine
from landport.adapters.db.unit_of_work import SqlUnitOfWork
from landport.adapters.db.yard_store import scan_queue_reader, yard_store
from landport.adapters.jt808_registrations import terminal_registrations
from landport.adapters.reference_files import YardFiles, load_catalog
from landport.adapters.risk_files import default_ruleset
from landport.adapters.route_files import shipped_routes
from landport.adapters.security import TokenSigner
from landport.declarations import commands as c
from landport.declarations.handlers import cancel_declaration, declare_export, submit_declaration
from landport.declarations.ports import ClearanceContext
from landport.enterprises import accounts, api_keys
from landport.enterprises.agency import (
    RecordAgencyAuthorisation,
    RevokeAgencyAuthorisation,
    record_agency_authorisation,
    revoke_agency_authorisation,
)
from landport.enterprises.handlers import (
    CreateUser,
    RecordExportHistory,
    RegisterEnterprise,
    create_user,
    record_export_history,
    register_enterprise,
)
from landport.enterprises.model import SYSTEM_ACTOR
from landport.inspection.handlers import (
    decide_declaration,
    escalate_to_examination,
    record_inspection,
)
from landport.messagebus import Handler, MessageBus
from landport.risk.handlers import (
    PublishRuleset,
    RecomputeAssessment,
    publish_ruleset,
    recompute_assessment,
)
from landport.risk.ruleset_cache import RulesetCache
from landport.seals import alert_handling, border_handlers
from landport.seals import commands as sc
from landport.seals import handlers as custody
from landport.seals.ports import CustodyUnitOfWork
from landport.settings import Settings
from landport.shared.clock import Clock, SystemClock
from landport.shared.errors import Conflict
from landport.yard.appointment_handlers import handling_appointments
from landport.yard.handlers import handling_yard
from landport.yard.operations import yard_subscribers

HANDLERS: dict[type, Handler] = {
    c.DeclareExport: declare_export,
    c.SubmitDeclaration: submit_declaration,
    c.CancelDeclaration: cancel_declaration,
    c.RecordInspection: record_inspection,
    c.EscalateToExamination: escalate_to_examination,
    c.DecideDeclaration: decide_declaration,
    RegisterEnterprise: register_enterprise,
    RecordExportHistory: record_export_history,
    CreateUser: create_user,
    accounts.DeactivateUser: accounts.deactivate_user,
    accounts.ReactivateUser: accounts.reactivate_user,
    accounts.ResetPassword: accounts.reset_password,
    RecordAgencyAuthorisation: record_agency_authorisation,
    RevokeAgencyAuthorisation: revoke_agency_authorisation,
    PublishRuleset: publish_ruleset,
    RecomputeAssessment: recompute_assessment,
    sc.RegisterSeal: custody.register_seal,
    sc.ArmSeal: custody.arm_seal,
    sc.ImportRoutes: custody.import_routes,
    sc.ChangeSealState: custody.change_seal_state,
    sc.ResetTerminalRegistration: custody.resetting_terminal_registrations(terminal_registrations),
    api_keys.IssueApiKey: api_keys.issuing_api_keys(api_key_store),
    api_keys.RevokeApiKey: api_keys.revoking_api_keys(api_key_store),
    alert_handling.HandleTripAlert: alert_handling.handling_trip_alerts(monitor_store),
    border_handlers.ReleaseAtBorder: border_handlers.releasing_at_border(monitor_store),
    border_handlers.ReferToInspection: border_handlers.referring_to_inspection(monitor_store),
}


@dataclass
class Services:
    """Everything an entrypoint needs, built once per process."""

    settings: Settings
    engine: Engine  # writers (SQLite: BEGIN IMMEDIATE)
    read_engine: Engine  # readers never wait for the write lock
    clock: Clock
    bus: MessageBus
    tokens: TokenSigner
    uow_factory: Callable[[], AbstractContextManager[CustodyUnitOfWork]]
    yard_files: YardFiles  # the layout in force, routes and closures, as the handlers read them

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def new_declaration_id() -> str:
    """Unguessable ids: a declaration URL reveals nothing about other declarations."""
    return uuid.uuid4().hex


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    new_seed: Callable[[], str] | None = None,
    new_id: Callable[[], str] | None = None,
) -> Services:
    """Wire the application. Tests and the simulator inject their clock and seed source."""
    clock = clock or SystemClock()
    url = settings.database.url
    engine = make_engine(url, echo=settings.database.echo, pool_size=settings.database.pool_size)
    read_engine = (
        make_engine(url, echo=settings.database.echo, writer=False) if is_sqlite(url) else engine
    )
    yard_files = YardFiles(settings.reference_dir, read_engine)
    catalog = load_catalog(settings.reference_dir)
    context = ClearanceContext(
        clock=clock,
        catalog=catalog,
        new_id=new_id or new_declaration_id,
        new_seed=new_seed or (lambda: secrets.token_hex(8)),
        office_code=settings.customs.office_code,
        rulesets=RulesetCache(),
        scan_queue=scan_queue_reader(yard_files.layout, clock),
        port_calendars=yard_files.calendar_reader(catalog.calendars),
    )

    def uow_factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, clock)

    # The yard's handlers are bound to this process's yard data; appointments sell the
    # resources of the layout in force, as the yard uses it. Entries a test put in HANDLERS win.
    yard_handlers = {
        **handling_yard(yard_store, yard_files),
        **handling_appointments(appointment_store, yard_files.layout),
    }
    bus = MessageBus(uow_factory, context, {**yard_handlers, **HANDLERS})
    for event_type, subscribers in yard_subscribers(bus.handle).items():
        for subscriber in subscribers:
            bus.subscribe(event_type, subscriber)
    tokens = TokenSigner(
        settings.auth.secret_key.get_secret_value().encode(),
        settings.auth.token_ttl_minutes * 60,
    )
    return Services(settings, engine, read_engine, clock, bus, tokens, uow_factory, yard_files)


def seeded_sources(seed: int) -> tuple[Callable[[], str], Callable[[], str]]:
    """`new_seed` and `new_id` for `bootstrap`, both drawn from one generator seeded with
    `seed`: the same seed gives the same selectivity draws and the same ids (which are then
    guessable: for the twin and the demo only)."""
    draws = random.Random(seed)

    def new_seed() -> str:
        return f"{draws.getrandbits(64):016x}"

    def new_id() -> str:
        return uuid.UUID(int=draws.getrandbits(128), version=4).hex

    return new_seed, new_id


def ensure_reference_data(services: Services) -> dict[str, object]:
    """What a new database needs before the first request: default rules and corridors."""
    version = ensure_default_ruleset(services)
    with services.uow_factory() as uow:  # built only when one is missing: this runs often
        missing = tuple(
            shipped_routes(
                services.settings.reference_dir,
                wanted=lambda route_id: uow.routes.get(route_id) is None,
            )
        )
    if missing:
        services.bus.handle(sc.ImportRoutes(SYSTEM_ACTOR, missing))
    return {"ruleset_version": version, "routes_added": [r.route_id for r in missing]}


def ensure_default_ruleset(services: Services) -> int | None:
    """Publish the packaged default rules if the database has none; returns the new version."""
    with services.uow_factory() as uow:
        try:
            uow.rulesets.current()
            return None
        except Conflict:  # no ruleset loaded yet
            pass
    comment = "default ruleset shipped with Landport"
    version: int = services.bus.handle(
        PublishRuleset(SYSTEM_ACTOR, default_ruleset(), comment)
    ).result
    return version
