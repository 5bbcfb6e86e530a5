from __future__ import annotations

import time

from django.db import connection, transaction
from rentezy_platform.events import CloudEvent
from rentezy_platform.outbox.services import outbox_enqueue

from tests.widgets.models import EffectCounter, LatencySample, Widget


def widget_create(*, name: str, event_type: str, seq: int = 0) -> Widget:
    """State change and its event in one transaction, as a service would."""
    with transaction.atomic():
        widget = Widget.objects.create(name=name)
        outbox_enqueue(
            type=event_type,
            subject=str(widget.id),
            data={"widget_id": widget.id, "name": name, "seq": seq},
        )
    return widget


def effect_counter_increment(event: CloudEvent) -> None:
    """A consumer effect that is visibly wrong if applied twice: one upsert
    that adds 1 to the event's counter."""
    table = EffectCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, count) VALUES (%s, 1) "
            f"ON CONFLICT (event_id) DO UPDATE SET count = {table}.count + 1",
            [event.id],
        )


def latency_sample_record(event: CloudEvent) -> None:
    """Benchmark consumer effect: one INSERT in the inbox transaction."""
    LatencySample.objects.create(
        event_id=event.id, committed_at=event.data["committed_at"], handled_at=time.time()
    )
