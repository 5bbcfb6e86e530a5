"""Celery tasks of booking_service (worker and Beat: config/celery.py).

Every task is safe to run twice or to be killed midway: each is a set of
single conditional UPDATEs in their own transactions (bookings/services.py),
and tasks are acknowledged only after they finish (`acks_late`), so a task
whose worker died runs again on another worker.
"""

from __future__ import annotations

import logging

from celery import shared_task
from rentezy_platform.idempotency.services import idempotency_prune

from bookings import services

logger = logging.getLogger(__name__)


@shared_task(name="bookings.release_unpaid_reservation")
def release_unpaid_reservation(reservation_id: str) -> bool:
    """Release one reservation whose first invoice failed, if it is still
    unpaid past its grace period (sent on commit by the payment_failed handler,
    due at the end of the grace period)."""
    released = services.reservation_release_unpaid(reservation_id=reservation_id)
    logger.info(
        "release of reservation %s: %s", reservation_id, "released" if released else "nothing to do"
    )
    return released


@shared_task(name="bookings.release_due_reservations")
def release_due_reservations() -> int:
    """Beat: release whatever is past its deadline (a lost task's safety net)."""
    return services.reservations_release_due()


@shared_task(name="bookings.expire_pending_reservations")
def expire_pending_reservations() -> int:
    """Beat: pending reservations the landlord did not answer in time expire."""
    count = services.reservations_expire_due()
    if count:
        logger.info("expired %d pending reservations", count)
    return count


@shared_task(name="bookings.prune_idempotency_keys")
def prune_idempotency_keys() -> int:
    """Beat: forget Idempotency-Key responses older than 24 hours."""
    return idempotency_prune()
