"""Writes made as ONE SQL statement, for the few hot paths where the ORM's
statement-per-row and transaction round trips are the cost.

A data-modifying statement (`WITH a AS (UPDATE ...), b AS (INSERT ...)
INSERT ...`) is atomic on its own: every part of it commits or none does, in
one round trip, with no BEGIN/COMMIT around it. booking_service takes a place
this way (the guarded decrement, the booking row and its outbox event in one
statement: see `bookings.services.booking_create`).

- `insert_select(obj, source=...)`: the INSERT of an unsaved model instance
  as one part of such a statement, `INSERT INTO <table> (...) SELECT <values>
  FROM <source>`, with exactly the values `obj.save()` would write (field
  defaults, `auto_now_add`, database defaults left to the database), so it
  inserts one row per row of `source` (none when `source` is empty).
- `statement_block()`: where such a statement needs a transaction block:
  none in autocommit (the statement is its own transaction), a savepoint
  inside a caller's `transaction.atomic()` (so a refused statement, e.g. a
  unique violation the caller turns into a 409, leaves the caller's
  transaction usable).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.expressions import DatabaseDefault


def insert_select(
    obj: models.Model, *, source: str, using: str = DEFAULT_DB_ALIAS
) -> tuple[str, list[Any]]:
    """(sql, params) of inserting unsaved `obj` once per row of `source` (a
    CTE name or a table expression of the enclosing statement)."""
    meta = obj._meta
    connection = connections[using]
    quote = connection.ops.quote_name
    columns: list[str] = []
    placeholders: list[str] = []
    params: list[Any] = []
    for field in meta.local_concrete_fields:
        if field.generated or (field is meta.auto_field and obj.pk is None):
            continue
        # As Model.save(): pre_save applies auto_now_add and the like.
        value = field.pre_save(obj, add=True)
        if isinstance(value, DatabaseDefault):
            continue  # the column's DEFAULT applies, as in obj.save()
        if hasattr(value, "resolve_expression"):
            raise TypeError(f"insert_select: {field.name} is an expression, not a value")
        value = field.get_db_prep_save(value, connection)
        placeholder = getattr(field, "get_placeholder", None)
        columns.append(quote(field.column))
        placeholders.append(placeholder(value, None, connection) if placeholder else "%s")
        params.append(value)
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(placeholders)} FROM {source}"
    )
    return statement, params


def statement_block(using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager[Any]:
    """Nothing in autocommit; a savepoint inside the caller's transaction."""
    if connections[using].in_atomic_block:
        return transaction.atomic(using=using)
    return nullcontext()
