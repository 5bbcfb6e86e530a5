from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "rentezy_platform.inbox"
    label = "inbox"
    verbose_name = "Idempotent consumer inbox"
    default_auto_field = "django.db.models.BigAutoField"
