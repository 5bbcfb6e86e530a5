"""search_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestSearchServiceContract(ServiceContract):
    service_name = "search_service"
    readiness_checks = ("database", "kafka", "search")
    consumer = {
        "group_id": "search_service",
        "topics": ["rentezy.property"],
        "handlers": "search.events.HANDLERS",
    }
