"""Commands of the clearance capability: what a declarant or an officer asks the system to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from landport.enterprises.model import Actor


@dataclass(frozen=True)
class DeclareExport:
    """Lodge an export declaration (as a draft, or straight to submission)."""

    actor: Actor
    payload: Mapping[str, object]
    submit: bool = False


@dataclass(frozen=True)
class SubmitDeclaration:
    """Send a draft to customs: it is numbered, declared and assessed for risk."""

    actor: Actor
    declaration_id: str
    random_red_rate: float | None = None


@dataclass(frozen=True)
class CancelDeclaration:
    actor: Actor
    declaration_id: str
    reason: str


@dataclass(frozen=True)
class RecordInspection:
    """A document check, a scan or a physical examination, as recorded by an officer."""

    actor: Actor
    declaration_id: str
    kind: str
    result: str
    started_at: datetime
    finished_at: datetime
    findings: str | None = None
    image_sha256: str | None = None
    equipment_id: str | None = None


@dataclass(frozen=True)
class EscalateToExamination:
    """Move a document-check declaration to examination (yellow to red)."""

    actor: Actor
    declaration_id: str
    reason: str


@dataclass(frozen=True)
class DecideDeclaration:
    """An officer's decision: release, hold, reject, or lift a hold."""

    actor: Actor
    declaration_id: str
    decision: str  # "release" | "hold" | "reject" | "lift_hold"
    reason: str | None = None
