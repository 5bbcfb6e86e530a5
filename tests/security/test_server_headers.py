"""Issue 8, security point 1: header names the upstream server interprets.

A client header such as `SCRIPT_NAME: /api/bookings` used to pass the
gateway, and gunicorn (trusting loopback peers) cut that prefix off the path:
the service routed another path than the one the gateway routed and signed.
Closed at three layers, each tested here or beside it:
- the gateway forwards only header names of letters, digits and dashes;
- no server trusts forwarding headers from its peer (rentezy_platform.servers,
  the flags of the Procfile and of this suite's `platform`);
- the trust middleware refuses a script prefix (libs/rentezy_platform/tests/web/test_trust.py).
"""

from __future__ import annotations

import httpx
import pytest
from support import unique_email

pytestmark = pytest.mark.services(
    "auth", "property", "booking", "rent", "search", "chat", "notification"
)

HEALTH_BODY = {"status": "ok"}
NOT_FOUND = {"code": "not_found", "message": "Not found."}

# Public prefix → (service, server) of every web service behind the gateway.
PREFIXES = {
    "/api/auth": "auth",
    "/api/properties": "property",
    "/api/bookings": "booking",
    "/api/rent": "rent",
    "/api/search": "search",
    "/api/chat": "chat",
    "/api/notifications": "notification",
}
GUNICORN_SERVICES = ("auth", "property", "booking", "rent", "search")


def header_family(prefix: str) -> dict[str, list[tuple[str, str]]]:
    """The names a server behind the gateway might interpret: underscore names,
    mixed case, duplicates, and the forwarding headers."""
    return {
        "SCRIPT_NAME": [("SCRIPT_NAME", prefix)],
        "script_name": [("script_name", prefix)],
        "Script_Name": [("Script_Name", prefix)],
        "sCrIpT_nAmE": [("sCrIpT_nAmE", prefix)],
        "SCRIPT_NAME twice": [("SCRIPT_NAME", prefix), ("SCRIPT_NAME", prefix)],
        "SCRIPT_NAME and script_name": [("SCRIPT_NAME", prefix), ("script_name", prefix)],
        "PATH_INFO": [("PATH_INFO", "/healthz")],
        "path_info": [("path_info", "/healthz")],
        "SCRIPT_NAME and PATH_INFO": [("SCRIPT_NAME", prefix), ("PATH_INFO", "/healthz")],
        "X_Forwarded_For": [("X_Forwarded_For", "203.0.113.9")],
        "x_forwarded_proto": [("x_forwarded_proto", "https")],
        "X_FORWARDED_HOST": [("X_FORWARDED_HOST", "evil.example")],
        "x_forwarded_prefix": [("x_forwarded_prefix", prefix)],
        "Forwarded": [("Forwarded", "for=203.0.113.9;proto=https;host=evil.example")],
        "X-Forwarded-For": [("X-Forwarded-For", "203.0.113.9")],
        "X-Forwarded-Proto": [("X-Forwarded-Proto", "https")],
        "X-Forwarded-Host": [("X-Forwarded-Host", "evil.example")],
        "X-Forwarded-Prefix": [("X-Forwarded-Prefix", prefix)],
        "x-forwarded-prefix twice": [
            ("x-forwarded-prefix", prefix),
            ("X-FORWARDED-PREFIX", prefix),
        ],
        "everything at once": [
            ("SCRIPT_NAME", prefix),
            ("script-name", prefix),
            ("X-Script-Name", prefix),
            ("X-Forwarded-Prefix", prefix),
            ("X_Forwarded_Proto", "https"),
            ("Forwarded", "for=203.0.113.9;proto=https"),
        ],
    }


@pytest.fixture(scope="module")
def token(platform) -> str:
    with platform.client() as client:
        address = unique_email("frontdoor")
        password = "correct horse battery staple 42"
        registered = client.post(
            "/api/auth/register",
            json={"email": address, "password": password, "full_name": "F D", "role": "tenant"},
        )
        assert registered.status_code == 201, registered.text
        login = client.post("/api/auth/login", json={"email": address, "password": password})
        assert login.status_code == 200, login.text
        return login.json()["access"]


@pytest.mark.parametrize("prefix", list(PREFIXES))
def test_no_header_family_member_reroutes_a_request_of_any_service(gw, token, prefix):
    """`GET {prefix}/healthz` with the prefix as SCRIPT_NAME used to answer the
    service's own health body (gunicorn cut the prefix off); now every service
    routes the path the gateway signed, which no view serves."""
    expected = (404, NOT_FOUND)
    outcomes = {}
    for label, extra in header_family(prefix).items():
        headers = [("Authorization", f"Bearer {token}"), *extra]
        response = gw.get(f"{prefix}/healthz", headers=headers)
        outcomes[label] = (response.status_code, response.json())
    assert outcomes == {label: expected for label in header_family(prefix)}
    assert HEALTH_BODY not in [body for _, body in outcomes.values()]


@pytest.mark.parametrize("service", GUNICORN_SERVICES)
def test_gunicorn_itself_ignores_script_name_from_its_loopback_peer(platform, service):
    """Layer two, without the gateway's filter: a WSGI service called directly
    with SCRIPT_NAME routes the full path (unsigned: 401), not the exempt /healthz."""
    for name in ("SCRIPT_NAME", "script_name", "Script_Name"):
        response = httpx.get(
            f"{platform.url(service)}/x/healthz",
            headers=[(name, "/x")],
            timeout=10,
            trust_env=False,
        )
        assert (response.status_code, response.json()) == (
            401,
            {"code": "not_authenticated", "message": "Missing gateway signature."},
        ), name


# --- the original exploits ---------------------------------------------------------------


def test_login_under_a_script_name_does_not_dodge_the_failed_login_limit(gw, token):
    address = unique_email("victim")
    password = "correct horse battery staple 42"
    registered = gw.post(
        "/api/auth/register",
        json={"email": address, "password": password, "full_name": "V V", "role": "tenant"},
    )
    assert registered.status_code == 201, registered.text
    wrong = {"email": address, "password": "not the password at all"}
    statuses = [gw.post("/api/auth/login", json=wrong).status_code for _ in range(10)]
    assert statuses == [401] * 10
    assert gw.post("/api/auth/login", json=wrong).status_code == 429

    exploit = gw.post(
        "/api/auth/x/api/auth/login",
        json={"email": address, "password": password},
        headers={"Authorization": f"Bearer {token}", "SCRIPT_NAME": "/api/auth/x"},
    )
    assert (exploit.status_code, exploit.json()) == (404, NOT_FOUND)
    assert "access" not in exploit.text
    # And the limit still holds on the real path.
    assert (
        gw.post("/api/auth/login", json={"email": address, "password": password}).status_code == 429
    )


@pytest.mark.parametrize("name", ["SCRIPT_NAME", "script_name", "Script_Name"])
def test_internal_validate_is_not_reachable_under_a_script_name(gw, token, name):
    response = gw.post(
        "/api/auth/x/internal/validate",
        json={"token": token},
        headers={"Authorization": f"Bearer {token}", name: "/api/auth/x"},
    )
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize("name", ["SCRIPT_NAME", "script_name", "Script_Name"])
@pytest.mark.parametrize("path", ["/internal/admin/", "/internal/admin/login/"])
def test_the_admin_is_not_reachable_under_a_script_name(gw, token, name, path):
    response = gw.get(
        f"/api/auth/x{path}",
        headers={"Authorization": f"Bearer {token}", name: "/api/auth/x"},
    )
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
