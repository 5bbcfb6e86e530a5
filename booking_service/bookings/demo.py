"""Demo data of booking_service (`manage.py seed`, run by `make seed`).

The ids are other services' and fixed forever, so they are repeated here
(each service has its own code and database; nothing is imported across):

- the demo properties are property_service's `manage.py seed` ones: property
  N of seed S has the id `uuid5(SEED_NAMESPACE, "S:N")`
  (property_service/properties/seeding.py), 60 of seed 42 by default; they
  reach this service as its projection, from their rentezy.property events;
- the demo tenant is auth_service's `manage.py seed` DEMO_TENANT
  (alex.morgan@tenants.rentezy.dev).

What a run adds: SLOTS_PER_PROPERTY upcoming viewing slots on each listed
demo property over the next SLOT_DAYS days, at viewing hours (weekday
lunchtimes and evenings, Saturday mornings), capacities 1..10; DEMO_BOOKINGS
bookings of the demo tenant; and the demo tenant's rental requests of
DEMO_RESERVATIONS, some of them approved by the property's owner.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

# property_service/properties/seeding.py
SEED_NAMESPACE = uuid.UUID("0f4c6a52-7d2e-4b8e-9a61-3c5d2e8f1b07")
DEFAULT_PROPERTY_SEED = 42
DEFAULT_PROPERTY_COUNT = 60

# auth_service's DEMO_TENANT
DEMO_TENANT_ID = uuid.UUID("5eed7e4a-0000-4000-8000-000000000001")

SLOTS_PER_PROPERTY = 3
SLOT_DAYS = 14
CAPACITY_RANGE = (1, 10)
DEMO_BOOKINGS = 4
# The demo tenant's rental requests, in order: the outcome of each.
DEMO_RESERVATIONS = ("pending", "confirmed", "pending", "confirmed")
RESERVATION_MONTHS = 12

# (hour, minute) a viewing starts, by weekday (Monday = 0); Sunday none.
_WEEKDAY_STARTS = ((12, 30), (17, 30), (18, 0), (18, 30), (19, 0))
_SATURDAY_STARTS = ((10, 0), (10, 30), (11, 0), (11, 30), (12, 0), (13, 0))
_LENGTHS_MINUTES = (30, 30, 45, 60)


def demo_property_id(*, seed: int, index: int) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"{seed}:{index}")


def demo_property_ids(*, seed: int, count: int) -> list[uuid.UUID]:
    return [demo_property_id(seed=seed, index=index) for index in range(count)]


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: datetime
    ends_at: datetime
    capacity: int


def planned_slots(
    *, property_id: uuid.UUID, today: date, zone: tzinfo, count: int = SLOTS_PER_PROPERTY
) -> list[PlannedSlot]:
    """`count` slots of one property on different days among the next
    SLOT_DAYS (from tomorrow), at viewing hours in `zone`; the same plan for
    the same property and day."""
    rng = random.Random(f"rentezy-booking-seed:{property_id}:{today.isoformat()}")
    days = [today + timedelta(days=n) for n in range(1, SLOT_DAYS + 1)]
    days = [day for day in days if day.weekday() != 6]
    slots = []
    for day in sorted(rng.sample(days, k=min(count, len(days)))):
        hour, minute = rng.choice(_SATURDAY_STARTS if day.weekday() == 5 else _WEEKDAY_STARTS)
        starts_at = datetime.combine(day, time(hour, minute), tzinfo=zone)
        slots.append(
            PlannedSlot(
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=rng.choice(_LENGTHS_MINUTES)),
                capacity=rng.randint(*CAPACITY_RANGE),
            )
        )
    return slots


def reservation_dates(*, today: date, number: int) -> tuple[date, date]:
    """Request `number`: from the 1st of a month one to three months ahead,
    for RESERVATION_MONTHS months (the same dates all month long)."""
    month = today.month + 1 + number % 3
    start = date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    end_month = start.month + RESERVATION_MONTHS
    end = date(start.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return start, end
