"""Local read models kept from other services' events: the one way a consumer
applies a versioned event to its projection row.

    with transaction.atomic():
        projection, applied = versioned_upsert(
            PropertyProjection, pk=property_id, version=version, values=property_terms(data)
        )

A row is created on the first event and replaced only by a strictly newer
`version`; an older or equal one (a redelivery, a reordering after a
rebalance) changes nothing and returns `applied=False`. The row stays locked
(`SELECT ... FOR UPDATE`) until the caller's transaction ends, so what the
caller does next (a cascade when a property is unlisted) sees no concurrent
change. Two first events racing to create the row both end applied in version
order: the loser of the insert retries as an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from rentezy_platform.parsing import parse_uuid

M = TypeVar("M", bound=models.Model)


def versioned_upsert(
    model: type[M], *, pk: Any, version: int, values: Mapping[str, Any]
) -> tuple[M, bool]:
    """Create or replace the `model` row `pk` with `values` (which must not
    name the primary key or `version`) unless it holds `version` or newer.
    Returns (the row, whether it changed). Must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("versioned_upsert needs the caller's transaction (row lock).")
    row = model.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        try:
            with transaction.atomic():
                return model.objects.create(pk=pk, version=version, **values), True
        except IntegrityError:  # created meanwhile: apply as an update of that row
            row = model.objects.select_for_update().get(pk=pk)
    if row.version >= version:
        return row, False
    row.version = version
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row, True


def property_terms(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a rentezy.property event that services booking against or
    billing for a property keep (EVENTS.md): owner, status, title and terms."""
    return {
        "owner_id": parse_uuid(data["owner_id"]),
        "status": str(data["status"]),
        "title": str(data["title"])[:200],
        "monthly_rent_minor": int(data["monthly_rent_minor"]),
        "deposit_minor": int(data["deposit_minor"]),
        "currency": str(data["currency"]),
    }
