"""The HTTP reverse proxy through a real gateway process to a real upstream."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import GATEWAY_TIMEOUT, WEB_ORIGIN, bearer

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}
FORGED = {
    "X-User-ID": "00000000-0000-0000-0000-000000000000",
    "x-user-role": "admin",
    "X-USER-EMAIL": "root@example.com",
    "X-User-Anything": "forged",
    "X-Gateway-Signature": "f" * 64,
    "X-Gateway-Timestamp": "1",
    "X-Gateway-Whatever": "forged",
}


def _sent_headers(echo: dict) -> dict[str, str]:
    return {name.lower(): value for name, value in echo["headers"].items()}


def test_forged_identity_headers_are_replaced_on_anonymous_requests(gw):
    response = gw.get("/api/properties/some-id", headers=FORGED)

    assert response.status_code == 200
    echo = response.json()
    # The service verified the gateway's signature (else 401) and saw anonymity.
    assert echo["identity"] == {"user_id": None, "role": "anonymous", "email": ""}
    sent = _sent_headers(echo)
    assert sent["x-user-id"] == ""
    assert sent["x-user-role"] == "anonymous"
    assert sent["x-user-email"] == ""
    assert sent["x-gateway-signature"] != "f" * 64
    assert abs(int(sent["x-gateway-timestamp"]) - time.time()) < 5
    assert "x-user-anything" not in sent
    assert "x-gateway-whatever" not in sent


def test_forged_identity_headers_are_replaced_on_authenticated_requests(gw, make_token):
    token = make_token(role="landlord")

    response = gw.get("/api/bookings", headers={**FORGED, **bearer(token)})

    assert response.status_code == 200
    echo = response.json()
    assert echo["identity"] == {"user_id": token.user_id, "role": "landlord", "email": token.email}
    sent = _sent_headers(echo)
    assert (sent["x-user-id"], sent["x-user-role"], sent["x-user-email"]) == (
        token.user_id,
        "landlord",
        token.email,
    )
    assert "x-user-anything" not in sent and "x-gateway-whatever" not in sent
    # The bearer token goes on (auth_service's logout revokes the one used).
    assert sent["authorization"] == f"Bearer {token.value}"


def test_a_sane_request_id_is_kept_and_echoed(gw):
    response = gw.get("/api/properties", headers={"X-Request-ID": "gw-req.42_A"})

    assert response.headers["x-request-id"] == "gw-req.42_A"
    assert _sent_headers(response.json())["x-request-id"] == "gw-req.42_A"


@pytest.mark.parametrize("sent", [None, "has spaces", "x" * 129, "new\\nline"])
def test_a_missing_or_insane_request_id_is_replaced(gw, sent):
    headers = {"X-Request-ID": sent} if sent else {}

    response = gw.get("/api/properties", headers=headers)

    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    assert _sent_headers(response.json())["x-request-id"] == request_id


def test_every_response_carries_the_request_id_and_security_headers(gw):
    for path, status in (("/api/nowhere", 404), ("/healthz", 200), ("/api/bookings", 401)):
        response = gw.get(path, headers={"X-Request-ID": f"rid-{status}"})
        assert response.status_code == status
        assert response.headers["x-request-id"] == f"rid-{status}"
        for name in ("x-content-type-options", "x-frame-options"):
            assert response.headers[name] == SECURITY_HEADERS[name]
        assert "strict-transport-security" not in response.headers
    proxied = gw.get("/api/properties")
    for name, value in SECURITY_HEADERS.items():
        assert proxied.headers[name] == value


def test_unknown_paths_and_internal_paths_are_not_routed(gw, control):
    before = control.get("/_control/stats").json()["validate_calls"]
    for method, path in (
        ("GET", "/api/nowhere"),
        ("POST", "/internal/validate"),
        ("GET", "/internal/validate"),
        ("GET", "/api/propertiesX"),
        ("GET", "/"),
    ):
        response = gw.request(method, path, json={"token": "x"} if method == "POST" else None)
        assert (response.status_code, response.json()) == (
            404,
            {"code": "not_found", "message": "Not found."},
        ), path
    assert control.get("/_control/stats").json()["validate_calls"] == before


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/api/auth/../internal/validate",
        b"/api/auth/%2e%2e/internal/validate",
        b"/api/auth/./login",
    ],
)
def test_dot_segments_never_reach_a_service(gateway, raw_path):
    # http.client sends the path as is (httpx would normalise the dots away).
    parts = urlsplit(gateway.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.putrequest("POST", raw_path.decode(), skip_accept_encoding=True)
    connection.putheader("Content-Length", "2")
    connection.endheaders(b"{}")
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())) == (
        404,
        {"code": "not_found", "message": "Not found."},
    )
    connection.close()


def test_the_signed_path_is_exactly_what_the_service_rebuilds(gw, make_token):
    # Odd escaping on the way in; the real trust middleware on the upstream
    # verifies the signature over its own get_full_path().
    response = gw.get(
        headers=bearer(make_token()),
        url=httpx.URL(
            gw.base_url.join("/"),
            raw_path=b"/api/properties/a%20b%2Cc%7Bd%7D/%C3%A9?q=%C3%A9t%C3%A9&sort=a+b&x=%2F&z",
        ),
    )

    assert response.status_code == 200, response.text
    assert (
        response.json()["full_path"]
        == "/api/properties/a%20b,c%7Bd%7D/%C3%A9?q=%C3%A9t%C3%A9&sort=a+b&x=%2F&z"
    )


def test_hop_by_hop_headers_are_removed_both_ways(gw):
    response = gw.get(
        "/api/properties/x",
        headers={
            "Connection": "keep-alive, X-Drop-Me",
            "X-Drop-Me": "1",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic abc",
            "TE": "trailers",
            "X-Forwarded-For": "6.6.6.6",
            "X-Real-IP": "6.6.6.6",
            "X-Custom": "kept",
        },
    )

    sent = _sent_headers(response.json())
    for name in ("x-drop-me", "keep-alive", "proxy-authorization", "te"):
        assert name not in sent
    assert sent["x-custom"] == "kept"
    assert (
        sent["x-forwarded-for"]
        == sent["x-real-ip"]
        == "127.0." + sent["x-real-ip"].split("127.0.")[1]
    )
    assert "6.6.6.6" not in sent["x-forwarded-for"]
    assert sent["x-forwarded-proto"] == "http"
    # The service's own `Connection: keep-alive` did not come back as such.
    assert response.headers["x-service-header"] == "kept"
    assert response.headers.get("connection") != "keep-alive"


def test_a_10_mb_image_upload_streams_through_intact(gw, make_token):
    token = make_token(role="landlord")
    body = os.urandom(10 * 1024 * 1024)

    response = gw.post(
        "/api/properties/p1/images",
        content=body,
        headers={**bearer(token), "Content-Type": "application/octet-stream"},
    )

    assert response.status_code == 200
    echo = response.json()
    assert (echo["body_size"], echo["body_sha256"]) == (len(body), hashlib.sha256(body).hexdigest())


def test_a_body_over_the_limit_gets_413(gw, make_token):
    token = make_token()
    limit = 12 * 1024 * 1024

    declared = gw.post("/api/bookings", content=b"x" * (limit + 1), headers=bearer(token))

    assert (declared.status_code, declared.json()) == (
        413,
        {"code": "payload_too_large", "message": f"The request body exceeds {limit} bytes."},
    )

    def chunks():
        for _ in range(13):
            yield b"y" * (1024 * 1024)

    chunked = gw.post("/api/bookings", content=chunks(), headers=bearer(token))
    assert chunked.status_code == 413
    assert chunked.json()["code"] == "payload_too_large"


def test_a_chunked_body_under_the_limit_reaches_the_service_with_a_length(gw, make_token):
    token = make_token()

    def chunks():
        yield b'{"a": '
        yield b"1}"

    response = gw.post("/api/bookings", content=chunks(), headers=bearer(token))

    echo = response.json()
    assert echo["body_size"] == 8
    assert _sent_headers(echo)["content-length"] == "8"


def test_request_bodies_stream_to_the_service(gateway, control, make_token, source_address):
    token = make_token()
    part = b"z" * (256 * 1024)
    seen_before_the_end: list[int] = []

    def body():
        yield part
        # The first part must reach the service while the gw still holds the rest.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            received = control.get("/_control/upload-progress").json()["received"]
            if received >= len(part):
                seen_before_the_end.append(received)
                break
            time.sleep(0.05)
        yield part

    with httpx.Client(
        transport=httpx.HTTPTransport(local_address=source_address), trust_env=False
    ) as http:
        response = http.post(
            f"{gateway.url}/api/properties/upload-probe",
            content=body(),
            headers={**bearer(token), "Content-Length": str(2 * len(part))},
            timeout=30,
        )

    assert response.json() == {"received": 2 * len(part), "done": True}
    assert seen_before_the_end and seen_before_the_end[0] >= len(part)


def test_response_bodies_stream_to_the_client(gw, make_token):
    token = make_token()
    started = time.monotonic()
    arrivals = []

    with gw.stream(
        "GET", "/api/properties/stream?chunks=3&size=1000&pause=1.0", headers=bearer(token)
    ) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            arrivals.append((time.monotonic() - started, len(chunk)))

    assert sum(size for _, size in arrivals) == 3000
    # The first bytes arrived long before the service had finished (2 s).
    assert arrivals[0][0] < 0.9


def test_an_upstream_that_does_not_answer_in_time_gets_504(gw, make_token):
    token = make_token()
    started = time.monotonic()

    response = gw.get(f"/api/bookings/sleep?seconds={GATEWAY_TIMEOUT + 2}", headers=bearer(token))

    elapsed = time.monotonic() - started
    assert (response.status_code, response.json()) == (
        504,
        {"code": "upstream_timeout", "message": "The booking service did not answer in time."},
    )
    assert GATEWAY_TIMEOUT - 0.1 <= elapsed < GATEWAY_TIMEOUT + 1


def test_an_upstream_that_answers_within_the_timeout_is_fine(gw, make_token):
    response = gw.get("/api/bookings/sleep?seconds=0.5", headers=bearer(make_token()))

    assert (response.status_code, response.json()) == (200, {"slept": True})


def test_an_unreachable_upstream_gets_503(gw):
    response = gw.get("/api/search/properties?q=loft")

    assert (response.status_code, response.json()) == (
        503,
        {"code": "upstream_unavailable", "message": "The search service is unavailable."},
    )


def test_concurrent_requests_share_the_pool(gw, make_token):
    token = make_token()
    results: list[int] = []

    def worker():
        results.append(gw.get("/api/bookings/sleep?seconds=0.3", headers=bearer(token)).status_code)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [200] * 20
    assert time.monotonic() - started < 3  # concurrent, not one after another


def test_cors_preflight_for_the_web_app_is_answered_by_the_gateway(gw):
    response = gw.options(
        "/api/bookings",
        headers={
            "Origin": WEB_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, x-evil",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert (
        response.headers["access-control-allow-methods"]
        == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    )
    assert (
        response.headers["access-control-allow-headers"]
        == "authorization, content-type, idempotency-key"
    )
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers


def test_cors_refuses_an_unknown_origin(gw):
    preflight = gw.options(
        "/api/bookings",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    simple = gw.get("/api/properties", headers={"Origin": "https://evil.example"})

    assert (preflight.status_code, preflight.json()) == (
        403,
        {"code": "forbidden", "message": "Origin not allowed."},
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


def test_cors_headers_on_responses_to_the_web_app(gw):
    response = gw.get("/api/properties", headers={"Origin": WEB_ORIGIN})

    assert response.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert response.headers["access-control-expose-headers"] == (
        "X-Request-ID, Retry-After, Location, Content-Disposition, Idempotent-Replayed"
    )
    assert "Origin" in response.headers["vary"]


def test_access_logs_carry_no_query_string_or_credentials(gateway, gw, make_token):
    token = make_token()
    gw.get(
        "/api/bookings?secret=s3cr3t-value",
        headers={**bearer(token), "X-Request-ID": "log-check-1"},
    )
    time.sleep(0.2)

    lines = [
        json.loads(line) for line in gateway.log.read_text().splitlines() if line.startswith("{")
    ]
    entry = next(
        line
        for line in lines
        if line.get("request_id") == "log-check-1" and line["logger"] == "gateway.access"
    )
    assert (entry["method"], entry["path"], entry["status"], entry["user_id"]) == (
        "GET",
        "/api/bookings",
        200,
        token.user_id,
    )
    assert isinstance(entry["duration_ms"], float)
    text = gateway.log.read_text()
    assert "s3cr3t-value" not in text
    assert token.value not in text


def test_only_header_names_of_letters_digits_and_dashes_are_forwarded(gw):
    odd_names = [
        ("SCRIPT_NAME", "/api/properties"),
        ("script_name", "/api/properties"),
        ("Path_Info", "/healthz"),
        ("X_Forwarded_Prefix", "/api"),
        ("x.dotted", "1"),
        ("x~tilde", "1"),
    ]
    response = gw.get("/api/properties/some-id", headers=[*odd_names, ("X-Plain-Custom-2", "kept")])

    assert response.status_code == 200
    sent = _sent_headers(response.json())
    assert sent["x-plain-custom-2"] == "kept"
    # Django shows `_` as `-`: none of the odd names (in either spelling) arrived.
    for name in ("script-name", "path-info", "x-forwarded-prefix", "x.dotted", "x~tilde"):
        assert name not in sent, name
    assert response.json()["full_path"] == "/api/properties/some-id"


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        (b"accept", True),
        (b"x-request-2", True),
        (b"script_name", False),
        (b"x.dotted", False),
        (b"x\xc3\xa9", False),
        (b"", False),
    ],
)
def test_plain_header_name(name, plain):
    from gateway.headers import plain_header_name

    assert plain_header_name(name) is plain
