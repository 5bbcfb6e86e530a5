"""Celery tasks of rent_service (worker and Beat: config/celery.py).

Every task takes the billing date as a parameter (default: today in
RENT_BILLING_TIME_ZONE), so tests travel in time; every task is safe to run
twice or to be killed midway (`acks_late`): its effects are guarded by unique
constraints and conditional updates (rent/services.py, rent/payments.py).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from rentezy_platform.idempotency.services import idempotency_prune

from rent import payments

logger = logging.getLogger(__name__)


@shared_task(name="rent.prune_idempotency_keys")
def prune_idempotency_keys() -> int:
    return idempotency_prune()


@shared_task(name="rent.reconcile_payments")
def reconcile_payments() -> int:
    """Beat: settle payments left pending (a lost webhook, a process that died)."""
    return payments.payments_reconcile_stale(
        older_than_seconds=settings.RENT_RECONCILE_AFTER_SECONDS
    )
