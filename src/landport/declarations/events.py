"""Events of the clearance capability, in the past tense, published after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DeclarationLodged:
    declaration_id: str
    enterprise_uscc: str
    at: datetime
    #: The customs broker that lodged it for the consignor (None: the consignor itself).
    declaring_agent_uscc: str | None = None


@dataclass(frozen=True)
class DeclarationAssessed:
    declaration_id: str
    lane: str
    at: datetime


@dataclass(frozen=True)
class DeclarationStatusChanged:
    declaration_id: str
    status: str
    at: datetime


@dataclass(frozen=True)
class DeclarationReleased:
    declaration_id: str
    passport_digest: str
    at: datetime
