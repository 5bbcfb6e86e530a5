"""Management commands: create_admin and auth_prune."""

import io

import pytest
from django.core.management import CommandError, call_command
from rentezy_platform.events import validate_event
from rentezy_platform.testing import outbox_events
from users import services
from users.models import Role, User
from users.selectors import access_token_validate

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_create_admin_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("RENTEZY_ADMIN_PASSWORD", PASSWORD)
    out = io.StringIO()

    call_command("create_admin", "--email", "Root@Example.com", "--full-name", "Root Admin", stdout=out)

    user = User.objects.get()
    assert out.getvalue() == f"Created admin root@example.com ({user.id}).\n"
    assert (user.email, user.full_name, user.role, user.is_staff, user.is_superuser) == (
        "root@example.com",
        "Root Admin",
        Role.ADMIN,
        True,
        True,
    )
    [event] = outbox_events()
    validate_event(event)
    assert event.data == {
        "user_id": str(user.id),
        "email": "root@example.com",
        "full_name": "Root Admin",
        "role": "admin",
    }
    login = services.user_login(email="root@example.com", password=PASSWORD)
    assert access_token_validate(token=login.tokens.access.token).role == "admin"


def test_create_admin_reads_the_password_from_stdin(monkeypatch):
    monkeypatch.delenv("RENTEZY_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))

    call_command("create_admin", "--email", "root@example.com", "--full-name", "Root Admin", stdout=io.StringIO())

    assert User.objects.get().check_password(PASSWORD)


def test_create_admin_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("RENTEZY_ADMIN_PASSWORD", "1234567890")
    with pytest.raises(CommandError, match="password: This password is too common"):
        call_command("create_admin", "--email", "root@example.com", "--full-name", "Root Admin")
    assert User.objects.count() == 0
    assert outbox_events() == []


def test_create_admin_refuses_a_taken_email(monkeypatch, user):
    monkeypatch.setenv("RENTEZY_ADMIN_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_admin", "--email", user.email.upper(), "--full-name", "Root Admin")
    assert User.objects.count() == 1


def test_create_admin_without_a_password(monkeypatch):
    monkeypatch.delenv("RENTEZY_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="No password"):
        call_command("create_admin", "--email", "root@example.com", "--full-name", "Root Admin")


def test_auth_prune_reports_what_it_deleted():
    out = io.StringIO()
    call_command("auth_prune", stdout=out)
    assert out.getvalue() == "Deleted 0 access_token_revocations, 0 refresh_tokens, 0 password_reset_tokens.\n"
