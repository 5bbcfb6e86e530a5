import uuid

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone


class Widget(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class EffectCounter(models.Model):
    """How many times a consumer applied the effect of one event."""

    event_id = models.CharField(max_length=255, unique=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.event_id}: {self.count}"


class LatencySample(models.Model):
    """Benchmark: when an event committed (from its data) and when a consumer
    process handled it, both as Unix time in seconds."""

    event_id = models.CharField(max_length=255, unique=True)
    committed_at = models.FloatField()
    handled_at = models.FloatField()

    def __str__(self) -> str:
        return f"{self.event_id}: {(self.handled_at - self.committed_at) * 1000:.1f} ms"


class Gadget(models.Model):
    """rentezy_platform.services.model_update's test model: validators, a
    check constraint, `updated_at` and a many-to-many field."""

    name = models.CharField(max_length=20)
    size = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(10)])
    note = models.CharField(max_length=50, blank=True, default="")
    widgets = models.ManyToManyField(Widget, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name="forbidden"), name="gadget_name_allowed"
            )
        ]

    def __str__(self) -> str:
        return self.name
