"""Leases from confirmed reservations and their invoices (real PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from rent import services
from rent.models import Invoice, InvoiceStatus, Lease, LeaseStatus
from rentezy_platform.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def confirmed(**overrides) -> dict:
    data = {
        "reservation_id": str(uuid.uuid4()),
        "property_id": str(uuid.uuid4()),
        "property_title": "Loft by the canal",
        "tenant_id": str(uuid.uuid4()),
        "landlord_id": str(uuid.uuid4()),
        "start_date": "2027-01-15",
        "end_date": "2028-01-15",
        "monthly_rent_minor": 150_000,
        "deposit_minor": 300_000,
        "currency": "USD",
    }
    data.update(overrides)
    return data


def test_a_confirmed_reservation_becomes_a_lease_with_its_first_invoice_once():
    data = confirmed()
    lease = services.lease_create_from_reservation(data=data, on=date(2027, 1, 2))
    again = services.lease_create_from_reservation(data=data, on=date(2027, 1, 3))
    assert again.id == lease.id and Lease.objects.count() == 1
    assert (lease.status, lease.monthly_rent_minor, lease.deposit_minor) == (
        "active",
        150_000,
        300_000,
    )
    invoice = Invoice.objects.get(lease=lease)
    assert invoice.is_first and invoice.period == date(2027, 1, 1)
    assert [(line.kind, line.amount_minor) for line in invoice.lines.all()] == [
        ("deposit", 300_000),
        ("prorated_rent", 82_258),
    ]
    assert (invoice.amount_minor, invoice.balance_minor, invoice.due_date) == (
        382_258,
        382_258,
        date(2027, 1, 15),
    )
    issued = OutboxMessage.objects.filter(type="rentezy.payment.invoice_issued.v1")
    assert issued.count() == 1
    assert issued.get().payload["data"]["amount_minor"] == 382_258


def test_later_invoices_are_issued_ahead_once_and_a_cancelled_reservation_voids_them():
    data = confirmed()
    lease = services.lease_create_from_reservation(data=data, on=date(2027, 1, 2))
    assert services.invoices_issue_due(on=date(2027, 1, 17)) == 0
    assert services.invoices_issue_due(on=date(2027, 1, 18)) == 1  # February, due Feb 1
    assert services.invoices_issue_due(on=date(2027, 1, 18)) == 0
    assert services.invoices_issue_due(on=date(2027, 3, 20)) == 2  # March and April
    assert Invoice.objects.filter(lease=lease).count() == 4
    services.lease_void_for_reservation(data={"reservation_id": data["reservation_id"]})
    services.lease_void_for_reservation(data={"reservation_id": data["reservation_id"]})
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.CANCELLED
    assert set(Invoice.objects.filter(lease=lease).values_list("status", flat=True)) == {
        InvoiceStatus.VOID
    }
    assert services.invoices_issue_due(on=date(2027, 6, 1)) == 0
