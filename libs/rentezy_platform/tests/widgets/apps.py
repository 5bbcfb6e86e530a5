from django.apps import AppConfig


class WidgetsConfig(AppConfig):
    """A tiny domain for the platform tests: state that commits with its events."""

    name = "tests.widgets"
    label = "widgets"
    default_auto_field = "django.db.models.BigAutoField"
