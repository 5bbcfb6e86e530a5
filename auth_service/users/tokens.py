"""JWT encoding and decoding: pure functions, no database.

Every token is HS256-signed with JWT_SIGNING_KEY and carries

    iss "rentezy-auth", aud "rentezy", sub (user id), jti (uuid4),
    iat, nbf (= iat), exp, type ("access" | "refresh")

and an access token also `role`, `email` and `sid`, its session: the id of
the refresh token family it was issued with, so ending a session (logout,
refresh token reuse) ends every access token of it. Decoding pins the algorithm
(`none`, HS384/HS512 and any asymmetric algorithm are refused), requires every
claim above, and checks issuer, audience, expiry and the token type, so a
refresh token is never accepted where an access token is expected or the
reverse. Whether a valid token has been revoked is the database's business
(users/selectors.py, users/services.py).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from django.conf import settings

TokenType = Literal["access", "refresh"]
ACCESS: TokenType = "access"
REFRESH: TokenType = "refresh"

# Longest token a client may send; ours are under 600 characters.
MAX_TOKEN_LENGTH = 4096

_REQUIRED_CLAIMS = ["iss", "aud", "sub", "jti", "iat", "nbf", "exp", "type"]

# PyJWT refuses HMAC keys shorter than the hash when asked to (settings also
# checks the length at start-up).
_jwt = jwt.PyJWT(options={"enforce_minimum_key_length": True})


class InvalidToken(Exception):
    """Not a valid token of the expected type (signature, algorithm, claims, expiry)."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    jti: str
    user_id: str
    type: TokenType
    issued_at: int
    expires_at: int
    role: str | None = None
    email: str | None = None
    session_id: str | None = None  # access tokens only


@dataclass(frozen=True, slots=True)
class EncodedToken:
    token: str
    claims: TokenClaims


def token_hash(value: str) -> str:
    """How refresh and reset tokens are stored: SHA-256 hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def _lifetime(token_type: TokenType) -> int:
    if token_type == ACCESS:
        return settings.JWT_ACCESS_TOKEN_LIFETIME
    return settings.JWT_REFRESH_TOKEN_LIFETIME


def encode_token(
    *,
    token_type: TokenType,
    user_id: str,
    issued_at: int | None = None,
    role: str | None = None,
    email: str | None = None,
    session_id: str | None = None,
    jti: str | None = None,
) -> EncodedToken:
    issued_at = int(time.time()) if issued_at is None else issued_at
    claims = TokenClaims(
        jti=jti or str(uuid.uuid4()),
        user_id=str(user_id),
        type=token_type,
        issued_at=issued_at,
        expires_at=issued_at + _lifetime(token_type),
        role=role if token_type == ACCESS else None,
        email=email if token_type == ACCESS else None,
        session_id=str(session_id) if token_type == ACCESS and session_id else None,
    )
    if token_type == ACCESS and claims.session_id is None:
        raise ValueError("An access token needs its session id.")
    payload: dict[str, Any] = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": claims.user_id,
        "jti": claims.jti,
        "iat": claims.issued_at,
        "nbf": claims.issued_at,
        "exp": claims.expires_at,
        "type": token_type,
    }
    if token_type == ACCESS:
        payload["role"] = role
        payload["email"] = email
        payload["sid"] = claims.session_id
    token = _jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)
    return EncodedToken(token=token, claims=claims)


def encode_access_token(
    *, user_id: str, role: str, email: str, session_id: str, issued_at: int | None = None
) -> EncodedToken:
    return encode_token(
        token_type=ACCESS,
        user_id=user_id,
        role=role,
        email=email,
        session_id=session_id,
        issued_at=issued_at,
    )


def encode_refresh_token(*, user_id: str, issued_at: int | None = None) -> EncodedToken:
    return encode_token(token_type=REFRESH, user_id=user_id, issued_at=issued_at)


def _uuid_string(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidToken("Malformed token.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidToken("Malformed token.") from None


def decode_token(token: Any, *, expected_type: TokenType, verify_exp: bool = True) -> TokenClaims:
    """The claims of a token this service issued; InvalidToken otherwise.

    `verify_exp=False` only for logout, where an expired refresh token still
    names the session to end."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("Malformed token.")
    try:
        payload = _jwt.decode(
            token,
            settings.JWT_SIGNING_KEY,
            algorithms=[settings.JWT_ALGORITHM],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            leeway=settings.JWT_LEEWAY_SECONDS,
            options={"require": _REQUIRED_CLAIMS, "verify_exp": verify_exp},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("Token has expired.") from None
    except jwt.PyJWTError:
        raise InvalidToken("Invalid token.") from None
    if payload.get("type") != expected_type:
        raise InvalidToken("Wrong token type.")
    role = payload.get("role")
    email = payload.get("email")
    if expected_type == ACCESS and not (isinstance(role, str) and isinstance(email, str)):
        raise InvalidToken("Malformed token.")
    # An access token without a session could not be ended by logout: refused.
    session_id = _uuid_string(payload.get("sid")) if expected_type == ACCESS else None
    return TokenClaims(
        jti=_uuid_string(payload["jti"]),
        user_id=_uuid_string(payload["sub"]),
        type=expected_type,
        issued_at=int(payload["iat"]),
        expires_at=int(payload["exp"]),
        role=role if expected_type == ACCESS else None,
        email=email if expected_type == ACCESS else None,
        session_id=session_id,
    )
