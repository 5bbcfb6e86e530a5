from django.db import models
from django.db.models.functions import Now

KEY_MAX_LENGTH = 255


class IdempotencyRecord(models.Model):
    """The first response to a request a user sent with an `Idempotency-Key`:
    a retry with the same key and the same request gets it again, byte for
    byte; the same key with another request is refused (services.py)."""

    id = models.BigAutoField(primary_key=True)
    user_id = models.UUIDField()
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    # sha256 of the method, the path and the canonical JSON body.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    # The response body exactly as it was sent (replayed byte for byte).
    body = models.TextField()
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "key"], name="idempotency_user_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.key} → {self.status_code}"
