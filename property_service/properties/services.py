"""Writes of property_service: create, change, archive, add an image.

Every write that a consumer can see bumps the property's `version` by one and
enqueues exactly one rentezy.property.* event carrying the new state, in the
same transaction (properties/events.py). A write that changes nothing (a PATCH
with the values the property already has, a second archive) keeps the
version, writes nothing and publishes nothing.

Concurrency: a change locks the property's row first (`select_for_update`),
then reads, decides and writes under that lock, so concurrent PATCHes or
uploads of one property get consecutive versions and their events leave in
version order. Slow work (decoding an image, writing its files) happens
before the lock is taken.

Who may write: the owner only. Someone else gets 404 for a property they may
not see (draft, archived) and 403 for one they may (listed, rented). An
archived property is read-only: changing it is a 409 `property_archived`;
archiving it again is a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rentezy_platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from rentezy_platform.parsing import parse_uuid, uuid_or_none
from rentezy_platform.services import model_update

from properties.events import (
    enqueue_property_archived,
    enqueue_property_created,
    enqueue_property_updated,
)
from properties.images import (
    StoredImage,
    image_delete_files,
    image_encode,
    image_read_upload,
    image_store,
    invalid_image,
)
from properties.models import (
    CLIENT_STATUSES,
    Property,
    PropertyImage,
    PropertyStatus,
    canonical_amenities,
)

# The model fields a client may set (API names map onto these in apis.py):
# never id, owner_id, version, thumbnail_path or the timestamps.
WRITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "property_type",
        "address_line1",
        "city",
        "state",
        "postal_code",
        "country",
        "latitude",
        "longitude",
        "bedrooms",
        "bathrooms",
        "area_sqft",
        "monthly_rent_minor",
        "deposit_minor",
        "currency",
        "amenities",
        "available_from",
        "status",
    }
)

COORDINATES_MESSAGE = "Give both latitude and longitude, or neither."


class PropertyArchived(Conflict):
    default_code = "property_archived"
    default_message = "The property is archived and can no longer be changed."


def _checked_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` if every one is writable (and the status one a client may set),
    with the amenities in canonical order."""
    refused = sorted(set(fields) - WRITABLE_FIELDS)
    if refused:
        raise InvalidInput(fields={name: ["This field cannot be set."] for name in refused})
    values = dict(fields)
    if "status" in values and values["status"] not in CLIENT_STATUSES:
        raise InvalidInput(
            fields={"status": ["Archive a property with DELETE /api/properties/{id}."]}
        )
    if "amenities" in values:
        values["amenities"] = canonical_amenities(values["amenities"])
    return values


def _check_coordinates(*, latitude: object, longitude: object) -> None:
    if (latitude is None) != (longitude is None):
        missing = "latitude" if latitude is None else "longitude"
        raise InvalidInput(fields={missing: [COORDINATES_MESSAGE]})


def _writable_by(property: Property | None, actor_id: str | uuid.UUID | None) -> Property:
    """`property` if `actor_id` owns it; NotFound or Forbidden otherwise (see the module doc)."""
    if property is None:
        raise NotFound()
    if uuid_or_none(actor_id) != property.owner_id:
        if property.is_public:
            raise Forbidden(message="Only the owner can change this property.")
        raise NotFound()
    return property


def _lock(property_id: object) -> Property | None:
    return Property.objects.select_for_update().filter(pk=parse_uuid(property_id)).first()


def _bump(property: Property, *, update_fields: Sequence[str]) -> None:
    """Save a locked property's changes as its next version."""
    # Safe without F(): the row is locked by this transaction, so no other
    # writer can read the same version until it commits.
    property.version += 1
    property.updated_at = timezone.now()
    property.save(update_fields=[*update_fields, "version", "updated_at"])


# --- properties -------------------------------------------------------------------


def property_create(*, owner_id: str | uuid.UUID, fields: Mapping[str, Any]) -> Property:
    """A new property of `owner_id` (version 1); announces it."""
    owner = uuid_or_none(owner_id)
    if owner is None:
        raise InvalidInput(fields={"owner_id": ["A UUID is required."]})
    property = Property(owner_id=owner, **_checked_fields(fields))
    _check_coordinates(latitude=property.latitude, longitude=property.longitude)
    now = timezone.now()
    property.created_at = property.updated_at = now
    with transaction.atomic():
        property.save(force_insert=True)
        enqueue_property_created(property)
    return property


def property_bulk_create(*, properties: Sequence[Property]) -> list[Property]:
    """Insert the given new properties (the seed's fast path) and announce each
    one, in one transaction; those whose id already exists are left alone.
    Returns the ones inserted."""
    with transaction.atomic():
        existing = set(
            Property.objects.filter(id__in=[p.id for p in properties]).values_list("id", flat=True)
        )
        fresh = [p for p in properties if p.id not in existing]
        for property in fresh:
            _check_coordinates(latitude=property.latitude, longitude=property.longitude)
            property.amenities = canonical_amenities(property.amenities)
        Property.objects.bulk_create(fresh)
        for property in fresh:
            enqueue_property_created(property)
    return fresh


def property_update(
    *, property_id: object, actor_id: str | uuid.UUID | None, fields: Mapping[str, Any]
) -> Property:
    """Change some fields of the actor's property. A new version and an
    `updated` event only if a value actually changed."""
    values = _checked_fields(fields)
    with transaction.atomic():
        property = _writable_by(_lock(property_id), actor_id)
        if property.status == PropertyStatus.ARCHIVED:
            raise PropertyArchived()
        changed = {
            name: value for name, value in values.items() if getattr(property, name) != value
        }
        if not changed:
            return property
        _check_coordinates(
            latitude=changed.get("latitude", property.latitude),
            longitude=changed.get("longitude", property.longitude),
        )
        # Safe without F(): the row is locked, so no other writer reads this version.
        model_update(
            instance=property,
            fields=[*WRITABLE_FIELDS, "version"],
            data={**changed, "version": property.version + 1},
        )
        enqueue_property_updated(property)
    return property


def property_archive(*, property_id: object, actor_id: str | uuid.UUID | None) -> Property:
    """Archive the actor's property: it leaves the listings and search, and
    stays readable by its owner. Archiving it again changes nothing."""
    with transaction.atomic():
        property = _writable_by(_lock(property_id), actor_id)
        if property.status == PropertyStatus.ARCHIVED:
            return property
        property.status = PropertyStatus.ARCHIVED
        _bump(property, update_fields=["status"])
        enqueue_property_archived(property)
    return property


# --- images -----------------------------------------------------------------------


def _check_can_add_image(property: Property) -> int:
    """How many images the property has, if it may take one more."""
    if property.status == PropertyStatus.ARCHIVED:
        raise PropertyArchived()
    count = property.images.count()
    limit = settings.PROPERTY_IMAGE_MAX_COUNT
    if count >= limit:
        raise invalid_image(f"A property has at most {limit} images.")
    return count


def property_image_add(
    *, property_id: object, actor_id: str | uuid.UUID | None, upload: IO[bytes] | None
) -> PropertyImage:
    """Add an image to the actor's property (after the others). The first
    image's thumbnail becomes the property's. A new version and an `updated`
    event. Nothing is stored for an upload that is not a valid image."""
    pk = parse_uuid(property_id)
    # Refuse early, before reading and decoding anything for someone who may not write.
    _check_can_add_image(_writable_by(Property.objects.filter(pk=pk).first(), actor_id))
    encoded = image_encode(image_read_upload(upload))
    stored = image_store(property_id=pk, encoded=encoded)
    try:
        return _image_attach(property_id=pk, actor_id=actor_id, stored=stored)
    except BaseException:
        # The row was never committed: no file may outlive it.
        image_delete_files(stored)
        raise


def _image_attach(
    *, property_id: uuid.UUID, actor_id: str | uuid.UUID | None, stored: StoredImage
) -> PropertyImage:
    with transaction.atomic():
        # Checked again under the lock: the property may have changed meanwhile.
        property = _writable_by(_lock(property_id), actor_id)
        position = _check_can_add_image(property)
        image = PropertyImage.objects.create(
            property=property,
            position=position,
            path=stored.path,
            thumbnail_path=stored.thumbnail_path,
            width=stored.width,
            height=stored.height,
        )
        update_fields = []
        if not property.thumbnail_path:
            property.thumbnail_path = stored.thumbnail_path
            update_fields.append("thumbnail_path")
        _bump(property, update_fields=update_fields)
        enqueue_property_updated(property)
    return image


def property_images_reorder(
    *, property_id: object, actor_id: str | uuid.UUID | None, image_ids: Sequence[uuid.UUID]
) -> Property:
    """Put the actor's property's images in the order of `image_ids` (every
    image of the property, each once); the first is the cover, whose
    thumbnail becomes the property's. A new version and an `updated` event,
    unless the order is the same."""
    with transaction.atomic():
        property = _writable_by(_lock(property_id), actor_id)
        images = {image.id: image for image in property.images.all()}
        wanted = list(image_ids)
        if len(set(wanted)) != len(wanted) or set(wanted) != set(images):
            raise InvalidInput(
                fields={"image_ids": ["List every image of the property exactly once."]}
            )
        if [image.id for image in sorted(images.values(), key=lambda i: i.position)] == wanted:
            return property
        # Two steps: (property, position) is unique at every statement.
        offset = len(wanted)
        for image in images.values():
            PropertyImage.objects.filter(pk=image.pk).update(position=image.position + offset)
        for position, image_id in enumerate(wanted):
            PropertyImage.objects.filter(pk=image_id).update(position=position)
        property.thumbnail_path = images[wanted[0]].thumbnail_path
        _bump(property, update_fields=["thumbnail_path"])
        enqueue_property_updated(property)
    return property
