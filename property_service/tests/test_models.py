"""properties/models.py: money helpers, the amenity vocabulary and the
database CHECKs that hold whatever code path writes a property."""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from properties.models import (
    Amenity,
    Property,
    PropertyImage,
    canonical_amenities,
    format_minor,
    media_url,
    to_minor,
)

from tests.conftest import PUBLIC_BASE_URL, property_fields


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        (Decimal("1450.00"), 145000),
        (Decimal("1450"), 145000),
        (Decimal("0.5"), 50),
        (Decimal("0.01"), 1),
        (Decimal("0"), 0),
        (Decimal("1000000.00"), 100000000),
    ],
)
def test_money_round_trips_between_decimal_strings_and_minor_units(amount, minor):
    assert to_minor(amount) == minor
    assert Decimal(format_minor(minor)) == amount


def test_format_minor_always_has_two_places():
    assert [format_minor(m) for m in (0, 1, 50, 145000, 100000000)] == [
        "0.00",
        "0.01",
        "0.50",
        "1450.00",
        "1000000.00",
    ]


def test_canonical_amenities_are_unique_and_in_vocabulary_order():
    assert canonical_amenities(["wifi", "balcony", "wifi", "air_conditioning"]) == [
        "air_conditioning",
        "balcony",
        "wifi",
    ]
    assert canonical_amenities([]) == []


def test_the_vocabulary_is_documented_in_order():
    assert Amenity.values == sorted(Amenity.values)
    assert len(Amenity.values) == 20


def test_media_url_is_absolute_on_the_public_origin():
    assert media_url("properties/x/y.jpg") == f"{PUBLIC_BASE_URL}/media/properties/x/y.jpg"


def test_thumbnail_url_is_null_without_images():
    assert Property(thumbnail_path="").thumbnail_url is None
    assert Property(thumbnail_path="properties/a/b-thumb.jpg").thumbnail_url == (
        f"{PUBLIC_BASE_URL}/media/properties/a/b-thumb.jpg"
    )


def _insert(**overrides) -> None:
    fields = property_fields(**overrides)
    with transaction.atomic():
        Property.objects.create(owner_id=uuid.uuid4(), **fields)


@pytest.mark.django_db
def test_a_valid_row_is_accepted():
    _insert()
    assert Property.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"title": "   "}, "properties_title_not_blank"),
        ({"description": "d" * 5001}, "properties_description_length"),
        ({"property_type": "castle"}, "properties_property_type_valid"),
        ({"status": "deleted"}, "properties_status_valid"),
        ({"country": "XX"}, "properties_country_valid"),
        ({"country": "us"}, "properties_country_valid"),
        ({"currency": "XYZ"}, "properties_currency_valid"),
        ({"latitude": Decimal("91")}, "properties_coordinates_valid"),
        ({"longitude": Decimal("-180.5")}, "properties_coordinates_valid"),
        ({"latitude": None}, "properties_coordinates_valid"),
        ({"longitude": None}, "properties_coordinates_valid"),
        ({"bedrooms": 51}, "properties_bedrooms_range"),
        ({"bathrooms": Decimal("1.2")}, "properties_bathrooms_half_steps"),
        ({"bathrooms": Decimal("50.5")}, "properties_bathrooms_half_steps"),
        ({"area_sqft": 0}, "properties_area_sqft_range"),
        ({"area_sqft": 1_000_001}, "properties_area_sqft_range"),
        ({"monthly_rent_minor": 0}, "properties_monthly_rent_range"),
        ({"monthly_rent_minor": 100_000_001}, "properties_monthly_rent_range"),
        ({"deposit_minor": -1}, "properties_deposit_range"),
        ({"amenities": ["wifi", "sauna"]}, "properties_amenities_known"),
        ({"version": 0}, "properties_version_positive"),
    ],
)
def test_the_database_refuses_what_the_api_would(overrides, constraint):
    with pytest.raises(IntegrityError) as error:
        _insert(**overrides)
    assert constraint in str(error.value)
    assert Property.objects.count() == 0


@pytest.mark.django_db
def test_both_coordinates_may_be_null():
    _insert(latitude=None, longitude=None)
    assert Property.objects.get().latitude is None


@pytest.mark.django_db
def test_image_positions_are_unique_per_property():
    _insert()
    property = Property.objects.get()
    image = {"path": "p/a.jpg", "thumbnail_path": "p/a-thumb.jpg", "width": 10, "height": 10}
    PropertyImage.objects.create(property=property, position=0, **image)
    with pytest.raises(IntegrityError), transaction.atomic():
        PropertyImage.objects.create(property=property, position=0, **image)
    assert property.images.count() == 1
