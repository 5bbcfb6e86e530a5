"""Lists: ?page=&page_size= (capped at 100) → {count, next, previous, results}."""

import pytest
from django.test import override_settings
from rentezy_platform.pagination import page_url, public_url
from rest_framework.test import APIRequestFactory

from .test_trust import signed

# Links start with the public origin (the gateway), never the Host the service was called on.
PUBLIC = "https://rentezy.example"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = PUBLIC


def get(client, query):
    path = f"/api/numbers{query}"
    return client.get(path, headers=signed(path=path))


def test_default_page(client):
    body = get(client, "").json()
    assert body["count"] == 250
    assert body["results"] == list(range(1, 21))
    assert body["previous"] is None
    assert body["next"] == f"{PUBLIC}/api/numbers?page=2"


def test_page_and_page_size(client):
    body = get(client, "?page=3&page_size=10").json()
    assert body["results"] == list(range(21, 31))
    assert body["next"] == f"{PUBLIC}/api/numbers?page=4&page_size=10"
    assert body["previous"] == f"{PUBLIC}/api/numbers?page=2&page_size=10"


def test_page_size_is_capped_at_100(client):
    body = get(client, "?page_size=1000").json()
    assert len(body["results"]) == 100


def test_bad_parameters_are_400(client):
    for query, field in [
        ("?page=abc", "page"),
        ("?page=0", "page"),
        ("?page_size=-5", "page_size"),
        ("?page=last", "page"),
    ]:
        response = get(client, query)
        assert response.status_code == 400, query
        assert response.json() == {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {field: ["A positive integer is required."]},
        }


def test_page_past_the_end_is_404(client):
    response = get(client, "?page=99")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Invalid page."}


def test_the_schema_says_page_and_page_size_are_positive():
    from rentezy_platform.pagination import PageNumberPagination

    parameters = PageNumberPagination().get_schema_operation_parameters(view=None)

    assert [(p["name"], p["schema"]) for p in parameters] == [
        ("page", {"type": "integer", "minimum": 1}),
        ("page_size", {"type": "integer", "minimum": 1}),
    ]
    assert parameters[1]["description"] == (
        "Results per page (default 20; values above 100 are capped to 100)."
    )


def test_links_ignore_the_host_the_service_was_called_on(client, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    path = "/api/numbers?page=2&page_size=100"
    response = client.get(path, headers=signed(path=path), HTTP_HOST="127.0.0.1")
    body = response.json()
    assert (body["previous"], body["next"]) == (
        f"{PUBLIC}/api/numbers?page_size=100",
        f"{PUBLIC}/api/numbers?page=3&page_size=100",
    )


def test_page_url_and_public_url():
    request = APIRequestFactory().get("/api/things?q=a%20b&page=3", HTTP_HOST="10.0.0.7:8002")
    assert public_url(request) == f"{PUBLIC}/api/things?q=a%20b&page=3"
    assert page_url(request, 4) == f"{PUBLIC}/api/things?page=4&q=a+b"
    assert page_url(request, 1) == f"{PUBLIC}/api/things?q=a+b"
    with override_settings(PUBLIC_BASE_URL="https://api.rentezy.example/v"):
        assert page_url(request, 2) == "https://api.rentezy.example/v/api/things?page=2&q=a+b"
