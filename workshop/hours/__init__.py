"""Trainee hours: programmes, trainees and badges, the shop-floor clock, approval, reports.

Times are stored as UTC and reasoned about in Europe/Paris: a work date is the
Paris date, a day ends at Paris midnight. Only approved hours are reported.

Rules (each refused with its own message, nothing written): quarter-hour steps,
at most 12 h per trainee and day, no overlapping periods, no future dates, no
hours outside the trainee's contract, and no change to an approved (locked) week
except by an admin who gives a reason. A clock-in left open past its day is a
*forgotten clock-out*: counted as nothing and listed for the lead to correct.

The parts, re-exported here so that callers write `hours.record_hours(...)`:

- `trainees`: programmes, trainees and their badges and PINs, who may see whose hours.
- `rules`: the limits, the rounding, every check an entry must pass, the forgotten clock-out.
- `entries`: entering, correcting and rejecting hours, a trainee's history.
- `kiosk`: the shop-floor tablet, where nobody is signed in (badge or PIN, the clock).
- `approval`: what waits for a lead, a trainee's week, approving and reopening it.
- `reports`: the monthly report per programme, and pseudonyms.
- `privacy`: a trainee's data export, and anonymisation after the retention period.
"""

from __future__ import annotations

from workshop.hours.approval import (
    Pending,
    WeekView,
    approve_week,
    pending,
    reopen_week,
    week_view,
)
from workshop.hours.entries import (
    EntryFields,
    build_codes,
    correct_entry,
    history,
    record_hours,
    reject_entry,
)
from workshop.hours.kiosk import (
    PIN_ENTITY,
    ClockState,
    clock_in,
    clock_out,
    clock_state,
    identify_badge,
    identify_pin,
    pin_trainees,
    shop_floor_hours,
)
from workshop.hours.privacy import anonymise_expired, due_for_anonymisation, personal_data
from workshop.hours.reports import MonthReport, ReportRow, monthly_report, pseudonym
from workshop.hours.rules import (
    DURATIONS,
    MAX_DAY_MINUTES,
    MAX_FIRST_NAME,
    MAX_REASON,
    PIN_LENGTH,
    QUARTER,
    is_forgotten_clock_out,
    round_to_quarter,
)
from workshop.hours.trainees import (
    PROGRAMMES,
    TraineeFields,
    create_trainee,
    get_trainee,
    hash_pin,
    is_current,
    linked_trainee,
    list_trainees,
    programmes,
    seed_programmes,
    trainee_accounts,
    update_trainee,
)

__all__ = [
    "DURATIONS",
    "MAX_DAY_MINUTES",
    "MAX_FIRST_NAME",
    "MAX_REASON",
    "PIN_ENTITY",
    "PIN_LENGTH",
    "PROGRAMMES",
    "QUARTER",
    "ClockState",
    "EntryFields",
    "MonthReport",
    "Pending",
    "ReportRow",
    "TraineeFields",
    "WeekView",
    "anonymise_expired",
    "approve_week",
    "build_codes",
    "clock_in",
    "clock_out",
    "clock_state",
    "correct_entry",
    "create_trainee",
    "due_for_anonymisation",
    "get_trainee",
    "hash_pin",
    "history",
    "identify_badge",
    "identify_pin",
    "is_current",
    "is_forgotten_clock_out",
    "linked_trainee",
    "list_trainees",
    "monthly_report",
    "pending",
    "personal_data",
    "pin_trainees",
    "programmes",
    "pseudonym",
    "record_hours",
    "reject_entry",
    "reopen_week",
    "round_to_quarter",
    "seed_programmes",
    "shop_floor_hours",
    "trainee_accounts",
    "update_trainee",
    "week_view",
]
