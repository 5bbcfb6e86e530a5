"""`manage.py create_admin --email EMAIL --full-name NAME`: the only way to
make an `admin` account (role admin, Django admin access).

The password is read from $RENTEZY_ADMIN_PASSWORD if set, else from stdin
(prompted twice on a terminal, the first line otherwise), never from the
command line, where it would land in shell history and `ps`.
"""

import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from rentezy_platform.errors import ApplicationError

from users.services import user_create_admin

PASSWORD_ENV = "RENTEZY_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = "Create an admin account (role admin, staff). Password from $RENTEZY_ADMIN_PASSWORD or stdin."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--full-name", required=True)

    def handle(self, *args, email: str, full_name: str, **options):
        password = self._password()
        try:
            user = user_create_admin(email=email, password=password, full_name=full_name)
        except ApplicationError as exc:
            details = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in (exc.fields or {}).items()
            )
            raise CommandError(f"{exc.message} {details}".strip()) from None
        self.stdout.write(self.style.SUCCESS(f"Created admin {user.email} ({user.id})."))

    def _password(self) -> str:
        password = os.environ.get(PASSWORD_ENV)
        if password:
            return password
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(f"No password: set ${PASSWORD_ENV} or pass it on stdin.")
        return password
