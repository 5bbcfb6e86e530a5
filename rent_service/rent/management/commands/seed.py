"""`manage.py seed`: the demo tenant's leases with a paid and an open invoice,
for `make seed`.

    manage.py seed [--count 60] [--seed 42] [--timeout 120]

The leases are not made here: booking_service's seed approves some of the
demo tenant's rental requests, and their `rental_confirmed` events reach this
service's consumer, which creates each lease and its first invoice (deposit +
first month). The command waits (printing its progress, failing clearly after
--timeout seconds) until the demo tenant has DEMO_LEASES leases, then pays the
first invoice of the oldest one by card through Stripe (localstripe in the
dev stack: `pm_card_visa`, saved to the demo tenant's customer) with the same
service functions a request uses. The other lease's first invoice stays open.

Idempotent: a card already saved is not saved again, and a paid invoice is not
paid again. --count and --seed are accepted for `make seed` (they choose the
demo properties of the other services) and not needed here.
"""

from __future__ import annotations

import time
import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rentezy_platform.trust import Actor

from rent import payments
from rent.models import Invoice, Lease, PaymentMethod

# auth_service's DEMO_TENANT (ids are fixed across services; nothing is imported across).
DEMO_TENANT_ID = uuid.UUID("5eed7e4a-0000-4000-8000-000000000001")
# booking_service's demo approves two of the demo tenant's rental requests.
DEMO_LEASES = 2
DEMO_CARD = "pm_card_visa"
POLL_SECONDS = 1.0
PROGRESS_SECONDS = 10.0


class Command(BaseCommand):
    help = "Demo leases of the demo tenant: one first invoice paid by card, one open (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--count", type=int, default=60, help="Unused here (make seed passes it)."
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Unused here (make seed passes it)."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=120.0,
            help="Seconds to wait for the demo leases from booking_service's events (default 120).",
        )

    def handle(self, *args, timeout: float, **options) -> None:
        leases = self._wait_for_leases(timeout=timeout)
        tenant = Actor(user_id=DEMO_TENANT_ID, role="tenant")
        card = PaymentMethod.objects.filter(tenant_id=DEMO_TENANT_ID).first()
        if card is None:
            card = payments.payment_method_attach(actor=tenant, stripe_payment_method_id=DEMO_CARD)
            self.stdout.write(f"Saved the demo tenant's card ({card.brand} •••• {card.last4}).")
        first = Invoice.objects.get(lease=leases[0], is_first=True)
        if first.is_unpaid:
            payment = payments.invoice_pay(
                actor=tenant, invoice_id=first.id, payment_method_id=card.id
            )
            self.stdout.write(f"Paid the first invoice of lease {leases[0].id}: {payment.status}.")
        open_invoices = Invoice.objects.filter(lease__in=leases[1:], status="open").count()
        self.stdout.write(
            f"{len(leases)} demo leases; first invoice of the first paid, {open_invoices} open."
        )

    def _wait_for_leases(self, *, timeout: float) -> list[Lease]:
        started = last_report = time.monotonic()
        while True:
            leases = list(
                Lease.objects.filter(tenant_id=DEMO_TENANT_ID).order_by("created_at", "id")
            )
            if len(leases) >= DEMO_LEASES:
                return leases[:DEMO_LEASES]
            now = time.monotonic()
            if now - started > timeout:
                raise CommandError(
                    f"Only {len(leases)} of the {DEMO_LEASES} demo leases exist after {timeout:.0f}s: "
                    "are booking_service's seed, its relay and rent_service's consumer running "
                    "(make dev-up)?"
                )
            if now - last_report >= PROGRESS_SECONDS:
                self.stdout.write(f"waiting for the demo leases: {len(leases)} of {DEMO_LEASES}")
                last_report = now
            time.sleep(POLL_SECONDS)
