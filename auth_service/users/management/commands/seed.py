"""`manage.py seed [--accounts-json FILE]`: demo accounts with fixed ids.

Always a demo tenant (below); plus the accounts of FILE, a JSON list of
`{"id", "email", "full_name", "role", "password"}` — `make seed` passes the
demo landlords that property_service's seeded properties belong to
(`property_service: manage.py seed --landlords-json`), so one can log in as
their owner. Idempotent: an id that exists is left as it is. Development
data only: the passwords are well known.
"""

from __future__ import annotations

import json
import sys
import uuid

from django.core.management.base import BaseCommand, CommandError
from rentezy_platform.errors import ApplicationError

from users.services import user_seed_demo

DEMO_TENANT = {
    "id": "5eed7e4a-0000-4000-8000-000000000001",
    "email": "alex.morgan@tenants.rentezy.dev",
    "full_name": "Alex Morgan",
    "role": "tenant",
    "password": "rentezy demo tenant",
}
ACCOUNT_KEYS = ("id", "email", "full_name", "role", "password")


class Command(BaseCommand):
    help = "Create the demo accounts (a tenant, plus --accounts-json). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--accounts-json",
            metavar="FILE",
            help="JSON list of accounts {id, email, full_name, role, password} ('-': stdin).",
        )

    def handle(self, *args, accounts_json: str | None = None, **options):
        accounts = [DEMO_TENANT, *self._read(accounts_json)]
        for account in accounts:
            try:
                user, created = user_seed_demo(
                    user_id=uuid.UUID(account["id"]),
                    email=account["email"],
                    password=account["password"],
                    full_name=account["full_name"],
                    role=account["role"],
                )
            except ApplicationError as exc:
                details = "; ".join(
                    f"{field}: {' '.join(errors)}" for field, errors in (exc.fields or {}).items()
                )
                raise CommandError(f"{account['email']}: {exc.message} {details}".strip()) from None
            state = "created" if created else "exists "
            self.stdout.write(
                f"  {state} {user.role:<8} {user.email}  password: {account['password']!r}"
            )
        self.stdout.write(self.style.SUCCESS(f"{len(accounts)} demo accounts ready."))

    def _read(self, path: str | None) -> list[dict]:
        if not path:
            return []
        try:
            text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
            accounts = json.loads(text)
        except (OSError, ValueError) as exc:
            raise CommandError(f"--accounts-json: {exc}") from None
        if not isinstance(accounts, list) or not all(
            isinstance(a, dict) and all(isinstance(a.get(k), str) for k in ACCOUNT_KEYS)
            for a in accounts
        ):
            raise CommandError(
                f"--accounts-json: expected a list of objects with string {', '.join(ACCOUNT_KEYS)}"
            )
        return accounts
