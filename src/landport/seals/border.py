"""The border verdict: compare the custody record with what stands at the gate, never re-inspect.

"Inspect once": the land port inspected and released the goods, armed an e-lock and bound
seal, plate, containers and inspection passport to a trip. The border port releases
without a second inspection only when every link of that custody chain holds; any broken
link refers the truck to inspection. Every check is listed (passing or not) with its figure
in English and Chinese, so the officer sees why, and the verdict is a pure function of the
evidence, the policy and `now` (deterministic, serialisable with `as_dict()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from landport.seals.border_custody_checks import CUSTODY_CHECKS
from landport.seals.border_document_checks import DOCUMENT_CHECKS
from landport.seals.border_evidence import (
    BorderPolicy,
    Check,
    CustodyEvidence,
    Rule,
    require_utc,
)

VERDICT_SCHEMA = "landport.border-verdict/1"

Verdict = Literal["pass", "refer"]


@dataclass(frozen=True, slots=True)
class BorderVerdict:
    trip_id: str
    verdict: Verdict
    evaluated_at: datetime
    policy: BorderPolicy
    checks: tuple[Check, ...]

    @property
    def referred_for(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def check(self, code: str) -> Check:
        return next(c for c in self.checks if c.code == code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": VERDICT_SCHEMA,
            "trip_id": self.trip_id,
            "verdict": self.verdict,
            "evaluated_at": self.evaluated_at.isoformat(),
            "policy": self.policy.as_dict(),
            "referred_for": [c.code for c in self.referred_for],
            "checks": [c.as_dict() for c in self.checks],
        }


def border_verdict(
    evidence: CustodyEvidence, *, now: datetime, policy: BorderPolicy | None = None
) -> BorderVerdict:
    """Pass only if every check passes; the checks come in a fixed order, all of them always."""
    require_utc(now)
    policy = policy or BorderPolicy()
    checks = tuple(rule(evidence, now, policy) for rule in RULES)
    verdict: Verdict = "pass" if all(c.ok for c in checks) else "refer"
    return BorderVerdict(evidence.trip.id, verdict, now, policy, checks)


# The rules, one reason each, in the order the officer reads them: custody first, then papers.
RULES: tuple[Rule, ...] = (*CUSTODY_CHECKS, *DOCUMENT_CHECKS)
