"""booking_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestBookingServiceContract(ServiceContract):
    service_name = "booking_service"
    readiness_checks = ("database", "kafka")
    consumer = {
        "group_id": "booking_service",
        "topics": ["rentezy.property", "rentezy.payment"],
        "handlers": "bookings.handlers.HANDLERS",
    }
