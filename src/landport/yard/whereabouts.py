"""Where a truck is, when the gate's record and its e-lock's disagree for a while.

The gate records gate-in and gate-out; the e-lock reports leaving the yard zone. A truck
whose e-lock has left the yard is where the e-lock says; a truck the e-lock still places in
the yard counts there until its gate-out is recorded (then it is on its way).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: The trip state of an e-lock still in the yard zone.
SEALED_IN_YARD = "in_yard"


def inside_gate(
    visits_inside: Iterable[str | None], trips: Sequence[tuple[str, str]]
) -> list[str | None]:
    """The declarations of the visits inside the gate (None: a truck without one), less
    those whose e-lock has already left the yard. `trips`: (state, declaration) of the
    active trips."""
    left = {declaration for state, declaration in trips if state != SEALED_IN_YARD}
    return [d for d in visits_inside if d is None or d not in left]


def sealed_without_visit(
    trips: Sequence[tuple[str, str]], inside: Iterable[str | None]
) -> list[str]:
    """Declarations the e-lock places in the yard with no visit inside the gate: sealed
    without a gate record, or already through the gate-out (the caller looks which)."""
    here = set(inside)
    return sorted({d for state, d in trips if state == SEALED_IN_YARD and d not in here})
