from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "rentezy_platform.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency-Key responses"
    default_auto_field = "django.db.models.BigAutoField"
