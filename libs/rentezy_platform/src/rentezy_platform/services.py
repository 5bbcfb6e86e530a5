"""`model_update`: the one way a service changes allowlisted fields of a model
instance (HackSoft Django-Styleguide's `common/services.py`).

    user, updated = model_update(instance=user, fields=["full_name", "phone"], data=data)
    if updated:
        enqueue_user_updated(user)

Only the fields whose value differs are written (`save(update_fields=...)`),
after `full_clean()` of those fields (a Django ValidationError renders as a
400 `invalid`, never a database error's 500); `updated_at` is set when the
model has one. A key of `data` outside `fields` is refused (InvalidInput), so a
caller can never set more than it allowlisted. Many-to-many fields are `set()`
after the save. The caller owns the transaction (and any row lock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

from rentezy_platform.errors import InvalidInput
from rentezy_platform.serializers import READ_ONLY_MESSAGE

M = TypeVar("M", bound=models.Model)


def model_update(
    *,
    instance: M,
    fields: Iterable[str],
    data: Mapping[str, Any],
    auto_updated_at: bool = True,
) -> tuple[M, bool]:
    """Set the allowlisted `fields` present in `data` on `instance` and save
    the changed ones. Returns (instance, has_updated)."""
    allowed = list(fields)
    refused = sorted(set(data) - set(allowed))
    if refused:
        raise InvalidInput(fields={name: [READ_ONLY_MESSAGE] for name in refused})
    model_fields = {field.name: field for field in instance._meta.get_fields()}
    update_fields: list[str] = []
    m2m_data: dict[str, Any] = {}
    for name in allowed:
        if name not in data:
            continue
        model_field = model_fields.get(name)
        if model_field is None:
            raise ValueError(f"{name} is not a field of {type(instance).__name__}.")
        if isinstance(model_field, models.ManyToManyField):
            m2m_data[name] = data[name]
        elif getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            update_fields.append(name)
    has_updated = bool(update_fields)
    if has_updated:
        # Validate what changes only: the rest was valid when it was saved.
        unchanged = [f.name for f in instance._meta.concrete_fields if f.name not in update_fields]
        instance.full_clean(exclude=unchanged)
        if auto_updated_at and "updated_at" in model_fields and "updated_at" not in update_fields:
            instance.updated_at = timezone.now()  # type: ignore[attr-defined]
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
    for name, value in m2m_data.items():
        getattr(instance, name).set(value)
        has_updated = True
    return instance, has_updated
