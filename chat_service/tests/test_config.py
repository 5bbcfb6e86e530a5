"""chat_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestChatServiceContract(ServiceContract):
    service_name = "chat_service"
    readiness_checks = ("database", "kafka")
    entry_point = "config.asgi"
