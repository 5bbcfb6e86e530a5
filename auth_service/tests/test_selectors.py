"""users/selectors.py: reads behind /internal/validate and /api/auth/me."""

import uuid

import pytest
from rentezy_platform.errors import NotAuthenticated
from users import services
from users.selectors import ValidatedAccessToken, access_token_validate, user_get_active

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_access_token_validate_in_one_query(user, django_assert_num_queries):
    access = services.user_login(email=user.email, password=PASSWORD).tokens.access

    with django_assert_num_queries(1):
        validated = access_token_validate(token=access.token)

    assert validated == ValidatedAccessToken(
        user_id=str(user.id),
        role="tenant",
        email=user.email,
        jti=access.claims.jti,
        issued_at=access.claims.issued_at,
        expires_at=access.claims.expires_at,
        session_id=access.claims.session_id,
    )


def test_a_revoked_token_is_refused_in_one_query(user, django_assert_num_queries):
    login = services.user_login(email=user.email, password=PASSWORD)
    services.user_logout(
        user_id=str(user.id), access=login.tokens.access.token, refresh=login.tokens.refresh.token
    )
    with django_assert_num_queries(1), pytest.raises(NotAuthenticated):
        access_token_validate(token=login.tokens.access.token)


def test_user_get_active(user):
    assert user_get_active(user_id=str(user.id)) == user


@pytest.mark.parametrize("user_id", [None, "", "not-a-uuid", str(uuid.uuid4())])
def test_user_get_active_refuses_unknown_ids(db, user_id):
    with pytest.raises(NotAuthenticated):
        user_get_active(user_id=user_id)


def test_user_get_active_refuses_inactive_users(user):
    services.user_deactivate(user_id=user.id)
    with pytest.raises(NotAuthenticated):
        user_get_active(user_id=str(user.id))
