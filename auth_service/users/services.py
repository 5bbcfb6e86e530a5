"""Writes of auth_service: accounts, sessions (token pairs), passwords.

Concurrency: every operation that creates or ends a user's sessions or
changes their password locks the user's row first (`select_for_update`), so
a login, a refresh, a logout and a password change of one user happen one
after the other and none can resurrect a session another just ended. Slow
work (Argon2) happens before the lock is taken.

Revocation: an access token dies early in three ways (see users/models.py):
its jti, its session (`sid`, the refresh family: logout, refresh token reuse)
or its user's cutoff (password change or reset, deactivation). Every early
death is also signalled to the gateway over Redis after commit
(users/revocation.py).

Sessions: a refresh that races a logout of its session cannot leave a working
access token. Both lock the user's row, so one runs after the other: the
refresh after the logout finds its refresh token revoked and fails; the
logout after the refresh revokes the family including the new refresh token,
and /internal/validate refuses every access token of a family with a revoked
row (selectors.access_token_validate), the new one included.
"""

from __future__ import annotations

import logging
import math
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from rentezy_platform.errors import ApplicationError, InvalidInput, NotAuthenticated, NotFound
from rentezy_platform.services import model_update

from users.events import enqueue_user_registered, enqueue_user_updated
from users.models import (
    SIGN_UP_ROLES,
    AccessTokenRevocation,
    PasswordResetToken,
    RefreshToken,
    Role,
    User,
    normalize_email,
)
from users.revocation import (
    on_commit_access_token_revoked,
    on_commit_session_revoked,
    on_commit_user_tokens_revoked,
)
from users.tokens import (
    ACCESS,
    REFRESH,
    EncodedToken,
    InvalidToken,
    TokenClaims,
    decode_token,
    encode_access_token,
    encode_refresh_token,
    token_hash,
)

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("full_name", "phone")


class InvalidCredentials(ApplicationError):
    default_code = "invalid_credentials"
    # One message whether the e-mail or the password was wrong.
    default_message = "Invalid e-mail or password."
    default_status = 401


class EmailTaken(ApplicationError):
    default_code = "email_taken"
    default_message = "An account with this e-mail already exists."

    def __init__(self) -> None:
        super().__init__(fields={"email": [self.default_message]})


class InvalidResetToken(ApplicationError):
    default_code = "invalid_token"
    default_message = "The password reset token is invalid, expired or already used."


def invalid(field: str, *messages: str) -> InvalidInput:
    return InvalidInput(fields={field: list(messages)})


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: EncodedToken
    refresh: EncodedToken


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User
    tokens: TokenPair


# --- helpers -----------------------------------------------------------------


def _validated_password(password: str, *, user: User, field: str) -> str:
    """The Argon2 hash of `password` once it passes AUTH_PASSWORD_VALIDATORS
    (length, common, numeric, similarity to the user's e-mail and name)."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise invalid(field, *exc.messages) from None
    return make_password(password)


def _lock_user(user_id: str | uuid.UUID) -> User | None:
    return User.objects.select_for_update().filter(pk=user_id).first()


def _datetime(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _issue_tokens(*, user: User, family_id: uuid.UUID, now: datetime) -> TokenPair:
    """A new access + refresh pair in session `family_id`. The caller holds the
    user's row lock inside its transaction."""
    # Never issue a token that the user's own cutoff already kills (a login in
    # the same second as a password change): `iat` may then be up to one
    # second ahead, within the decoding leeway.
    issued_at = max(int(now.timestamp()), user.tokens_valid_after_timestamp or 0)
    access = encode_access_token(
        user_id=str(user.id),
        role=user.role,
        email=user.email,
        session_id=str(family_id),
        issued_at=issued_at,
    )
    refresh = encode_refresh_token(user_id=str(user.id), issued_at=issued_at)
    RefreshToken.objects.create(
        user=user,
        family_id=family_id,
        token_hash=token_hash(refresh.claims.jti),
        created_at=now,
        expires_at=_datetime(refresh.claims.expires_at),
    )
    return TokenPair(access=access, refresh=refresh)


def _end_session(*, user_id: str, family_id: uuid.UUID | str, now: datetime) -> None:
    """Revoke every refresh token of the session, hence (validate checks the
    family) every access token whose `sid` it is, and signal the gateway after
    commit. The caller holds the user's row lock."""
    RefreshToken.objects.filter(
        user_id=user_id, family_id=family_id, revoked_at__isnull=True
    ).update(revoked_at=now)
    on_commit_session_revoked(session_id=str(family_id), user_id=str(user_id))


def _revoke_access_tokens_issued_until(*, user: User, now: datetime) -> None:
    """Kill every access token of `user` issued so far (iat <= now): set the
    cutoff to the next whole second and signal the gateway after commit. The
    caller holds the row lock and saves `tokens_valid_after`."""
    cutoff = _datetime(math.floor(now.timestamp()) + 1)
    if user.tokens_valid_after is None or user.tokens_valid_after < cutoff:
        user.tokens_valid_after = cutoff
    on_commit_user_tokens_revoked(
        user_id=str(user.id), not_before=user.tokens_valid_after_timestamp or 0
    )


def _end_all_sessions(*, user: User, now: datetime) -> None:
    """Every refresh family and every access token of `user` so far."""
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    _revoke_access_tokens_issued_until(user=user, now=now)


def _revoke_access_token(*, claims: TokenClaims, now: datetime) -> None:
    AccessTokenRevocation.objects.bulk_create(
        [
            AccessTokenRevocation(
                jti=claims.jti,
                user_id=claims.user_id,
                expires_at=_datetime(claims.expires_at),
                revoked_at=now,
            )
        ],
        ignore_conflicts=True,  # logging out twice is not an error
    )
    on_commit_access_token_revoked(
        jti=claims.jti, user_id=claims.user_id, expires_at=claims.expires_at
    )


def _discard_password_reset_tokens(*, user: User, now: datetime) -> None:
    PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now)


# --- accounts ----------------------------------------------------------------


def _user_create(
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    operator: bool = False,
    user_id: uuid.UUID | None = None,
) -> User:
    user = User(
        **({"id": user_id} if user_id is not None else {}),
        email=normalize_email(email),
        full_name=full_name.strip(),
        role=role,
        is_staff=operator,
        is_superuser=operator,
    )
    if User.objects.filter(email=user.email).exists():
        raise EmailTaken()
    user.password = _validated_password(password, user=user, field="password")
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            enqueue_user_registered(user)
    except IntegrityError:
        # Lost a race with a concurrent sign-up of the same address.
        if User.objects.filter(email=user.email).exists():
            raise EmailTaken() from None
        raise
    return user


def user_register(*, email: str, password: str, full_name: str, role: str) -> User:
    """Sign-up: a tenant or landlord account, announced as rentezy.user.registered.v1."""
    if role not in SIGN_UP_ROLES:
        raise invalid("role", "Must be tenant or landlord.")
    return _user_create(email=email, password=password, full_name=full_name, role=role)


def user_seed_demo(
    *, user_id: uuid.UUID, email: str, password: str, full_name: str, role: str
) -> tuple[User, bool]:
    """A demo account with a fixed id (`manage.py seed`): other services'
    demo data (seeded properties) name their owners by these ids. Returns
    (user, created); an account that exists already is left as it is."""
    if role not in SIGN_UP_ROLES:
        raise invalid("role", "Must be tenant or landlord.")
    existing = User.objects.filter(id=user_id).first()
    if existing is not None:
        return existing, False
    return (
        _user_create(
            email=email, password=password, full_name=full_name, role=role, user_id=user_id
        ),
        True,
    )


def user_create_admin(*, email: str, password: str, full_name: str) -> User:
    """An admin (role `admin`, Django admin access). Only `manage.py create_admin` calls this."""
    return _user_create(
        email=email, password=password, full_name=full_name, role=Role.ADMIN, operator=True
    )


def user_update_profile(*, user_id: str, data: Mapping[str, Any]) -> User:
    """Change `full_name` and/or `phone` (any other key is refused); announces
    rentezy.user.updated.v1 when something actually changed."""
    with transaction.atomic():
        user = _lock_user(user_id)
        if user is None or not user.is_active:
            raise NotAuthenticated()
        user, updated = model_update(instance=user, fields=PROFILE_FIELDS, data=data)
        if updated:
            enqueue_user_updated(user)
    return user


def user_deactivate(*, user_id: str | uuid.UUID) -> User:
    """Disable the account and end all its sessions (operators' admin)."""
    now = timezone.now()
    with transaction.atomic():
        user = _lock_user(user_id)
        if user is None:
            raise NotFound()
        user.is_active = False
        _end_all_sessions(user=user, now=now)
        _discard_password_reset_tokens(user=user, now=now)
        user.save(update_fields=["is_active", "tokens_valid_after"])
    return user


def user_reactivate(*, user_id: str | uuid.UUID) -> User:
    with transaction.atomic():
        user = _lock_user(user_id)
        if user is None:
            raise NotFound()
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


# --- sessions ------------------------------------------------------------------


def user_login(*, email: str, password: str) -> LoginResult:
    """A new session (refresh family) for valid credentials of an active user;
    InvalidCredentials otherwise, with the same message and the same Argon2
    work whether or not the account exists."""
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is None:
        make_password(password)  # the cost of a real check, against timing probes
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_user(user.id)
        # The password may have changed (or the account been disabled) while we hashed.
        if locked is None or locked.password != user.password or not locked.is_active:
            raise InvalidCredentials()
        locked.last_login = now
        locked.save(update_fields=["last_login"])
        tokens = _issue_tokens(user=locked, family_id=uuid.uuid4(), now=now)
    return LoginResult(user=locked, tokens=tokens)


def refresh_token_rotate(*, refresh: str) -> TokenPair:
    """Trade a refresh token for a new pair in the same session. A token is
    good once: presenting a used one again (a replay, or the loser of two
    concurrent uses) ends its session: every refresh and access token of it."""
    try:
        claims = decode_token(refresh, expected_type=REFRESH)
    except InvalidToken as exc:
        raise NotAuthenticated(message=str(exc)) from None
    now = timezone.now()
    with transaction.atomic():
        user = _lock_user(claims.user_id)
        row = (
            RefreshToken.objects.select_for_update()
            .filter(token_hash=token_hash(claims.jti), user_id=claims.user_id)
            .first()
        )
        if user is None or row is None or row.revoked_at is not None or not user.is_active:
            failure = "The refresh token is invalid or revoked."
        elif row.used_at is not None:
            # A theft signal for this session: every token of it dies, the
            # user's other sessions are not part of it.
            _end_session(user_id=str(user.id), family_id=row.family_id, now=now)
            logger.warning(
                "Refresh token reuse: revoked session family %s of user %s", row.family_id, user.id
            )
            failure = "The refresh token was already used; the session has been revoked."
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return _issue_tokens(user=user, family_id=row.family_id, now=now)
    # Outside the block: the revocation above is committed, then refused.
    raise NotAuthenticated(message=failure)


def user_logout(*, user_id: str, access: str | None, refresh: str) -> None:
    """End the session of `refresh` and the session of the access token the
    request came with (`access`, from the Authorization header the gateway
    forwards; normally the same session): every refresh and access token of
    it. Both tokens must belong to `user_id`. The user's other sessions live on."""
    try:
        access_claims = decode_token(access, expected_type=ACCESS)
    except InvalidToken:
        raise NotAuthenticated() from None
    if access_claims.user_id != user_id:
        raise NotAuthenticated()
    try:
        # An expired refresh token still names the session to end.
        refresh_claims = decode_token(refresh, expected_type=REFRESH, verify_exp=False)
    except InvalidToken:
        raise invalid("refresh", "Invalid refresh token.") from None
    if refresh_claims.user_id != user_id:
        raise invalid("refresh", "Invalid refresh token.")
    now = timezone.now()
    with transaction.atomic():
        if _lock_user(user_id) is None:
            raise NotAuthenticated()
        family_id = (
            RefreshToken.objects.filter(token_hash=token_hash(refresh_claims.jti), user_id=user_id)
            .values_list("family_id", flat=True)
            .first()
        )
        sessions = {str(access_claims.session_id)}
        if family_id is not None:  # else pruned long ago: nothing left of it to end
            sessions.add(str(family_id))
        for session_id in sorted(sessions):
            _end_session(user_id=user_id, family_id=session_id, now=now)
        _revoke_access_token(claims=access_claims, now=now)


# --- passwords -------------------------------------------------------------------


def user_change_password(*, user_id: str, old_password: str, new_password: str) -> None:
    """Change the password knowing the old one; ends every session of the user,
    the current one included (the client logs in again)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise NotAuthenticated()
    if not user.check_password(old_password):
        raise invalid("old_password", "The current password is incorrect.")
    new_hash = _validated_password(new_password, user=user, field="new_password")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_user(user.id)
        if locked is None or not locked.is_active:
            raise NotAuthenticated()
        if locked.password != user.password:  # changed meanwhile by another request
            raise invalid("old_password", "The current password is incorrect.")
        locked.password = new_hash
        _end_all_sessions(user=locked, now=now)
        _discard_password_reset_tokens(user=locked, now=now)
        locked.save(update_fields=["password", "tokens_valid_after"])


def password_reset_request(*, email: str) -> None:
    """E-mail a single-use reset link to an active account with this address.
    Says nothing about whether one exists (the caller answers 202 either way)."""
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is None:
        return
    raw_token = secrets.token_urlsafe(32)
    now = timezone.now()
    lifetime = settings.PASSWORD_RESET_TOKEN_LIFETIME
    PasswordResetToken.objects.create(
        user=user,
        token_hash=token_hash(raw_token),
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime),
    )
    link = f"{settings.PASSWORD_RESET_URL}?{urlencode({'token': raw_token})}"
    body = (
        f"Hello {user.full_name},\n\n"
        "Someone (hopefully you) asked to reset the password of your RentEzy account.\n"
        f"Open this link within {lifetime // 60} minutes to choose a new password:\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n"
    )
    try:
        send_mail(
            subject="Reset your RentEzy password",
            message=body,
            from_email=None,  # DEFAULT_FROM_EMAIL
            recipient_list=[user.email],
        )
    except Exception:
        # The answer must not differ (no enumeration); the user can ask again.
        logger.exception("Could not send the password reset e-mail of user %s", user.id)


def password_reset_confirm(*, token: str, new_password: str) -> None:
    """Set a new password with a reset token; the token (and every other
    outstanding one of the user) is used up and every session ends."""
    row = (
        PasswordResetToken.objects.select_related("user")
        .filter(token_hash=token_hash(token))
        .first()
    )
    now = timezone.now()
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.is_active:
        raise InvalidResetToken()
    new_hash = _validated_password(new_password, user=row.user, field="new_password")
    with transaction.atomic():
        user = _lock_user(row.user_id)
        used = PasswordResetToken.objects.filter(pk=row.pk, used_at__isnull=True).update(
            used_at=now
        )
        if user is None or not user.is_active or used != 1:  # lost a race with another use
            raise InvalidResetToken()
        user.password = new_hash
        _end_all_sessions(user=user, now=now)
        _discard_password_reset_tokens(user=user, now=now)
        user.save(update_fields=["password", "tokens_valid_after"])


# --- housekeeping -----------------------------------------------------------------


def auth_tokens_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete token state that can no longer matter: revocations and refresh or
    reset tokens past their expiry (plus the decoding leeway)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.JWT_LEEWAY_SECONDS)
    with transaction.atomic():
        revocations, _ = AccessTokenRevocation.objects.filter(expires_at__lt=cutoff).delete()
        refresh_tokens, _ = RefreshToken.objects.filter(expires_at__lt=cutoff).delete()
        reset_tokens, _ = PasswordResetToken.objects.filter(expires_at__lt=cutoff).delete()
    return {
        "access_token_revocations": revocations,
        "refresh_tokens": refresh_tokens,
        "password_reset_tokens": reset_tokens,
    }
