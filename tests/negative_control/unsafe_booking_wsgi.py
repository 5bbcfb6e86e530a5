"""TEST ONLY, never deployed: booking_service with the classic race condition.

The negative control of tests/test_booking_e2e.py serves this instead of
`config.wsgi` (from booking_service's folder, `--pythonpath` pointing here):
booking_service exactly as it is, except that taking a place reads the places
left and writes back that number minus one (read-then-write, no `F()`), the
pattern the original code would have used. The same race test that passes
against the real service must overbook here, which shows that the race test
can catch a lost update. The pause between the read and the write stands for
a busy server and makes the outcome reproducible on any machine.
"""

import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from bookings import services  # noqa: E402
from bookings.models import ViewingBooking, ViewingSlot  # noqa: E402
from django.db import transaction  # noqa: E402
from rentezy_platform.errors import NotFound  # noqa: E402
from rentezy_platform.parsing import uuid_or_none  # noqa: E402

READ_WRITE_GAP_SECONDS = 0.05


def booking_create_read_then_write(*, actor, slot_id):
    slot = ViewingSlot.objects.filter(pk=uuid_or_none(slot_id)).first()
    if slot is None:
        raise NotFound()
    with transaction.atomic():
        left = ViewingSlot.objects.values_list("available_slots", flat=True).get(pk=slot.pk)
        if left <= 0:
            raise services.SlotFull()
        time.sleep(READ_WRITE_GAP_SECONDS)
        ViewingSlot.objects.filter(pk=slot.pk).update(available_slots=left - 1)
        booking = ViewingBooking.objects.create(
            slot=slot,
            property_id=slot.property_id,
            tenant_id=actor.user_id,
            landlord_id=slot.landlord_id,
        )
    booking.slot = slot
    return booking


services.booking_create = booking_create_read_then_write
