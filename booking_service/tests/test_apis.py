"""The Bookings routes of API.md, called the way the gateway calls them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from bookings import services
from bookings.models import (
    RentalReservation,
    ReservationStatus,
    SlotStatus,
    ViewingBooking,
    ViewingSlot,
)
from django.utils import timezone
from rentezy_platform.idempotency.models import IdempotencyRecord
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import Caller

from tests.conftest import actor, in_hours, iso, listed_property, make_slot

pytestmark = pytest.mark.django_db

SLOTS = "/api/bookings/slots"
BOOKINGS = "/api/bookings"
RENTALS = "/api/bookings/rentals"
KEY_MESSAGE = "Use 1 to 255 visible ASCII characters (a UUID, for example)."
DATETIME_MESSAGE = 'Enter a date and time with its offset, as ISO 8601: "2027-01-15T14:00:00Z".'


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


def slot_body(projection, *, hours: float = 48, length: float = 1, capacity: int = 3) -> dict:
    return {
        "property_id": str(projection.pk),
        "starts_at": iso(in_hours(hours)),
        "ends_at": iso(in_hours(hours + length)),
        "capacity": capacity,
    }


def slot_json(slot: ViewingSlot) -> dict:
    slot.refresh_from_db()
    return {
        "id": str(slot.id),
        "property_id": str(slot.property_id),
        "starts_at": iso(slot.starts_at),
        "ends_at": iso(slot.ends_at),
        "capacity": slot.capacity,
        "available_slots": slot.available_slots,
        "status": slot.status,
    }


def booking_json(booking: ViewingBooking) -> dict:
    booking.refresh_from_db()
    return {
        "id": str(booking.id),
        "slot_id": str(booking.slot_id),
        "property_id": str(booking.property_id),
        "tenant_id": str(booking.tenant_id),
        "status": booking.status,
        "starts_at": iso(booking.slot.starts_at),
        "ends_at": iso(booking.slot.ends_at),
        "created_at": iso(booking.created_at),
        "cancelled_at": iso(booking.cancelled_at) if booking.cancelled_at else None,
        "cancelled_by": booking.cancelled_by or None,
    }


def reservation_json(reservation: RentalReservation) -> dict:
    reservation.refresh_from_db()
    return {
        "id": str(reservation.id),
        "property_id": str(reservation.property_id),
        "property_title": reservation.property_title,
        "tenant_id": str(reservation.tenant_id),
        "landlord_id": str(reservation.landlord_id),
        "start_date": reservation.start_date.isoformat(),
        "end_date": reservation.end_date.isoformat(),
        "status": reservation.status,
        "monthly_rent": "3450.00",
        "deposit": "3450.00",
        "currency": "USD",
        "reason": reservation.reason or None,
        "created_at": iso(reservation.created_at),
        "expires_at": iso(reservation.expires_at),
        "decided_at": iso(reservation.decided_at) if reservation.decided_at else None,
    }


def today() -> date:
    return timezone.now().date()


def rental_body(projection, *, start_in_days: int = 10, days: int = 62) -> dict:
    start = today() + timedelta(days=start_in_days)
    return {
        "property_id": str(projection.pk),
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=days)).isoformat(),
    }


def make_reservation(tenant: Caller, projection, *, start_in_days: int = 10, days: int = 62):
    start = today() + timedelta(days=start_in_days)
    return services.reservation_create(
        actor=actor(tenant),
        property_id=projection.pk,
        start_date=start,
        end_date=start + timedelta(days=days),
    )


def page(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- POST /api/bookings/slots ------------------------------------------------------


def test_a_landlord_opens_a_slot_on_a_listed_property(gateway, landlord):
    projection = listed_property(landlord)
    body = slot_body(projection, capacity=7)

    response = gateway.post(SLOTS, body, as_=landlord)

    assert response.status_code == 201, response.content
    slot = ViewingSlot.objects.get()
    assert response.json() == {
        "id": str(slot.id),
        "property_id": str(projection.pk),
        "starts_at": body["starts_at"],
        "ends_at": body["ends_at"],
        "capacity": 7,
        "available_slots": 7,
        "status": "open",
    }
    assert slot.landlord_id == uuid.UUID(landlord.user_id)


def test_a_slot_start_with_an_offset_is_stored_in_utc(gateway, landlord):
    projection = listed_property(landlord)
    start = in_hours(48)
    body = slot_body(projection)
    body["starts_at"] = start.astimezone(timezone.get_fixed_timezone(120)).isoformat()

    response = gateway.post(SLOTS, body, as_=landlord)

    assert response.status_code == 201, response.content
    assert response.json()["starts_at"] == iso(start)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"capacity": 0}, {"capacity": ["Ensure this value is greater than or equal to 1."]}),
        ({"capacity": 501}, {"capacity": ["Ensure this value is less than or equal to 500."]}),
        ({"capacity": "3"}, {"capacity": ["A valid integer is required."]}),
        ({"capacity": 3.0}, {"capacity": ["A valid integer is required."]}),
        ({"capacity": True}, {"capacity": ["A valid integer is required."]}),
        ({"starts_at": "2027-01-15T14:00:00"}, {"starts_at": [DATETIME_MESSAGE]}),
        ({"ends_at": "2027-01-15 14:00"}, {"ends_at": [DATETIME_MESSAGE]}),
        ({"starts_at": 1800000000}, {"starts_at": [DATETIME_MESSAGE]}),
        ({"property_id": "not-a-uuid"}, {"property_id": ["A property id (UUID) is required."]}),
        # A JSON integer is not a UUID (DRF's UUIDField would read 5 as ...0005).
        ({"property_id": 5}, {"property_id": ["A property id (UUID) is required."]}),
        ({"available_slots": 3}, {"available_slots": ["This field cannot be set."]}),
        ({"status": "open"}, {"status": ["This field cannot be set."]}),
        ({"id": str(uuid.uuid4())}, {"id": ["This field cannot be set."]}),
        ({"colour": "red"}, {"colour": ["Unknown field."]}),
        ({"tenant_id": str(uuid.uuid4())}, {"tenant_id": ["Unknown field."]}),
    ],
)
def test_a_bad_slot_body_is_400_naming_the_field(gateway, landlord, changes, fields):
    body = {**slot_body(listed_property(landlord)), **changes}

    response = gateway.post(SLOTS, body, as_=landlord)

    assert error(response, 400, "invalid")["fields"] == fields
    assert ViewingSlot.objects.count() == 0


def test_a_slot_body_without_fields_names_each_one(gateway, landlord):
    response = gateway.post(SLOTS, {}, as_=landlord)
    required = ["This field is required."]
    assert error(response, 400, "invalid")["fields"] == {
        "property_id": required,
        "starts_at": required,
        "ends_at": required,
        "capacity": required,
    }


def test_a_slot_body_that_is_not_an_object_is_400(gateway, landlord):
    response = gateway.post(SLOTS, [1, 2], as_=landlord)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert ViewingSlot.objects.count() == 0


@pytest.mark.parametrize(
    ("hours", "length", "fields"),
    [
        (-2, 1, {"starts_at": ["Must be in the future."]}),
        (48, -1, {"ends_at": ["Must be after starts_at."]}),
        (48, 0, {"ends_at": ["Must be after starts_at."]}),
        (48, 12.5, {"ends_at": ["A slot lasts at most 12 hours."]}),
    ],
)
def test_slot_times_are_checked(gateway, landlord, hours, length, fields):
    body = slot_body(listed_property(landlord), hours=hours, length=length)

    response = gateway.post(SLOTS, body, as_=landlord)

    assert error(response, 400, "invalid")["fields"] == fields
    assert ViewingSlot.objects.count() == 0


def test_a_slot_of_exactly_twelve_hours_is_accepted(gateway, landlord):
    response = gateway.post(SLOTS, slot_body(listed_property(landlord), length=12), as_=landlord)
    assert response.status_code == 201, response.content


def test_creating_a_slot_needs_authentication(gateway, landlord):
    response = gateway.post(SLOTS, slot_body(listed_property(landlord)))
    error(response, 401, "not_authenticated")
    assert ViewingSlot.objects.count() == 0


def test_a_tenant_cannot_open_a_slot(gateway, landlord, tenant):
    response = gateway.post(SLOTS, slot_body(listed_property(landlord)), as_=tenant)
    error(response, 403, "forbidden")
    assert ViewingSlot.objects.count() == 0


def test_a_landlord_cannot_open_a_slot_on_another_landlords_property(
    gateway, landlord, other_landlord
):
    response = gateway.post(SLOTS, slot_body(listed_property(landlord)), as_=other_landlord)
    error(response, 403, "forbidden")
    assert ViewingSlot.objects.count() == 0


def test_a_slot_on_an_unknown_property_is_404(gateway, landlord):
    body = slot_body(listed_property(landlord))
    body["property_id"] = str(uuid.uuid4())
    error(gateway.post(SLOTS, body, as_=landlord), 404, "not_found")


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_a_slot_on_an_unlisted_property_is_409(gateway, landlord, status):
    projection = listed_property(landlord, status=status)
    response = gateway.post(SLOTS, slot_body(projection), as_=landlord)
    error(response, 409, "property_not_listed")
    assert ViewingSlot.objects.count() == 0


def test_overlapping_slots_of_one_property_are_409(gateway, landlord):
    projection = listed_property(landlord)
    assert (
        gateway.post(SLOTS, slot_body(projection, hours=48, length=2), as_=landlord).status_code
        == 201
    )

    response = gateway.post(SLOTS, slot_body(projection, hours=49, length=2), as_=landlord)

    error(response, 409, "slot_overlap")
    assert ViewingSlot.objects.count() == 1
    # Back to back is not an overlap; another property's slot at the same time is fine.
    assert gateway.post(SLOTS, slot_body(projection, hours=50), as_=landlord).status_code == 201
    other = listed_property(landlord)
    assert gateway.post(SLOTS, slot_body(other, hours=48), as_=landlord).status_code == 201


def test_a_cancelled_slot_frees_its_time(gateway, landlord):
    projection = listed_property(landlord)
    slot = make_slot(landlord, projection, hours=48)
    services.slot_cancel(actor=actor(landlord), slot_id=slot.id)

    response = gateway.post(SLOTS, slot_body(projection, hours=48), as_=landlord)

    assert response.status_code == 201, response.content


# --- GET /api/bookings/slots --------------------------------------------------------


def test_upcoming_open_slots_are_public_soonest_first(gateway, landlord, tenant):
    projection = listed_property(landlord)
    later = make_slot(landlord, projection, hours=72)
    sooner = make_slot(landlord, projection, hours=24)
    cancelled = make_slot(landlord, projection, hours=96)
    services.slot_cancel(actor=actor(landlord), slot_id=cancelled.id)
    started = make_slot(landlord, projection, hours=120)
    ViewingSlot.objects.filter(pk=started.pk).update(starts_at=in_hours(-1), ends_at=in_hours(1))
    services.booking_create(actor=actor(tenant), slot_id=later.id)

    response = gateway.get(f"{SLOTS}?property_id={projection.pk}")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [slot_json(sooner), slot_json(later)],
    }
    assert response.json()["results"][1]["available_slots"] == 2


def test_the_slot_list_filters_by_property(gateway, landlord, other_landlord):
    mine = make_slot(landlord, listed_property(landlord))
    theirs = make_slot(other_landlord, listed_property(other_landlord), hours=30)

    assert [s["id"] for s in page(gateway.get(f"{SLOTS}?property_id={mine.property_id}"))] == [
        str(mine.id)
    ]
    assert [s["id"] for s in page(gateway.get(SLOTS))] == [str(theirs.id), str(mine.id)]


def test_the_slot_list_refuses_a_bad_property_id(gateway):
    response = gateway.get(f"{SLOTS}?property_id=nope")
    assert error(response, 400, "invalid")["fields"] == {
        "property_id": ["A property id (UUID) is required."]
    }


def test_a_slot_page_past_the_last_is_404(gateway, landlord):
    make_slot(landlord, listed_property(landlord))
    assert len(page(gateway.get(f"{SLOTS}?page=1"))) == 1
    error(gateway.get(f"{SLOTS}?page=2"), 404, "not_found")


# --- POST /api/bookings/slots/{id}/cancel -------------------------------------------


def test_the_owner_cancels_a_slot_and_its_bookings(gateway, landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord))
    first = services.booking_create(actor=actor(tenant), slot_id=slot.id)
    second = services.booking_create(actor=actor(other_tenant), slot_id=slot.id)

    response = gateway.post(f"{SLOTS}/{slot.id}/cancel", as_=landlord)

    assert response.status_code == 200, response.content
    assert response.json() == {**slot_json(slot), "status": "cancelled", "available_slots": 3}
    for booking in (first, second):
        booking.refresh_from_db()
        assert (booking.status, booking.cancelled_by) == ("cancelled", "landlord")
    # Again: the same answer, nothing more happens.
    events = OutboxMessage.objects.count()
    again = gateway.post(f"{SLOTS}/{slot.id}/cancel", as_=landlord)
    assert (again.status_code, again.json()) == (200, response.json())
    assert OutboxMessage.objects.count() == events


def test_cancelling_a_slot_needs_authentication(gateway, landlord):
    slot = make_slot(landlord, listed_property(landlord))
    error(gateway.post(f"{SLOTS}/{slot.id}/cancel"), 401, "not_authenticated")
    slot.refresh_from_db()
    assert slot.status == SlotStatus.OPEN


@pytest.mark.parametrize("who", ["other_landlord", "tenant"])
def test_only_the_owner_cancels_a_slot(gateway, landlord, request, who):
    slot = make_slot(landlord, listed_property(landlord))

    response = gateway.post(f"{SLOTS}/{slot.id}/cancel", as_=request.getfixturevalue(who))

    error(response, 403, "forbidden")
    slot.refresh_from_db()
    assert slot.status == SlotStatus.OPEN


@pytest.mark.parametrize("slot_id", ["nope", "123", str(uuid.uuid4())])
def test_cancelling_an_unknown_slot_is_404(gateway, landlord, slot_id):
    error(gateway.post(f"{SLOTS}/{slot_id}/cancel", as_=landlord), 404, "not_found")


def test_a_cancelled_slot_of_someone_else_is_404(gateway, landlord, other_landlord):
    slot = make_slot(landlord, listed_property(landlord))
    services.slot_cancel(actor=actor(landlord), slot_id=slot.id)
    error(gateway.post(f"{SLOTS}/{slot.id}/cancel", as_=other_landlord), 404, "not_found")


# --- POST /api/bookings -------------------------------------------------------------


def test_a_tenant_books_a_place(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=2)

    response = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant)

    assert response.status_code == 201, response.content
    booking = ViewingBooking.objects.get()
    assert response.json() == {
        "id": str(booking.id),
        "slot_id": str(slot.id),
        "property_id": str(slot.property_id),
        "tenant_id": tenant.user_id,
        "status": "confirmed",
        "starts_at": iso(slot.starts_at),
        "ends_at": iso(slot.ends_at),
        "created_at": iso(booking.created_at),
        "cancelled_at": None,
        "cancelled_by": None,
    }
    slot.refresh_from_db()
    assert slot.available_slots == 1
    assert response.get("Idempotent-Replayed") is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"slot_id": ["This field is required."]}),
        ({"slot_id": "nope"}, {"slot_id": ["A slot id (UUID) is required."]}),
        ({"slot_id": 7}, {"slot_id": ["A slot id (UUID) is required."]}),
        ({"slot_id": None}, {"slot_id": ["This field may not be null."]}),
        ("SLOT", {"status": ["This field cannot be set."]}),
        ("SLOT", {"tenant_id": ["This field cannot be set."]}),
        ("SLOT", {"property_id": ["This field cannot be set."]}),
        ("SLOT", {"seats": ["Unknown field."]}),
    ],
)
def test_a_bad_booking_body_is_400(gateway, landlord, tenant, body, fields):
    slot = make_slot(landlord, listed_property(landlord))
    if body == "SLOT":
        name = next(iter(fields))
        body = {"slot_id": str(slot.id), name: "x"}

    response = gateway.post(BOOKINGS, body, as_=tenant)

    assert error(response, 400, "invalid")["fields"] == fields
    assert ViewingBooking.objects.count() == 0


def test_booking_needs_authentication(gateway, landlord):
    slot = make_slot(landlord, listed_property(landlord))
    error(gateway.post(BOOKINGS, {"slot_id": str(slot.id)}), 401, "not_authenticated")
    assert ViewingBooking.objects.count() == 0


def test_a_landlord_cannot_book_their_own_slot(gateway, landlord):
    slot = make_slot(landlord, listed_property(landlord))
    body = error(gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=landlord), 403, "forbidden")
    assert body["message"] == "You cannot book a viewing of your own property."
    assert ViewingBooking.objects.count() == 0


def test_a_landlord_cannot_book_any_slot(gateway, landlord, other_landlord):
    slot = make_slot(landlord, listed_property(landlord))
    response = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=other_landlord)
    assert error(response, 403, "forbidden")["message"] == "Only tenants book viewings."
    assert ViewingBooking.objects.count() == 0


def test_booking_an_unknown_slot_is_404(gateway, tenant):
    error(gateway.post(BOOKINGS, {"slot_id": str(uuid.uuid4())}, as_=tenant), 404, "not_found")


def test_a_full_slot_is_409_slot_full(gateway, landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=1)
    assert gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant).status_code == 201

    response = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=other_tenant)

    error(response, 409, "slot_full")
    slot.refresh_from_db()
    assert slot.available_slots == 0
    assert ViewingBooking.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_booking_twice_is_409_already_booked(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=3)
    assert gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant).status_code == 201

    response = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant)

    error(response, 409, "already_booked")
    slot.refresh_from_db()
    assert slot.available_slots == 2
    assert ViewingBooking.objects.count() == 1


def test_a_cancelled_slot_is_409_slot_closed(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord))
    services.slot_cancel(actor=actor(landlord), slot_id=slot.id)

    error(gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant), 409, "slot_closed")
    assert ViewingBooking.objects.count() == 0


def test_booking_closes_the_notice_period_before_the_start(gateway, landlord, tenant, settings):
    slot = make_slot(landlord, listed_property(landlord), hours=2)
    settings.BOOKING_NOTICE_MINUTES = 121

    error(gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant), 409, "slot_closed")
    assert ViewingBooking.objects.count() == 0

    settings.BOOKING_NOTICE_MINUTES = 119
    assert gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant).status_code == 201


def test_the_default_notice_is_one_hour(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), hours=0.9)
    error(gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant), 409, "slot_closed")


def test_cancel_then_rebook(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=1)
    first = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant).json()
    assert gateway.post(f"{BOOKINGS}/{first['id']}/cancel", as_=tenant).status_code == 200

    response = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant)

    assert response.status_code == 201, response.content
    assert response.json()["id"] != first["id"]
    slot.refresh_from_db()
    assert slot.available_slots == 0
    assert list(ViewingBooking.objects.order_by("created_at").values_list("status", flat=True)) == [
        "cancelled",
        "confirmed",
    ]


# --- Idempotency-Key ----------------------------------------------------------------


def test_a_replay_returns_the_first_response_and_books_nothing_more(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=3)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers=key)
    replay = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers=key)

    assert first.status_code == 201, first.content
    assert first.get("Idempotent-Replayed") is None
    assert (replay.status_code, replay.content) == (201, first.content)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Content-Type"] == "application/json"
    assert ViewingBooking.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    slot.refresh_from_db()
    assert slot.available_slots == 2


def test_a_key_reused_with_another_body_is_422(gateway, landlord, tenant):
    projection = listed_property(landlord)
    slot = make_slot(landlord, projection, hours=48)
    other = make_slot(landlord, projection, hours=72)
    key = {"Idempotency-Key": "retry-me"}
    assert (
        gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers=key).status_code
        == 201
    )

    response = gateway.post(BOOKINGS, {"slot_id": str(other.id)}, as_=tenant, headers=key)

    error(response, 422, "idempotency_key_reused")
    assert ViewingBooking.objects.count() == 1
    other.refresh_from_db()
    assert other.available_slots == 3


def test_a_key_reused_on_another_route_is_422(gateway, landlord, tenant):
    projection = listed_property(landlord)
    slot = make_slot(landlord, projection)
    key = {"Idempotency-Key": "one-key"}
    assert (
        gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers=key).status_code
        == 201
    )

    response = gateway.post(RENTALS, rental_body(projection), as_=tenant, headers=key)

    error(response, 422, "idempotency_key_reused")
    assert RentalReservation.objects.count() == 0


def test_keys_are_per_user(gateway, landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=3)
    key = {"Idempotency-Key": "same-key"}

    first = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers=key)
    second = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=other_tenant, headers=key)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get("Idempotent-Replayed") is None
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["tenant_id"] == other_tenant.user_id
    assert ViewingBooking.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "with space", "tab\tkey"])
def test_a_malformed_key_is_400(gateway, landlord, tenant, key):
    slot = make_slot(landlord, listed_property(landlord))

    response = gateway.post(
        BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers={"Idempotency-Key": key}
    )

    assert error(response, 400, "invalid")["fields"] == {"Idempotency-Key": [KEY_MESSAGE]}
    assert ViewingBooking.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_a_key_of_255_visible_characters_is_accepted(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord))
    key = {"Idempotency-Key": "~" * 255}
    response = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers=key)
    assert response.status_code == 201, response.content
    assert IdempotencyRecord.objects.get().key == "~" * 255


def test_a_stored_conflict_replays_as_the_same_conflict(gateway, landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=1)
    held = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant).json()
    key = {"Idempotency-Key": "full-try"}
    refused = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=other_tenant, headers=key)
    error(refused, 409, "slot_full")
    # The place frees up, but the key's outcome was decided: it replays.
    gateway.post(f"{BOOKINGS}/{held['id']}/cancel", as_=tenant)

    replay = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=other_tenant, headers=key)

    assert (replay.status_code, replay.content) == (409, refused.content)
    assert replay["Idempotent-Replayed"] == "true"
    assert not ViewingBooking.objects.filter(tenant_id=other_tenant.user_id).exists()
    slot.refresh_from_db()
    assert slot.available_slots == 1


def test_a_bad_body_stores_nothing_under_its_key(gateway, landlord, tenant):
    slot = make_slot(landlord, listed_property(landlord))
    key = {"Idempotency-Key": "fix-and-retry"}
    error(gateway.post(BOOKINGS, {"slot_id": "nope"}, as_=tenant, headers=key), 400, "invalid")

    response = gateway.post(BOOKINGS, {"slot_id": str(slot.id)}, as_=tenant, headers=key)

    assert response.status_code == 201, response.content
    assert response.get("Idempotent-Replayed") is None


def test_a_rental_request_replays_too(gateway, landlord, tenant):
    projection = listed_property(landlord)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = gateway.post(RENTALS, rental_body(projection), as_=tenant, headers=key)
    replay = gateway.post(RENTALS, rental_body(projection), as_=tenant, headers=key)

    assert first.status_code == 201, first.content
    assert (replay.status_code, replay.content) == (201, first.content)
    assert replay["Idempotent-Replayed"] == "true"
    assert RentalReservation.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


# --- POST /api/bookings/{id}/cancel -------------------------------------------------


@pytest.mark.parametrize(("who", "by"), [("tenant", "tenant"), ("landlord", "landlord")])
def test_the_booker_or_the_owner_cancels_a_booking(gateway, landlord, tenant, request, who, by):
    slot = make_slot(landlord, listed_property(landlord), capacity=2)
    booking = services.booking_create(actor=actor(tenant), slot_id=slot.id)

    response = gateway.post(f"{BOOKINGS}/{booking.id}/cancel", as_=request.getfixturevalue(who))

    assert response.status_code == 200, response.content
    expected = booking_json(booking)
    assert response.json() == expected
    assert (expected["status"], expected["cancelled_by"]) == ("cancelled", by)
    assert expected["cancelled_at"] is not None
    slot.refresh_from_db()
    assert slot.available_slots == 2


def test_cancelling_twice_is_a_no_op(gateway, landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=2)
    booking = services.booking_create(actor=actor(tenant), slot_id=slot.id)
    services.booking_create(actor=actor(other_tenant), slot_id=slot.id)

    first = gateway.post(f"{BOOKINGS}/{booking.id}/cancel", as_=tenant)
    second = gateway.post(f"{BOOKINGS}/{booking.id}/cancel", as_=tenant)
    third = gateway.post(f"{BOOKINGS}/{booking.id}/cancel", as_=landlord)

    assert first.status_code == second.status_code == third.status_code == 200
    assert first.json() == second.json() == third.json()
    assert third.json()["cancelled_by"] == "tenant"
    slot.refresh_from_db()
    assert slot.available_slots == 1  # returned once, not three times
    assert OutboxMessage.objects.filter(type="rentezy.booking.viewing_cancelled.v1").count() == 1


def test_cancelling_a_booking_needs_authentication(gateway, landlord, tenant):
    booking = services.booking_create(
        actor=actor(tenant), slot_id=make_slot(landlord, listed_property(landlord)).id
    )
    error(gateway.post(f"{BOOKINGS}/{booking.id}/cancel"), 401, "not_authenticated")


@pytest.mark.parametrize("who", ["other_tenant", "other_landlord"])
def test_a_booking_one_is_not_party_to_is_404(gateway, landlord, tenant, request, who):
    slot = make_slot(landlord, listed_property(landlord))
    booking = services.booking_create(actor=actor(tenant), slot_id=slot.id)

    response = gateway.post(f"{BOOKINGS}/{booking.id}/cancel", as_=request.getfixturevalue(who))

    error(response, 404, "not_found")
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    slot.refresh_from_db()
    assert slot.available_slots == 2


@pytest.mark.parametrize("booking_id", ["nope", "42", str(uuid.uuid4())])
def test_cancelling_an_unknown_booking_is_404(gateway, tenant, booking_id):
    error(gateway.post(f"{BOOKINGS}/{booking_id}/cancel", as_=tenant), 404, "not_found")


# --- GET /api/bookings --------------------------------------------------------------


def test_users_see_only_their_own_bookings(gateway, landlord, other_landlord, tenant, other_tenant):
    slot = make_slot(landlord, listed_property(landlord), capacity=5)
    other_slot = make_slot(other_landlord, listed_property(other_landlord), capacity=5)
    mine = services.booking_create(actor=actor(tenant), slot_id=slot.id)
    theirs = services.booking_create(actor=actor(other_tenant), slot_id=slot.id)
    elsewhere = services.booking_create(actor=actor(tenant), slot_id=other_slot.id)

    assert page(gateway.get(BOOKINGS, as_=tenant)) == [booking_json(elsewhere), booking_json(mine)]
    assert page(gateway.get(BOOKINGS, as_=other_tenant)) == [booking_json(theirs)]
    assert page(gateway.get(BOOKINGS, as_=landlord)) == [booking_json(theirs), booking_json(mine)]
    assert page(gateway.get(BOOKINGS, as_=other_landlord)) == [booking_json(elsewhere)]
    assert page(gateway.get(BOOKINGS, as_=Caller.new("tenant"))) == []


def test_a_landlord_lists_the_bookings_of_one_property(gateway, landlord, tenant):
    first = listed_property(landlord)
    second = listed_property(landlord)
    on_first = services.booking_create(actor=actor(tenant), slot_id=make_slot(landlord, first).id)
    services.booking_create(actor=actor(tenant), slot_id=make_slot(landlord, second).id)

    response = gateway.get(f"{BOOKINGS}?property_id={first.pk}", as_=landlord)

    assert page(response) == [booking_json(on_first)]


def test_the_bookings_of_another_landlords_property_are_404(
    gateway, landlord, other_landlord, tenant
):
    projection = listed_property(landlord)
    services.booking_create(actor=actor(tenant), slot_id=make_slot(landlord, projection).id)

    response = gateway.get(f"{BOOKINGS}?property_id={projection.pk}", as_=other_landlord)

    error(response, 404, "not_found")


def test_bookings_filter_by_status(gateway, landlord, tenant):
    projection = listed_property(landlord)
    kept = services.booking_create(actor=actor(tenant), slot_id=make_slot(landlord, projection).id)
    dropped = services.booking_create(
        actor=actor(tenant), slot_id=make_slot(landlord, projection, hours=72).id
    )
    services.booking_cancel(actor=actor(tenant), booking_id=dropped.id)

    assert page(gateway.get(f"{BOOKINGS}?status=confirmed", as_=tenant)) == [booking_json(kept)]
    assert page(gateway.get(f"{BOOKINGS}?status=cancelled", as_=tenant)) == [booking_json(dropped)]
    assert set(
        error(gateway.get(f"{BOOKINGS}?status=gone", as_=tenant), 400, "invalid")["fields"]
    ) == {"status"}


def test_listing_bookings_needs_authentication(gateway):
    error(gateway.get(BOOKINGS), 401, "not_authenticated")


def test_a_booking_page_past_the_last_is_404(gateway, landlord, tenant):
    projection = listed_property(landlord)
    for hours in (48, 72, 96):
        services.booking_create(
            actor=actor(tenant), slot_id=make_slot(landlord, projection, hours=hours).id
        )

    response = gateway.get(f"{BOOKINGS}?page_size=2&page=2", as_=tenant)

    assert response.status_code == 200
    assert (response.json()["count"], len(response.json()["results"])) == (3, 1)
    error(gateway.get(f"{BOOKINGS}?page_size=2&page=3", as_=tenant), 404, "not_found")


# --- POST /api/bookings/rentals ----------------------------------------------------


def test_a_tenant_requests_a_rental(gateway, landlord, tenant):
    projection = listed_property(landlord)
    body = rental_body(projection)

    response = gateway.post(RENTALS, body, as_=tenant)

    assert response.status_code == 201, response.content
    reservation = RentalReservation.objects.get()
    assert response.json() == {
        "id": str(reservation.id),
        "property_id": str(projection.pk),
        "property_title": "Sunny 2-bedroom apartment in Park Slope",
        "tenant_id": tenant.user_id,
        "landlord_id": landlord.user_id,
        "start_date": body["start_date"],
        "end_date": body["end_date"],
        "status": "pending",
        "monthly_rent": "3450.00",
        "deposit": "3450.00",
        "currency": "USD",
        "reason": None,
        "created_at": iso(reservation.created_at),
        "expires_at": iso(reservation.expires_at),
        "decided_at": None,
    }
    assert reservation.expires_at - reservation.created_at == pytest.approx(
        timedelta(hours=72), abs=timedelta(seconds=5)
    )


DATE_MESSAGE = "Enter a date as YYYY-MM-DD."


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"start_date": "2027-02-30"}, {"start_date": [DATE_MESSAGE]}),
        ({"start_date": "2027/03/01"}, {"start_date": [DATE_MESSAGE]}),
        ({"start_date": "2027-03-01T00:00:00Z"}, {"start_date": [DATE_MESSAGE]}),
        ({"end_date": 20270301}, {"end_date": [DATE_MESSAGE]}),
        ({"end_date": "2100-01-01"}, {"end_date": ["Must be between 2000-01-01 and 2099-12-31."]}),
        ({"property_id": "x"}, {"property_id": ["A property id (UUID) is required."]}),
        ({"property_id": 1}, {"property_id": ["A property id (UUID) is required."]}),
        ({"status": "confirmed"}, {"status": ["This field cannot be set."]}),
        ({"tenant_id": str(uuid.uuid4())}, {"tenant_id": ["This field cannot be set."]}),
        ({"landlord_id": str(uuid.uuid4())}, {"landlord_id": ["This field cannot be set."]}),
        ({"monthly_rent": "1.00"}, {"monthly_rent": ["Unknown field."]}),
    ],
)
def test_a_bad_rental_body_is_400(gateway, landlord, tenant, changes, fields):
    body = {**rental_body(listed_property(landlord)), **changes}

    response = gateway.post(RENTALS, body, as_=tenant)

    assert error(response, 400, "invalid")["fields"] == fields
    assert RentalReservation.objects.count() == 0


@pytest.mark.parametrize(
    ("start_in_days", "days", "fields"),
    [
        (-1, 62, {"start_date": ["Must be today or later."]}),
        (10, 0, {"end_date": ["Must be after start_date."]}),
        (10, -5, {"end_date": ["Must be after start_date."]}),
        (10, 20, {"end_date": ["A rental lasts at least one month."]}),
        (10, 366 * 5 + 2, {"end_date": ["A rental lasts at most 5 years."]}),
    ],
)
def test_rental_dates_are_checked(gateway, landlord, tenant, start_in_days, days, fields):
    body = rental_body(listed_property(landlord), start_in_days=start_in_days, days=days)

    response = gateway.post(RENTALS, body, as_=tenant)

    assert error(response, 400, "invalid")["fields"] == fields
    assert RentalReservation.objects.count() == 0


def test_a_rental_of_exactly_one_calendar_month_is_accepted(gateway, landlord, tenant):
    year = today().year + 1
    body = {
        "property_id": str(listed_property(landlord).pk),
        "start_date": f"{year}-01-31",
        "end_date": f"{year}-02-28",  # one calendar month after Jan 31 (not a leap year...)
    }
    if date(year, 2, 28) + timedelta(days=1) != date(year, 3, 1):
        body["end_date"] = f"{year}-02-29"  # ...or its leap day
    assert gateway.post(RENTALS, body, as_=tenant).status_code == 201

    body = {**body, "property_id": str(listed_property(landlord).pk)}
    body["end_date"] = f"{year}-02-27"
    response = gateway.post(RENTALS, body, as_=tenant)
    assert error(response, 400, "invalid")["fields"] == {
        "end_date": ["A rental lasts at least one month."]
    }


def test_requesting_a_rental_needs_authentication(gateway, landlord):
    error(gateway.post(RENTALS, rental_body(listed_property(landlord))), 401, "not_authenticated")


def test_a_landlord_cannot_request_a_rental(gateway, landlord, other_landlord):
    response = gateway.post(RENTALS, rental_body(listed_property(landlord)), as_=other_landlord)
    error(response, 403, "forbidden")
    assert RentalReservation.objects.count() == 0


def test_a_rental_of_an_unknown_property_is_404(gateway, tenant):
    body = {
        "property_id": str(uuid.uuid4()),
        "start_date": (today() + timedelta(days=3)).isoformat(),
        "end_date": (today() + timedelta(days=65)).isoformat(),
    }
    error(gateway.post(RENTALS, body, as_=tenant), 404, "not_found")


def test_a_rental_of_an_unlisted_property_is_409(gateway, landlord, tenant):
    response = gateway.post(
        RENTALS, rental_body(listed_property(landlord, status="draft")), as_=tenant
    )
    error(response, 409, "property_unavailable")
    assert RentalReservation.objects.count() == 0


def test_overlapping_rentals_are_409_property_unavailable(gateway, landlord, tenant, other_tenant):
    projection = listed_property(landlord)
    assert (
        gateway.post(
            RENTALS, rental_body(projection, start_in_days=10, days=62), as_=tenant
        ).status_code
        == 201
    )

    response = gateway.post(
        RENTALS, rental_body(projection, start_in_days=40, days=62), as_=other_tenant
    )

    error(response, 409, "property_unavailable")
    assert RentalReservation.objects.count() == 1
    # Moving in on the day the first tenant moves out is fine.
    after = gateway.post(
        RENTALS, rental_body(projection, start_in_days=72, days=62), as_=other_tenant
    )
    assert after.status_code == 201, after.content


# --- approve / reject / cancel ------------------------------------------------------


def test_the_owner_approves_a_rental(gateway, landlord, tenant):
    reservation = make_reservation(tenant, listed_property(landlord))

    response = gateway.post(f"{RENTALS}/{reservation.id}/approve", as_=landlord)

    assert response.status_code == 200, response.content
    assert response.json() == reservation_json(reservation)
    assert (response.json()["status"], response.json()["reason"]) == ("confirmed", None)
    assert response.json()["decided_at"] is not None


def test_the_owner_rejects_a_rental(gateway, landlord, tenant):
    reservation = make_reservation(tenant, listed_property(landlord))

    response = gateway.post(f"{RENTALS}/{reservation.id}/reject", as_=landlord)

    assert response.status_code == 200, response.content
    assert response.json() == reservation_json(reservation)
    assert (response.json()["status"], response.json()["reason"]) == (
        "rejected",
        "rejected_by_landlord",
    )


def test_the_tenant_withdraws_a_rental_request(gateway, landlord, tenant):
    reservation = make_reservation(tenant, listed_property(landlord))

    response = gateway.post(f"{RENTALS}/{reservation.id}/cancel", as_=tenant)

    assert response.status_code == 200, response.content
    assert response.json() == reservation_json(reservation)
    assert (response.json()["status"], response.json()["reason"]) == (
        "cancelled",
        "cancelled_by_tenant",
    )


@pytest.mark.parametrize(
    ("action", "who"),
    [("approve", "tenant"), ("reject", "tenant"), ("cancel", "landlord")],
)
def test_the_other_party_cannot_act_is_403(gateway, landlord, tenant, request, action, who):
    reservation = make_reservation(tenant, listed_property(landlord))

    response = gateway.post(
        f"{RENTALS}/{reservation.id}/{action}", as_=request.getfixturevalue(who)
    )

    error(response, 403, "forbidden")
    reservation.refresh_from_db()
    assert reservation.status == "pending"


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("approve", "other_landlord"),
        ("reject", "other_landlord"),
        ("cancel", "other_tenant"),
        ("approve", "other_tenant"),
    ],
)
def test_a_reservation_one_is_not_party_to_is_404(gateway, landlord, tenant, request, action, who):
    reservation = make_reservation(tenant, listed_property(landlord))

    response = gateway.post(
        f"{RENTALS}/{reservation.id}/{action}", as_=request.getfixturevalue(who)
    )

    error(response, 404, "not_found")
    reservation.refresh_from_db()
    assert reservation.status == "pending"


@pytest.mark.parametrize("action", ["approve", "reject", "cancel"])
@pytest.mark.parametrize("reservation_id", ["nope", "7", str(uuid.uuid4())])
def test_acting_on_an_unknown_reservation_is_404(gateway, landlord, action, reservation_id):
    error(gateway.post(f"{RENTALS}/{reservation_id}/{action}", as_=landlord), 404, "not_found")


@pytest.mark.parametrize("action", ["approve", "reject", "cancel"])
def test_acting_on_a_reservation_needs_authentication(gateway, landlord, tenant, action):
    reservation = make_reservation(tenant, listed_property(landlord))
    error(gateway.post(f"{RENTALS}/{reservation.id}/{action}"), 401, "not_authenticated")


def _reservation_in(status: str, landlord: Caller, tenant: Caller) -> RentalReservation:
    reservation = make_reservation(tenant, listed_property(landlord))
    if status == "confirmed":
        services.reservation_approve(actor=actor(landlord), reservation_id=reservation.id)
    elif status == "rejected":
        services.reservation_reject(actor=actor(landlord), reservation_id=reservation.id)
    elif status == "cancelled":
        services.reservation_cancel(actor=actor(tenant), reservation_id=reservation.id)
    elif status == "expired":
        assert services.reservations_expire_due(now=reservation.expires_at) == 1
    reservation.refresh_from_db()
    assert reservation.status == status
    return reservation


@pytest.mark.parametrize("status", ["confirmed", "rejected", "cancelled", "expired"])
@pytest.mark.parametrize(
    ("action", "who"), [("approve", "landlord"), ("reject", "landlord"), ("cancel", "tenant")]
)
def test_every_illegal_transition_is_409(gateway, landlord, tenant, request, status, action, who):
    reservation = _reservation_in(status, landlord, tenant)
    events = OutboxMessage.objects.count()

    response = gateway.post(
        f"{RENTALS}/{reservation.id}/{action}", as_=request.getfixturevalue(who)
    )

    error(response, 409, "invalid_transition")
    reservation.refresh_from_db()
    assert reservation.status == status
    assert OutboxMessage.objects.count() == events


def test_approving_a_pending_reservation_past_its_deadline_is_409(gateway, landlord, tenant):
    reservation = make_reservation(tenant, listed_property(landlord))
    RentalReservation.objects.filter(pk=reservation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = gateway.post(f"{RENTALS}/{reservation.id}/approve", as_=landlord)

    error(response, 409, "invalid_transition")
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.PENDING
    assert OutboxMessage.objects.filter(type="rentezy.booking.rental_confirmed.v1").count() == 0


# --- GET /api/bookings/rentals ------------------------------------------------------


def test_users_see_only_their_own_reservations(
    gateway, landlord, other_landlord, tenant, other_tenant
):
    projection = listed_property(landlord)
    mine = make_reservation(tenant, projection, start_in_days=10)
    theirs = make_reservation(other_tenant, projection, start_in_days=100)
    elsewhere = make_reservation(tenant, listed_property(other_landlord))

    assert page(gateway.get(RENTALS, as_=tenant)) == [
        reservation_json(elsewhere),
        reservation_json(mine),
    ]
    assert page(gateway.get(RENTALS, as_=other_tenant)) == [reservation_json(theirs)]
    assert page(gateway.get(RENTALS, as_=landlord)) == [
        reservation_json(theirs),
        reservation_json(mine),
    ]
    assert page(gateway.get(RENTALS, as_=other_landlord)) == [reservation_json(elsewhere)]


def test_a_landlord_lists_the_reservations_of_one_property(gateway, landlord, tenant):
    first = listed_property(landlord)
    on_first = make_reservation(tenant, first)
    make_reservation(tenant, listed_property(landlord))

    assert page(gateway.get(f"{RENTALS}?property_id={first.pk}", as_=landlord)) == [
        reservation_json(on_first)
    ]
    assert page(gateway.get(f"{RENTALS}?status=pending&property_id={first.pk}", as_=landlord)) == [
        reservation_json(on_first)
    ]
    assert page(gateway.get(f"{RENTALS}?status=confirmed", as_=landlord)) == []


def test_the_reservations_of_another_landlords_property_are_404(
    gateway, landlord, other_landlord, tenant
):
    projection = listed_property(landlord)
    make_reservation(tenant, projection)
    error(
        gateway.get(f"{RENTALS}?property_id={projection.pk}", as_=other_landlord), 404, "not_found"
    )


def test_listing_reservations_needs_authentication(gateway):
    error(gateway.get(RENTALS), 401, "not_authenticated")


def test_a_reservation_page_past_the_last_is_404(gateway, landlord, tenant):
    make_reservation(tenant, listed_property(landlord))
    assert len(page(gateway.get(f"{RENTALS}?page=1", as_=tenant))) == 1
    error(gateway.get(f"{RENTALS}?page=2", as_=tenant), 404, "not_found")
    error(gateway.get(f"{RENTALS}?page=0", as_=tenant), 400, "invalid")


# --- the published schema -----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "item"),
    [(SLOTS, "SlotOutput"), (BOOKINGS, "BookingOutput"), (RENTALS, "ReservationOutput")],
)
def test_a_list_is_published_as_the_page_it_answers(gateway, landlord, path, item):
    # The schema once said a bare array while every list answers a page object.
    schema = gateway.get("/api/schema/?format=json", as_=landlord).json()
    ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    page = f"Paginated{item}List"
    assert ok["schema"] == {"$ref": f"#/components/schemas/{page}"}
    published = schema["components"]["schemas"][page]
    assert published["required"] == ["count", "results"]
    assert set(published["properties"]) == {"count", "next", "previous", "results"}
    assert published["properties"]["results"] == {
        "type": "array",
        "items": {"$ref": f"#/components/schemas/{item}"},
    }

    response = gateway.get(path, as_=landlord)

    assert response.status_code == 200, response.content
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_the_written_out_booking_body_is_what_drfs_generic_walk_gives(landlord, tenant):
    from bookings.apis import BookingOutputSerializer
    from rest_framework import serializers

    slot = make_slot(landlord, listed_property(landlord))
    standing = services.booking_create(actor=actor(tenant), slot_id=slot.id)
    cancelled = services.booking_cancel(
        actor=actor(tenant),
        booking_id=services.booking_create(
            actor=actor(tenant), slot_id=make_slot(landlord, listed_property(landlord)).id
        ).id,
    )

    for booking in (standing, cancelled):
        generic = serializers.Serializer.to_representation(BookingOutputSerializer(), booking)
        assert BookingOutputSerializer(booking).data == generic
    assert cancelled.cancelled_at is not None and cancelled.cancelled_by == "tenant"
