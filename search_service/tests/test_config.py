"""search_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestSearchServiceContract(ServiceContract):
    service_name = "search_service"
    readiness_checks = ("database", "kafka", "search")
    consumer = {
        "group_id": "search_service",
        "topics": ["rentezy.property"],
        "handlers": "search.handlers.HANDLERS",
        "transient_errors": ["search.engine.SearchUnavailable"],
    }


def test_an_engine_outage_is_a_transient_error_of_the_consumer():
    from config import settings
    from django.utils.module_loading import import_string
    from search.engine import SearchUnavailable

    [path] = settings.KAFKA_CONSUMER["transient_errors"]
    assert import_string(path) is SearchUnavailable
