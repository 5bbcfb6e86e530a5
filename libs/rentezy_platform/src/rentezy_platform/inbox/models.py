from django.db import models
from django.db.models.functions import Now


class InboxMessage(models.Model):
    """Proof that one consumer group applied one event's effect.

    Inserted in the same transaction as the effect, so a redelivered event
    finds its row and is skipped. The consumer group is part of the key
    because one service database may host several groups (e.g. a projection
    consumer and an e-mail consumer reading the same topic); each must apply
    the event once, independently. CloudEvents ids are unique per source,
    hence (source, event_id) rather than event_id alone.
    """

    id = models.BigAutoField(primary_key=True)
    consumer_group = models.CharField(max_length=255)
    source = models.CharField(max_length=255)
    # CloudEvents ids are strings; ours are uuid4 but a tolerant reader does
    # not insist on it.
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=255)
    processed_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consumer_group", "source", "event_id"],
                name="inbox_unique_event_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consumer_group}: {self.type} {self.source}/{self.event_id}"
