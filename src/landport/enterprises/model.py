"""Enterprises (exporters, forwarders, brokers) and users with their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from landport.shared.clock import beijing_date
from landport.shared.errors import Forbidden


class CreditRating(StrEnum):
    """GACC enterprise credit rating; AEO-certified traders are inspected far less often."""

    ADVANCED = "advanced"  # advanced-certified enterprise (AEO)
    GENERAL = "general"
    UNTRUSTED = "untrusted"  # 失信企业


class Role(StrEnum):
    """What a person (or a machine client) may do."""

    DECLARANT = "declarant"
    CUSTOMS_OFFICER = "customs_officer"
    YARD_OPERATOR = "yard_operator"
    BORDER_OFFICER = "border_officer"
    PORT_ADMIN = "port_admin"
    AUDITOR = "auditor"


#: Who may read the selectivity rules and how they judged a declaration.
RISK_READERS = frozenset({Role.CUSTOMS_OFFICER, Role.PORT_ADMIN, Role.AUDITOR})


@dataclass(slots=True)
class Enterprise:
    """A trading enterprise registered with customs."""

    uscc: str
    name_zh: str
    name_en: str
    province: str
    rating: CreditRating
    customs_code: str | None = None  # 10-character customs registration code (海关编码)
    id: int | None = None
    # First export through this port, as the register brought over from the earlier system
    # knows it: such an enterprise is not a first-time exporter here. None: not known.
    exports_here_since: date | None = None


@dataclass(slots=True)
class User:
    """A person with one role; declarants are bound to an enterprise, border officers to a port."""

    username: str
    role: Role
    password_hash: str
    enterprise_uscc: str | None = None
    port_id: str | None = None
    active: bool = True
    id: int | None = None
    # Moves on when the account is deactivated or its password reset: tokens carrying an
    # older generation are no credential (see enterprises/accounts.py).
    session_generation: int = 0


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, as the handlers see it: never a password, only what authorises."""

    username: str
    role: Role
    enterprise_uscc: str | None = None
    port_id: str | None = None

    @property
    def is_declarant(self) -> bool:
        return self.role is Role.DECLARANT

    @property
    def may_read_risk(self) -> bool:
        """Why customs chose a lane (rules fired, scores, the random draw) is for customs,
        the port's administrators and auditors: a yard or border officer who knew it could
        tell an exporter how to stay out of the red lane."""
        return self.role in RISK_READERS

    def may_see_declaration(self, consignor_uscc: str, agent_uscc: str | None) -> bool:
        """A declaration (and what hangs off it) is seen by officials, by its consignor's
        declarants and by the declarants of the customs broker that lodged it as agent."""
        if not self.is_declarant:
            return True
        own = self.enterprise_uscc
        return own is not None and own in (consignor_uscc, agent_uscc)


@dataclass(slots=True)
class AgencyAuthorisation:
    """A consignor's written authorisation (代理报关委托书) for a customs broker (报关企业) to
    declare on its behalf, valid on the Beijing dates valid_from to valid_to, both included,
    until revoked."""

    id: str
    consignor_uscc: str
    agent_uscc: str
    valid_from: date
    valid_to: date
    recorded_by: str
    recorded_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revocation_reason: str | None = None

    def covers(self, day: date) -> bool:
        """Whether the broker may declare for the consignor on ``day`` (a Beijing date)."""
        return self.revoked_at is None and self.valid_from <= day <= self.valid_to

    def in_force(self, now: datetime) -> bool:
        """Whether the authorisation lets the broker declare for the consignor at ``now``:
        authorisations run on Beijing dates, so it is in force while unrevoked and covering
        the Beijing date of ``now`` (not part of what the audit log digests)."""
        return self.covers(beijing_date(now))


def require_role(actor: Actor, *roles: Role) -> None:
    """Handlers check the role again behind the router's check (defence in depth)."""
    if actor.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise Forbidden(
            f"role '{actor.role.value}' may not do this (allowed: {names})",
            f"角色「{actor.role.value}」无权执行此操作",
        )


SYSTEM_ACTOR = Actor(username="system", role=Role.PORT_ADMIN)
