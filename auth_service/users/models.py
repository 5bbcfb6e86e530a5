"""Users and the server-side state of their tokens.

Access tokens are stateless JWTs (users/tokens.py) except for three ways to
kill them early: one token by its `jti` (AccessTokenRevocation, on logout);
every token of a session, by its `sid` claim, once any refresh token of that
family is revoked (logout, refresh token reuse); and all of a user's tokens
issued before `User.tokens_valid_after` (password change or reset,
deactivation). Refresh tokens and password reset
tokens are stored as SHA-256 hashes only: a database dump yields nothing usable.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

EMAIL_MAX_LENGTH = 254
FULL_NAME_MAX_LENGTH = 150
PHONE_MAX_LENGTH = 32


def normalize_email(email: str) -> str:
    """The stored, unique form of an e-mail address: trimmed and lowercased
    whole (login is case-insensitive, local part included)."""
    return email.strip().lower()


class Role(models.TextChoices):
    TENANT = "tenant", "Tenant"
    LANDLORD = "landlord", "Landlord"
    # Created only by `manage.py create_admin`, never by sign-up.
    ADMIN = "admin", "Admin"


SIGN_UP_ROLES = (Role.TENANT, Role.LANDLORD)
SIGN_UP_ROLE_CHOICES = [(role.value, role.label) for role in SIGN_UP_ROLES]


class UserManager(BaseUserManager):
    # No create_user/create_superuser: accounts are made by users.services
    # (sign-up) and `manage.py create_admin`, which also publish the event.

    def get_by_natural_key(self, username: str | None) -> User:
        # The admin's login form goes through ModelBackend: make it
        # case-insensitive like the API's.
        return self.get(email=normalize_email(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Always stored normalized (a CHECK enforces it), so the plain unique index
    # is a case-insensitive one and serves the login lookup by equality.
    email = models.EmailField(max_length=EMAIL_MAX_LENGTH, unique=True)
    full_name = models.CharField(max_length=FULL_NAME_MAX_LENGTH)
    phone = models.CharField(max_length=PHONE_MAX_LENGTH, blank=True, default="")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    # Django admin access (operators); unrelated to the API role.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Tokens (access and refresh) issued before this instant are dead. Always a
    # whole second: JWT `iat` has one-second resolution.
    tokens_valid_after = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="users_user_email_lowercase"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="users_user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def tokens_valid_after_timestamp(self) -> int | None:
        if self.tokens_valid_after is None:
            return None
        return int(self.tokens_valid_after.timestamp())


class RefreshToken(models.Model):
    """One issued refresh token. Rotation marks it used and issues the next one
    in the same family; presenting a used one again revokes the family."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    # One login session: every token rotated from the same login.
    family_id = models.UUIDField(db_index=True)
    # SHA-256 hex of the token's `jti` (its signature proves the rest).
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "Revoke every live session of this user".
            models.Index(
                fields=["user"],
                name="users_refresh_live_idx",
                condition=models.Q(revoked_at__isnull=True),
            ),
            # "Is this session ended?", on every /internal/validate: one probe,
            # however many rotations the session has had.
            models.Index(
                fields=["family_id"],
                name="users_refresh_ended_idx",
                condition=models.Q(revoked_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"refresh token {self.id} (family {self.family_id})"


class AccessTokenRevocation(models.Model):
    """An access token revoked before its expiry (logout). Kept until it would
    have expired anyway; `manage.py auth_prune` deletes the rest."""

    jti = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"revoked access token {self.jti}"


class PasswordResetToken(models.Model):
    """A single-use password reset token sent by e-mail; only its hash is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"password reset token {self.id}"
