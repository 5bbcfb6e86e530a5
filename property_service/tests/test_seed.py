"""`manage.py seed` (properties/seeding.py): realistic, deterministic,
idempotent demo data that goes through the same services as the API."""

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command
from properties.apis import READ_ONLY_FIELDS, PropertyInputSerializer, PropertyOutputSerializer
from properties.countries import COUNTRY_CODES
from properties.demo import DEMO_LANDLORDS
from properties.models import Property, PropertyImage
from properties.seeding import CITIES, seeded_photo, seeded_property, seeded_property_id
from rentezy_platform.events import validate_event
from rentezy_platform.testing import outbox_events

CREATED = "rentezy.property.created.v1"
UPDATED = "rentezy.property.updated.v1"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OWNERS = [landlord.id for landlord in DEMO_LANDLORDS]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def _generated(count: int, seed_value: int = 42) -> list[Property]:
    return [
        seeded_property(seed=seed_value, index=i, owner_ids=OWNERS, today=TODAY, now=NOW)
        for i in range(count)
    ]


def test_demo_landlords_are_fixed_and_distinct():
    assert len(DEMO_LANDLORDS) == 5
    assert len({landlord.id for landlord in DEMO_LANDLORDS}) == 5
    assert len({landlord.email for landlord in DEMO_LANDLORDS}) == 5
    assert DEMO_LANDLORDS[0].id == uuid.UUID("5eed1a4d-0000-4000-8000-000000000001")


def test_generation_is_deterministic():
    first, again = _generated(20), _generated(20)
    fields = [f.attname for f in Property._meta.concrete_fields]
    assert [[getattr(p, f) for f in fields] for p in first] == [
        [getattr(p, f) for f in fields] for p in again
    ]
    assert {p.id for p in _generated(20, seed_value=7)}.isdisjoint({p.id for p in first})
    assert first[3].id == seeded_property_id(seed=42, index=3)
    assert seeded_photo(seed=1, index=2, photo=0) == seeded_photo(seed=1, index=2, photo=0)


def test_generated_properties_look_real():
    properties = _generated(300)
    centres = {(c.name, c.country): c for c in CITIES}
    assert len(CITIES) == 15
    assert len({p.city for p in properties}) == 15
    for property in properties:
        city = centres[(property.city, property.country)]
        assert property.country in COUNTRY_CODES
        assert abs(float(property.latitude) - city.latitude) <= 0.05
        assert abs(float(property.longitude) - city.longitude) <= 0.05
        assert property.currency == city.currency
        assert property.monthly_rent_minor % 2500 == 0
        assert 30000 <= property.monthly_rent_minor <= 1_500_000
        assert property.title and property.description.endswith((".", "!"))
        assert property.owner_id in OWNERS
    statuses = [p.status for p in properties]
    # Deterministic for a seed: mostly listed, some drafts and rented ones.
    assert {s: statuses.count(s) for s in set(statuses)} == {
        "listed": 255,
        "draft": 26,
        "rented": 19,
    }
    # A studio has no bedroom.
    assert all(p.bedrooms == 0 for p in properties if p.property_type == "studio")


@pytest.mark.django_db
def test_every_generated_property_is_one_the_api_would_accept():
    for property in _generated(100):
        body = {
            name: value
            for name, value in PropertyOutputSerializer(property).data.items()
            if name not in READ_ONLY_FIELDS
        }
        serializer = PropertyInputSerializer(data=body)
        assert serializer.is_valid(), (body, serializer.errors)


@pytest.mark.django_db
def test_seed_without_images_creates_and_announces_each_property():
    output = seed("--count", "5", "--no-images")

    assert Property.objects.count() == 5
    assert set(Property.objects.values_list("owner_id", flat=True)) == set(OWNERS)
    events = outbox_events()
    assert [e.type for e in events] == [CREATED] * 5
    for event in events:
        validate_event(event)
        assert event.data["version"] == 1
    for landlord in DEMO_LANDLORDS:
        assert f"{landlord.id}  {landlord.email}  {landlord.full_name}" in output
    assert "5/5 properties (5 new)" in output
    assert "Seeded 5 new properties (0 already there), 0 photos." in output


@pytest.mark.django_db
def test_seed_is_idempotent_and_grows_with_count():
    seed("--count", "5", "--no-images", "--seed", "3")
    again = seed("--count", "5", "--no-images", "--seed", "3")
    assert "Seeded 0 new properties (5 already there)" in again
    assert Property.objects.count() == 5
    assert len(outbox_events()) == 5

    seed("--count", "8", "--no-images", "--seed", "3")
    assert Property.objects.count() == 8
    assert len(outbox_events()) == 8
    assert set(Property.objects.values_list("id", flat=True)) == {
        seeded_property_id(seed=3, index=i) for i in range(8)
    }


@pytest.mark.django_db
def test_seed_crosses_batches():
    output = seed("--count", "501", "--no-images", "--seed", "9")
    assert Property.objects.count() == 501
    assert len(outbox_events(type=CREATED)) == 501
    assert "500/501 properties (500 new)" in output
    assert "501/501 properties (501 new)" in output


@pytest.mark.django_db
def test_seed_with_images_uploads_them_like_a_landlord(media_root):
    seed("--count", "3", "--seed", "5")

    assert Property.objects.count() == 3
    for property in Property.objects.all():
        images = list(property.images.all())
        # 1 to 3 photos, fixed by the property's id.
        assert len(images) == 1 + property.id.int % 3
        assert property.version == 1 + len(images)
        assert property.thumbnail_path == images[0].thumbnail_path
        for image in images:
            assert (media_root / image.path).is_file()
            assert (media_root / image.thumbnail_path).is_file()
    image_count = PropertyImage.objects.count()
    assert len(outbox_events(type=UPDATED)) == image_count
    for event in outbox_events(type=UPDATED):
        validate_event(event)

    seed("--count", "3", "--seed", "5")
    assert PropertyImage.objects.count() == image_count


@pytest.mark.django_db
def test_seed_for_given_owners():
    owners = [str(uuid.uuid4()), str(uuid.uuid4())]
    output = seed("--count", "4", "--no-images", "--owner-id", owners[0], "--owner-id", owners[1])
    assert sorted(str(o) for o in Property.objects.values_list("owner_id", flat=True)) == sorted(
        owners * 2
    )
    assert "Demo landlords" not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--owner-id", "nope"], "--owner-id: 'nope' is not a UUID."),
        (["--count", "-1"], "--count must be within 0..1000000."),
    ],
)
def test_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        seed(*args)


@pytest.mark.django_db
def test_landlords_json_prints_the_demo_landlords_for_auth_service_and_writes_nothing():
    import json

    from properties.demo import DEMO_LANDLORD_PASSWORD

    printed = json.loads(seed("--landlords-json"))
    assert printed == [
        {
            "id": str(landlord.id),
            "email": landlord.email,
            "full_name": landlord.full_name,
            "role": "landlord",
            "password": DEMO_LANDLORD_PASSWORD,
        }
        for landlord in DEMO_LANDLORDS
    ]
    assert Property.objects.count() == 0
    assert outbox_events() == []
