"""How declarations and related records look to API clients (JSON-ready dicts), and the
bounds every list, key and day a request names is read within."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Header, Path, Query
from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

from landport.adapters.db.unit_of_work import request_digest
from landport.declarations.codec import content_to_dict
from landport.declarations.model import STATUS_ZH, CustomsDeclaration, DeclarationStatus
from landport.enterprises.model import Actor
from landport.inspection.model import InspectionRecord
from landport.inspection.passport import passport_digest, recompute_passport
from landport.messagebus import IdempotencyClaim
from landport.shared.clock import FIRST_DAY, LAST_DAY
from landport.shared.errors import InvalidInput, Violation

# --- what a request may name (beyond these, 422 naming the field, never a database error) ---

#: The largest keys the columns hold (`bigint`: audit sequence numbers; `integer`: alert ids,
#: ruleset versions): a bigger number is no record, and PostgreSQL would refuse to compare it.
MAX_BIGINT, MAX_INT = 2**63 - 1, 2**31 - 1
#: Far past any list a port keeps, and page × page size stays a 64-bit offset everywhere.
MAX_PAGE = 1_000_000
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE}")]
PageSize = Annotated[int, Query(ge=1, le=200)]
#: A client's key for one request, retried as often as the network needs: the first answer
#: is remembered for its user, and the same key with the same body acts only once.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="Retry-safe: the same key and body act once and answer as the first time",
    ),
]
#: A whole-number key of an `integer` column in the path (an alert, a ruleset version).
KeyPath = Annotated[int, Path(ge=1, le=MAX_INT)]


def claim(
    actor: Actor,
    scope: str,
    key: str | None,
    body: Any,
    status: int,
    render: Callable[[Any], dict[str, Any]],
) -> IdempotencyClaim | None:
    """The claim a request's Idempotency-Key makes on `scope` for `actor` (None without a
    key): the same key with the same `body` (digested) acts once, and is answered with what
    `render` made of the first result, remembered with `status`. The scope and the body are
    part of every stored key: a route must keep sending the same ones."""
    if key is None:
        return None
    return IdempotencyClaim(actor.username, scope, key, request_digest(body), status, render)


def _within_days(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            "the date must be from {first} to {last}",
            {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return value


#: A calendar day (YYYY-MM-DD) from FIRST_DAY to LAST_DAY.
Day = Annotated[date, AfterValidator(_within_days)]


def _within_years(value: datetime) -> datetime:
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "the time must be in the years {first} to {last}",
            {"first": FIRST_DAY.year, "last": LAST_DAY.year},
        )
    return value


#: A timezone-aware moment (ISO 8601) in the years of FIRST_DAY to LAST_DAY.
Moment = Annotated[AwareDatetime, AfterValidator(_within_years)]


def declaration_view(
    d: CustomsDeclaration, inspections: Sequence[InspectionRecord] = ()
) -> dict[str, Any]:
    return {
        "id": d.id,
        "number": d.number,
        "status": d.status.value,
        "status_zh": STATUS_ZH[d.status],
        "lane": d.lane,
        "enterprise_uscc": d.enterprise_uscc,
        "declaring_agent_uscc": d.declaring_agent_uscc,
        "declarant": d.declarant,
        "version": d.version,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
        "declaration": content_to_dict(d.content),
        "warnings": d.warnings,
        "assessment": d.assessment,
        "decision_reason": d.decision_reason,
        "passport_digest": d.passport_digest,
        "history": [
            {"status": h.status.value, "at": h.at.isoformat(), "actor": h.actor, "reason": h.reason}
            for h in d.history
        ],
        "inspections": [r.as_dict() for r in inspections],
    }


#: What customs keeps to itself: why the lane was chosen (the rules fired, the scores, the
#: random draw with its seed and rates, the explanation). The rules are closed to all but
#: their readers (`Actor.may_read_risk`), and so is how they judged a declaration: an
#: exporter, a yard operator or a border officer sees the lane only.
CUSTOMS_ONLY = frozenset({"assessment", "risk_score"})


def as_seen_by(actor: Actor, view: Mapping[str, Any]) -> dict[str, Any]:
    """A declaration (or a summary of one) as `actor` may read it: without what customs
    keeps to itself unless the actor may read risk. Also for a response remembered under an
    Idempotency-Key, whenever it was remembered."""
    if actor.may_read_risk:
        return dict(view)
    return {k: v for k, v in view.items() if k not in CUSTOMS_ONLY}


def passport_view(
    declaration: CustomsDeclaration, inspections: Sequence[InspectionRecord]
) -> dict[str, Any] | None:
    """The inspection passport recomputed from the records, and whether it still matches the
    digest sealed at release; None before release."""
    passport = recompute_passport(declaration, inspections)
    if passport is None or declaration.passport_digest is None:
        return None
    digest = passport_digest(passport)
    return {
        "passport": passport,
        "digest": digest,
        "digest_matches": digest == declaration.passport_digest,
    }


def summary_view(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    out["status_zh"] = STATUS_ZH[DeclarationStatus(row["status"])]
    return out


def status_filter(
    value: str | None, statuses: Iterable[str], *, field: str = "status", name_zh: str = "状态"
) -> str | None:
    """A list's filter on a closed set of values (`status`, `lane`, `state`): a misspelt one
    is refused (422 `unknown_<field>`), never an empty list."""
    if not value:
        return None
    known = sorted(statuses)
    if value not in known:
        allowed = ", ".join(known)
        raise InvalidInput(
            [
                Violation(
                    field,
                    f"unknown_{field}",
                    f"{field} must be one of {allowed}",
                    f"{name_zh}须为 {allowed} 之一",
                )
            ]
        )
    return value


def exit_port_filter(value: str | None, ports: Callable[[], Iterable[str]]) -> str | None:
    """A list's `exit_port` filter: a border port the calendars know (`ports`, read only
    when a filter is sent), else 422 `unknown_exit_port`."""
    return status_filter(value, ports() if value else (), field="exit_port", name_zh="出境口岸")
