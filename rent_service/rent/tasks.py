"""Celery tasks of rent_service (worker and Beat: config/celery.py).

Every task takes the billing date as a parameter (default: today in
RENT_BILLING_TIME_ZONE), so tests travel in time; every task is safe to run
twice or to be killed midway (`acks_late`: a task whose worker died runs
again): its effects are guarded by unique constraints and conditional
updates (rent/services.py, rent/billing_run.py, rent/payments.py).
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from rentezy_platform.idempotency.services import idempotency_prune

from rent import billing_run as run
from rent import payments, services

logger = logging.getLogger(__name__)


def _day(on: str | None) -> date:
    return date.fromisoformat(on) if on else services.today()


@shared_task(name="rent.billing_run")
def billing_run(on: str | None = None) -> dict[str, int]:
    """Beat, daily: issue, end, late fees, reminders, then one autopay charge
    task per due invoice (sent after the run's own commits)."""
    day = _day(on)
    return run.billing_run(
        on=day,
        charge=lambda invoice_id, when: charge_autopay_invoice.delay(invoice_id, when.isoformat()),
    )


@shared_task(name="rent.charge_autopay_invoice")
def charge_autopay_invoice(invoice_id: str, on: str) -> str | None:
    """One off-session charge of an autopay invoice (payments.autopay_charge:
    one a day, bounded, resumed if a worker died midway)."""
    payment = payments.autopay_charge(invoice_id=invoice_id, on=date.fromisoformat(on))
    return payment.status if payment is not None else None


@shared_task(name="rent.reconcile_payments")
def reconcile_payments() -> int:
    """Beat: settle payments left pending (a lost webhook, a process that died)."""
    return payments.payments_reconcile_stale(
        older_than_seconds=settings.RENT_RECONCILE_AFTER_SECONDS
    )


@shared_task(name="rent.prune_idempotency_keys")
def prune_idempotency_keys() -> int:
    return idempotency_prune()
