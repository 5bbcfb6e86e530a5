"""property_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestPropertyServiceContract(ServiceContract):
    service_name = "property_service"
    readiness_checks = ("database", "kafka")
