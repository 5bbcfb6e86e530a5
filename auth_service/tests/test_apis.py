"""The Auth routes of API.md, called the way the gateway calls them."""

import json
import re
import uuid

import pytest
from django.conf import settings
from rentezy_platform.events import validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import outbox_events
from rentezy_platform.trust import gateway_headers
from users.models import AccessTokenRevocation, RefreshToken, User
from users.revocation import redis_client, revoked_key, revoked_session_key
from users.tokens import decode_token, token_hash

from tests.conftest import PASSWORD, make_user, unique_email

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
ME = "/api/auth/me"
PASSWORD_CHANGE = "/api/auth/password/change"
PASSWORD_RESET = "/api/auth/password/reset"
PASSWORD_RESET_CONFIRM = "/api/auth/password/reset/confirm"

NEW_PASSWORD = "a brand new long passphrase"


def _register_body(**overrides):
    body = {
        "email": unique_email(),
        "password": PASSWORD,
        "full_name": "Ada Lovelace",
        "role": "tenant",
    }
    body.update(overrides)
    return body


# --- POST /api/auth/register --------------------------------------------------


@pytest.mark.parametrize("role", ["tenant", "landlord"])
def test_register_creates_the_account_and_announces_it(gateway, role):
    response = gateway.post(
        REGISTER, _register_body(email="  Ada.Lovelace@Example.COM ", role=role)
    )

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {
        "id": str(user.id),
        "email": "ada.lovelace@example.com",
        "full_name": "Ada Lovelace",
        "role": role,
    }
    assert (user.email, user.role, user.is_active, user.is_staff, user.is_superuser) == (
        "ada.lovelace@example.com",
        role,
        True,
        False,
        False,
    )
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)

    [event] = outbox_events()
    validate_event(event)
    assert (event.type, event.source, event.subject) == (
        "rentezy.user.registered.v1",
        "/auth_service",
        str(user.id),
    )
    assert event.data == {
        "user_id": str(user.id),
        "email": "ada.lovelace@example.com",
        "full_name": "Ada Lovelace",
        "role": role,
    }
    assert OutboxMessage.objects.get().topic == "rentezy.user"
    assert OutboxMessage.objects.get().key == str(user.id)


@pytest.mark.parametrize("role", ["admin", "superuser", "", None, 3])
def test_register_refuses_any_other_role(gateway, role):
    response = gateway.post(REGISTER, _register_body(role=role))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["role"]
    assert User.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_register_duplicate_email_in_any_case_is_email_taken(gateway):
    gateway.post(REGISTER, _register_body(email="ada@example.com"))

    response = gateway.post(REGISTER, _register_body(email="ADA@Example.com", role="landlord"))

    assert response.status_code == 400
    assert response.json() == {
        "code": "email_taken",
        "message": "An account with this e-mail already exists.",
        "fields": {"email": ["An account with this e-mail already exists."]},
    }
    assert User.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!pw", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("8405729163", "This password is entirely numeric."),
        ("ada.lovelace.x", "The password is too similar to the email."),
        ("Lovelace Ada", "The password is too similar to the full name."),
    ],
    ids=["short", "common", "numeric", "like-email", "like-name"],
)
def test_register_refuses_weak_passwords(gateway, password, message):
    email = "ada.lovelace.x@example.com" if "email" in message else "zq@example.com"
    body = _register_body(email=email, password=password)
    response = gateway.post(REGISTER, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert message in response.json()["fields"]["password"]
    assert User.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["email", "password", "full_name", "role"]),
        ({"email": "not-an-email"}, ["email"]),
        ({"email": ["a@b.c"]}, ["email"]),
        ({"email": f"{'a' * 250}@example.com"}, ["email"]),
        ({"password": "p" * 129}, ["password"]),
        ({"password": 1234567890123}, ["password"]),
        ({"full_name": "n" * 151}, ["full_name"]),
        ({"full_name": "   "}, ["full_name"]),
        ({"full_name": {"first": "Ada"}}, ["full_name"]),
    ],
)
def test_register_bad_input_is_400_invalid(gateway, body, fields):
    full = {} if body == {} else _register_body(**body)
    response = gateway.post(REGISTER, full)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert sorted(response.json()["fields"]) == sorted(fields)
    assert User.objects.count() == 0


def test_register_refuses_fields_it_does_not_accept(gateway):
    response = gateway.post(
        REGISTER,
        _register_body(is_staff=True, is_superuser=True, phone="123", id=str(uuid.uuid4())),
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {
            "is_staff": ["Unknown field."],
            "is_superuser": ["Unknown field."],
            "phone": ["Unknown field."],
            "id": ["Unknown field."],
        },
    }
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "parse_error"),
        ("[1, 2]", "invalid"),
        ('"a string"', "invalid"),
        ("null", "invalid"),
    ],
)
def test_malformed_bodies_are_400(gateway, raw, code):
    response = gateway.post(REGISTER, raw=raw)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_oversized_body_is_413_not_500(gateway):
    response = gateway.post(REGISTER, raw=json.dumps(_register_body(full_name="x" * 70_000)))
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is too large.",
    }


def test_unsigned_request_never_reaches_a_view(client):
    response = client.post(REGISTER, _register_body(), content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Missing gateway signature."}
    assert User.objects.count() == 0


def test_forged_identity_headers_are_refused(client, user):
    headers = gateway_headers(
        key="not-the-gateway-key",
        method="GET",
        path_with_query=ME,
        user_id=str(user.id),
        role="tenant",
    )
    response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid gateway signature."


# --- POST /api/auth/login -----------------------------------------------------


def test_login_returns_a_token_pair_and_the_user(gateway):
    user = make_user(email="ada@example.com")

    response = gateway.post(LOGIN, {"email": "ADA@example.com", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "token_type", "expires_in", "user"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    assert body["user"] == {
        "id": str(user.id),
        "email": "ada@example.com",
        "full_name": "Ada Tenant",
        "role": "tenant",
    }
    access = decode_token(body["access"], expected_type="access")
    refresh = decode_token(body["refresh"], expected_type="refresh")
    assert (access.user_id, access.role, access.email) == (
        str(user.id),
        "tenant",
        "ada@example.com",
    )
    assert access.expires_at - access.issued_at == 900
    assert refresh.user_id == str(user.id)
    assert refresh.expires_at - refresh.issued_at == 14 * 24 * 3600
    assert RefreshToken.objects.filter(user=user).count() == 1
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "ada@example.com", "password": "wrong password entirely"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "not even an e-mail", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-email", "malformed-email"],
)
def test_login_failures_are_indistinguishable(gateway, credentials):
    make_user(email="ada@example.com")
    response = gateway.post(LOGIN, credentials)
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "Invalid e-mail or password.",
    }
    assert RefreshToken.objects.count() == 0


def test_login_of_an_inactive_user_fails_like_a_wrong_password(gateway):
    user = make_user(email="ada@example.com")
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = gateway.post(LOGIN, {"email": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "Invalid e-mail or password.",
    }
    assert RefreshToken.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "a@b.c"},
        {"email": 1, "password": 2},
        {"email": "a@b.c", "password": "x" * 129},
    ],
)
def test_login_bad_input_is_400(gateway, body):
    response = gateway.post(LOGIN, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- POST /api/auth/refresh ---------------------------------------------------


def test_refresh_rotates_the_pair(gateway, user):
    tokens = gateway.login(user.email)

    response = gateway.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    new = response.json()
    assert new["refresh"] != tokens["refresh"]
    assert gateway.validate(new["access"]).status_code == 200
    old = RefreshToken.objects.get(
        token_hash=token_hash(decode_token(tokens["refresh"], expected_type="refresh").jti)
    )
    new_row = RefreshToken.objects.get(
        token_hash=token_hash(decode_token(new["refresh"], expected_type="refresh").jti)
    )
    assert old.family_id == new_row.family_id
    assert (old.used_at is not None, new_row.used_at, old.revoked_at, new_row.revoked_at) == (
        True,
        None,
        None,
        None,
    )
    assert RefreshToken.objects.count() == 2


def test_old_refresh_token_gets_401_and_its_reuse_revokes_the_family(gateway, user, revocations):
    tokens = gateway.login(user.email)
    rotated = gateway.post(REFRESH, {"refresh": tokens["refresh"]}).json()
    newest = gateway.post(REFRESH, {"refresh": rotated["refresh"]}).json()

    reuse = gateway.post(REFRESH, {"refresh": tokens["refresh"]})

    assert reuse.status_code == 401
    assert reuse.json() == {
        "code": "not_authenticated",
        "message": "The refresh token was already used; the session has been revoked.",
    }
    # The newest refresh token of the family is dead too.
    after = gateway.post(REFRESH, {"refresh": newest["refresh"]})
    assert after.status_code == 401
    assert after.json()["message"] == "The refresh token is invalid or revoked."
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    # And so is every access token of the session, whichever refresh minted it.
    for access in (tokens["access"], rotated["access"], newest["access"]):
        assert gateway.validate(access).status_code == 401
    family_id = decode_token(tokens["access"], expected_type="access").session_id
    [message] = revocations.messages_for(str(user.id), count=1)
    assert message == {"sid": family_id, "user_id": str(user.id)}
    assert redis_client().get(revoked_session_key(family_id)) == b"1"
    # The session ended, not the user's tokens: no user-wide cutoff.
    user.refresh_from_db()
    assert user.tokens_valid_after is None


def test_reuse_does_not_touch_the_users_other_sessions_refresh_tokens(gateway, user):
    phone = gateway.login(user.email)
    laptop = gateway.login(user.email)
    gateway.post(REFRESH, {"refresh": phone["refresh"]})
    assert gateway.post(REFRESH, {"refresh": phone["refresh"]}).status_code == 401

    assert gateway.validate(laptop["access"]).status_code == 200
    response = gateway.post(REFRESH, {"refresh": laptop["refresh"]})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("refresh", "status", "body"),
    [
        ("garbage", 401, {"code": "not_authenticated", "message": "Invalid token."}),
        (
            "",
            400,
            {
                "code": "invalid",
                "message": "Invalid input.",
                "fields": {"refresh": ["This field may not be blank."]},
            },
        ),
        (
            "x" * 5000,
            400,
            {
                "code": "invalid",
                "message": "Invalid input.",
                "fields": {"refresh": ["Ensure this field has no more than 4096 characters."]},
            },
        ),
    ],
)
def test_refresh_with_garbage(gateway, refresh, status, body):
    response = gateway.post(REFRESH, {"refresh": refresh})
    assert response.status_code == status
    assert response.json() == body


def test_access_token_is_not_a_refresh_token(gateway, user):
    tokens = gateway.login(user.email)
    response = gateway.post(REFRESH, {"refresh": tokens["access"]})
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Wrong token type."}


def test_refresh_of_a_deactivated_user_fails(gateway, user):
    tokens = gateway.login(user.email)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert gateway.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


# --- POST /api/auth/logout ----------------------------------------------------


def test_logout_revokes_the_session_and_the_access_token_and_tells_the_gateway(
    gateway, user, revocations
):
    tokens = gateway.login(user.email)
    other_session = gateway.login(user.email)
    access = decode_token(tokens["access"], expected_type="access")

    response = gateway.post(LOGOUT, {"refresh": tokens["refresh"]}, token=tokens["access"])

    assert response.status_code == 204
    assert response.content == b""
    # The access token used is rejected from now on...
    check = gateway.validate(tokens["access"])
    assert (check.status_code, check.json()["code"]) == (401, "not_authenticated")
    # ...and so is the session's refresh token.
    assert gateway.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    # The other session lives on.
    assert gateway.validate(other_session["access"]).status_code == 200
    assert gateway.post(REFRESH, {"refresh": other_session["refresh"]}).status_code == 200

    revocation = AccessTokenRevocation.objects.get()
    assert (str(revocation.jti), revocation.user_id, int(revocation.expires_at.timestamp())) == (
        access.jti,
        user.id,
        access.expires_at,
    )
    # The Redis signal: the keys, then the messages: the session, the token.
    assert revocations.messages_for(str(user.id), count=2) == [
        {"sid": access.session_id, "user_id": str(user.id)},
        {"jti": access.jti, "user_id": str(user.id)},
    ]
    assert redis_client().get(revoked_key(access.jti)) == b"1"
    assert redis_client().expiretime(revoked_key(access.jti)) == access.expires_at
    assert redis_client().get(revoked_session_key(access.session_id)) == b"1"


def test_logout_kills_the_sessions_access_tokens_minted_by_earlier_refreshes(gateway, user):
    login = gateway.login(user.email)
    first = gateway.post(REFRESH, {"refresh": login["refresh"]}).json()
    second = gateway.post(REFRESH, {"refresh": first["refresh"]}).json()
    other_session = gateway.login(user.email)
    for access in (login["access"], first["access"], second["access"]):
        assert gateway.validate(access).status_code == 200

    response = gateway.post(LOGOUT, {"refresh": second["refresh"]}, token=second["access"])

    assert response.status_code == 204
    for access in (login["access"], first["access"], second["access"]):
        refused = gateway.validate(access)
        assert (refused.status_code, refused.json()) == (
            401,
            {"code": "not_authenticated", "message": "The token is invalid, expired or revoked."},
        )
    assert gateway.validate(other_session["access"]).status_code == 200


def test_logout_needs_a_user(gateway, user):
    tokens = gateway.login(user.email)
    response = gateway.post(LOGOUT, {"refresh": tokens["refresh"]})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_logout_with_someone_elses_refresh_token_changes_nothing(gateway, user):
    mine = gateway.login(user.email)
    other = make_user()
    theirs = gateway.login(other.email)

    response = gateway.post(LOGOUT, {"refresh": theirs["refresh"]}, token=mine["access"])

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {"refresh": ["Invalid refresh token."]},
    }
    assert AccessTokenRevocation.objects.count() == 0
    assert RefreshToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_logout_without_the_authorization_header_is_refused(gateway, user):
    tokens = gateway.login(user.email)
    headers = gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY,
        method="POST",
        path_with_query=LOGOUT,
        user_id=str(user.id),
        role="tenant",
        email=user.email,
    )
    response = gateway.client.post(
        LOGOUT, {"refresh": tokens["refresh"]}, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert AccessTokenRevocation.objects.count() == 0


# --- GET, PATCH /api/auth/me --------------------------------------------------


def test_me_returns_the_profile(gateway, user):
    tokens = gateway.login(user.email)
    response = gateway.get(ME, token=tokens["access"])
    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.id),
        "email": user.email,
        "full_name": "Ada Tenant",
        "role": "tenant",
        "phone": None,
    }


def test_me_without_a_user_is_401(gateway):
    response = gateway.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="rentezy"'


def test_patch_me_changes_name_and_phone_and_announces_it(gateway, user):
    tokens = gateway.login(user.email)

    response = gateway.patch(
        ME, {"full_name": "  Ada King ", "phone": "+44 20 7946 0958"}, token=tokens["access"]
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.id),
        "email": user.email,
        "full_name": "Ada King",
        "role": "tenant",
        "phone": "+44 20 7946 0958",
    }
    [event] = outbox_events(type="rentezy.user.updated.v1")
    validate_event(event)
    assert event.subject == str(user.id)
    assert event.data == {
        "user_id": str(user.id),
        "email": user.email,
        "full_name": "Ada King",
        "role": "tenant",
        "phone": "+44 20 7946 0958",
    }


def test_patch_me_null_phone_removes_it(gateway, user):
    tokens = gateway.login(user.email)
    gateway.patch(ME, {"phone": "555 0100"}, token=tokens["access"])

    response = gateway.patch(ME, {"phone": None}, token=tokens["access"])

    assert response.json()["phone"] is None
    assert User.objects.get().phone == ""
    events = outbox_events(type="rentezy.user.updated.v1")
    assert [e.data["phone"] for e in events] == ["555 0100", None]


def test_patch_me_without_a_change_announces_nothing(gateway, user):
    tokens = gateway.login(user.email)
    response = gateway.patch(ME, {"full_name": "Ada Tenant"}, token=tokens["access"])
    assert response.status_code == 200
    assert outbox_events(type="rentezy.user.updated.v1") == []


# Keys of the profile a client reads but never writes: named as such.
READ_ONLY = {"id", "email", "role"}


@pytest.mark.parametrize(
    "body",
    [
        {"role": "admin"},
        {"email": "evil@example.com"},
        {"is_staff": True},
        {"full_name": "Ada", "is_superuser": True},
        {"id": str(uuid.uuid4())},
    ],
)
def test_patch_me_refuses_every_other_field(gateway, user, body):
    tokens = gateway.login(user.email)

    response = gateway.patch(ME, body, token=tokens["access"])

    assert response.status_code == 400
    unknown = sorted(set(body) - {"full_name"})
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {
            name: ["This field cannot be set." if name in READ_ONLY else "Unknown field."]
            for name in unknown
        },
    }
    fresh = User.objects.get()
    assert (fresh.role, fresh.email, fresh.full_name, fresh.is_staff, fresh.is_superuser) == (
        "tenant",
        user.email,
        "Ada Tenant",
        False,
        False,
    )
    assert outbox_events(type="rentezy.user.updated.v1") == []


@pytest.mark.parametrize(
    "body",
    [
        {"full_name": ""},
        {"full_name": "x" * 151},
        {"phone": "call me"},
        {"phone": "1" * 33},
        {"phone": 5550100},
    ],
)
def test_patch_me_bad_values_are_400(gateway, user, body):
    tokens = gateway.login(user.email)
    response = gateway.patch(ME, body, token=tokens["access"])
    assert response.status_code == 400
    assert list(response.json()["fields"]) == list(body)


# --- POST /api/auth/password/change -------------------------------------------


def test_password_change_ends_every_session(gateway, user, revocations):
    here = gateway.login(user.email)
    elsewhere = gateway.login(user.email)

    response = gateway.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        token=here["access"],
    )

    assert response.status_code == 204
    for session in (here, elsewhere):
        assert gateway.validate(session["access"]).status_code == 401
        assert gateway.post(REFRESH, {"refresh": session["refresh"]}).status_code == 401
    assert gateway.post(LOGIN, {"email": user.email, "password": PASSWORD}).status_code == 401
    fresh = gateway.login(user.email, NEW_PASSWORD)
    assert gateway.validate(fresh["access"]).status_code == 200
    user.refresh_from_db()
    assert revocations.messages_for(str(user.id), count=1) == [
        {"user_id": str(user.id), "not_before": user.tokens_valid_after_timestamp}
    ]


def test_password_change_with_a_wrong_old_password(gateway, user):
    tokens = gateway.login(user.email)
    response = gateway.post(
        PASSWORD_CHANGE,
        {"old_password": "not my password", "new_password": NEW_PASSWORD},
        token=tokens["access"],
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {"old_password": ["The current password is incorrect."]},
    }
    assert gateway.validate(tokens["access"]).status_code == 200
    assert User.objects.get().check_password(PASSWORD)


def test_password_change_to_a_weak_password(gateway, db):
    # An e-mail without digits: a random one full of them made "1234567890"
    # also "too similar to the email" now and then.
    user = make_user(email="ada@example.com")
    tokens = gateway.login(user.email)
    response = gateway.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password": "1234567890"},
        token=tokens["access"],
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "new_password": ["This password is too common.", "This password is entirely numeric."]
    }
    assert gateway.validate(tokens["access"]).status_code == 200


def test_password_change_needs_a_user(gateway):
    response = gateway.post(
        PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 401


# --- POST /api/auth/password/reset and /confirm -------------------------------


def _reset_token(mail) -> str:
    match = re.search(r"\?token=([A-Za-z0-9_-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_password_reset_mails_a_single_use_token(gateway, user, mailoutbox, revocations):
    session = gateway.login(user.email)

    response = gateway.post(PASSWORD_RESET, {"email": user.email.upper()})

    assert response.status_code == 202
    assert response.content == b""
    [mail] = mailoutbox
    assert mail.to == [user.email]
    assert mail.subject == "Reset your RentEzy password"
    assert mail.from_email == settings.DEFAULT_FROM_EMAIL
    assert f"{settings.PASSWORD_RESET_URL}?token=" in mail.body
    token = _reset_token(mail)

    confirm = gateway.post(PASSWORD_RESET_CONFIRM, {"token": token, "new_password": NEW_PASSWORD})

    assert confirm.status_code == 204
    assert gateway.login(user.email, NEW_PASSWORD)["user"]["id"] == str(user.id)
    # Every earlier session is over.
    assert gateway.validate(session["access"]).status_code == 401
    assert gateway.post(REFRESH, {"refresh": session["refresh"]}).status_code == 401
    user.refresh_from_db()
    assert revocations.messages_for(str(user.id), count=1) == [
        {"user_id": str(user.id), "not_before": user.tokens_valid_after_timestamp}
    ]

    again = gateway.post(
        PASSWORD_RESET_CONFIRM, {"token": token, "new_password": "yet another passphrase"}
    )

    assert again.status_code == 400
    assert again.json() == {
        "code": "invalid_token",
        "message": "The password reset token is invalid, expired or already used.",
    }
    assert User.objects.get().check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_email_is_also_202(gateway, mailoutbox):
    response = gateway.post(PASSWORD_RESET, {"email": "nobody@example.com"})
    assert response.status_code == 202
    assert mailoutbox == []


def test_password_reset_of_an_inactive_user_sends_nothing(gateway, user, mailoutbox):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert gateway.post(PASSWORD_RESET, {"email": user.email}).status_code == 202
    assert mailoutbox == []


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": ["a@b.c"]}])
def test_password_reset_bad_input_is_400(gateway, body):
    response = gateway.post(PASSWORD_RESET, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("token", ["not-a-token", "x" * 43])
def test_password_reset_confirm_with_a_bad_token(gateway, user, token):
    response = gateway.post(PASSWORD_RESET_CONFIRM, {"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    assert User.objects.get().check_password(PASSWORD)


def test_password_reset_confirm_with_a_weak_password_keeps_the_token(gateway, user, mailoutbox):
    gateway.post(PASSWORD_RESET, {"email": user.email})
    token = _reset_token(mailoutbox[0])

    weak = gateway.post(PASSWORD_RESET_CONFIRM, {"token": token, "new_password": "ada tenant"})

    assert weak.status_code == 400
    assert weak.json()["code"] == "invalid"
    assert list(weak.json()["fields"]) == ["new_password"]
    ok = gateway.post(PASSWORD_RESET_CONFIRM, {"token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


def test_password_reset_confirm_bad_input_is_400(gateway):
    response = gateway.post(PASSWORD_RESET_CONFIRM, {"token": "t" * 129, "new_password": 5})
    assert response.status_code == 400
    assert sorted(response.json()["fields"]) == ["new_password", "token"]


# --- methods ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", REGISTER), ("GET", LOGIN), ("PUT", ME), ("DELETE", ME), ("GET", "/internal/validate")],
)
def test_wrong_methods_are_405(gateway, user, method, path):
    response = gateway.request(method, path, token=gateway.login(user.email)["access"])
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_trailing_slash_paths_do_not_exist(gateway):
    response = gateway.post(LOGIN + "/", {"email": "a@b.c", "password": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
