"""rent_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestRentServiceContract(ServiceContract):
    service_name = "rent_service"
    readiness_checks = ("database", "redis", "kafka")
    consumer = {
        "group_id": "rent_service",
        "topics": ["rentezy.booking", "rentezy.property", "rentezy.user"],
        "handlers": "rent.handlers.HANDLERS",
    }
