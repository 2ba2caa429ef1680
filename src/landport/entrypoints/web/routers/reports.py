"""Reports computed live from the event record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from landport.adapters.db.report_queries import consignments_declared_on
from landport.enterprises.model import Actor, Role
from landport.entrypoints.web.deps import ServicesDep, require
from landport.entrypoints.web.views import Day
from landport.reports.time_release import time_release
from landport.shared.clock import FIRST_DAY, LAST_DAY

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
ReportReader = Annotated[
    Actor,
    Depends(require(Role.CUSTOMS_OFFICER, Role.PORT_ADMIN, Role.AUDITOR, Role.YARD_OPERATOR)),
]


@router.get("/time-release")
def time_release_report(
    services: ServicesDep,
    actor: ReportReader,
    date: Annotated[Day, Query(description=f"Beijing date, {FIRST_DAY} to {LAST_DAY}")],
) -> dict[str, Any]:
    """WCO time-release segments (p50/p90 minutes) for declarations declared on `date`
    (Beijing time): overall, per lane and per exit port. Days run from 2000-01-01 to
    2100-12-31; another is refused (422 `date_out_of_range`)."""
    report = time_release(consignments_declared_on(services.read_engine, date))
    return {"date": date.isoformat(), **report}
