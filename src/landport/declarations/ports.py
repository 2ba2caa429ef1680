"""What the clearance handlers need from the outside world, as Protocols (adapters implement)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from landport.declarations.model import CustomsDeclaration
from landport.enterprises.model import AgencyAuthorisation, Enterprise, User
from landport.inspection.model import InspectionRecord
from landport.reference.catalog import ReferenceCatalog
from landport.risk.capacity import ScanQueue
from landport.risk.ruleset_cache import RulesetCache
from landport.seals.calendar import PortCalendar
from landport.shared.clock import Clock


class DeclarationRepository(Protocol):
    def add(self, declaration: CustomsDeclaration) -> None: ...

    def get(self, declaration_id: str) -> CustomsDeclaration | None: ...

    def save(self, declaration: CustomsDeclaration) -> None:
        """Persist changes; raise Conflict if someone else changed it since it was read."""
        ...

    def has_released(self, uscc: str) -> bool:
        """Whether the enterprise has ever had goods released here (first-time exporter test)."""
        ...


class InspectionRepository(Protocol):
    def add(self, record: InspectionRecord) -> None: ...

    def for_declaration(self, declaration_id: str) -> list[InspectionRecord]: ...


class EnterpriseRepository(Protocol):
    def get(self, uscc: str) -> Enterprise | None: ...

    def add(self, enterprise: Enterprise) -> None: ...

    def set_export_history(self, uscc: str, since: date | None) -> None: ...


class AgencyAuthorisationRepository(Protocol):
    """Consignors' authorisations of customs brokers, revoked ones included."""

    def add(self, authorisation: AgencyAuthorisation) -> None: ...

    def get(self, authorisation_id: str) -> AgencyAuthorisation | None: ...

    def between(
        self, consignor_uscc: str, agent_uscc: str, *, for_update: bool = False
    ) -> list[AgencyAuthorisation]:
        """The pair's authorisations; `for_update` also holds off a concurrent record of it."""
        ...

    def save_revocation(self, authorisation: AgencyAuthorisation) -> None: ...


class UserRepository(Protocol):
    def get(self, username: str, *, lock: bool = False) -> User | None:
        """`lock`: held until the unit of work ends (a change to the account follows)."""
        ...

    def active_admins(self) -> list[str]:
        """The active port administrators' names, their rows held until the unit of work
        ends (so that two administrators cannot deactivate each other at once)."""
        ...

    def add(self, user: User) -> None: ...

    def save(self, user: User) -> None:
        """Store an existing account's password, standing and session generation."""
        ...


class RulesetRepository(Protocol):
    def current(self) -> tuple[int, dict[str, Any]]:
        """The active ruleset's version and document."""
        ...

    def current_version(self) -> int: ...

    def get(self, version: int) -> dict[str, Any] | None: ...

    def add(self, document: dict[str, Any], *, actor: str, comment: str | None) -> int: ...


class CounterRepository(Protocol):
    def next(self, name: str) -> int: ...


class AuditTrail(Protocol):
    def append(
        self,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        before: Any,
        after: Any,
        detail: str = "",
    ) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: everything a handler changes commits together or not at all."""

    events: list[object]  # published to subscribers after commit

    @property
    def declarations(self) -> DeclarationRepository: ...

    @property
    def inspections(self) -> InspectionRepository: ...

    @property
    def enterprises(self) -> EnterpriseRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def authorisations(self) -> AgencyAuthorisationRepository: ...

    @property
    def rulesets(self) -> RulesetRepository: ...

    @property
    def counters(self) -> CounterRepository: ...

    @property
    def audit(self) -> AuditTrail: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    def commit(self) -> None: ...


@dataclass(frozen=True)
class ClearanceContext:
    """Injected collaborators: the clock, the code lists and the sources of ids and seeds."""

    clock: Clock
    catalog: ReferenceCatalog
    new_id: Callable[[], str]
    new_seed: Callable[[], str]
    rulesets: RulesetCache
    office_code: str = "8800"
    # The yard's live scan-lane queue, read in the submitting unit of work; None when the
    # yard reports nothing (selectivity then applies the ruleset's floor).
    scan_queue: Callable[[Any], ScanQueue | None] | None = None
    # The border ports' calendars with the closures stored since they were published, read
    # in the given unit of work (None: outside a command); None when nothing is stored.
    port_calendars: Callable[[Any], Mapping[str, PortCalendar]] | None = None

    def calendars_in(self, uow: Any = None) -> Mapping[str, PortCalendar]:
        """The calendars a decision sees: a closure counts as soon as it commits."""
        if self.port_calendars is None:
            return self.catalog.calendars
        return self.port_calendars(uow)


class DuplicateRequest(Exception):
    """Another request with the same idempotency key committed first."""


class IdempotencyStore(Protocol):
    def get(self, actor: str, scope: str, key: str) -> tuple[str, dict[str, Any]] | None: ...

    def put(
        self,
        actor: str,
        scope: str,
        key: str,
        digest: str,
        status_code: int,
        response: dict[str, Any],
    ) -> None:
        """Remember the response; raise DuplicateRequest if the key was taken meanwhile."""
        ...
