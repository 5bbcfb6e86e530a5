"""chat_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestChatServiceContract(ServiceContract):
    service_name = "chat_service"
    readiness_checks = ("database", "redis", "kafka")
    entry_point = "config.asgi"
    consumer = {
        "group_id": "chat_service",
        "topics": ["rentezy.user"],
        "handlers": "chat.handlers.HANDLERS",
    }
