"""One error shape: ApplicationError, DRF and Django errors as {code, message, fields?}."""

import logging

import pytest
from django.test import Client

from .test_trust import signed


def get(client, path, **kwargs):
    return client.get(path, headers=signed(path=path), **kwargs)


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("application", 400, {"code": "email_taken", "message": "That e-mail is taken."}),
        ("conflict", 409, {"code": "slot_full", "message": "This slot is full."}),
        ("not_found", 404, {"code": "not_found", "message": "Not found."}),
        (
            "forbidden",
            403,
            {"code": "forbidden", "message": "You do not have permission to perform this action."},
        ),
        (
            "not_authenticated",
            401,
            {
                "code": "not_authenticated",
                "message": "Authentication credentials were not provided or are invalid.",
            },
        ),
        (
            "with_fields",
            400,
            {
                "code": "invalid",
                "message": "Bad dates.",
                "fields": {"end_date": ["Must be after start_date."]},
            },
        ),
        ("http404", 404, {"code": "not_found", "message": "Not found."}),
        (
            "django_permission",
            403,
            {"code": "forbidden", "message": "You do not have permission to perform this action."},
        ),
    ],
)
def test_errors_render_in_the_one_shape(client, kind, status, body):
    response = get(client, f"/api/fail/{kind}")
    assert response.status_code == status
    assert response.json() == body


def test_validation_error_names_the_fields(client):
    path = "/api/fail/any"
    response = client.post(
        path,
        {"slot_id": "not-a-uuid", "guests": 0},
        content_type="application/json",
        headers=signed("POST", path),
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {
            "slot_id": ["Must be a valid UUID."],
            "guests": ["Ensure this value is greater than or equal to 1."],
        },
    }


def test_nested_validation_errors_are_flattened_into_dotted_names(client):
    path = "/api/nested"
    response = client.post(
        path,
        {
            "amenities": ["ok", "too long", "no", 7, "also too long"],
            "images": [{"url": "https://example.com/a.jpg"}, {"url": "not a url"}, {}],
            "address": {"city": "Amsterdam"},
            "tags": {"floor": "high", "rooms": 2},
        },
        content_type="application/json",
        headers=signed("POST", path),
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {
            "amenities.1": ["Ensure this field has no more than 3 characters."],
            "amenities.4": ["Ensure this field has no more than 3 characters."],
            "images.1.url": ["Enter a valid URL."],
            "images.2.url": ["This field is required."],
            "address.city": ["Ensure this field has no more than 5 characters."],
            "tags.floor": ["A valid integer is required."],
        },
    }


def test_errors_of_the_body_as_a_whole_are_non_field_errors(client):
    path = "/api/nested"
    response = client.post(
        path,
        {"amenities": [], "images": [], "address": {"city": "Oslo"}, "tags": {}},
        content_type="application/json",
        headers=signed("POST", path),
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {"non_field_errors": ["Never valid as a whole."]},
    }


def test_application_error_fields_are_flattened_too(client):
    response = get(client, "/api/fail/with_nested_fields")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Bad rows.",
        "fields": {"rows.0.price": ["Too high."], "note": ["Too long."]},
    }


def test_malformed_json_is_a_parse_error(client):
    path = "/api/fail/any"
    response = client.post(
        path, '{"slot_id": ', content_type="application/json", headers=signed("POST", path)
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["message"].startswith("JSON parse error")
    assert set(body) == {"code", "message"}


def test_body_over_the_upload_limit_is_413_not_500(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    path = "/api/fail/any"
    body = '{"slot_id": "%s"}' % ("x" * 2048)
    response = client.post(
        path, body, content_type="application/json", headers=signed("POST", path)
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is too large.",
    }


def test_unsupported_media_type(client):
    path = "/api/fail/any"
    response = client.post(
        path, "slot_id=1", content_type="text/plain", headers=signed("POST", path)
    )
    assert response.status_code == 415
    assert response.json() == {
        "code": "unsupported_media_type",
        "message": 'Unsupported media type "text/plain" in request.',
    }


def test_method_not_allowed(client):
    path = "/api/fail/any"
    response = client.delete(path, headers=signed("DELETE", path))
    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
    }


def test_throttled_is_rate_limited_with_retry_after(client):
    response = get(client, "/api/fail/throttled")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert response["Retry-After"] == "3"


def test_unhandled_error_is_500_without_details_and_logged(client, caplog):
    with caplog.at_level(logging.ERROR, logger="rentezy_platform.errors"):
        response = get(client, "/api/fail/crash")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "Internal server error."}
    assert b"secret" not in response.content
    [record] = [r for r in caplog.records if r.name == "rentezy_platform.errors"]
    assert record.exc_info[0] is RuntimeError


@pytest.mark.parametrize("kind", ["database_down", "database_gone"])
def test_an_unreachable_database_is_a_503_to_retry_not_a_500(client, kind):
    response = get(client, f"/api/fail/{kind}")
    assert response.status_code == 503
    assert response.json() == {
        "code": "service_unavailable",
        "message": "The service is temporarily unavailable; retry.",
    }
    assert response["Retry-After"] == "5"
    assert b"secret" not in response.content


def test_a_plain_view_with_the_database_down_is_a_503_too():
    client = Client(raise_request_exception=False)
    response = client.get("/plain/database-down", headers=signed(path="/plain/database-down"))
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "5"


def test_unknown_path_is_a_json_404(client):
    response = get(client, "/api/nowhere")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}


def test_plain_django_view_errors_use_the_shape():
    client = Client(raise_request_exception=False)
    crash = client.get("/plain/crash", headers=signed(path="/plain/crash"))
    assert crash.status_code == 500
    assert crash.json() == {"code": "server_error", "message": "Internal server error."}
    forbidden = client.get("/plain/forbidden", headers=signed(path="/plain/forbidden"))
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"


def test_disallowed_host_is_a_json_400():
    client = Client(raise_request_exception=False)
    response = client.get("/plain/ok", headers=signed(path="/plain/ok"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "Bad request."}
