"""The operators' Django admin at /internal/admin/, exempt from gateway trust by prefix."""

import pytest
from django.test import Client
from users import services
from users.models import RefreshToken, User

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

ADMIN = "/internal/admin/"


@pytest.fixture
def operator(db) -> User:
    return services.user_create_admin(
        email="ops@example.com", password=PASSWORD, full_name="Op Erator"
    )


def _logged_in(operator: User) -> Client:
    browser = Client()
    response = browser.post(
        f"{ADMIN}login/", {"username": "OPS@Example.com", "password": PASSWORD, "next": ADMIN}
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == ADMIN
    return browser


def test_the_login_page_needs_no_gateway_signature(client):
    response = client.get(f"{ADMIN}login/")
    assert response.status_code == 200
    assert b"RentEzy auth administration" in response.content


def test_the_admin_assets_are_served(client):
    response = client.get(f"{ADMIN}static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


def test_an_operator_logs_in_case_insensitively(operator):
    browser = _logged_in(operator)
    assert browser.get(ADMIN).status_code == 200


def test_a_non_staff_user_cannot_log_in(client):
    user = make_user(email="tenant@example.com")
    response = client.post(
        f"{ADMIN}login/", {"username": user.email, "password": PASSWORD, "next": ADMIN}
    )
    assert response.status_code == 200  # the form again, with an error
    assert b"Please enter the correct email and password for a staff account" in response.content


@pytest.mark.parametrize(
    "path",
    ["/internal/admin/../api/auth/me", "/internal/admin/..%2Fapi/auth/me"],
)
def test_a_path_under_the_prefix_is_answered_by_the_admin_never_by_the_api(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/internal/admin/login/?next=/internal/admin/../api/auth/me"


@pytest.mark.parametrize(
    "path", ["/internal/admin", "/internal/administer", "/internal/validate", "/api/auth/me"]
)
def test_everything_outside_the_prefix_still_needs_the_gateway(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Missing gateway signature."}


def test_deactivating_from_the_admin_ends_the_users_sessions(operator):
    user = make_user()
    services.user_login(email=user.email, password=PASSWORD)
    browser = _logged_in(operator)

    response = browser.post(
        f"{ADMIN}users/user/",
        {"action": "deactivate", "_selected_action": [str(user.id)]},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert user.tokens_valid_after is not None
    assert RefreshToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0


def test_the_user_page_is_read_only(operator):
    user = make_user()
    browser = _logged_in(operator)
    page = browser.get(f"{ADMIN}users/user/{user.id}/change/")
    assert page.status_code == 200
    assert b'name="role"' not in page.content
    response = browser.post(
        f"{ADMIN}users/user/{user.id}/change/", {"role": "admin", "email": user.email}
    )
    user.refresh_from_db()
    assert user.role == "tenant"
    assert browser.get(f"{ADMIN}users/user/add/").status_code == 403
    # Every field is read-only: the form saves nothing and redirects.
    assert response.status_code == 302
