"""The export declaration aggregate and its lifecycle state machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from landport.shared.errors import Conflict


class DeclarationStatus(StrEnum):
    """Where a declaration stands: 草稿 → 已申报 → 已布控 → 单证审核 | 查验 → 放行."""

    DRAFT = "draft"
    DECLARED = "declared"
    ASSESSED = "assessed"
    DOCUMENT_CHECK = "document_check"
    EXAMINATION = "examination"
    RELEASED = "released"
    HELD = "held"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXITED = "exited"


S = DeclarationStatus

#: The lifecycle as data: the only transitions the domain allows.
TRANSITIONS: dict[DeclarationStatus, frozenset[DeclarationStatus]] = {
    S.DRAFT: frozenset({S.DECLARED, S.CANCELLED}),
    S.DECLARED: frozenset({S.ASSESSED, S.CANCELLED}),
    S.ASSESSED: frozenset({S.DOCUMENT_CHECK, S.EXAMINATION, S.RELEASED, S.CANCELLED}),
    S.DOCUMENT_CHECK: frozenset({S.EXAMINATION, S.RELEASED, S.HELD, S.REJECTED, S.CANCELLED}),
    S.EXAMINATION: frozenset({S.RELEASED, S.HELD, S.REJECTED}),
    S.HELD: frozenset({S.DOCUMENT_CHECK, S.EXAMINATION, S.RELEASED, S.REJECTED}),
    S.RELEASED: frozenset({S.EXITED, S.HELD}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXITED: frozenset(),
}

STATUS_ZH: dict[DeclarationStatus, str] = {
    S.DRAFT: "草稿",
    S.DECLARED: "已申报",
    S.ASSESSED: "已布控",
    S.DOCUMENT_CHECK: "单证审核",
    S.EXAMINATION: "查验",
    S.RELEASED: "已放行",
    S.HELD: "挂起",
    S.REJECTED: "退单",
    S.CANCELLED: "已撤销",
    S.EXITED: "已出境",
}


class IllegalTransition(Conflict):
    """The lifecycle does not allow this step from the current status."""

    code = "illegal_transition"


@dataclass(slots=True)
class ContainerLine:
    """A container on the declaration (ISO 6346 number, size-type code, gross mass)."""

    number: str
    size_type: str
    gross_kg: Decimal


@dataclass(slots=True)
class GoodsItem:
    """One line of goods (商品项)."""

    hs_code: str
    name: str
    quantity: Decimal
    unit: str
    value: Decimal
    currency: str
    origin_province: str
    net_kg: Decimal | None = None


@dataclass(slots=True)
class DeclarationContent:
    """What the declarant declares: everything the validation rules look at."""

    trade_mode: str
    consignor_uscc: str
    exit_port: str
    destination_country: str
    transport_mode: str
    trade_terms: str
    vehicle_plate: str
    containers: list[ContainerLine]
    gross_kg: Decimal
    net_kg: Decimal
    packages: int
    items: list[GoodsItem]
    cbec_order_ref: str | None = None
    warehouse_booking_ref: str | None = None
    total_value: Decimal | None = None
    currency: str | None = None

    @property
    def hs_codes(self) -> tuple[str, ...]:
        return tuple(item.hs_code for item in self.items)


@dataclass(slots=True)
class StatusChange:
    """One step of the lifecycle, kept for the time-release figures."""

    status: DeclarationStatus
    at: datetime
    actor: str
    reason: str | None = None


@dataclass(slots=True)
class CustomsDeclaration:
    """An export declaration (出口报关单) from draft to exit."""

    id: str
    enterprise_uscc: str
    declarant: str
    content: DeclarationContent
    status: DeclarationStatus
    created_at: datetime
    updated_at: datetime
    version: int = 0
    number: str | None = None  # 18-digit customs declaration number, given on submission
    lane: str | None = None
    assessment: dict[str, Any] | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    decision_reason: str | None = None
    passport_digest: str | None = None
    held_from: DeclarationStatus | None = None
    history: list[StatusChange] = field(default_factory=list)
    # The customs broker (报关企业) that lodged it for the consignor; None: lodged by the
    # consignor's own declarants.
    declaring_agent_uscc: str | None = None

    def move_to(
        self, target: DeclarationStatus, *, at: datetime, actor: str, reason: str | None = None
    ) -> None:
        """Apply one lifecycle step, refusing any the state machine does not allow."""
        if target not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"a declaration in status '{self.status}' cannot become '{target}'",
                f"报关单状态为「{STATUS_ZH[self.status]}」，不能变为「{STATUS_ZH[target]}」",
            )
        if target is S.HELD:
            self.held_from = self.status
        self.status = target
        self.updated_at = at
        self.history.append(StatusChange(target, at, actor, reason))
