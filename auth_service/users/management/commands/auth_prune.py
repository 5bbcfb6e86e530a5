"""`manage.py auth_prune`: delete expired token state (revocations, refresh and
password reset tokens). Safe to run at any time and concurrently; schedule it
daily (a Kubernetes CronJob)."""

from django.core.management.base import BaseCommand

from users.services import auth_tokens_prune


class Command(BaseCommand):
    help = "Delete expired access token revocations, refresh tokens and password reset tokens."

    def handle(self, *args, **options):
        deleted = auth_tokens_prune()
        summary = ", ".join(f"{count} {name}" for name, count in deleted.items())
        self.stdout.write(f"Deleted {summary}.")
