"""`manage.py seed`: upcoming viewing slots, bookings and rental reservations
on the demo properties (bookings/demo.py), for `make seed`.

    manage.py seed [--count 60] [--seed 42] [--timeout 120]

The demo properties reach this service as its projection, from the
rentezy.property events of property_service's seed (the running outbox relay
and this service's consumer, `make dev-up`), so the command first waits until
the projection holds all `--count` of them (the same --count and --seed as
property_service's seed), printing its progress, and fails with a clear error
after --timeout seconds.

Everything goes through the service functions, like a request, so every
booking and reservation announces itself (outbox events). Idempotent: a
property that already has its upcoming slots gets none, and the demo tenant's
bookings and reservations are only topped up to their demo numbers, so a
second run adds nothing.
"""

from __future__ import annotations

import time
import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rentezy_platform.errors import Conflict

from bookings import demo, services
from bookings.models import (
    BookingStatus,
    PropertyProjection,
    RentalReservation,
    SlotStatus,
    ViewingBooking,
    ViewingSlot,
)
from bookings.services import Actor

POLL_SECONDS = 1.0
PROGRESS_SECONDS = 10.0


class Command(BaseCommand):
    help = "Demo viewing slots, bookings and reservations on the demo properties (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--count",
            type=int,
            default=demo.DEFAULT_PROPERTY_COUNT,
            help="How many demo properties property_service seeded (its --count, default 60).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_PROPERTY_SEED,
            help="property_service's --seed (default 42).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=120.0,
            help="Seconds to wait for the demo properties to reach the projection (default 120).",
        )

    def handle(self, *args, count: int, seed: int, timeout: float, **options) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1.")
        property_ids = demo.demo_property_ids(seed=seed, count=count)
        self._wait_for_projection(property_ids, timeout=timeout)
        order = {pk: index for index, pk in enumerate(property_ids)}
        listed = sorted(
            PropertyProjection.objects.filter(
                pk__in=property_ids, status=PropertyProjection.LISTED
            ),
            key=lambda projection: order[projection.pk],
        )
        self.stdout.write(f"{len(listed)} of the {count} demo properties are listed.")
        slots_new = self._slots(listed)
        bookings_new = self._bookings(listed)
        reservations_new = self._reservations(listed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {slots_new} new viewing slots, {bookings_new} bookings and "
                f"{reservations_new} rental reservations (the demo tenant {demo.DEMO_TENANT_ID})."
            )
        )

    def _wait_for_projection(self, property_ids: list[uuid.UUID], *, timeout: float) -> None:
        started = time.monotonic()
        deadline = started + timeout
        last, said_at = -1, started
        while True:
            found = PropertyProjection.objects.filter(pk__in=property_ids).count()
            if found == len(property_ids):
                return
            if found != last or time.monotonic() - said_at >= PROGRESS_SECONDS:
                self.stdout.write(
                    f"  waiting for the property projection: {found}/{len(property_ids)} "
                    f"demo properties so far ({time.monotonic() - started:.0f} s)"
                )
                last, said_at = found, time.monotonic()
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"After {timeout:g} s the property projection holds {found} of the "
                    f"{len(property_ids)} demo properties. Seed property_service first (same "
                    "--count and --seed) and keep its outbox relay and booking_service's "
                    "consumer running (`make dev-up`), then run this again."
                )
            time.sleep(POLL_SECONDS)

    def _slots(self, listed: list[PropertyProjection]) -> int:
        now = timezone.now()
        zone = timezone.get_current_timezone()
        today = timezone.localdate(now)
        created = 0
        for projection in listed:
            upcoming = ViewingSlot.objects.filter(
                property=projection, status=SlotStatus.OPEN, starts_at__gt=now
            ).count()
            missing = demo.SLOTS_PER_PROPERTY - upcoming
            if missing <= 0:
                continue
            owner = Actor(user_id=projection.owner_id, role=services.LANDLORD)
            plan = demo.planned_slots(property_id=projection.pk, today=today, zone=zone)
            for planned in plan:
                if missing <= 0:
                    break
                try:
                    services.slot_create(
                        actor=owner,
                        property_id=projection.pk,
                        starts_at=planned.starts_at,
                        ends_at=planned.ends_at,
                        capacity=planned.capacity,
                    )
                except services.SlotOverlap:
                    continue  # a slot of the property is there already
                created += 1
                missing -= 1
        self.stdout.write(f"  viewing slots: {created} new")
        return created

    def _bookings(self, listed: list[PropertyProjection]) -> int:
        now = timezone.now()
        tenant = Actor(user_id=demo.DEMO_TENANT_ID, role=services.TENANT)
        held = ViewingBooking.objects.filter(
            tenant_id=tenant.user_id, status=BookingStatus.CONFIRMED, slot__starts_at__gt=now
        )
        missing = demo.DEMO_BOOKINGS - held.count()
        taken = set(held.values_list("property_id", flat=True))
        # The soonest bookable slot of each listed property, one per property.
        candidates = ViewingSlot.objects.filter(
            property__in=listed,
            status=SlotStatus.OPEN,
            available_slots__gt=0,
            starts_at__gt=now + services.booking_notice(),
        ).order_by("starts_at", "id")
        created = 0
        for slot in candidates:
            if missing <= 0:
                break
            if slot.property_id in taken:
                continue
            try:
                services.booking_create(actor=tenant, slot_id=slot.pk)
            except Conflict:  # full, closed or booked meanwhile: the next one
                continue
            taken.add(slot.property_id)
            created += 1
            missing -= 1
        self.stdout.write(f"  bookings of the demo tenant: {created} new")
        return created

    def _reservations(self, listed: list[PropertyProjection]) -> int:
        tenant = Actor(user_id=demo.DEMO_TENANT_ID, role=services.TENANT)
        mine = RentalReservation.objects.filter(tenant_id=tenant.user_id)
        if mine.count() >= len(demo.DEMO_RESERVATIONS):
            self.stdout.write("  rental reservations of the demo tenant: 0 new")
            return 0
        asked = set(mine.values_list("property_id", flat=True))
        today = timezone.localdate()
        # From the end of the list: other properties than the first bookings'.
        properties = [p for p in reversed(listed) if p.pk not in asked]
        created = 0
        number = mine.count()
        for projection in properties:
            if number >= len(demo.DEMO_RESERVATIONS):
                break
            start_date, end_date = demo.reservation_dates(today=today, number=number)
            try:
                reservation = services.reservation_create(
                    actor=tenant,
                    property_id=projection.pk,
                    start_date=start_date,
                    end_date=end_date,
                )
            except services.PropertyUnavailable:
                continue  # reserved by someone else for these dates
            if demo.DEMO_RESERVATIONS[number] == "confirmed":
                owner = Actor(user_id=projection.owner_id, role=services.LANDLORD)
                services.reservation_approve(actor=owner, reservation_id=reservation.pk)
            created += 1
            number += 1
        self.stdout.write(f"  rental reservations of the demo tenant: {created} new")
        return created
