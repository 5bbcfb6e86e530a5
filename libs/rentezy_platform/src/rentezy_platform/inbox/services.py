from __future__ import annotations

from collections.abc import Callable, Sequence

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


def inbox_claim(
    events: Sequence[CloudEvent],
    *,
    consumer_group: str = DEFAULT_CONSUMER_GROUP,
    using: str = "default",
) -> set[tuple[str, str]]:
    """Record many events at once; the (source, id) of those not recorded before.

    ONE statement for a whole run of messages (instead of one per message):
    the consumer's fast path calls it inside the transaction that then applies
    the claimed events' effects, so rows and effects still commit together
    (a rolled-back run leaves no row). An event listed twice is claimed once.
    """
    if not events:
        return set()
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("inbox_claim() must run inside the transaction applying the effects")
    table = InboxMessage._meta.db_table
    rows = ", ".join(["(%s, %s, %s, %s, now())"] * len(events))
    params: list[str] = []
    for event in events:
        params += [consumer_group, event.source, event.id, event.type]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (consumer_group, source, event_id, type, processed_at)
            VALUES {rows}
            ON CONFLICT (consumer_group, source, event_id) DO NOTHING
            RETURNING source, event_id
            """,
            params,
        )
        return {(source, event_id) for source, event_id in cursor.fetchall()}
