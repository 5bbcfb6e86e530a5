"""users/services.py: accounts, sessions and passwords, including the races."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rentezy_platform.errors import ApplicationError, NotAuthenticated
from rentezy_platform.events import validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import outbox_events, run_concurrently
from users import services
from users.models import AccessTokenRevocation, PasswordResetToken, RefreshToken, Role, User
from users.selectors import access_token_validate
from users.tokens import decode_token, encode_refresh_token, token_hash

from tests.conftest import PASSWORD, make_user, unique_email

NEW_PASSWORD = "a brand new long passphrase"


# --- accounts ----------------------------------------------------------------


@pytest.mark.django_db
def test_user_register_writes_the_user_and_exactly_one_event():
    user = services.user_register(
        email="Grace@Example.com", password=PASSWORD, full_name=" Grace Hopper ", role=Role.LANDLORD
    )

    assert (user.email, user.full_name, user.role) == (
        "grace@example.com",
        "Grace Hopper",
        "landlord",
    )
    [event] = outbox_events()
    validate_event(event)
    assert (event.type, event.subject) == ("rentezy.user.registered.v1", str(user.id))
    assert event.data == {
        "user_id": str(user.id),
        "email": "grace@example.com",
        "full_name": "Grace Hopper",
        "role": "landlord",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kwargs",
    [
        {"role": Role.ADMIN},
        {"role": "owner"},
        {"password": "short"},
        {"password": "1234567890"},
    ],
)
def test_failed_registration_writes_nothing(kwargs):
    arguments = {
        "email": unique_email(),
        "password": PASSWORD,
        "full_name": "Grace Hopper",
        "role": Role.TENANT,
    }
    arguments.update(kwargs)
    with pytest.raises(ApplicationError) as error:
        services.user_register(**arguments)
    assert error.value.code == "invalid"
    assert User.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_of_one_address_make_one_account():
    email = unique_email()
    results = run_concurrently(
        4,
        lambda _: services.user_register(
            email=email, password=PASSWORD, full_name="Grace Hopper", role=Role.TENANT
        ),
    )
    users = [r for r in results if isinstance(r, User)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(users) == 1
    assert [(type(e), e.code) for e in errors] == [(services.EmailTaken, "email_taken")] * 3
    assert User.objects.filter(email=email).count() == 1
    assert OutboxMessage.objects.filter(key=str(users[0].id)).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_non_normalized_email():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Mixed@Example.com", full_name="x", role=Role.TENANT)


@pytest.mark.django_db
def test_user_update_profile_refuses_other_fields_even_if_called_directly(user):
    with pytest.raises(ApplicationError) as error:
        services.user_update_profile(user_id=str(user.id), data={"role": Role.ADMIN})
    assert error.value.fields == {"role": ["This field cannot be set."]}
    user.refresh_from_db()
    assert user.role == Role.TENANT


@pytest.mark.django_db
def test_user_deactivate_ends_everything_and_signals(
    user, django_capture_on_commit_callbacks, revocations
):
    login = services.user_login(email=user.email, password=PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        services.user_deactivate(user_id=user.id)

    user.refresh_from_db()
    assert user.is_active is False
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    with pytest.raises(NotAuthenticated):
        access_token_validate(token=login.tokens.access.token)
    with pytest.raises(services.InvalidCredentials):
        services.user_login(email=user.email, password=PASSWORD)
    assert revocations.messages_for(str(user.id), count=1) == [
        {"user_id": str(user.id), "not_before": user.tokens_valid_after_timestamp}
    ]


# --- login ---------------------------------------------------------------------


@pytest.mark.django_db
def test_login_of_an_unknown_email_still_hashes_the_password(monkeypatch):
    calls = []
    real = services.make_password
    monkeypatch.setattr(services, "make_password", lambda raw: calls.append(raw) or real(raw))

    with pytest.raises(services.InvalidCredentials):
        services.user_login(email="nobody@example.com", password="some password")

    assert calls == ["some password"]


@pytest.mark.django_db
def test_refresh_token_is_stored_as_a_hash_only(user):
    login = services.user_login(email=user.email, password=PASSWORD)
    refresh = login.tokens.refresh
    row = RefreshToken.objects.get()
    assert row.token_hash == token_hash(refresh.claims.jti)
    assert int(row.expires_at.timestamp()) == refresh.claims.expires_at
    stored = " ".join(str(value) for value in RefreshToken.objects.values().get().values())
    assert refresh.token not in stored
    assert refresh.claims.jti not in stored


@pytest.mark.django_db
def test_login_racing_a_password_change_gets_no_session(user, monkeypatch):
    real_check = User.check_password

    def check_then_password_changes(self, raw):
        ok = real_check(self, raw)
        # Another request changes the password while this login hashed.
        User.objects.filter(pk=self.pk).update(password="argon2$changed")
        return ok

    monkeypatch.setattr(User, "check_password", check_then_password_changes)
    with pytest.raises(services.InvalidCredentials):
        services.user_login(email=user.email, password=PASSWORD)
    assert RefreshToken.objects.count() == 0


@pytest.mark.django_db
def test_login_right_after_a_cutoff_gets_a_token_that_works(user):
    # A password change in this very second moved the cutoff to the next second.
    cutoff = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
    User.objects.filter(pk=user.pk).update(tokens_valid_after=cutoff)

    login = services.user_login(email=user.email, password=PASSWORD)

    assert login.tokens.access.claims.issued_at == int(cutoff.timestamp())
    assert access_token_validate(token=login.tokens.access.token).user_id == str(user.id)


# --- refresh rotation ------------------------------------------------------------


@pytest.mark.django_db
def test_rotation_keeps_the_family_and_marks_the_token_used(user):
    login = services.user_login(email=user.email, password=PASSWORD)
    pair = services.refresh_token_rotate(refresh=login.tokens.refresh.token)

    old = RefreshToken.objects.get(token_hash=token_hash(login.tokens.refresh.claims.jti))
    new = RefreshToken.objects.get(token_hash=token_hash(pair.refresh.claims.jti))
    assert old.family_id == new.family_id
    assert old.used_at is not None and new.used_at is None
    assert decode_token(pair.access.token, expected_type="access").user_id == str(user.id)


@pytest.mark.django_db
def test_a_validly_signed_refresh_token_that_was_never_issued_is_refused(user):
    forged = encode_refresh_token(user_id=str(user.id)).token
    with pytest.raises(NotAuthenticated):
        services.refresh_token_rotate(refresh=forged)
    assert RefreshToken.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_refresh_token_rotate_at_most_once():
    user = make_user()
    login = services.user_login(email=user.email, password=PASSWORD)

    results = run_concurrently(
        5, lambda _: services.refresh_token_rotate(refresh=login.tokens.refresh.token)
    )

    winners = [r for r in results if isinstance(r, services.TokenPair)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert len(losers) == 4
    assert all(isinstance(e, NotAuthenticated) for e in losers)
    # Exactly one rotation happened...
    assert RefreshToken.objects.filter(user=user).count() == 2
    # ...and the losers were treated as reuse: the whole family is revoked,
    # the winner's new refresh token included.
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0
    with pytest.raises(NotAuthenticated):
        services.refresh_token_rotate(refresh=winners[0].refresh.token)


# --- logout -----------------------------------------------------------------------


@pytest.mark.django_db
def test_logout_ends_the_session_and_only_that_session(user):
    login = services.user_login(email=user.email, password=PASSWORD)
    earlier = services.refresh_token_rotate(refresh=login.tokens.refresh.token)
    current = services.refresh_token_rotate(refresh=earlier.refresh.token)
    other = services.user_login(email=user.email, password=PASSWORD)

    services.user_logout(
        user_id=str(user.id), access=current.access.token, refresh=current.refresh.token
    )

    for pair in (login.tokens, earlier, current):
        with pytest.raises(NotAuthenticated):
            access_token_validate(token=pair.access.token)
    assert access_token_validate(token=other.tokens.access.token).session_id == str(
        other.tokens.access.claims.session_id
    )
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    user.refresh_from_db()
    assert user.tokens_valid_after is None  # no user-wide cutoff


@pytest.mark.django_db(transaction=True)
def test_a_refresh_racing_a_logout_never_leaves_a_working_access_token():
    user = make_user()
    outcomes = {"refresh won": 0, "logout won": 0}
    for _ in range(15):
        login = services.user_login(email=user.email, password=PASSWORD)

        def act(index: int, login=login):
            if index == 0:
                return services.refresh_token_rotate(refresh=login.tokens.refresh.token)
            return services.user_logout(
                user_id=str(user.id),
                access=login.tokens.access.token,
                refresh=login.tokens.refresh.token,
            )

        rotated, logged_out = run_concurrently(2, act)

        assert logged_out is None
        with pytest.raises(NotAuthenticated):
            access_token_validate(token=login.tokens.access.token)
        if isinstance(rotated, services.TokenPair):
            outcomes["refresh won"] += 1
            assert rotated.access.claims.session_id == login.tokens.access.claims.session_id
            with pytest.raises(NotAuthenticated):
                access_token_validate(token=rotated.access.token)
            with pytest.raises(NotAuthenticated):
                services.refresh_token_rotate(refresh=rotated.refresh.token)
        else:
            outcomes["logout won"] += 1
            assert isinstance(rotated, NotAuthenticated)
            assert rotated.message == "The refresh token is invalid or revoked."
    assert sum(outcomes.values()) == 15
    # The dangerous order (the refresh mints a token, then the logout commits)
    # happened: about half the rounds go each way.
    assert outcomes["refresh won"] >= 1
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_logout_twice_is_harmless(user):
    login = services.user_login(email=user.email, password=PASSWORD)
    for _ in range(2):
        services.user_logout(
            user_id=str(user.id),
            access=login.tokens.access.token,
            refresh=login.tokens.refresh.token,
        )
    assert AccessTokenRevocation.objects.count() == 1


@pytest.mark.django_db
def test_logout_accepts_an_expired_refresh_token(user):
    login = services.user_login(email=user.email, password=PASSWORD)
    expired = encode_refresh_token(
        user_id=str(user.id), issued_at=int(time.time()) - 15 * 24 * 3600
    )
    services.user_logout(
        user_id=str(user.id), access=login.tokens.access.token, refresh=expired.token
    )
    assert AccessTokenRevocation.objects.filter(jti=login.tokens.access.claims.jti).exists()


@pytest.mark.django_db
def test_logout_with_another_users_access_token_is_refused(user):
    login = services.user_login(email=user.email, password=PASSWORD)
    other = make_user()
    with pytest.raises(NotAuthenticated):
        services.user_logout(
            user_id=str(other.id),
            access=login.tokens.access.token,
            refresh=login.tokens.refresh.token,
        )
    assert AccessTokenRevocation.objects.count() == 0


@pytest.mark.django_db
def test_a_rolled_back_revocation_signals_nothing(user, django_capture_on_commit_callbacks):
    from django.db import transaction

    login = services.user_login(email=user.email, password=PASSWORD)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.user_logout(
                user_id=str(user.id),
                access=login.tokens.access.token,
                refresh=login.tokens.refresh.token,
            )
            raise RuntimeError("the surrounding work failed")
    assert callbacks == []
    assert AccessTokenRevocation.objects.count() == 0


# --- passwords -----------------------------------------------------------------------


@pytest.mark.django_db
def test_password_change_discards_outstanding_reset_tokens(user, mailoutbox):
    services.password_reset_request(email=user.email)
    services.user_change_password(
        user_id=str(user.id), old_password=PASSWORD, new_password=NEW_PASSWORD
    )
    token = mailoutbox[0].body.split("?token=")[1].split()[0]
    with pytest.raises(services.InvalidResetToken):
        services.password_reset_confirm(token=token, new_password="yet another passphrase")


@pytest.mark.django_db
def test_reset_tokens_are_stored_as_hashes_only(user, mailoutbox):
    services.password_reset_request(email=user.email)
    token = mailoutbox[0].body.split("?token=")[1].split()[0]
    row = PasswordResetToken.objects.get()
    assert row.token_hash == token_hash(token)
    assert row.expires_at - row.created_at == timedelta(hours=1)


@pytest.mark.django_db
def test_expired_reset_token_is_refused(user, mailoutbox):
    services.password_reset_request(email=user.email)
    token = mailoutbox[0].body.split("?token=")[1].split()[0]
    PasswordResetToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.InvalidResetToken):
        services.password_reset_confirm(token=token, new_password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_using_one_reset_token_voids_the_others(user, mailoutbox):
    services.password_reset_request(email=user.email)
    services.password_reset_request(email=user.email)
    first, second = (m.body.split("?token=")[1].split()[0] for m in mailoutbox)
    services.password_reset_confirm(token=second, new_password=NEW_PASSWORD)
    with pytest.raises(services.InvalidResetToken):
        services.password_reset_confirm(token=first, new_password="yet another passphrase")


@pytest.mark.django_db
def test_a_failing_mail_server_does_not_change_the_answer(user, monkeypatch):
    def broken(**kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(services, "send_mail", broken)
    services.password_reset_request(email=user.email)  # no exception
    assert PasswordResetToken.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_reset_token_used_concurrently_works_once(mailoutbox):
    user = make_user()
    services.password_reset_request(email=user.email)
    token = mailoutbox[0].body.split("?token=")[1].split()[0]

    results = run_concurrently(
        4, lambda _: services.password_reset_confirm(token=token, new_password=NEW_PASSWORD)
    )

    assert results.count(None) == 1
    assert [type(r) for r in results if r is not None] == [services.InvalidResetToken] * 3


# --- housekeeping ----------------------------------------------------------------------


@pytest.mark.django_db
def test_prune_deletes_only_expired_state(user, mailoutbox):
    login = services.user_login(email=user.email, password=PASSWORD)
    services.user_logout(
        user_id=str(user.id), access=login.tokens.access.token, refresh=login.tokens.refresh.token
    )
    services.password_reset_request(email=user.email)
    services.user_login(email=user.email, password=PASSWORD)  # a live session

    assert services.auth_tokens_prune() == {
        "access_token_revocations": 0,
        "refresh_tokens": 0,
        "password_reset_tokens": 0,
    }
    later = timezone.now() + timedelta(hours=2)
    assert services.auth_tokens_prune(now=later) == {
        "access_token_revocations": 1,
        "refresh_tokens": 0,
        "password_reset_tokens": 1,
    }
    assert services.auth_tokens_prune(now=timezone.now() + timedelta(days=15)) == {
        "access_token_revocations": 0,
        "refresh_tokens": 2,
        "password_reset_tokens": 0,
    }
    assert RefreshToken.objects.count() == 0
