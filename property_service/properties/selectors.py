"""Reads of property_service: public listings, an owner's properties, one
property as a given caller may see it, and the reindexing export.

Visibility: listed and rented properties are public; draft and archived ones
exist only for their owner (anyone else gets 404, as for a missing id).
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from rentezy_platform.errors import NotFound
from rentezy_platform.parsing import parse_uuid, uuid_or_none

from properties.models import Property, PropertyStatus


def _with_images(queryset: QuerySet[Property]) -> QuerySet[Property]:
    # One query for the images of the whole page, never one per property.
    return queryset.prefetch_related("images")


def property_list_listed() -> QuerySet[Property]:
    """What anyone may browse: listed properties, newest first (id breaks ties,
    so pages never overlap or skip)."""
    return _with_images(
        Property.objects.filter(status=PropertyStatus.LISTED).order_by("-created_at", "-id")
    )


def property_list_owned(*, owner_id: str | uuid.UUID) -> QuerySet[Property]:
    """An owner's properties in every status (archived included), newest first."""
    return _with_images(Property.objects.filter(owner_id=owner_id).order_by("-created_at", "-id"))


def property_get_visible(*, property_id: object, viewer_id: str | None) -> Property:
    """The property if `viewer_id` may see it (public, or their own), with its
    images; NotFound otherwise, whether it exists or not."""
    found = _with_images(Property.objects.filter(pk=parse_uuid(property_id))).first()
    if found is None or not (found.is_public or _is_owner(found, viewer_id)):
        raise NotFound()
    return found


def _is_owner(property: Property, user_id: str | None) -> bool:
    return uuid_or_none(user_id) == property.owner_id


def property_export_page(
    *, after: uuid.UUID | None, limit: int
) -> tuple[list[Property], uuid.UUID | None]:
    """Up to `limit` properties of every status with an id greater than `after`,
    in id order, and the id to continue after (None on the last page).

    Keyset pagination: each page is one index range scan on the primary key,
    however deep the reindex has gone, and rows written meanwhile are never
    skipped or repeated (a new property lands wherever its id sorts; its
    event reaches the index anyway)."""
    queryset = Property.objects.order_by("id")
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    # One row more than asked says whether another page follows.
    rows = list(queryset[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None
