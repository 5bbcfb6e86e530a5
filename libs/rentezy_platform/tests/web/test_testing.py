"""rentezy_platform.testing.SignedClient: requests signed as the gateway signs them."""

import pytest
from rentezy_platform.testing import Caller, SignedClient

TENANT = Caller(user_id="3f1c2a9e-0000-4000-8000-000000000001", role="tenant", email="t@x.io")


def test_an_anonymous_request_passes_the_trust_middleware():
    response = SignedClient().get("/api/whoami")
    assert (response.status_code, response.json()["role"], response.json()["id"]) == (
        200,
        "anonymous",
        None,
    )


def test_a_request_as_a_caller_carries_its_identity():
    response = SignedClient().get("/api/whoami?x=1&y=%7E", as_=TENANT)
    assert response.status_code == 200
    assert response.json() == {
        "id": TENANT.user_id,
        "role": "tenant",
        "email": "t@x.io",
        "is_authenticated": True,
        "same_identity": True,
    }


def test_the_client_default_caller_and_a_per_request_override():
    landlord = Caller.new("landlord")
    api = SignedClient(as_=TENANT)
    assert api.get("/api/whoami").json()["id"] == TENANT.user_id
    assert api.get("/api/whoami", as_=landlord).json()["role"] == "landlord"
    assert landlord.email == f"landlord-{landlord.user_id[:8]}@example.com"


def test_a_json_body_and_a_raw_body():
    api = SignedClient()
    assert api.post("/api/whoami", {"a": [1]}).json() == {"received": {"a": [1]}}
    response = api.post("/api/whoami", raw="{not json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_the_signature_covers_the_path_a_tampered_one_is_refused():
    api = SignedClient()
    headers = api.signed_headers("GET", "/api/whoami")
    response = api.client.get("/api/private", headers=headers)
    assert (response.status_code, response.json()["message"]) == (
        401,
        "Invalid gateway signature.",
    )


@pytest.mark.django_db
def test_on_commit_callbacks_run_as_after_a_committed_request():
    # Imported here: importing the views at collection would bind DRF's
    # APIView defaults before the web settings apply.
    from .urls import ON_COMMIT_CALLS

    ON_COMMIT_CALLS.clear()
    assert SignedClient().post("/api/on-commit", {"mark": "ran"}).status_code == 204
    assert (
        SignedClient(run_on_commit=False).post("/api/on-commit", {"mark": "skipped"}).status_code
        == 204
    )
    assert ON_COMMIT_CALLS == ["ran"]
