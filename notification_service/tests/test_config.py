"""notification_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestNotificationServiceContract(ServiceContract):
    service_name = "notification_service"
    readiness_checks = ("database", "redis", "kafka")
    entry_point = "config.asgi"
    consumer = {
        "group_id": "notification_service",
        "topics": ["rentezy.booking", "rentezy.payment", "rentezy.chat", "rentezy.user"],
        "handlers": "notifications.handlers.HANDLERS",
    }
    production_env = {"EMAIL_HOST": "smtp.example.com"}
