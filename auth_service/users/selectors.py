"""Reads of auth_service: the caller's account and access token validation."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from rentezy_platform.errors import NotAuthenticated
from rentezy_platform.parsing import uuid_or_none

from users.models import AccessTokenRevocation, RefreshToken, User
from users.tokens import ACCESS, InvalidToken, decode_token

INVALID_TOKEN_MESSAGE = "The token is invalid, expired or revoked."


@dataclass(frozen=True, slots=True)
class ValidatedAccessToken:
    user_id: str
    role: str
    email: str
    jti: str
    issued_at: int
    expires_at: int
    session_id: str


def access_token_validate(*, token: str) -> ValidatedAccessToken:
    """The identity an access token stands for right now; NotAuthenticated if
    the token is not a valid access token (signature, algorithm, issuer,
    audience, expiry, type) or is revoked: its jti was revoked, its session
    ended (a revoked refresh token of its family: whatever refresh minted it,
    before or after the logout), it was issued before the user's
    `tokens_valid_after`, or the user is inactive or gone.

    One indexed query (the user by primary key with an EXISTS on the
    revocation's primary key and one on the partial index of revoked refresh
    tokens by family). Role and e-mail come from the database, so the gateway
    forwards the current ones.
    """
    try:
        claims = decode_token(token, expected_type=ACCESS)
    except InvalidToken as exc:
        raise NotAuthenticated(message=str(exc)) from None
    row = (
        User.objects.filter(pk=claims.user_id)
        .annotate(
            revoked=Exists(
                AccessTokenRevocation.objects.filter(jti=claims.jti, user=OuterRef("pk"))
            ),
            session_ended=Exists(
                RefreshToken.objects.filter(
                    family_id=claims.session_id, revoked_at__isnull=False, user=OuterRef("pk")
                )
            ),
        )
        .values("role", "email", "is_active", "tokens_valid_after", "revoked", "session_ended")
        .first()
    )
    if row is None or row["revoked"] or row["session_ended"] or not row["is_active"]:
        raise NotAuthenticated(message=INVALID_TOKEN_MESSAGE)
    valid_after = row["tokens_valid_after"]
    if valid_after is not None and claims.issued_at < int(valid_after.timestamp()):
        raise NotAuthenticated(message=INVALID_TOKEN_MESSAGE)
    return ValidatedAccessToken(
        user_id=claims.user_id,
        role=row["role"],
        email=row["email"],
        jti=claims.jti,
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        session_id=str(claims.session_id),
    )


def user_get_active(*, user_id: str | None) -> User:
    """The caller's account (the gateway vouched for `user_id`); NotAuthenticated
    when it no longer exists or was deactivated."""
    pk = uuid_or_none(user_id)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        raise NotAuthenticated()
    return user
