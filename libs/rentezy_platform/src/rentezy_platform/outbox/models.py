from django.db import models
from django.db.models.functions import Now


class OutboxMessage(models.Model):
    """One integration event waiting to be (or already) published to Kafka.

    Written in the same transaction as the state change it describes; the
    relay publishes unsent rows in `id` order and stamps `sent_at`.
    """

    # bigserial: commit order is close to id order, and within one
    # aggregate's transactions (which serialize on its row) it is exact.
    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    topic = models.CharField(max_length=249)  # Kafka's topic name limit
    key = models.TextField()  # the event subject (aggregate id)
    type = models.CharField(max_length=255)
    payload = models.JSONField()  # the full CloudEvents envelope
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            # The relay only ever scans unsent rows in id order; keeping them
            # in a small partial index makes that scan independent of how
            # many sent rows await pruning.
            models.Index(
                fields=["id"],
                name="outbox_unsent_idx",
                condition=models.Q(sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "unsent"
        return f"{self.type} {self.event_id} ({state})"
