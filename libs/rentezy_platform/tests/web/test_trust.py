"""Gateway trust: the acceptance matrix of ARCHITECTURE.md "Trust"."""

import time

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rentezy_platform.trust import (
    ANONYMOUS,
    GatewayTrustMiddleware,
    Identity,
    gateway_headers,
    internal_service_headers,
    sign_gateway_request,
)

from .conftest import SIGNING_KEY

USER_ID = "3f1c2a9e-0000-4000-8000-000000000001"


def signed(method="GET", path="/api/whoami", *, key=SIGNING_KEY, **identity):
    return gateway_headers(key=key, method=method, path_with_query=path, **identity)


def tenant(**overrides):
    return {"user_id": USER_ID, "role": "tenant", "email": "tina@example.com", **overrides}


def assert_refused(response, message):
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": message}


def test_signature_is_hex_hmac_sha256_of_the_five_lines():
    # Independently computed: hmac.new(b"k3y", "GET\n/api/bookings?page=2\n<id>\ntenant\n1767225600")
    assert (
        sign_gateway_request(
            key="k3y",
            method="GET",
            path_with_query="/api/bookings?page=2",
            user_id=USER_ID,
            role="tenant",
            timestamp=1767225600,
        )
        == "41fe1650f3f4a3fdc5c9baefd428feee0d7b18c14c6b31372c74ae7b93884924"
    )


def test_gateway_headers_for_an_anonymous_caller():
    headers = gateway_headers(
        key="k3y",
        method="GET",
        path_with_query="/api/properties",
        request_id="req-1",
        timestamp=1767225600,
    )
    assert headers == {
        "X-User-ID": "",
        "X-User-Role": "anonymous",
        "X-User-Email": "",
        "X-Request-ID": "req-1",
        "X-Gateway-Timestamp": "1767225600",
        "X-Gateway-Signature": sign_gateway_request(
            key="k3y",
            method="GET",
            path_with_query="/api/properties",
            user_id="",
            role="anonymous",
            timestamp=1767225600,
        ),
    }


def test_valid_signature_passes_and_sets_the_identity(client):
    response = client.get("/api/whoami", headers=signed(**tenant()))
    assert response.status_code == 200
    assert response.json() == {
        "id": USER_ID,
        "role": "tenant",
        "email": "tina@example.com",
        "is_authenticated": True,
        "same_identity": True,
    }


def test_identity_is_a_frozen_value():
    identity = Identity(user_id=USER_ID, role="landlord", email="l@example.com")
    assert (identity.id, identity.pk, identity.is_authenticated, identity.is_anonymous) == (
        USER_ID,
        USER_ID,
        True,
        False,
    )
    with pytest.raises(AttributeError):
        identity.role = "admin"


def test_valid_anonymous_signature_gives_the_anonymous_identity(client):
    response = client.get("/api/whoami", headers=signed())
    assert response.status_code == 200
    assert response.json() == {
        "id": None,
        "role": "anonymous",
        "email": "",
        "is_authenticated": False,
        "same_identity": True,
    }


def test_anonymous_caller_of_a_protected_view_gets_401_with_a_challenge(client):
    response = client.get("/api/private", headers=signed(path="/api/private"))
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="rentezy"'


def test_signed_query_string_is_part_of_the_signature(client):
    response = client.get("/api/whoami?x=1&y=%20", headers=signed(path="/api/whoami?x=1&y=%20"))
    assert response.status_code == 200


def test_missing_signature_is_refused(client):
    assert_refused(client.get("/api/whoami"), "Missing gateway signature.")


def test_missing_timestamp_is_refused(client):
    headers = signed(**tenant())
    del headers["X-Gateway-Timestamp"]
    assert_refused(client.get("/api/whoami", headers=headers), "Missing gateway signature.")


def test_signature_with_another_key_is_refused(client):
    headers = signed(key="not-the-key", **tenant())
    assert_refused(client.get("/api/whoami", headers=headers), "Invalid gateway signature.")


def test_garbage_signature_is_refused(client):
    headers = {**signed(**tenant()), "X-Gateway-Signature": "zz\u00e9"}
    assert_refused(client.get("/api/whoami", headers=headers), "Invalid gateway signature.")


@pytest.mark.parametrize("age", [61, 3600, -61])
def test_stale_or_future_timestamp_is_refused(client, age):
    headers = signed(timestamp=int(time.time()) - age, **tenant())
    assert_refused(client.get("/api/whoami", headers=headers), "Stale gateway signature.")


@pytest.mark.parametrize("age", [55, -55])
def test_timestamp_within_the_window_passes(client, age):
    headers = signed(timestamp=int(time.time()) - age, **tenant())
    assert client.get("/api/whoami", headers=headers).status_code == 200


def test_non_numeric_timestamp_is_refused(client):
    headers = {**signed(**tenant()), "X-Gateway-Timestamp": "1e9"}
    assert_refused(client.get("/api/whoami", headers=headers), "Invalid gateway timestamp.")


def test_tampered_path_is_refused(client):
    headers = signed(path="/api/whoami", **tenant())
    assert_refused(
        client.get("/api/whoami?owner=me", headers=headers), "Invalid gateway signature."
    )


def test_tampered_method_is_refused(client):
    headers = signed(method="GET", **tenant())
    response = client.post(
        "/api/whoami", {"a": 1}, content_type="application/json", headers=headers
    )
    assert_refused(response, "Invalid gateway signature.")


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-User-ID", "3f1c2a9e-0000-4000-8000-000000000002"),
        ("X-User-ID", ""),
        ("X-User-Role", "landlord"),
    ],
)
def test_tampered_identity_is_refused(client, header, value):
    headers = {**signed(**tenant()), header: value}
    assert_refused(client.get("/api/whoami", headers=headers), "Invalid gateway signature.")


def test_signed_post_passes_with_its_body(client):
    headers = signed(method="POST", **tenant())
    response = client.post(
        "/api/whoami", {"a": 1}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200
    assert response.json() == {"received": {"a": 1}}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_exempt(client, path, settings):
    settings.READINESS_CHECKS = []
    response = client.get(path)
    assert response.status_code == 200


def test_exempt_paths_are_configurable(client, settings):
    settings.GATEWAY_TRUST_EXEMPT_PATHS = ("/api/whoami",)
    assert client.get("/api/whoami").status_code == 200
    assert_refused(client.get("/healthz"), "Missing gateway signature.")


def test_exemption_is_exact_not_a_prefix(client):
    assert_refused(client.get("/healthz/../api/whoami"), "Missing gateway signature.")
    assert_refused(client.get("/healthzz"), "Missing gateway signature.")


def test_exempt_prefix_covers_only_paths_under_it(client, settings):
    settings.GATEWAY_TRUST_EXEMPT_PREFIXES = ("/api/who",)
    assert client.get("/api/whoami").status_code == 200
    assert_refused(client.get("/api/private"), "Missing gateway signature.")


def test_async_stack_verifies_the_same_way(async_client):
    # The ASGI services run the middleware's async branch.
    get = async_to_sync(async_client.get)
    response = get("/api/whoami", headers=signed(**tenant()))
    assert response.status_code == 200
    assert response.json()["id"] == USER_ID
    assert_refused(get("/api/whoami"), "Missing gateway signature.")


def test_middleware_refuses_to_start_without_a_key():
    with override_settings(GATEWAY_SIGNING_KEY=""), pytest.raises(ImproperlyConfigured):
        GatewayTrustMiddleware(lambda request: None)


def test_anonymous_constant():
    assert (ANONYMOUS.user_id, ANONYMOUS.role, ANONYMOUS.is_authenticated) == (
        None,
        "anonymous",
        False,
    )


def test_signature_covers_the_canonical_path_django_rebuilds(client):
    # "/api/wh%6Fami" arrives as path "/api/whoami": the gateway signs (and
    # forwards) the canonical form, so escaping choices never break trust.
    headers = signed(path="/api/whoami?q=caf%C3%A9", **tenant())
    assert client.get("/api/wh%6Fami?q=caf%C3%A9", headers=headers).status_code == 200


@override_settings(SERVICE_NAME="search_service")
def test_internal_service_headers_reach_an_internal_only_view(client):
    headers = internal_service_headers(method="GET", path_with_query="/internal/only")
    assert (headers["X-User-ID"], headers["X-User-Role"]) == ("search_service", "service")
    response = client.get("/internal/only", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"caller": "search_service"}


@pytest.mark.parametrize("identity", [{}, {"user_id": USER_ID, "role": "landlord"}])
def test_internal_only_view_refuses_users_and_anonymous_callers(client, identity):
    response = client.get("/internal/only", headers=signed(path="/internal/only", **identity))
    assert response.status_code == (403 if identity else 401)


def test_internal_service_headers_are_refused_when_unsigned_by_our_key(client):
    headers = gateway_headers(
        key="not-our-key",
        method="GET",
        path_with_query="/internal/only",
        user_id="search_service",
        role="service",
    )
    assert client.get("/internal/only", headers=headers).status_code == 401


# --- the routed path is the signed path (a script prefix is refused) -------------------

SCRIPT_PREFIX_REFUSAL = {
    "code": "bad_request",
    "message": "The request carries a script prefix (SCRIPT_NAME): its routed path "
    "would not be the path it was sent to.",
}


def test_a_signed_request_under_a_script_name_is_refused(client):
    # Signed for the full path /x/api/whoami, as the gateway would sign what it
    # routed; Django would route /api/whoami (PATH_INFO) without the refusal.
    response = client.get(
        "/api/whoami", SCRIPT_NAME="/x", headers=signed(path="/x/api/whoami", **tenant())
    )
    assert response.status_code == 400
    assert response.json() == SCRIPT_PREFIX_REFUSAL


def test_an_internal_route_under_a_script_name_is_refused(client):
    headers = signed(path="/api/auth/x/internal/only", **tenant(role="service"))
    response = client.get("/internal/only", SCRIPT_NAME="/api/auth/x", headers=headers)
    assert response.status_code == 400
    assert response.json() == SCRIPT_PREFIX_REFUSAL


def test_the_probe_exemption_is_not_reachable_under_a_script_name(client):
    # Unsigned /api/bookings/healthz must not become the exempt /healthz.
    response = client.get("/healthz", SCRIPT_NAME="/api/bookings")
    assert response.status_code == 400
    assert response.json() == SCRIPT_PREFIX_REFUSAL


def test_a_forced_script_name_is_refused(client, settings):
    settings.FORCE_SCRIPT_NAME = "/x"
    response = client.get("/api/whoami", headers=signed(path="/x/api/whoami", **tenant()))
    assert response.status_code == 400
    assert response.json() == SCRIPT_PREFIX_REFUSAL


def test_the_platform_settings_take_no_script_name_and_no_forwarded_host():
    from rentezy_platform import settings as platform_settings

    assert platform_settings.FORCE_SCRIPT_NAME is None
    assert platform_settings.USE_X_FORWARDED_HOST is False
    assert platform_settings.USE_X_FORWARDED_PORT is False
    assert platform_settings.SECURE_PROXY_SSL_HEADER is None


def test_an_empty_script_name_passes(client):
    response = client.get("/api/whoami", SCRIPT_NAME="", headers=signed(**tenant()))
    assert response.status_code == 200
    assert response.json()["id"] == USER_ID
