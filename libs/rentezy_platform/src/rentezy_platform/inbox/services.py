from __future__ import annotations

from collections.abc import Callable

from django.db import connections, transaction

from rentezy_platform.events import CloudEvent
from rentezy_platform.inbox.models import InboxMessage

DEFAULT_CONSUMER_GROUP = "default"


def inbox_process(
    event: CloudEvent,
    handler: Callable[[CloudEvent], None],
    *,
    consumer_group: str = DEFAULT_CONSUMER_GROUP,
    using: str = "default",
    savepoint: bool = True,
) -> bool:
    """Apply `handler(event)` at most once per (consumer group, source, id).

    The inbox row and the handler's writes commit in ONE transaction: either
    both exist or neither does, so a redelivered event is skipped (returns
    False) and a failed handler leaves no record (the event is retried).
    A concurrent duplicate blocks on the unique index until the first
    transaction ends, then inserts nothing and is skipped.

    Inside an outer transaction, `savepoint=False` saves two round trips; a
    failure then dooms the whole outer transaction (the caller redoes it).
    """
    table = InboxMessage._meta.db_table
    with transaction.atomic(using=using, savepoint=savepoint):
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (consumer_group, source, event_id, type, processed_at)
                VALUES (%s, %s, %s, %s, now())
                ON CONFLICT (consumer_group, source, event_id) DO NOTHING
                RETURNING id
                """,
                [consumer_group, event.source, event.id, event.type],
            )
            inserted = cursor.fetchone() is not None
        if not inserted:
            return False
        handler(event)
    return True
