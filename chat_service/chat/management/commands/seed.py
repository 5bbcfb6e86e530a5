"""`manage.py seed`: a demo conversation between the demo tenant and a demo
landlord, for `make seed`.

    manage.py seed [--count 60] [--seed 42] [--timeout 120]

The users come from auth_service's demo accounts through rentezy.user events
(this service's consumer fills its directory), so the command waits (printing
its progress, failing clearly after --timeout seconds) until the directory has
the demo tenant and a landlord. Then it opens their conversation and sends
DEMO_MESSAGES through the same service function a request uses (stored,
published as message_sent, so notification_service notifies the recipients).
Idempotent: each message has a fixed client_id, so a second run stores
nothing. --count and --seed are accepted for `make seed` and not needed here.
"""

from __future__ import annotations

import time
import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rentezy_platform.trust import Actor

from chat import services
from chat.models import ChatUser

# auth_service's DEMO_TENANT (ids are fixed across services; nothing is imported across).
DEMO_TENANT_ID = uuid.UUID("5eed7e4a-0000-4000-8000-000000000001")
# (who, body): "tenant" or "landlord" sends each, in order.
DEMO_MESSAGES = (
    ("tenant", "Hi! Is the flat still available from next month?"),
    ("landlord", "Hello Alex, yes it is. Would you like to book a viewing?"),
    ("tenant", "Yes please, I booked Saturday morning. See you then!"),
)
POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = "A demo conversation between the demo tenant and a demo landlord (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=60, help="Unused here.")
        parser.add_argument("--seed", type=int, default=42, help="Unused here.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=120.0,
            help="Seconds to wait for the demo users from auth_service's events (default 120).",
        )

    def handle(self, *args, timeout: float, **options) -> None:
        landlord = self._wait_for_users(timeout=timeout)
        tenant = Actor(user_id=DEMO_TENANT_ID, role="tenant")
        owner = Actor(user_id=landlord.id, role="landlord")
        conversation, created = services.conversation_open(
            actor=tenant, participant_id=landlord.id
        )
        stored = 0
        for index, (who, body) in enumerate(DEMO_MESSAGES):
            _, new = services.message_send(
                actor=tenant if who == "tenant" else owner,
                conversation_id=conversation.id,
                body=body,
                client_id=f"demo-{index}",
            )
            stored += new
        self.stdout.write(
            f"Demo conversation {conversation.id} with {landlord.full_name or landlord.id}: "
            f"{'opened' if created else 'already there'}, {stored} new messages."
        )

    def _wait_for_users(self, *, timeout: float) -> ChatUser:
        started = time.monotonic()
        while True:
            has_tenant = ChatUser.objects.filter(pk=DEMO_TENANT_ID).exists()
            landlord = ChatUser.objects.filter(role="landlord").order_by("id").first()
            if has_tenant and landlord is not None:
                return landlord
            if time.monotonic() - started > timeout:
                raise CommandError(
                    f"The demo users did not reach chat_service within {timeout:.0f} s: is the "
                    "dev stack running (auth relay, chat consumer)? Try `make dev-up`."
                )
            self.stdout.write("Waiting for the demo users (rentezy.user events) ...")
            time.sleep(POLL_SECONDS)
