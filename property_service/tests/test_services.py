"""properties/services.py: every write, its version and its one event, the
owner rules, and the races."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from properties import services
from properties.models import Property, PropertyImage, PropertyStatus
from rentezy_platform.errors import ApplicationError, Conflict, Forbidden, NotFound
from rentezy_platform.events import validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import Caller, outbox_events, run_concurrently

from tests.conftest import make_property, property_fields

CREATED = "rentezy.property.created.v1"
UPDATED = "rentezy.property.updated.v1"
ARCHIVED = "rentezy.property.archived.v1"


# --- property_create ----------------------------------------------------------------


@pytest.mark.django_db
def test_property_create_writes_version_1_and_exactly_one_created_event(landlord):
    property = services.property_create(owner_id=landlord.user_id, fields=property_fields())

    stored = Property.objects.get()
    assert stored.id == property.id
    assert (stored.owner_id, stored.version, stored.status) == (
        uuid.UUID(landlord.user_id),
        1,
        "listed",
    )
    assert (stored.monthly_rent_minor, stored.deposit_minor, stored.currency) == (
        345000,
        345000,
        "USD",
    )
    # Canonical (vocabulary) order whatever order they came in.
    assert stored.amenities == ["balcony", "heating", "washer"]
    assert stored.created_at == stored.updated_at
    [event] = outbox_events()
    validate_event(event)
    assert (event.type, event.subject) == (CREATED, str(property.id))
    assert event.data["version"] == 1
    assert OutboxMessage.objects.get().topic == "rentezy.property"


@pytest.mark.django_db
def test_property_create_applies_the_defaults(landlord):
    fields = property_fields()
    for name in ("description", "state", "postal_code", "deposit_minor", "currency", "amenities"):
        del fields[name]
    for name in ("latitude", "longitude", "area_sqft", "available_from", "status"):
        del fields[name]
    property = services.property_create(owner_id=landlord.user_id, fields=fields)
    property.refresh_from_db()
    assert (
        property.description,
        property.state,
        property.postal_code,
        property.deposit_minor,
        property.currency,
        property.amenities,
        property.latitude,
        property.longitude,
        property.area_sqft,
        property.available_from,
        property.status,
    ) == ("", "", "", 0, "USD", [], None, None, None, None, "draft")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"owner_id": str(uuid.uuid4())}, {"owner_id": ["This field cannot be set."]}),
        ({"version": 7}, {"version": ["This field cannot be set."]}),
        ({"id": str(uuid.uuid4())}, {"id": ["This field cannot be set."]}),
        ({"thumbnail_path": "x"}, {"thumbnail_path": ["This field cannot be set."]}),
        (
            {"status": "archived"},
            {"status": ["Archive a property with DELETE /api/properties/{id}."]},
        ),
        ({"latitude": None}, {"latitude": ["Give both latitude and longitude, or neither."]}),
        ({"longitude": None}, {"longitude": ["Give both latitude and longitude, or neither."]}),
    ],
)
def test_property_create_refuses_what_a_client_may_not_set(landlord, fields, errors):
    with pytest.raises(ApplicationError) as error:
        services.property_create(owner_id=landlord.user_id, fields=property_fields(**fields))
    assert (error.value.code, error.value.fields) == ("invalid", errors)
    assert Property.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_create_the_database_refuses_leaves_no_event(landlord):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        services.property_create(owner_id=landlord.user_id, fields=property_fields(bedrooms=99))
    assert Property.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


# --- property_update ----------------------------------------------------------------


@pytest.mark.django_db
def test_property_update_bumps_the_version_and_announces_the_new_state(landlord):
    property = make_property(landlord)

    updated = services.property_update(
        property_id=property.id,
        actor_id=landlord.user_id,
        fields={"title": "Now with a view", "monthly_rent_minor": 360000, "amenities": ["wifi"]},
    )

    stored = Property.objects.get()
    assert (stored.title, stored.monthly_rent_minor, stored.amenities, stored.version) == (
        "Now with a view",
        360000,
        ["wifi"],
        2,
    )
    assert updated.version == 2
    assert stored.updated_at > stored.created_at
    [created, event] = outbox_events()
    validate_event(event)
    assert (created.type, event.type, event.subject) == (CREATED, UPDATED, str(property.id))
    assert (event.data["version"], event.data["title"], event.data["monthly_rent_minor"]) == (
        2,
        "Now with a view",
        360000,
    )


@pytest.mark.django_db
def test_an_update_that_changes_nothing_keeps_the_version_and_publishes_nothing(landlord):
    property = make_property(landlord)
    before = Property.objects.get()

    services.property_update(
        property_id=property.id,
        actor_id=landlord.user_id,
        fields={
            "title": property.title,
            "latitude": Decimal("40.6712"),  # the same number, other digits
            "amenities": ["washer", "heating", "balcony", "washer"],
            "available_from": date(2026, 9, 1),
        },
    )

    after = Property.objects.get()
    assert (after.version, after.updated_at) == (1, before.updated_at)
    assert [e.type for e in outbox_events()] == [CREATED]


@pytest.mark.django_db
def test_each_update_gets_the_next_version(landlord):
    property = make_property(landlord)
    for rent in (100000, 110000, 120000):
        services.property_update(
            property_id=property.id, actor_id=landlord.user_id, fields={"monthly_rent_minor": rent}
        )
    assert [e.data["version"] for e in outbox_events()] == [1, 2, 3, 4]
    assert Property.objects.get().version == 4


@pytest.mark.django_db
def test_update_may_clear_or_set_both_coordinates_but_not_one(landlord):
    property = make_property(landlord)
    services.property_update(
        property_id=property.id,
        actor_id=landlord.user_id,
        fields={"latitude": None, "longitude": None},
    )
    assert Property.objects.get().latitude is None

    with pytest.raises(ApplicationError) as error:
        services.property_update(
            property_id=property.id, actor_id=landlord.user_id, fields={"latitude": Decimal(1)}
        )
    assert error.value.fields == {"longitude": ["Give both latitude and longitude, or neither."]}
    assert Property.objects.get().version == 2
    assert len(outbox_events()) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["listed", "rented"])
def test_someone_else_may_not_change_a_public_property_403(landlord, status):
    property = make_property(landlord, status=status)
    for actor in (Caller.new("landlord"), Caller.new("tenant")):
        with pytest.raises(Forbidden):
            services.property_update(
                property_id=property.id, actor_id=actor.user_id, fields={"title": "Mine now"}
            )
        with pytest.raises(Forbidden):
            services.property_archive(property_id=property.id, actor_id=actor.user_id)
    assert (Property.objects.get().title, Property.objects.get().version) == (property.title, 1)
    assert len(outbox_events()) == 1


@pytest.mark.django_db
def test_someone_else_may_not_even_see_a_draft_404(landlord, other_landlord):
    property = make_property(landlord, status="draft")
    with pytest.raises(NotFound):
        services.property_update(
            property_id=property.id, actor_id=other_landlord.user_id, fields={"title": "x"}
        )
    with pytest.raises(NotFound):
        services.property_archive(property_id=property.id, actor_id=other_landlord.user_id)
    with pytest.raises(NotFound):
        services.property_update(property_id=property.id, actor_id=None, fields={"title": "x"})
    assert Property.objects.get().status == "draft"


@pytest.mark.django_db
@pytest.mark.parametrize("property_id", [uuid.uuid4(), "not-a-uuid", "", None])
def test_unknown_ids_are_not_found(landlord, property_id):
    with pytest.raises(NotFound):
        services.property_update(property_id=property_id, actor_id=landlord.user_id, fields={})
    with pytest.raises(NotFound):
        services.property_archive(property_id=property_id, actor_id=landlord.user_id)


# --- property_archive ---------------------------------------------------------------


@pytest.mark.django_db
def test_property_archive_announces_the_archived_state_once(landlord):
    property = make_property(landlord)

    services.property_archive(property_id=property.id, actor_id=landlord.user_id)
    services.property_archive(property_id=property.id, actor_id=landlord.user_id)

    stored = Property.objects.get()
    assert (stored.status, stored.version) == ("archived", 2)
    [_, event] = outbox_events()
    validate_event(event)
    assert (event.type, event.data["status"], event.data["version"]) == (ARCHIVED, "archived", 2)


@pytest.mark.django_db
def test_an_archived_property_can_no_longer_be_changed(landlord):
    property = make_property(landlord)
    services.property_archive(property_id=property.id, actor_id=landlord.user_id)

    with pytest.raises(Conflict) as error:
        services.property_update(
            property_id=property.id, actor_id=landlord.user_id, fields={"status": "listed"}
        )
    assert (error.value.code, error.value.status) == ("property_archived", 409)
    assert Property.objects.get().status == PropertyStatus.ARCHIVED
    assert len(outbox_events()) == 2


# --- property_bulk_create -----------------------------------------------------------


@pytest.mark.django_db
def test_property_bulk_create_inserts_the_new_ones_and_announces_each(landlord):
    existing = make_property(landlord)
    fresh = [Property(owner_id=uuid.UUID(landlord.user_id), **property_fields()) for _ in range(3)]
    again = Property(id=existing.id, owner_id=uuid.UUID(landlord.user_id), **property_fields())

    created = services.property_bulk_create(properties=[*fresh, again])

    assert [p.id for p in created] == [p.id for p in fresh]
    assert Property.objects.count() == 4
    events = outbox_events(type=CREATED)
    assert [e.subject for e in events] == [str(existing.id), *(str(p.id) for p in fresh)]
    for event in events:
        validate_event(event)


# --- concurrency --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_get_distinct_consecutive_versions():
    owner = Caller.new("landlord")
    property = make_property(owner)

    results = run_concurrently(
        6,
        lambda i: services.property_update(
            property_id=property.id,
            actor_id=owner.user_id,
            fields={"monthly_rent_minor": 200000 + i},
        ),
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(r.version for r in results) == [2, 3, 4, 5, 6, 7]
    events = outbox_events(type=UPDATED)
    # Enqueued in version order: the row lock serialises the writers.
    assert [e.data["version"] for e in events] == [2, 3, 4, 5, 6, 7]
    stored = Property.objects.get()
    assert stored.version == 7
    assert stored.monthly_rent_minor == events[-1].data["monthly_rent_minor"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_archives_publish_one_event():
    owner = Caller.new("landlord")
    property = make_property(owner)

    results = run_concurrently(
        4, lambda i: services.property_archive(property_id=property.id, actor_id=owner.user_id)
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert [e.data["version"] for e in outbox_events(type=ARCHIVED)] == [2]
    assert Property.objects.get().version == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_image_uploads_get_distinct_positions_and_versions(media_root, monkeypatch):
    from properties import images

    from tests.conftest import image_bytes, upload_file

    # Four decodes at once: this test is about positions and versions under
    # concurrency, not the per-process decode limit (test_images.py covers it).
    monkeypatch.setattr(images, "_decode_slots", images._DecodeSlots(concurrency=4, queue=0))
    owner = Caller.new("landlord")
    property = make_property(owner)

    results = run_concurrently(
        4,
        lambda i: services.property_image_add(
            property_id=property.id, actor_id=owner.user_id, upload=upload_file(image_bytes())
        ),
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(PropertyImage.objects.values_list("position", flat=True)) == [0, 1, 2, 3]
    assert [e.data["version"] for e in outbox_events(type=UPDATED)] == [2, 3, 4, 5]
    first = PropertyImage.objects.get(position=0)
    assert Property.objects.get().thumbnail_path == first.thumbnail_path
