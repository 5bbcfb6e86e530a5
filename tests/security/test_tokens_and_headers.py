"""Issue #3's security matrix, each bullet a test, against the REAL gateway in
front of the REAL auth_service (conftest.py `platform`):

- client-sent identity headers are ignored, authenticated or anonymous;
- an internal service called directly without, with a wrong or with a stale
  gateway signature answers 401;
- forged tokens (`alg: none`, tampered payload, wrong key, expired, wrong
  `aud`/`iss`, a refresh token as an access token...) get 401;
- refresh token reuse revokes the family; logout is honoured within 2 s;
- the 11th failed login gets 429 with `Retry-After`;
- malformed JSON gets 400; CORS refuses an unknown origin;
- every response carries `X-Request-ID`.

Forged tokens are built here with PyJWT and the dev JWT_SIGNING_KEY (dev.env),
and gateway signatures with hmac per ARCHITECTURE.md "Trust", independently of
the services' own code; a correctly built one is accepted (the control cases),
so each refusal is for the one thing that is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest
from support import PASSWORD, Account, register_account, unique_email, wait_for_status

pytestmark = pytest.mark.services("auth")

JWT_KEY = os.environ["JWT_SIGNING_KEY"]
GATEWAY_KEY = os.environ["GATEWAY_SIGNING_KEY"]
ATTACKER_KEY = "an-attacker-chosen-hmac-key-that-is-long-enough-0123456789"
ISSUER, AUDIENCE = "rentezy-auth", "rentezy"

TOKEN_REFUSED = {
    "code": "not_authenticated",
    "message": "The token is invalid, expired or revoked.",
}
NO_TOKEN = {"code": "not_authenticated", "message": "Authentication credentials were not provided."}
CHALLENGE = 'Bearer realm="rentezy"'
UNKNOWN_ORIGIN = "https://evil.example"


@pytest.fixture(scope="module")
def victim(platform) -> Account:
    """A second user whose identity the forgeries below try to borrow (read-only use)."""
    with platform.client() as client:
        return register_account(client, role="landlord")


@pytest.fixture(scope="module")
def user(platform) -> Account:
    """A logged-in tenant for the read-only checks (nothing here revokes its tokens)."""
    with platform.client() as client:
        return register_account(client, role="tenant")


@pytest.fixture
def direct(platform):
    """A client on auth_service itself, bypassing the gateway."""
    with httpx.Client(base_url=platform.url("auth"), timeout=20, trust_env=False) as client:
        yield client


def _me(gw, token: str, **headers):
    return gw.get("/api/auth/me", headers={"Authorization": f"Bearer {token}", **headers})


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(account: Account, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": account.id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "type": "access",
        "role": account.role,
        "email": account.email,
        # A session that was never ended (issue 8: an access token names its session).
        "sid": str(uuid.uuid4()),
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _sign(
    method: str, path: str, user_id: str, role: str, timestamp: int, key: str = GATEWAY_KEY
) -> str:
    message = "\n".join((method, path, user_id, role, str(timestamp)))
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def _gateway_headers(
    method: str,
    path: str,
    *,
    user_id: str = "",
    role: str = "anonymous",
    email: str = "",
    age: int = 0,
    key: str = GATEWAY_KEY,
    signed_path: str | None = None,
) -> dict[str, str]:
    timestamp = int(time.time()) - age
    return {
        "X-User-ID": user_id,
        "X-User-Role": role,
        "X-User-Email": email,
        "X-Gateway-Timestamp": str(timestamp),
        "X-Gateway-Signature": _sign(method, signed_path or path, user_id, role, timestamp, key),
    }


# --- client-sent X-User-ID is ignored ----------------------------------------------------


@pytest.mark.parametrize("spelling", ["X-User-ID", "x-user-id", "X_User_ID"])
def test_client_sent_identity_is_ignored_on_an_authenticated_request(gw, user, victim, spelling):
    forged = _gateway_headers(
        "GET", "/api/auth/me", user_id=victim.id, role="admin", email=victim.email
    )
    forged = {name.replace("X-User-ID", spelling): value for name, value in forged.items()}

    response = _me(gw, user.access, **forged)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role": "tenant",
        "phone": None,
    }


def test_client_sent_identity_is_ignored_on_an_anonymous_request(gw, direct, victim):
    # No public auth route reflects the caller's identity. These headers are a
    # complete, validly signed identity of `victim` (auth_service itself accepts
    # them, see the last assertion), yet through the gateway the request stays anonymous.
    forged = _gateway_headers(
        "GET", "/api/auth/me", user_id=victim.id, role="landlord", email=victim.email
    )

    response = gw.get("/api/auth/me", headers=forged)

    assert (response.status_code, response.json()) == (401, NO_TOKEN)
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    # On a public route the forged headers do not replace the gateway's own
    # anonymous identity either: auth_service verifies the gateway's signature
    # and serves the request as usual.
    forged_reset = _gateway_headers(
        "POST", "/api/auth/password/reset", user_id=victim.id, role="landlord"
    )
    reset = gw.post(
        "/api/auth/password/reset", json={"email": unique_email()}, headers=forged_reset
    )
    assert (reset.status_code, reset.content) == (202, b"")
    # Control: the very same forgery sent straight to the service would work,
    # so the gateway is what makes it harmless.
    assert direct.get("/api/auth/me", headers=forged).json()["id"] == victim.id


# --- internal services refuse unsigned or badly signed calls ----------------------------------


DIRECT_ROUTES = [
    ("GET", "/api/auth/me", None),
    ("POST", "/api/auth/login", {"email": "someone@example.com", "password": PASSWORD}),
    ("POST", "/internal/validate", {"token": "x.y.z"}),
]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no-signature", "Missing gateway signature."),
        ("wrong-key", "Invalid gateway signature."),
        ("other-request-signature", "Invalid gateway signature."),
        ("120s-old", "Stale gateway signature."),
        ("120s-ahead", "Stale gateway signature."),
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "body"), DIRECT_ROUTES, ids=[p for _, p, _ in DIRECT_ROUTES]
)
def test_a_service_called_directly_without_a_valid_signature_answers_401(
    direct, user, method, path, body, case, message
):
    identity = {"user_id": user.id, "role": user.role, "email": user.email}
    headers = {
        "no-signature": {"X-User-ID": user.id, "X-User-Role": user.role},
        "wrong-key": _gateway_headers(method, path, key=ATTACKER_KEY, **identity),
        "other-request-signature": _gateway_headers(
            method, path, signed_path="/api/auth/refresh", **identity
        ),
        "120s-old": _gateway_headers(method, path, age=120, **identity),
        "120s-ahead": _gateway_headers(method, path, age=-120, **identity),
    }[case]

    response = direct.request(method, path, json=body, headers=headers)

    assert (response.status_code, response.json()) == (
        401,
        {"code": "not_authenticated", "message": message},
    )


def test_a_service_called_directly_with_a_valid_signature_answers(direct, user):
    # Control for the test above: the signature built by these tests is the real one.
    response = direct.get(
        "/api/auth/me",
        headers=_gateway_headers("GET", "/api/auth/me", user_id=user.id, role=user.role),
    )

    assert response.status_code == 200, response.text
    assert response.json()["id"] == user.id


@pytest.mark.parametrize(
    "path", ["/internal/validate", "/internal/admin/", "/internal/admin/login/"]
)
def test_internal_paths_are_not_reachable_through_the_gateway(gw, user, path):
    response = gw.post(path, json={"token": user.access}, headers=user.headers)

    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "Not found."},
    )


# --- forged tokens get 401 -------------------------------------------------------------------


def _forged_token(case: str, account: Account) -> str:
    if case in ("alg-none", "alg-None"):
        # Built by hand: no signature at all.
        alg = case.removeprefix("alg-")
        return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims(account))}."
    if case == "alg-hs384-right-key":
        # Algorithms are pinned: another HMAC variant with the right key is refused too.
        return jwt.encode(_claims(account), JWT_KEY, algorithm="HS384")
    if case == "tampered-payload":
        header, _, signature = account.access.split(".")
        return f"{header}.{_b64(_claims(account, role='admin'))}.{signature}"
    if case == "wrong-key":
        return jwt.encode(_claims(account), ATTACKER_KEY, algorithm="HS256")
    if case == "expired":
        now = int(time.time())
        return jwt.encode(
            _claims(account, iat=now - 960, nbf=now - 960, exp=now - 60), JWT_KEY, algorithm="HS256"
        )
    if case == "wrong-aud":
        return jwt.encode(_claims(account, aud="another-audience"), JWT_KEY, algorithm="HS256")
    if case == "wrong-iss":
        return jwt.encode(_claims(account, iss="https://evil.example"), JWT_KEY, algorithm="HS256")
    if case == "no-exp":
        return jwt.encode(_claims(account, exp=None), JWT_KEY, algorithm="HS256")
    if case == "no-sid":
        # A token no logout could end.
        return jwt.encode(_claims(account, sid=None), JWT_KEY, algorithm="HS256")
    if case == "refresh-as-access":
        return account.refresh
    if case == "not-a-jwt":
        return "forged.jwt.value"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "alg-none",
        "alg-None",
        "alg-hs384-right-key",
        "tampered-payload",
        "wrong-key",
        "expired",
        "wrong-aud",
        "wrong-iss",
        "no-exp",
        "no-sid",
        "refresh-as-access",
        "not-a-jwt",
    ],
)
def test_a_forged_token_gets_401(gw, user, case):
    response = _me(gw, _forged_token(case, user))

    assert (response.status_code, response.json()) == (401, TOKEN_REFUSED)
    assert response.headers["WWW-Authenticate"] == CHALLENGE


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer two parts", "{token}"])
def test_an_authorization_header_that_is_not_bearer_gets_401(gw, user, value):
    response = gw.get("/api/auth/me", headers={"Authorization": value.format(token=user.access)})

    assert (response.status_code, response.json()) == (
        401,
        {
            "code": "not_authenticated",
            "message": "Malformed Authorization header: expected 'Bearer <token>'.",
        },
    )


def test_a_correctly_built_token_is_accepted(gw, user):
    # Control for the test above: the same claims, right key and algorithm.
    response = _me(gw, jwt.encode(_claims(user), JWT_KEY, algorithm="HS256"))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == user.id


# --- refresh reuse, logout ---------------------------------------------------------------------


def test_refresh_token_reuse_revokes_the_family(gw, make_account):
    account = make_account()  # the legitimate user; an attacker copied account.refresh
    rotated = gw.post("/api/auth/refresh", json={"refresh": account.refresh}).json()
    assert _me(gw, rotated["access"]).status_code == 200  # cached by the gateway
    other_session = gw.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    ).json()

    replay = gw.post("/api/auth/refresh", json={"refresh": account.refresh})

    assert (replay.status_code, replay.json()) == (
        401,
        {
            "code": "not_authenticated",
            "message": "The refresh token was already used; the session has been revoked.",
        },
    )
    # Every token of the family is dead: the newest refresh token and, at the
    # gateway within 2 s, the access token issued with it.
    newest = gw.post("/api/auth/refresh", json={"refresh": rotated["refresh"]})
    assert (newest.status_code, newest.json()["code"]) == (401, "not_authenticated")
    wait_for_status(lambda: _me(gw, rotated["access"]), 401, within=2.0)
    # Another session (another family) of the same user is not part of it.
    assert (
        gw.post("/api/auth/refresh", json={"refresh": other_session["refresh"]}).status_code == 200
    )


def test_after_logout_the_access_token_fails_within_2_seconds(gw, make_account):
    account = make_account()
    assert _me(gw, account.access).status_code == 200  # cached by the gateway

    logout = gw.post("/api/auth/logout", json={"refresh": account.refresh}, headers=account.headers)

    assert logout.status_code == 204, logout.text
    elapsed = wait_for_status(lambda: _me(gw, account.access), 401, within=2.0)
    assert elapsed < 2.0
    assert _me(gw, account.access).json() == TOKEN_REFUSED
    # A new login works as usual.
    assert (
        gw.post("/api/auth/login", json={"email": account.email, "password": PASSWORD}).status_code
        == 200
    )


# --- failed logins --------------------------------------------------------------------------


def test_the_11th_failed_login_for_an_account_gets_429_with_retry_after(gw, make_account):
    account = make_account(login=False)
    bystander = make_account(login=False)
    # Any spelling of the address counts against the same account.
    spellings = [account.email, account.email.upper(), f"  {account.email.title()} "]

    failures = [
        gw.post("/api/auth/login", json={"email": spellings[n % 3], "password": f"wrong guess {n}"})
        for n in range(10)
    ]
    eleventh = gw.post(
        "/api/auth/login",
        json={"email": account.email, "password": "wrong guess 10"},
        headers={"X-Request-ID": "eleventh-attempt"},
    )

    assert [(r.status_code, r.json()["code"]) for r in failures] == [
        (401, "invalid_credentials")
    ] * 10
    assert eleventh.status_code == 429
    retry_after = eleventh.headers["Retry-After"]
    assert re.fullmatch(r"[1-9][0-9]*", retry_after), retry_after
    assert 0 < int(retry_after) <= 15 * 60
    assert eleventh.json() == {
        "code": "rate_limited",
        "message": f"Too many requests. Retry in {retry_after} seconds.",
    }
    assert eleventh.headers["X-Request-ID"] == "eleventh-attempt"
    # Even the right password waits now; another account is not affected.
    assert (
        gw.post("/api/auth/login", json={"email": account.email, "password": PASSWORD}).status_code
        == 429
    )
    assert (
        gw.post(
            "/api/auth/login", json={"email": bystander.email, "password": PASSWORD}
        ).status_code
        == 200
    )


def test_parallel_failed_logins_cannot_slip_past_the_limit(platform, make_account):
    account = make_account(login=False)

    def attempt(n: int) -> int:
        with platform.client() as client:
            return client.post(
                "/api/auth/login", json={"email": account.email, "password": f"guess {n}"}
            ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(attempt, range(20)))

    assert statuses == [401] * 10 + [429] * 10


def _twelve_wrong_logins_declared_latin1(gw, email: str, *, encoding: str) -> list[tuple]:
    """Twelve wrong passwords (with a non-ASCII character) for one account, each
    body encoded as `encoding` but declared as latin-1."""
    statuses = []
    for n in range(12):
        body = json.dumps(
            {"email": email, "password": f"wrong guess \u00e9 {n}"}, ensure_ascii=False
        )
        response = gw.post(
            "/api/auth/login",
            content=body.encode(encoding),
            headers={"Content-Type": "application/json; charset=latin-1"},
        )
        statuses.append((response.status_code, response.json()["code"]))
    return statuses


def test_a_login_body_that_is_not_utf8_is_refused_before_any_password_check(gw, make_account):
    # auth_service would decode a body with the charset its Content-Type names;
    # the gateway counts failures per e-mail read as UTF-8, so it refuses any
    # other encoding instead of letting the two read different accounts.
    account = make_account(login=False)
    statuses = _twelve_wrong_logins_declared_latin1(gw, account.email, encoding="latin-1")
    assert statuses == [(400, "parse_error")] * 12


def test_the_failed_login_limit_holds_whatever_charset_the_body_declares(gw, make_account):
    # A UTF-8 body declared as latin-1 is forwarded as plain application/json,
    # so the service checks exactly the account the gateway counted.
    account = make_account(login=False)
    statuses = _twelve_wrong_logins_declared_latin1(gw, account.email, encoding="utf-8")
    assert statuses == [(401, "invalid_credentials")] * 10 + [(429, "rate_limited")] * 2


def test_a_successful_login_clears_the_failed_login_count(gw, make_account):
    account = make_account(login=False)
    for n in range(9):
        assert (
            gw.post(
                "/api/auth/login", json={"email": account.email, "password": f"nope {n}"}
            ).status_code
            == 401
        )
    assert (
        gw.post("/api/auth/login", json={"email": account.email, "password": PASSWORD}).status_code
        == 200
    )

    statuses = [
        gw.post(
            "/api/auth/login", json={"email": account.email, "password": f"again {n}"}
        ).status_code
        for n in range(10)
    ]

    assert statuses == [401] * 10


# --- malformed JSON --------------------------------------------------------------------------


MALFORMED = [
    b'{"email": ',
    b"{'email': 'single@quotes.example'}",
    b'{"email": "a@b.c",}',
    b"\xff\xfe{}",
]


def _parse_error(body: bytes) -> dict:
    """The error API.md promises for a body that is not JSON (DRF's detail: the
    body is decoded as UTF-8, then parsed)."""
    try:
        json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        detail = str(exc)
    except json.JSONDecodeError as exc:
        detail = str(exc)
    else:
        raise AssertionError("the body is valid JSON")
    return {"code": "parse_error", "message": f"JSON parse error - {detail}"}


@pytest.mark.parametrize(
    "body", MALFORMED, ids=["truncated", "single-quotes", "trailing-comma", "not-utf8"]
)
def test_malformed_json_to_login_gets_400(gw, body):
    response = gw.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )

    assert (response.status_code, response.json()) == (400, _parse_error(body))


@pytest.mark.parametrize(
    ("method", "path", "authenticated"),
    [
        ("POST", "/api/auth/register", False),
        ("POST", "/api/auth/refresh", False),
        ("POST", "/api/auth/password/reset", False),
        ("POST", "/api/auth/password/reset/confirm", False),
        ("POST", "/api/auth/logout", True),
        ("PATCH", "/api/auth/me", True),
        ("POST", "/api/auth/password/change", True),
    ],
)
def test_malformed_json_to_any_auth_route_gets_400(gw, user, method, path, authenticated):
    body = MALFORMED[0]
    headers = {"Content-Type": "application/json", **(user.headers if authenticated else {})}

    response = gw.request(method, path, content=body, headers=headers)

    assert (response.status_code, response.json()) == (400, _parse_error(body))


# --- CORS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [UNKNOWN_ORIGIN, "http://127.0.0.1:5173.evil.example", "null", "http://127.0.0.1:5174"],
)
def test_cors_preflight_from_an_unknown_origin_is_refused(gw, origin):
    response = gw.options(
        "/api/auth/login",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert (response.status_code, response.json()) == (
        403,
        {"code": "forbidden", "message": "Origin not allowed."},
    )
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_cors_preflight_from_the_web_app_origin_is_allowed(gw, platform):
    origin = platform.env["WEB_APP_ORIGIN"]

    response = gw.options(
        "/api/auth/login",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )

    assert (response.status_code, response.content) == (204, b"")
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in [
        m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")
    ]
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, authorization"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_headers_on_actual_responses_only_for_the_web_app_origin(gw, platform, user):
    origin = platform.env["WEB_APP_ORIGIN"]

    allowed = _me(gw, user.access, Origin=origin)
    refused = _me(gw, user.access, Origin=UNKNOWN_ORIGIN)

    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert "X-Request-ID" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Retry-After" in allowed.headers["Access-Control-Expose-Headers"]
    assert not [name for name in refused.headers if name.lower().startswith("access-control-")]


# --- X-Request-ID --------------------------------------------------------------------------------


def _requests(
    user: Account, origin: str
) -> dict[str, tuple[str, str, dict, dict | bytes | None, int]]:
    """name -> (method, path, headers, body, the status it gets)."""
    return {
        "gateway-page": ("GET", "/healthz", {}, None, 200),
        "register-201": (
            "POST",
            "/api/auth/register",
            {},
            {"email": unique_email(), "password": PASSWORD, "full_name": "R", "role": "tenant"},
            201,
        ),
        "me-200": ("GET", "/api/auth/me", user.headers, None, 200),
        "reset-202": ("POST", "/api/auth/password/reset", {}, {"email": unique_email()}, 202),
        "parse-error-400": (
            "POST",
            "/api/auth/refresh",
            {"Content-Type": "application/json"},
            b"{",
            400,
        ),
        "service-401": ("POST", "/api/auth/refresh", {}, {"refresh": "not.a.token"}, 401),
        "gateway-401": ("GET", "/api/auth/me", {}, None, 401),
        "bad-token-401": (
            "GET",
            "/api/auth/me",
            {"Authorization": "Bearer forged.jwt.value"},
            None,
            401,
        ),
        "gateway-404": ("GET", "/api/nothing-here", {}, None, 404),
        "preflight-204": (
            "OPTIONS",
            "/api/auth/login",
            {"Origin": origin, "Access-Control-Request-Method": "POST"},
            None,
            204,
        ),
        "preflight-403": (
            "OPTIONS",
            "/api/auth/login",
            {"Origin": UNKNOWN_ORIGIN, "Access-Control-Request-Method": "POST"},
            None,
            403,
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "gateway-page",
        "register-201",
        "me-200",
        "reset-202",
        "parse-error-400",
        "service-401",
        "gateway-401",
        "bad-token-401",
        "gateway-404",
        "preflight-204",
        "preflight-403",
    ],
)
def test_every_response_echoes_the_clients_x_request_id(gw, platform, user, name):
    method, path, headers, body, status = _requests(user, platform.env["WEB_APP_ORIGIN"])[name]
    request_id = f"test-{uuid.uuid4().hex}"
    content = body if isinstance(body, bytes) else None
    payload = body if isinstance(body, dict) else None

    response = gw.request(
        method, path, headers={**headers, "X-Request-ID": request_id}, content=content, json=payload
    )

    assert response.status_code == status, response.text
    assert response.headers.get_list("X-Request-ID") == [request_id]


@pytest.mark.parametrize("sent", [None, "has spaces in it", "x" * 129, "semi;colon"])
def test_a_missing_or_unsafe_x_request_id_is_replaced_by_a_fresh_one(gw, user, sent):
    headers = user.headers | ({"X-Request-ID": sent} if sent is not None else {})

    first = gw.get("/api/auth/me", headers=headers)
    second = gw.get("/api/auth/me", headers=headers)

    assert first.status_code == 200
    ids = [first.headers.get_list("X-Request-ID"), second.headers.get_list("X-Request-ID")]
    assert all(len(found) == 1 and re.fullmatch(r"[0-9a-f]{32}", found[0]) for found in ids), ids
    assert ids[0] != ids[1]
