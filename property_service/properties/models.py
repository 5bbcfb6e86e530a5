"""Properties and their images.

Money is stored in integer minor units (cents) with an ISO 4217 currency; every
supported currency has two decimal places, so the API's `"1450.00"` is always
`145000` here. Every range and vocabulary below is also a database CHECK, so
no code path (the API, the seed, a shell) can store a property the API could
not have produced.

`version` starts at 1 and grows by one with every change a consumer can see
(rentezy.property.* events carry it; readers drop older versions). Only
properties/services.py changes it, with the row locked.
"""

from __future__ import annotations

import builtins
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Length, Mod
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils import timezone
from rentezy_platform.money import (  # noqa: F401  (re-exported)
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_MINOR,
    format_minor,
    to_minor,
)

from properties.countries import COUNTRY_CODES

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
ADDRESS_MAX_LENGTH = 200
CITY_MAX_LENGTH = 100
STATE_MAX_LENGTH = 100
POSTAL_CODE_MAX_LENGTH = 20

BEDROOMS_MAX = 50
BATHROOMS_MAX = Decimal(50)
AREA_SQFT_MAX = 1_000_000
COORDINATE_DECIMAL_PLACES = 6



class PropertyType(models.TextChoices):
    APARTMENT = "apartment", "Apartment"
    HOUSE = "house", "House"
    STUDIO = "studio", "Studio"
    ROOM = "room", "Room"
    CONDO = "condo", "Condo"
    TOWNHOUSE = "townhouse", "Townhouse"


class PropertyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    LISTED = "listed", "Listed"
    RENTED = "rented", "Rented"
    # Only through DELETE /api/properties/{id} (services.property_archive).
    ARCHIVED = "archived", "Archived"


# What a client may set: archiving is its own operation, with its own event.
CLIENT_STATUSES = (PropertyStatus.DRAFT, PropertyStatus.LISTED, PropertyStatus.RENTED)
# Anyone may open these by id; draft and archived ones only their owner.
PUBLIC_STATUSES = (PropertyStatus.LISTED, PropertyStatus.RENTED)


class Amenity(models.TextChoices):
    """The amenity vocabulary (search facets on it). Stored in this order, so a
    property's list is canonical whatever order the client sent. Adding one
    needs a migration (the CHECK constraint lists them)."""

    AIR_CONDITIONING = "air_conditioning", "Air conditioning"
    BALCONY = "balcony", "Balcony"
    DISHWASHER = "dishwasher", "Dishwasher"
    DOORMAN = "doorman", "Doorman"
    DRYER = "dryer", "Dryer"
    ELEVATOR = "elevator", "Elevator"
    EV_CHARGING = "ev_charging", "EV charging"
    FIREPLACE = "fireplace", "Fireplace"
    FURNISHED = "furnished", "Furnished"
    GARDEN = "garden", "Garden"
    GYM = "gym", "Gym"
    HEATING = "heating", "Heating"
    PARKING = "parking", "Parking"
    PETS_ALLOWED = "pets_allowed", "Pets allowed"
    POOL = "pool", "Pool"
    STORAGE = "storage", "Storage"
    TERRACE = "terrace", "Terrace"
    WASHER = "washer", "Washer"
    WHEELCHAIR_ACCESS = "wheelchair_access", "Wheelchair access"
    WIFI = "wifi", "Wi-Fi"


AMENITY_ORDER = {value: index for index, value in enumerate(Amenity.values)}


def canonical_amenities(amenities: list[str]) -> list[str]:
    """Unique, in vocabulary order (unknown values sort last; the caller refused them)."""
    return sorted(set(amenities), key=lambda a: AMENITY_ORDER.get(a, len(AMENITY_ORDER)))


class Currency(models.TextChoices):
    """Supported ISO 4217 currencies: all with two decimal places."""

    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
    CAD = "CAD", "Canadian dollar"
    AUD = "AUD", "Australian dollar"
    NZD = "NZD", "New Zealand dollar"
    CHF = "CHF", "Swiss franc"
    SEK = "SEK", "Swedish krona"
    NOK = "NOK", "Norwegian krone"
    DKK = "DKK", "Danish krone"
    PLN = "PLN", "Polish zloty"
    CZK = "CZK", "Czech koruna"
    MXN = "MXN", "Mexican peso"
    BRL = "BRL", "Brazilian real"
    ZAR = "ZAR", "South African rand"
    SGD = "SGD", "Singapore dollar"
    HKD = "HKD", "Hong Kong dollar"
    INR = "INR", "Indian rupee"
    AED = "AED", "UAE dirham"


DEFAULT_CURRENCY = Currency.USD


def media_url(path: str) -> str:
    """The absolute public URL of a file under MEDIA_ROOT (through the gateway)."""
    return f"{settings.PUBLIC_BASE_URL}{settings.MEDIA_URL}{path}"


def _coordinate(limit: int) -> models.DecimalField:
    return models.DecimalField(
        max_digits=COORDINATE_DECIMAL_PLACES + 3,
        decimal_places=COORDINATE_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(-limit), MaxValueValidator(limit)],
    )


class Property(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A user of auth_service (another database): from the gateway's identity only.
    owner_id = models.UUIDField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    property_type = models.CharField(max_length=16, choices=PropertyType.choices)
    address_line1 = models.CharField(max_length=ADDRESS_MAX_LENGTH)
    city = models.CharField(max_length=CITY_MAX_LENGTH)
    state = models.CharField(max_length=STATE_MAX_LENGTH, blank=True, default="")
    postal_code = models.CharField(max_length=POSTAL_CODE_MAX_LENGTH, blank=True, default="")
    country = models.CharField(max_length=2)
    # Both or neither (a CHECK): a point on the map or no point.
    latitude = _coordinate(90)
    longitude = _coordinate(180)
    bedrooms = models.PositiveSmallIntegerField(validators=[MaxValueValidator(BEDROOMS_MAX)])
    # Half baths count: 0, 0.5, 1, 1.5 ... 50.
    bathrooms = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(BATHROOMS_MAX)],
    )
    area_sqft = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(AREA_SQFT_MAX)]
    )
    monthly_rent_minor = models.BigIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MONEY_MAX_MINOR)]
    )
    deposit_minor = models.BigIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(MONEY_MAX_MINOR)]
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=DEFAULT_CURRENCY)
    amenities = ArrayField(
        models.CharField(max_length=32, choices=Amenity.choices), default=list, blank=True
    )
    available_from = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=PropertyStatus.choices, default=PropertyStatus.DRAFT
    )
    # The first image's thumbnail (relative to MEDIA_ROOT), set when it is
    # uploaded: the property's picture in lists, search results and events.
    thumbnail_path = models.CharField(max_length=255, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "properties"
        indexes = [
            # GET /api/properties: listed ones, newest first.
            models.Index(fields=["status", "-created_at", "-id"], name="properties_status_new_idx"),
            # GET /api/properties?owner=me: an owner's, every status, newest first.
            models.Index(
                fields=["owner_id", "-created_at", "-id"], name="properties_owner_new_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(title__regex=r"\S"), name="properties_title_not_blank"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="properties_description_length",
            ),
            models.CheckConstraint(
                condition=models.Q(property_type__in=PropertyType.values),
                name="properties_property_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PropertyStatus.values),
                name="properties_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(country__in=sorted(COUNTRY_CODES)),
                name="properties_country_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__in=Currency.values),
                name="properties_currency_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="properties_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(bedrooms__gte=0, bedrooms__lte=BEDROOMS_MAX),
                name="properties_bedrooms_range",
            ),
            models.CheckConstraint(
                condition=models.Q(bathrooms__gte=0, bathrooms__lte=BATHROOMS_MAX)
                & Exact(Mod(models.F("bathrooms") * 2, 1), 0),
                name="properties_bathrooms_half_steps",
            ),
            models.CheckConstraint(
                condition=models.Q(area_sqft__isnull=True)
                | models.Q(area_sqft__gte=1, area_sqft__lte=AREA_SQFT_MAX),
                name="properties_area_sqft_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    monthly_rent_minor__gte=1, monthly_rent_minor__lte=MONEY_MAX_MINOR
                ),
                name="properties_monthly_rent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_minor__gte=0, deposit_minor__lte=MONEY_MAX_MINOR),
                name="properties_deposit_range",
            ),
            models.CheckConstraint(
                condition=models.Q(amenities__contained_by=Amenity.values),
                name="properties_amenities_known",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="properties_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.id})"

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def thumbnail_url(self) -> str | None:
        return media_url(self.thumbnail_path) if self.thumbnail_path else None


class PropertyImage(models.Model):
    """One photo of a property: a re-encoded copy (longest side at most
    PROPERTY_IMAGE_MAX_SIDE, no metadata) and a fixed-size thumbnail, both under
    MEDIA_ROOT with server-generated names (properties/images.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the unique (property, position) one serves it.
    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, related_name="images", db_index=False
    )
    # 0, 1, 2 ... in upload order; position 0 is the cover.
    position = models.PositiveIntegerField()
    # Relative to MEDIA_ROOT: `properties/<property id>/<uuid>.jpg`.
    path = models.CharField(max_length=255)
    thumbnail_path = models.CharField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["property", "position"], name="properties_image_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(width__gte=1, height__gte=1),
                name="properties_image_size_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"image {self.position} of property {self.property_id}"

    # `property` is the foreign key in this class body: the builtin by its full name.
    @builtins.property
    def url(self) -> str:
        return media_url(self.path)

    @builtins.property
    def thumbnail_url(self) -> str:
        return media_url(self.thumbnail_path)
