"""users/tokens.py: what a token carries and every way a forged or misused one fails."""

import base64
import json
import time
import uuid

import jwt
import pytest
from django.conf import settings
from users.tokens import (
    ACCESS,
    REFRESH,
    InvalidToken,
    TokenClaims,
    decode_token,
    encode_access_token,
    encode_refresh_token,
    encode_token,
    token_hash,
)

USER_ID = "5f0c3a52-4d1e-4a7b-9b8e-3c2d1e0f9a8b"
SESSION_ID = "0b7e2d4c-1a3f-4e5d-8c9b-7a6f5e4d3c2b"


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _payload(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _forge(payload: dict, *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key or settings.JWT_SIGNING_KEY, algorithm=algorithm)


def _valid_access_payload(**overrides) -> dict:
    now = int(time.time())
    payload = {
        "iss": "rentezy-auth",
        "aud": "rentezy",
        "sub": USER_ID,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "type": "access",
        "role": "tenant",
        "email": "ada@example.com",
        "sid": SESSION_ID,
    }
    payload.update(overrides)
    return payload


def test_access_token_carries_exactly_the_documented_claims():
    encoded = encode_access_token(
        user_id=USER_ID,
        role="landlord",
        email="ada@example.com",
        session_id=SESSION_ID,
        issued_at=1_800_000_000,
    )
    payload = _payload(encoded.token)
    assert payload == {
        "iss": "rentezy-auth",
        "aud": "rentezy",
        "sub": USER_ID,
        "jti": encoded.claims.jti,
        "iat": 1_800_000_000,
        "nbf": 1_800_000_000,
        "exp": 1_800_000_900,
        "type": "access",
        "role": "landlord",
        "email": "ada@example.com",
        "sid": SESSION_ID,
    }
    assert str(uuid.UUID(encoded.claims.jti, version=4)) == encoded.claims.jti
    assert jwt.get_unverified_header(encoded.token) == {"alg": "HS256", "typ": "JWT"}


def test_an_access_token_without_a_session_cannot_be_made():
    with pytest.raises(ValueError, match="session id"):
        encode_token(token_type=ACCESS, user_id=USER_ID, role="tenant", email="a@b.c")


def test_refresh_token_lives_14_days_and_carries_no_role_or_email():
    encoded = encode_refresh_token(user_id=USER_ID, issued_at=1_800_000_000)
    payload = _payload(encoded.token)
    assert payload == {
        "iss": "rentezy-auth",
        "aud": "rentezy",
        "sub": USER_ID,
        "jti": encoded.claims.jti,
        "iat": 1_800_000_000,
        "nbf": 1_800_000_000,
        "exp": 1_800_000_000 + 14 * 24 * 3600,
        "type": "refresh",
    }


def test_every_token_has_its_own_jti():
    first = encode_refresh_token(user_id=USER_ID)
    second = encode_refresh_token(user_id=USER_ID)
    assert first.claims.jti != second.claims.jti


def test_decode_returns_the_claims():
    encoded = encode_access_token(
        user_id=USER_ID, role="tenant", email="ada@example.com", session_id=SESSION_ID
    )
    assert decode_token(encoded.token, expected_type=ACCESS) == TokenClaims(
        jti=encoded.claims.jti,
        user_id=USER_ID,
        type="access",
        issued_at=encoded.claims.issued_at,
        expires_at=encoded.claims.issued_at + 900,
        role="tenant",
        email="ada@example.com",
        session_id=SESSION_ID,
    )


def test_alg_none_is_refused():
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_valid_access_payload())}."
    with pytest.raises(InvalidToken):
        decode_token(unsigned, expected_type=ACCESS)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_with_the_right_key_are_refused(algorithm):
    with pytest.raises(InvalidToken):
        decode_token(_forge(_valid_access_payload(), algorithm=algorithm), expected_type=ACCESS)


def test_tampered_payload_is_refused():
    token = encode_access_token(
        user_id=USER_ID, role="tenant", email="ada@example.com", session_id=SESSION_ID
    ).token
    header, _, signature = token.split(".")
    tampered = f"{header}.{_b64(_valid_access_payload(role='admin'))}.{signature}"
    with pytest.raises(InvalidToken, match="Invalid token"):
        decode_token(tampered, expected_type=ACCESS)


def test_wrong_key_is_refused():
    forged = _forge(_valid_access_payload(), key="another-key-of-at-least-thirty-two-bytes!")
    with pytest.raises(InvalidToken, match="Invalid token"):
        decode_token(forged, expected_type=ACCESS)


def test_expired_token_is_refused_after_the_leeway():
    issued_at = int(time.time()) - 900 - 6  # expired 6 s ago; leeway is 5 s
    token = encode_access_token(
        user_id=USER_ID, role="tenant", email="a@b.c", session_id=SESSION_ID, issued_at=issued_at
    ).token
    with pytest.raises(InvalidToken, match="expired"):
        decode_token(token, expected_type=ACCESS)


def test_expiry_tolerates_the_clock_skew_leeway():
    issued_at = int(time.time()) - 900 - 2
    token = encode_access_token(
        user_id=USER_ID, role="tenant", email="a@b.c", session_id=SESSION_ID, issued_at=issued_at
    ).token
    assert decode_token(token, expected_type=ACCESS).issued_at == issued_at


def test_expired_refresh_token_decodes_only_without_expiry_check():
    token = encode_refresh_token(user_id=USER_ID, issued_at=int(time.time()) - 15 * 24 * 3600).token
    with pytest.raises(InvalidToken):
        decode_token(token, expected_type=REFRESH)
    assert decode_token(token, expected_type=REFRESH, verify_exp=False).user_id == USER_ID


def test_token_from_the_future_is_refused():
    future = int(time.time()) + 60
    with pytest.raises(InvalidToken):
        decode_token(_forge(_valid_access_payload(iat=future, nbf=future)), expected_type=ACCESS)


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"aud": ["someone-else"]},
        {"iss": "evil-issuer"},
        {"type": "refresh"},
        {"type": "id"},
        {"sub": "not-a-uuid"},
        {"jti": "not-a-uuid"},
        {"role": None},
        {"sid": "not-a-uuid"},
        {"sid": 7},
    ],
    ids=[
        "wrong-aud",
        "wrong-aud-list",
        "wrong-iss",
        "refresh-type",
        "unknown-type",
        "bad-sub",
        "bad-jti",
        "no-role",
        "bad-sid",
        "numeric-sid",
    ],
)
def test_wrong_claims_are_refused(overrides):
    with pytest.raises(InvalidToken):
        decode_token(_forge(_valid_access_payload(**overrides)), expected_type=ACCESS)


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "type", "sid"])
def test_missing_claims_are_refused(claim):
    payload = _valid_access_payload()
    del payload[claim]
    with pytest.raises(InvalidToken):
        decode_token(_forge(payload), expected_type=ACCESS)


def test_refresh_token_is_not_an_access_token_and_vice_versa():
    refresh = encode_refresh_token(user_id=USER_ID).token
    access = encode_access_token(
        user_id=USER_ID, role="tenant", email="a@b.c", session_id=SESSION_ID
    ).token
    with pytest.raises(InvalidToken, match="Wrong token type"):
        decode_token(refresh, expected_type=ACCESS)
    with pytest.raises(InvalidToken, match="Wrong token type"):
        decode_token(access, expected_type=REFRESH)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", None, 42, "x" * 5000])
def test_garbage_is_refused(token):
    with pytest.raises(InvalidToken):
        decode_token(token, expected_type=ACCESS)


def test_token_hash_is_sha256_hex():
    assert token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
