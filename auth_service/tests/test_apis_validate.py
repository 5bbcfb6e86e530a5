"""POST /internal/validate: the gateway's token check and its security matrix."""

import base64
import json
import time
import uuid

import jwt
import pytest
from django.conf import settings
from rentezy_platform.trust import gateway_headers
from users import services
from users.models import User
from users.tokens import encode_access_token, encode_refresh_token

from tests.conftest import VALIDATE_PATH, make_user

pytestmark = pytest.mark.django_db

NOT_AUTHENTICATED = "not_authenticated"
# A session (refresh family) that was never ended.
SESSION_ID = str(uuid.uuid4())


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user: User, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": "rentezy-auth",
        "aud": "rentezy",
        "sub": str(user.id),
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "type": "access",
        "role": user.role,
        "email": user.email,
        "sid": SESSION_ID,
    }
    claims.update(overrides)
    return claims


def _sign(claims: dict, *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key or settings.JWT_SIGNING_KEY, algorithm=algorithm)


def test_valid_token_answers_who_it_stands_for(gateway, user, django_assert_num_queries):
    access = services.user_login(
        email=user.email, password="correct horse battery staple"
    ).tokens.access

    with django_assert_num_queries(1):
        response = gateway.validate(access.token)

    assert response.status_code == 200
    assert response.json() == {
        "user_id": str(user.id),
        "role": "tenant",
        "email": user.email,
        "jti": access.claims.jti,
        "issued_at": access.claims.issued_at,
        "expires_at": access.claims.issued_at + 900,
        "session_id": access.claims.session_id,
    }


def test_role_and_email_come_from_the_database(gateway, user):
    token = _sign(_claims(user, role="landlord", email="old@example.com"))
    body = gateway.validate(token).json()
    assert (body["role"], body["email"]) == ("tenant", user.email)


def _refused(gateway, token, *, queries: int, django_assert_num_queries) -> dict:
    with django_assert_num_queries(queries):
        response = gateway.validate(token)
    assert response.status_code == 401, response.json()
    assert response.json()["code"] == NOT_AUTHENTICATED
    return response.json()


@pytest.mark.parametrize(
    "case",
    [
        "alg-none",
        "alg-none-uppercase",
        "alg-hs512",
        "tampered-payload",
        "wrong-key",
        "expired",
        "wrong-aud",
        "wrong-iss",
        "refresh-as-access",
        "no-exp",
        "no-type",
        "not-yet-valid",
        "garbage",
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_forged_or_misused_tokens_are_refused_without_touching_the_database(
    gateway, user, case, django_assert_num_queries
):
    claims = _claims(user)
    now = claims["iat"]
    if case == "alg-none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    elif case == "alg-none-uppercase":
        token = f"{_b64({'alg': 'NONE', 'typ': 'JWT'})}.{_b64(claims)}."
    elif case == "alg-hs512":
        token = _sign(claims, algorithm="HS512")
    elif case == "tampered-payload":
        header, _, signature = _sign(claims).split(".")
        token = f"{header}.{_b64({**claims, 'role': 'admin'})}.{signature}"
    elif case == "wrong-key":
        token = _sign(claims, key="a-different-key-that-is-long-enough-0000")
    elif case == "expired":
        token = _sign({**claims, "iat": now - 1000, "nbf": now - 1000, "exp": now - 100})
    elif case == "wrong-aud":
        token = _sign({**claims, "aud": "other-audience"})
    elif case == "wrong-iss":
        token = _sign({**claims, "iss": "someone-else"})
    elif case == "refresh-as-access":
        token = encode_refresh_token(user_id=str(user.id)).token
    elif case == "no-exp":
        token = _sign({k: v for k, v in claims.items() if k != "exp"})
    elif case == "no-type":
        token = _sign({k: v for k, v in claims.items() if k != "type"})
    elif case == "not-yet-valid":
        token = _sign({**claims, "iat": now + 600, "nbf": now + 600, "exp": now + 1500})
    else:
        token = "not.a.jwt"
    _refused(gateway, token, queries=0, django_assert_num_queries=django_assert_num_queries)


def test_revoked_jti_is_refused(gateway, user, django_assert_num_queries):
    login = services.user_login(email=user.email, password="correct horse battery staple")
    services.user_logout(
        user_id=str(user.id), access=login.tokens.access.token, refresh=login.tokens.refresh.token
    )
    body = _refused(
        gateway,
        login.tokens.access.token,
        queries=1,
        django_assert_num_queries=django_assert_num_queries,
    )
    assert body == {
        "code": NOT_AUTHENTICATED,
        "message": "The token is invalid, expired or revoked.",
    }


def test_token_issued_before_tokens_valid_after_is_refused(
    gateway, user, django_assert_num_queries
):
    token = encode_access_token(
        user_id=str(user.id), role="tenant", email=user.email, session_id=SESSION_ID
    ).token
    services.user_deactivate(user_id=user.id)
    services.user_reactivate(user_id=user.id)  # active again, the old token stays dead
    _refused(gateway, token, queries=1, django_assert_num_queries=django_assert_num_queries)


def test_token_issued_at_the_cutoff_second_is_accepted(gateway, user):
    services.user_deactivate(user_id=user.id)
    services.user_reactivate(user_id=user.id)
    user.refresh_from_db()
    cutoff = user.tokens_valid_after_timestamp
    before = encode_access_token(
        user_id=str(user.id),
        role="tenant",
        email=user.email,
        session_id=SESSION_ID,
        issued_at=cutoff - 1,
    )
    at = encode_access_token(
        user_id=str(user.id),
        role="tenant",
        email=user.email,
        session_id=SESSION_ID,
        issued_at=cutoff,
    )
    assert gateway.validate(before.token).status_code == 401
    assert gateway.validate(at.token).status_code == 200


def test_token_of_an_inactive_user_is_refused(gateway, user, django_assert_num_queries):
    token = encode_access_token(
        user_id=str(user.id), role="tenant", email=user.email, session_id=SESSION_ID
    ).token
    User.objects.filter(pk=user.pk).update(is_active=False)
    _refused(gateway, token, queries=1, django_assert_num_queries=django_assert_num_queries)


def test_token_of_a_deleted_user_is_refused(gateway, django_assert_num_queries):
    user = make_user()
    token = encode_access_token(
        user_id=str(user.id), role="tenant", email=user.email, session_id=SESSION_ID
    ).token
    User.objects.filter(pk=user.pk).delete()
    _refused(gateway, token, queries=1, django_assert_num_queries=django_assert_num_queries)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"token": ["This field is required."]}),
        ({"token": ""}, {"token": ["This field may not be blank."]}),
        ({"token": 42}, {"token": ["Not a valid string."]}),
        ({"token": "x" * 4097}, {"token": ["Ensure this field has no more than 4096 characters."]}),
        ({"jwt": "abc"}, {"token": ["This field is required."], "jwt": ["Unknown field."]}),
    ],
)
def test_bad_input_is_400(gateway, body, fields):
    response = gateway.post(VALIDATE_PATH, body)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Invalid input.", "fields": fields}


def test_only_the_gateway_may_ask(client, user):
    token = encode_access_token(
        user_id=str(user.id), role="tenant", email=user.email, session_id=SESSION_ID
    ).token
    unsigned = client.post(VALIDATE_PATH, {"token": token}, content_type="application/json")
    assert unsigned.status_code == 401
    assert unsigned.json() == {"code": NOT_AUTHENTICATED, "message": "Missing gateway signature."}

    stale = gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY,
        method="POST",
        path_with_query=VALIDATE_PATH,
        timestamp=int(time.time()) - 120,
    )
    response = client.post(
        VALIDATE_PATH, {"token": token}, content_type="application/json", headers=stale
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Stale gateway signature."


def test_the_gateway_may_ask_on_behalf_of_a_signed_in_user_too(client, user):
    token = encode_access_token(
        user_id=str(user.id), role="tenant", email=user.email, session_id=SESSION_ID
    ).token
    headers = gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY,
        method="POST",
        path_with_query=VALIDATE_PATH,
        user_id=str(user.id),
        role="tenant",
        email=user.email,
    )
    response = client.post(
        VALIDATE_PATH, {"token": token}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200
