"""Issue #3: every row of API.md's Auth table, through the REAL gateway in front
of the REAL auth_service (see conftest.py `platform`), with exact status codes
and bodies.

Each test uses accounts of its own (unique e-mails), so the tests are
independent of one another and of the failed-login counters.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from support import PASSWORD, Account, unique_email, wait_for_status

pytestmark = pytest.mark.services("auth")

NEW_PASSWORD = "a brand new passphrase 2027"
INVALID_CREDENTIALS = {"code": "invalid_credentials", "message": "Invalid e-mail or password."}
NOT_AUTHENTICATED_NO_TOKEN = {
    "code": "not_authenticated",
    "message": "Authentication credentials were not provided.",
}
REVOKED = {"code": "not_authenticated", "message": "The token is invalid, expired or revoked."}
INVALID_RESET_TOKEN = {
    "code": "invalid_token",
    "message": "The password reset token is invalid, expired or already used.",
}
# API.md: revocations are honoured by the gateway within 2 s.
REVOCATION_DEADLINE = 2.0


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _invalid(field: str, *messages: str) -> dict:
    return {"code": "invalid", "message": "Invalid input.", "fields": {field: list(messages)}}


def _login(gw, email: str, password: str):
    return gw.post("/api/auth/login", json={"email": email, "password": password})


def _me(gw, access: str):
    return gw.get("/api/auth/me", headers={"Authorization": f"Bearer {access}"})


def _reset_token_mailed_to(platform, address: str) -> str:
    """The token of the newest reset e-mail auth_service wrote (file backend) to `address`."""
    mails = [m for m in platform.mails() if m["To"] == address]
    assert mails, f"no e-mail to {address} in {platform.mail_dir}"
    mail = mails[-1]
    assert mail["Subject"] == "Reset your RentEzy password"
    body = mail.get_payload(decode=True).decode()
    links = re.findall(r"https?://\S+", body)
    assert len(links) == 1, body
    link = urlsplit(links[0])
    assert f"{link.scheme}://{link.netloc}" == platform.env["WEB_APP_ORIGIN"].rstrip("/")
    assert link.path == "/reset-password"
    (token,) = parse_qs(link.query)["token"]
    return token


# --- POST /api/auth/register -------------------------------------------------------


@pytest.mark.parametrize("role", ["tenant", "landlord"])
def test_register_returns_201_with_the_new_user(gw, role):
    address = unique_email(role)

    response = gw.post(
        "/api/auth/register",
        json={"email": address, "password": PASSWORD, "full_name": "Ada Lovelace", "role": role},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"id": body["id"], "email": address, "full_name": "Ada Lovelace", "role": role}
    assert str(uuid.UUID(body["id"])) == body["id"]
    # The account exists: it logs in as what it registered.
    assert _login(gw, address, PASSWORD).json()["user"] == body


def test_register_a_duplicate_email_in_another_case_is_400_email_taken(gw):
    address = unique_email()
    first = gw.post(
        "/api/auth/register",
        json={"email": address, "password": PASSWORD, "full_name": "First", "role": "tenant"},
    )
    assert first.status_code == 201, first.text

    response = gw.post(
        "/api/auth/register",
        json={
            "email": address.upper(),
            "password": PASSWORD,
            "full_name": "Second",
            "role": "landlord",
        },
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "email_taken",
        "message": "An account with this e-mail already exists.",
        "fields": {"email": ["An account with this e-mail already exists."]},
    }
    # The first account is untouched.
    assert _login(gw, address, PASSWORD).json()["user"]["full_name"] == "First"


@pytest.mark.parametrize("role", ["admin", "superuser", "Tenant", ""])
def test_register_with_a_role_other_than_tenant_or_landlord_is_400_invalid(gw, role):
    address = unique_email()

    response = gw.post(
        "/api/auth/register",
        json={"email": address, "password": PASSWORD, "full_name": "Mallory", "role": role},
    )

    assert response.status_code == 400
    assert response.json() == _invalid("role", f'"{role}" is not a valid choice.')
    assert _login(gw, address, PASSWORD).status_code == 401  # no account was made


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!pw", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("739104826351", "This password is entirely numeric."),
    ],
    ids=["under-10-chars", "common", "all-digits"],
)
def test_register_with_a_weak_password_is_400_invalid(gw, password, message):
    address = unique_email()

    response = gw.post(
        "/api/auth/register",
        json={"email": address, "password": password, "full_name": "Weak", "role": "tenant"},
    )

    assert response.status_code == 400
    assert response.json() == _invalid("password", message)
    # Nothing was created: the address is still free.
    retry = gw.post(
        "/api/auth/register",
        json={"email": address, "password": PASSWORD, "full_name": "Weak", "role": "tenant"},
    )
    assert retry.status_code == 201, retry.text


# --- POST /api/auth/login -------------------------------------------------------------


def test_login_returns_200_with_a_bearer_token_pair_and_the_user(gw, make_account):
    account = make_account(login=False)

    response = _login(gw, account.email.upper(), PASSWORD)  # e-mails are case-insensitive

    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "access": body["access"],
        "refresh": body["refresh"],
        "token_type": "Bearer",
        "expires_in": 900,
        "user": {
            "id": account.id,
            "email": account.email,
            "full_name": account.full_name,
            "role": "tenant",
        },
    }
    access, refresh = _claims(body["access"]), _claims(body["refresh"])
    assert (access["type"], access["sub"], access["exp"] - access["iat"]) == (
        "access",
        account.id,
        900,
    )
    assert (refresh["type"], refresh["sub"]) == ("refresh", account.id)
    assert _me(gw, body["access"]).json()["id"] == account.id


@pytest.mark.parametrize("who", ["wrong-password", "unknown-email"])
def test_login_with_wrong_credentials_is_401_invalid_credentials(gw, make_account, who):
    account = make_account(login=False)
    email, password = (
        (account.email, "not the password at all")
        if who == "wrong-password"
        else (
            unique_email("nobody"),
            PASSWORD,
        )
    )

    response = _login(gw, email, password)

    assert (response.status_code, response.json()) == (401, INVALID_CREDENTIALS)


# --- POST /api/auth/refresh -----------------------------------------------------------


def test_refresh_rotates_the_pair_and_the_old_refresh_token_then_gets_401(gw, make_account):
    account = make_account()

    rotated = gw.post("/api/auth/refresh", json={"refresh": account.refresh})

    assert rotated.status_code == 200, rotated.text
    pair = rotated.json()
    assert pair == {"access": pair["access"], "refresh": pair["refresh"]}
    assert pair["refresh"] != account.refresh and pair["access"] != account.access
    assert _me(gw, pair["access"]).json()["id"] == account.id
    old = gw.post("/api/auth/refresh", json={"refresh": account.refresh})
    assert (old.status_code, old.json()) == (
        401,
        {
            "code": "not_authenticated",
            "message": "The refresh token was already used; the session has been revoked.",
        },
    )


def test_reusing_a_refresh_token_revokes_the_whole_family(gw, make_account):
    account = make_account()
    second = gw.post("/api/auth/refresh", json={"refresh": account.refresh}).json()
    newest = gw.post("/api/auth/refresh", json={"refresh": second["refresh"]}).json()

    reuse = gw.post("/api/auth/refresh", json={"refresh": account.refresh})

    assert reuse.status_code == 401
    after = gw.post("/api/auth/refresh", json={"refresh": newest["refresh"]})
    assert (after.status_code, after.json()) == (
        401,
        {"code": "not_authenticated", "message": "The refresh token is invalid or revoked."},
    )


def test_an_access_token_is_not_a_refresh_token(gw, make_account):
    account = make_account()

    response = gw.post("/api/auth/refresh", json={"refresh": account.access})

    assert (response.status_code, response.json()) == (
        401,
        {"code": "not_authenticated", "message": "Wrong token type."},
    )


# --- POST /api/auth/logout -------------------------------------------------------------


def test_logout_is_204_and_the_access_token_then_gets_401_within_2_seconds(gw, make_account):
    account = make_account()
    assert _me(gw, account.access).status_code == 200  # the gateway has it cached now

    response = gw.post(
        "/api/auth/logout", json={"refresh": account.refresh}, headers=account.headers
    )

    assert (response.status_code, response.content) == (204, b"")
    wait_for_status(lambda: _me(gw, account.access), 401, within=REVOCATION_DEADLINE)
    assert _me(gw, account.access).json() == REVOKED
    # The session's refresh token is dead too.
    assert gw.post("/api/auth/refresh", json={"refresh": account.refresh}).status_code == 401


def test_logout_needs_a_token(gw, make_account):
    account = make_account()

    response = gw.post("/api/auth/logout", json={"refresh": account.refresh})

    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED_NO_TOKEN)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="rentezy"'


# --- GET, PATCH /api/auth/me -----------------------------------------------------------


def test_get_me_returns_the_profile(gw, make_account):
    account = make_account("landlord")

    response = gw.get("/api/auth/me", headers=account.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": account.id,
        "email": account.email,
        "full_name": account.full_name,
        "role": "landlord",
        "phone": None,
    }


def test_get_me_without_a_token_is_401(gw):
    response = gw.get("/api/auth/me")

    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED_NO_TOKEN)


def test_patch_me_changes_full_name_and_phone(gw, make_account):
    account = make_account()

    response = gw.patch(
        "/api/auth/me",
        headers=account.headers,
        json={"full_name": "Grace Hopper", "phone": "+1 555 0100"},
    )

    expected = {
        "id": account.id,
        "email": account.email,
        "full_name": "Grace Hopper",
        "role": "tenant",
        "phone": "+1 555 0100",
    }
    assert (response.status_code, response.json()) == (200, expected)
    assert gw.get("/api/auth/me", headers=account.headers).json() == expected
    cleared = gw.patch("/api/auth/me", headers=account.headers, json={"phone": None})
    assert (cleared.status_code, cleared.json()) == (200, {**expected, "phone": None})


@pytest.mark.parametrize(
    "change",
    [
        {"role": "admin"},
        {"role": "landlord"},
        {"email": "someone-else@example.com"},
        {"id": "00000000-0000-0000-0000-000000000000"},
        {"full_name": "Sneaky", "role": "admin"},
    ],
    ids=["role-admin", "role-landlord", "email", "id", "allowed-plus-role"],
)
def test_patch_me_refuses_any_field_but_full_name_and_phone(gw, make_account, change):
    account = make_account()
    before = gw.get("/api/auth/me", headers=account.headers).json()

    response = gw.patch("/api/auth/me", headers=account.headers, json=change)

    refused = sorted(set(change) - {"full_name", "phone"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {name: ["This field cannot be set."] for name in refused},
    }
    assert gw.get("/api/auth/me", headers=account.headers).json() == before  # nothing changed


# --- POST /api/auth/password/change -------------------------------------------------------


def test_password_change_is_204_then_only_the_new_password_logs_in(gw, make_account):
    account = make_account()
    assert _me(gw, account.access).status_code == 200  # cached by the gateway

    response = gw.post(
        "/api/auth/password/change",
        headers=account.headers,
        json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert (response.status_code, response.content) == (204, b"")
    old = _login(gw, account.email, PASSWORD)
    assert (old.status_code, old.json()) == (401, INVALID_CREDENTIALS)
    fresh = _login(gw, account.email, NEW_PASSWORD)
    assert fresh.status_code == 200, fresh.text
    assert _me(gw, fresh.json()["access"]).status_code == 200
    # Every earlier session ended, the one that changed the password included.
    wait_for_status(lambda: _me(gw, account.access), 401, within=REVOCATION_DEADLINE)
    assert gw.post("/api/auth/refresh", json={"refresh": account.refresh}).status_code == 401


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "not my password",
            NEW_PASSWORD,
            _invalid("old_password", "The current password is incorrect."),
        ),
        (PASSWORD, "739104826351", _invalid("new_password", "This password is entirely numeric.")),
    ],
    ids=["wrong-old-password", "weak-new-password"],
)
def test_password_change_refusals_are_400_invalid_and_change_nothing(
    gw, make_account, old, new, expected
):
    account = make_account()

    response = gw.post(
        "/api/auth/password/change",
        headers=account.headers,
        json={"old_password": old, "new_password": new},
    )

    assert (response.status_code, response.json()) == (400, expected)
    assert _login(gw, account.email, PASSWORD).status_code == 200
    assert _me(gw, account.access).status_code == 200


# --- POST /api/auth/password/reset and /reset/confirm ---------------------------------------


def test_password_reset_is_202_for_existing_and_unknown_emails_alike(gw, make_account, platform):
    account = make_account()
    unknown = unique_email("nobody")

    known_response = gw.post("/api/auth/password/reset", json={"email": account.email})
    unknown_response = gw.post("/api/auth/password/reset", json={"email": unknown})

    assert (known_response.status_code, known_response.content) == (202, b"")
    assert (unknown_response.status_code, unknown_response.content) == (202, b"")
    assert known_response.headers.get("content-type") == unknown_response.headers.get(
        "content-type"
    )
    recipients = [mail["To"] for mail in platform.mails()]
    assert account.email in recipients
    assert unknown not in recipients


def test_password_reset_confirm_with_the_mailed_token_is_204_and_single_use(
    gw, make_account, platform
):
    account = make_account()
    assert _me(gw, account.access).status_code == 200  # cached by the gateway
    assert gw.post("/api/auth/password/reset", json={"email": account.email}).status_code == 202
    token = _reset_token_mailed_to(platform, account.email)

    response = gw.post(
        "/api/auth/password/reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )

    assert (response.status_code, response.content) == (204, b"")
    assert _login(gw, account.email, PASSWORD).json() == INVALID_CREDENTIALS
    assert _login(gw, account.email, NEW_PASSWORD).status_code == 200
    again = gw.post(
        "/api/auth/password/reset/confirm",
        json={"token": token, "new_password": "yet another passphrase 99"},
    )
    assert (again.status_code, again.json()) == (400, INVALID_RESET_TOKEN)
    assert (
        _login(gw, account.email, NEW_PASSWORD).status_code == 200
    )  # the second use changed nothing
    # The reset ended the sessions that existed before it.
    wait_for_status(lambda: _me(gw, account.access), 401, within=REVOCATION_DEADLINE)


def test_password_reset_confirm_with_an_unknown_token_is_400_invalid_token(gw):
    response = gw.post(
        "/api/auth/password/reset/confirm",
        json={"token": uuid.uuid4().hex, "new_password": NEW_PASSWORD},
    )

    assert (response.status_code, response.json()) == (400, INVALID_RESET_TOKEN)


def test_a_reset_token_is_not_usable_after_a_newer_password_change(gw, make_account, platform):
    account: Account = make_account()
    gw.post("/api/auth/password/reset", json={"email": account.email})
    token = _reset_token_mailed_to(platform, account.email)
    changed = gw.post(
        "/api/auth/password/change",
        headers=account.headers,
        json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204

    response = gw.post(
        "/api/auth/password/reset/confirm",
        json={"token": token, "new_password": "yet another passphrase 99"},
    )

    assert (response.status_code, response.json()) == (400, INVALID_RESET_TOKEN)
    assert _login(gw, account.email, NEW_PASSWORD).status_code == 200
