"""How long a trip's track stays evidence after the trip: what the retention of positions
must keep (the queries are `adapters/db/retention.py`'s).

A trip referred to inspection at the border holds its declaration until the case is settled:
the declaration reaching a final state (`FINAL_DECLARATIONS`: rejected, cancelled, or exited
on a later trip) at or after the referral. A declaration that was already final when its
truck was referred can no longer change, so nothing would ever mark that referral settled:
its track is kept for `REFERRAL_EVIDENCE` after the referral.
"""

from __future__ import annotations

from datetime import timedelta

from landport.declarations.model import TRANSITIONS, DeclarationStatus

#: Declarations that can no longer change (no transition leads out of them).
FINAL_DECLARATIONS: frozenset[DeclarationStatus] = frozenset(
    status for status, onward in TRANSITIONS.items() if not onward
)
#: How long the track of a referral nothing can settle is kept: the three years in which
#: customs may still audit goods after release (海关稽查条例 第三条, and the duty recovery
#: period of 海关法 第六十二条), counted in leap years.
REFERRAL_EVIDENCE = timedelta(days=3 * 366)
