"""Settings and shared helpers of bench/yard.py: the seed and sizes (BENCH_* environment
variables), the start date, the scan lanes as bookable resources, Beijing times.

A module of its own so that the script and its waiting-time simulation (_yard_waiting.py)
share them without importing the script, which runs as __main__.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import landport
from landport.seals.calendar import BEIJING
from landport.yard.appointments import AppointmentStatus, Resource
from landport.yard.model import ScanLane

DATA = Path(landport.__file__).resolve().parent / "data"
SEED = int(os.environ.get("BENCH_SEED", "20250301"))
REQUESTS = int(os.environ.get("BENCH_YARD_REQUESTS", "10000"))
BOOKING_DAYS = 30
FORWARDERS = 40
PEAK_FORWARDERS = 8
UNRELIABLE_FORWARDERS = 3  # miss 15 % of their slots: the fairness rule bites
DEPARTURE_TRUCKS = 300
DEPARTURE_RUNS = int(os.environ.get("BENCH_YARD_DEPARTURE_RUNS", "7"))
SIM_DAYS = int(os.environ.get("BENCH_YARD_SIM_DAYS", "5"))
TRUCKS_PER_DAY = 300
# Slots are sold below the lanes' nominal throughput, leaving room for slow scans and walk-ins.
BOOKING_UTILISATION = 0.85
PEAK_HOURS = frozenset({9, 10, 11})
START = datetime(2026, 3, 2, tzinfo=BEIJING)  # a Monday; no closure in the data then
A = AppointmentStatus
HOUR = timedelta(hours=1)
NO_SHOW_RATE = 0.02  # of every forwarder's bookings
NO_SHOW_RATE_UNRELIABLE = 0.15


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


# -- resources from the layout ----------------------------------------------------------


def lane_resources(lanes: tuple[ScanLane, ...]) -> dict[str, Resource]:
    """The scan lanes as two bookable resources, morning and afternoon.

    A `Resource` has one opening span and one capacity per hour, so the lanes' hours
    (09:00-12:30, 13:30-19:00) are sold as whole hours 09-12 and 14-19; the half hours
    around lunch stay unsold as a buffer. Capacity = the lanes' scans per hour x utilisation.
    """
    per_hour = sum(60.0 / lane.service_minutes for lane in lanes)
    capacity = int(per_hour * BOOKING_UTILISATION)
    return {
        "nii-am": Resource("nii-am", capacity, opens_hour=9, closes_hour=12, peak_hours=PEAK_HOURS),
        "nii-pm": Resource("nii-pm", capacity, opens_hour=14, closes_hour=19),
    }


def resource_for(hour: int) -> str:
    return "nii-am" if hour < 12 else "nii-pm"


def at(day: date, minutes: float) -> datetime:
    """Beijing `day` plus `minutes` after local midnight, as UTC."""
    base = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return (base + timedelta(minutes=minutes)).astimezone(UTC)
