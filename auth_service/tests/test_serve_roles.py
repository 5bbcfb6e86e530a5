"""The container roles that touch the database, run for real against this
test's PostgreSQL database (rentezy_platform.serve)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.django_db(transaction=True)
def test_wait_migrations_returns_once_every_migration_is_applied():
    env = dict(os.environ)
    # pytest-django migrated `test_<name>`: the subprocess checks the same one.
    env["POSTGRES_DB_PREFIX"] = "test_" + os.environ.get("POSTGRES_DB_PREFIX", "")
    assert connection.settings_dict["NAME"] == env["POSTGRES_DB_PREFIX"] + "rentezy_auth"
    result = subprocess.run(
        [sys.executable, "-m", "rentezy_platform.serve", "wait-migrations"],
        cwd=SERVICE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "retrying" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_migrate_check_fails_while_a_migration_is_unapplied():
    # What the init container waits on: roll one migration back, and
    # `migrate --check` (the wait's command) exits non-zero until it is applied.
    env = dict(os.environ)
    env["POSTGRES_DB_PREFIX"] = "test_" + os.environ.get("POSTGRES_DB_PREFIX", "")
    check = [sys.executable, "manage.py", "migrate", "--check", "--noinput"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app, name FROM django_migrations WHERE app = 'users' ORDER BY id DESC LIMIT 1"
        )
        app, name = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name])
    try:
        unapplied = subprocess.run(check, cwd=SERVICE_DIR, env=env, capture_output=True,
                                   text=True, timeout=120, check=False)  # fmt: skip
        assert unapplied.returncode != 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, now())",
                [app, name],
            )
    applied = subprocess.run(check, cwd=SERVICE_DIR, env=env, capture_output=True, text=True,
                             timeout=120, check=False)  # fmt: skip
    assert applied.returncode == 0, applied.stderr[-2000:]
