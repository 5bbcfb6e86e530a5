"""Management commands: create_admin, auth_prune and seed."""

import io
import json
import uuid

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

    call_command(
        "create_admin", "--email", "Root@Example.com", "--full-name", "Root Admin", stdout=out
    )

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

    call_command(
        "create_admin",
        "--email",
        "root@example.com",
        "--full-name",
        "Root Admin",
        stdout=io.StringIO(),
    )

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
    assert (
        out.getvalue()
        == "Deleted 0 access_token_revocations, 0 refresh_tokens, 0 password_reset_tokens.\n"
    )


LANDLORD = {
    "id": "5eed1a4d-0000-4000-8000-000000000001",
    "email": "maria.gonzalez@landlords.rentezy.dev",
    "full_name": "María González",
    "role": "landlord",
    "password": "rentezy demo landlord",
}


def test_seed_creates_the_demo_accounts_with_their_fixed_ids_once(tmp_path):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps([LANDLORD]))

    call_command("seed", "--accounts-json", str(accounts), stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed", "--accounts-json", str(accounts), stdout=out)

    assert sorted(User.objects.values_list("id", "email", "role")) == sorted(
        [
            (uuid.UUID(LANDLORD["id"]), LANDLORD["email"], "landlord"),
            (
                uuid.UUID("5eed7e4a-0000-4000-8000-000000000001"),
                "alex.morgan@tenants.rentezy.dev",
                "tenant",
            ),
        ]
    )
    # The second run created nothing and announced nothing.
    assert out.getvalue().count("exists ") == 2
    events = outbox_events(type="rentezy.user.registered.v1")
    assert sorted(e.subject for e in events) == sorted(
        [LANDLORD["id"], "5eed7e4a-0000-4000-8000-000000000001"]
    )
    landlord = services.user_login(email=LANDLORD["email"], password=LANDLORD["password"])
    assert str(landlord.user.id) == LANDLORD["id"]


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps({"id": "x"}), json.dumps([{**LANDLORD, "role": 3}])],
)
def test_seed_refuses_a_malformed_accounts_file(tmp_path, content):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(content)
    with pytest.raises(CommandError, match="--accounts-json"):
        call_command("seed", "--accounts-json", str(accounts), stdout=io.StringIO())
    assert User.objects.count() == 0


def test_seed_refuses_an_admin_role(tmp_path):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps([{**LANDLORD, "role": "admin"}]))
    with pytest.raises(CommandError, match="Must be tenant or landlord"):
        call_command("seed", "--accounts-json", str(accounts), stdout=io.StringIO())
