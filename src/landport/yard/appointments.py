"""Truck appointments (预约) for the inspection yard: slots, standby, quotas and no-shows.

One import for the whole capability. The parts live in their own modules:
`appointment_model` (what is booked, bookable resources from the yard layout),
`appointment_rules` (the published peak quota and no-show fairness rule),
`appointment_book` (the indexed book), `appointment_booking` (its commands),
`appointment_walk_ins`.
"""

from __future__ import annotations

from landport.seals.calendar import BEIJING
from landport.yard.appointment_book import (
    AppointmentBook,
    no_show_count,
    occupied,
    priority_suspended,
    standby_list,
)
from landport.yard.appointment_booking import (
    book_slot,
    cancel,
    check_in,
    record_no_shows,
    reschedule,
)
from landport.yard.appointment_model import (
    HOLDING,
    OCCUPYING,
    SLOT_LENGTH,
    STATUS_ZH,
    Appointment,
    AppointmentPolicy,
    AppointmentStatus,
    BookingRequest,
    ChangeOutcome,
    NoShow,
    PublishedRule,
    Resource,
    Standing,
    resources_from_layout,
)
from landport.yard.appointment_rules import fairness_rule, is_suspended, peak_quota
from landport.yard.appointment_walk_ins import walk_in

#: Booking under its plain verb, beside `cancel` and `reschedule`; the module defining it
#: names it `book_slot` because its first argument is the `book` itself.
book = book_slot

__all__ = [
    "BEIJING",
    "HOLDING",
    "OCCUPYING",
    "SLOT_LENGTH",
    "STATUS_ZH",
    "Appointment",
    "AppointmentBook",
    "AppointmentPolicy",
    "AppointmentStatus",
    "BookingRequest",
    "ChangeOutcome",
    "NoShow",
    "PublishedRule",
    "Resource",
    "Standing",
    "book",
    "book_slot",
    "cancel",
    "check_in",
    "fairness_rule",
    "is_suspended",
    "no_show_count",
    "occupied",
    "peak_quota",
    "priority_suspended",
    "record_no_shows",
    "reschedule",
    "resources_from_layout",
    "standby_list",
    "walk_in",
]
